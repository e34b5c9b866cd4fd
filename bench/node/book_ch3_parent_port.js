// book_ch3_parent_port.js — the Node original of examples/book/ch3_parent_port.cpp: two-way
// messages over parentPort (listing 3-5). The worker posts "Hello, World!" at start; the main
// thread echoes every message back; the worker logs "We got a message from the main thread:
// ..." for each. In the book neither listener is removed and the program never exits; like the
// twin, the worker closes its parentPort after the first message (the fix the book names), so
// the worker and then the program end.
// Checked, as in the twin: the worker logs exactly one message, it is "Hello, World!", and the
// worker ends on its own with code 0. (The worker records what it logged in a
// SharedArrayBuffer from workerData, read by main after the worker's exit.)
// Run: node book_ch3_parent_port.js
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { check, finish } = require('./book_support');

// shared layout: Int32 [0] messages logged, [1] byte length of the last one; bytes from 8 on.
const TEXT_AT = 8;
const TEXT_MAX = 248;

if (!isMainThread) {
  const counts = new Int32Array(workerData.shared, 0, 2);
  const text = new Uint8Array(workerData.shared, TEXT_AT, TEXT_MAX);
  parentPort.on('message', (msg) => {
    console.log(`We got a message from the main thread: ${msg}`);
    const { written } = new TextEncoder().encodeInto(String(msg), text);
    Atomics.store(counts, 1, written);
    Atomics.add(counts, 0, 1);
    parentPort.close(); // the fix: without it both sides stay alive forever
  });
  parentPort.postMessage('Hello, World!');
} else {
  const shared = new SharedArrayBuffer(TEXT_AT + TEXT_MAX);
  const worker = new Worker(__filename, { workerData: { shared } });
  worker.on('message', (msg) => worker.postMessage(msg)); // echo
  worker.on('error', (err) => console.log(`worker error: ${err.message}`)); // then exit code 1
  worker.on('exit', (code) => {
    const counts = new Int32Array(shared, 0, 2);
    const last = new TextDecoder().decode(new Uint8Array(shared, TEXT_AT, Atomics.load(counts, 1)).slice());
    check(Atomics.load(counts, 0) === 1, 'the worker logs exactly one message');
    check(last === 'Hello, World!', 'the echoed message is "Hello, World!"');
    check(code === 0, 'the worker ended on its own once its port was closed');
    finish('parentPort echo OK');
  });
}
