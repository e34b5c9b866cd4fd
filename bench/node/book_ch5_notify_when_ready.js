// book_ch5_notify_when_ready.js — the Node original of
// examples/shared_memory/ch5_notify_when_ready.cpp: wake the workers once all of them are ready
// (Multithreaded JavaScript 5-4 and 5-5, ch5-notify-when-ready).
//
// Four workers (this same file) get the same 4-byte SharedArrayBuffer by postMessage. Each
// posts "ready" to the main thread, prints "Worker N started" and waits on cell 0 with no
// timeout. The main thread prints "Ready; id=N, count=C, time=Tms" for each "ready" (C counts
// down 3, 2, 1, 0) and, once all four are ready, wakes them all; each prints "Worker N awoken
// with <result>". The times show how slow and variable worker start-up is.
//
// The book's lost wake-up, fixed as in the C++ twin (book-examples §12.4): a worker posts
// "ready" before it calls wait, and the book's main thread only notifies, never changing the
// cell; if the last "ready" is handled and notify runs before that worker reaches wait, the
// worker sleeps forever. Here the main thread first stores 1 in the cell, then notifies: a
// late worker finds 1 instead of 0 and gets "not-equal" at once. Oracle: all four workers
// return and exit, and the counts run 3, 2, 1, 0. Workers print with synchronous writes (a
// worker's console.log goes through the main thread and would come after its wait).
// Run: node book_ch5_notify_when_ready.js
'use strict';
const fs = require('fs');
const { performance } = require('perf_hooks');
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (!isMainThread) {
  parentPort.once('message', ({ buffer, name }) => {
    parentPort.postMessage(name);  // "ready", before waiting: the book's order
    fs.writeSync(1, `Worker ${name} started\n`);
    const view = new Int32Array(buffer);
    const result = Atomics.wait(view, 0, 0);  // no timeout
    fs.writeSync(1, `Worker ${name} awoken with ${result}\n`);
  });
} else {
  const now = performance.now();
  const buffer = new SharedArrayBuffer(4);
  const view = new Int32Array(buffer);
  let count = 4;
  const counts = [];
  let awoken = 0;
  let running = 4;
  for (let i = 0; i < 4; i++) {
    const w = new Worker(__filename);
    w.on('message', (id) => {
      console.log(`Ready; id=${id}, count=${--count}, time=${(performance.now() - now).toFixed(1)}ms`);
      counts.push(count);
      if (count === 0) {
        Atomics.store(view, 0, 1);  // the fix: a late waiter now sees "not-equal"
        Atomics.notify(view, 0);    // wake everyone already waiting
      }
    });
    w.on('error', (e) => console.log(`worker ${i}: ${e}`));
    w.on('exit', (code) => {
      awoken += code === 0;
      if (--running > 0) return;
      const ok = awoken === 4 && counts.join() === '3,2,1,0';
      console.log(ok ? 'ch5_notify_when_ready: ok' : 'ch5_notify_when_ready: FAILED');
      process.exitCode = ok ? 0 : 1;
    });
    w.postMessage({ buffer, name: i });
  }
}
