// book_ch4_sab_hello.js — the Node original of examples/shared_memory/ch4_sab_hello.cpp: the
// SharedArrayBuffer hello world (Multithreaded JavaScript 4-1 … 4-5, the Node version,
// main-node.js and worker-node.js, with worker.unref()).
//
// The main thread makes a 1024-byte SharedArrayBuffer, views it as a Uint8Array, prints "now 0"
// and posts the buffer to a worker (this same file). The worker sets an expando property `foo`
// on its SharedArrayBuffer object and writes view[0] = 2; the main thread then reads "later 2"
// (the bytes are shared) and "prop undefined" (the wrapper objects are not). Posting a plain
// ArrayBuffer instead clones it (structuredClone is what postMessage does), so the sender
// still reads 0. The worker listens on forever, as in the book; worker.unref() lets the
// process end anyway.
//
// As in the C++ twin, the 500 ms timer re-arms until the worker has written (a loaded machine
// may be slower than the book's 500 ms), and the worker prints with a synchronous write before
// it stores, so the output order is fixed. Oracle: later 2, and the clone still reads 0.
// Run: node book_ch4_sab_hello.js
'use strict';
const fs = require('fs');
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (!isMainThread) {
  parentPort.on('message', (buffer) => {
    buffer.foo = 42;  // on this thread's object only
    const view = new Uint8Array(buffer);
    fs.writeSync(1, 'updated in worker\n');
    Atomics.store(view, 0, 2);  // after the print, so the output order is fixed
  });
} else {
  const worker = new Worker(__filename);
  const buffer = new SharedArrayBuffer(1024);
  const view = new Uint8Array(buffer);
  console.log(`now ${view[0]}`);
  worker.postMessage(buffer);  // shared, not copied
  worker.unref();              // the worker alone does not keep the process alive

  let waited = 0;
  const later = () => {
    waited += 500;
    const value = Atomics.load(view, 0);
    if (value === 0 && waited < 10000) {  // the worker was slower than the book's 500 ms
      setTimeout(later, 500);
      return;
    }
    console.log(`later ${value}`);
    console.log(`prop ${buffer.foo}`);  // undefined: the worker's object got the property

    // The contrast: a plain ArrayBuffer is cloned, so a write to the copy is not seen here.
    const plain = new ArrayBuffer(1024);
    const posted = structuredClone(plain);  // what worker.postMessage(plain) does
    new Uint8Array(posted)[0] = 2;
    const unchanged = new Uint8Array(plain)[0];
    console.log(`a cloned ArrayBuffer: the sender still reads ${unchanged}`);
    const ok = value === 2 && buffer.foo === undefined && unchanged === 0;
    console.log(ok ? 'ch4_sab_hello: ok' : 'ch4_sab_hello: FAILED');
    process.exitCode = ok ? 0 : 1;
  };
  setTimeout(later, 500);
}
