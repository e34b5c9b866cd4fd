// book_ch1_read_files.js — the Node original of examples/book/ch1_read_files.cpp: listing 1-3,
// reading 1.txt, 2.txt and 3.txt concurrently with fs.promises and Promise.all and printing the
// sum. Like the C++ twin it first writes the three files into a fresh directory under
// os.tmpdir() and removes it at the end. Checked: the sum is 6.
// Run: node book_ch1_read_files.js
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { check, finish } = require('./book_support');

const dir = path.join(os.tmpdir(), `bobbin-ch1-${process.pid}`);
fs.mkdirSync(dir, { recursive: true });
for (let i = 1; i <= 3; i++) fs.writeFileSync(path.join(dir, `${i}.txt`), `${i}\n`);

// getNum(filename): read the file as UTF-8 text and parse it as a base-10 integer.
async function getNum(filename) {
  return parseInt(await fs.promises.readFile(filename, 'utf8'), 10);
}

async function main() {
  let sum = -1;
  try {
    const numbers = await Promise.all([1, 2, 3].map((n) => getNum(path.join(dir, `${n}.txt`))));
    sum = numbers.reduce((a, b) => a + b, 0);
    console.log(sum);
  } catch (err) {
    console.error('Something went wrong:');
    console.error(err);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  check(sum === 6, '1 + 2 + 3 = 6');
  finish('read files OK');
}

main();
