// book_ch3_pool_sqrt.js — the Node original of examples/book/ch3_pool_sqrt.cpp: Piscina's hello
// world (listing 3-12). The file is both the pool's owner and its task module
// (`isWorkerThread` tells them apart); the task is num => Math.sqrt(num), and the main thread
// logs "The square root of nine is 3". Checked, as in the twin: the result is exactly 3.
// Run: node book_ch3_pool_sqrt.js   (piscina from this directory's node_modules: npm install)
'use strict';
const { Piscina, isWorkerThread } = require('piscina');
const { check, finish } = require('./book_support');

if (!isWorkerThread) {
  const piscina = new Piscina({ filename: __filename });
  (async () => {
    let root = -1;
    try {
      const result = await piscina.run(9);
      root = result;
      console.log(`The square root of nine is ${result}`);
    } finally {
      await piscina.destroy();
    }
    check(root === 3, 'sqrt(9) == 3');
    finish('pool sqrt OK');
  })().catch((err) => {
    console.log(`WRONG: ${err.message}`);
    process.exitCode = 1;
  });
}

module.exports = (num) => Math.sqrt(num);
