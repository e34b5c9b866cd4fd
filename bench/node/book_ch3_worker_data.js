// book_ch3_worker_data.js — the Node original of examples/book/ch3_worker_data.cpp: workerData
// (listings 3-3 and 3-4). The file is both the main module and the worker's file
// (`isMainThread` tells them apart): main starts a Worker on itself with workerData {num: 42};
// the worker asserts workerData.num === 42, posts it back and then changes its own copy.
// Checked, as in the twin: the worker saw 42; the main thread's object is unchanged (workerData
// is a structured-clone copy); the worker's assertion held (exit code 0).
// Run: node book_ch3_worker_data.js
'use strict';
const assert = require('node:assert');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { check, finish } = require('./book_support');

if (isMainThread) {
  const data = { num: 42 };
  const worker = new Worker(__filename, { workerData: data });
  let seen = 0;
  worker.on('message', (num) => { seen = num; });
  worker.on('error', (err) => console.log(`worker error: ${err.message}`)); // then exit code 1
  worker.on('exit', (code) => {
    console.log(`worker saw workerData.num = ${seen}`);
    check(seen === 42, 'workerData.num === 42');
    check(data.num === 42, "the main thread's object is unchanged (the worker got a copy)");
    check(code === 0, 'the assertion in the worker held (exit code 0)');
    finish('workerData OK');
  });
} else {
  assert.strictEqual(workerData.num, 42); // a throw here ends the worker with code 1
  parentPort.postMessage(workerData.num);
  workerData.num = 0; // changes the worker's copy only
}
