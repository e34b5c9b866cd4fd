// book_ch2_web_worker.js — the Node original of examples/book/ch2_web_worker.cpp: the book's
// first dedicated worker (listings 1-2 and 2-1 to 2-3) as a worker_threads analogue. main logs
// "hello from main.js", creates the worker, installs its message handler, posts "message sent
// to worker" and logs "hello from end of main.js"; the worker logs "hello from worker.js" at top
// level, then answers each message with "message sent from worker" and closes its port (the
// browser page keeps its worker; the program lets it end).
// Checked, as in the twin (only the orders that hold everywhere): five lines; main's first line
// comes first; the worker's top-level code runs before its message handler (so the message
// posted before the worker started was queued, not lost); main's handler runs last; the worker
// exits with code 0. Every line takes a sequence number from one shared counter, so the order
// is the order of the log calls, not of the (asynchronous) worker stdout.
// Run: node book_ch2_web_worker.js
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { check, finish } = require('./book_support');

// seq[0]: the next sequence number; seq[1 + k]: the number taken by line k.
const LINES = [
  'hello from main.js',
  'hello from end of main.js',
  'hello from worker.js',
  'message from main: message sent to worker',
  'message received from worker: message sent from worker',
];

function makeLog(seq) {
  return (line) => {
    const k = LINES.indexOf(line);
    const n = Atomics.add(seq, 0, 1);
    if (k >= 0) Atomics.store(seq, 1 + k, n);
    console.log(line);
  };
}

if (!isMainThread) {
  // worker.js
  const log = makeLog(new Int32Array(workerData.seq));
  log('hello from worker.js');
  parentPort.on('message', (msg) => {
    log(`message from main: ${msg}`);
    parentPort.postMessage('message sent from worker');
    parentPort.close();
  });
} else {
  // main.js
  const sab = new SharedArrayBuffer(4 * (1 + LINES.length));
  const seq = new Int32Array(sab);
  seq.fill(-1, 1);
  const log = makeLog(seq);
  log('hello from main.js');
  const worker = new Worker(__filename, { workerData: { seq: sab } });
  worker.on('message', (msg) => log(`message received from worker: ${msg}`));
  worker.on('exit', (code) => {
    const at = (k) => Atomics.load(seq, 1 + k);
    const [mainFirst, mainEnd, top, got, back] = LINES.map((_, k) => at(k));
    check(Atomics.load(seq, 0) === 5 && LINES.every((_, k) => at(k) >= 0), 'five lines');
    check(mainFirst === 0, "main's first line comes first");
    check(top < got, "the worker's top-level code runs before its message handler");
    check(mainEnd < back && got < back, "main's handler runs last");
    check(code === 0, 'the worker ended normally');
    finish('web worker OK');
  });
  worker.postMessage('message sent to worker'); // before the worker listens: queued
  log('hello from end of main.js');
}
