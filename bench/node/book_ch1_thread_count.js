// book_ch1_thread_count.js — the Node original of examples/book/ch1_thread_count.cpp: listing
// 1-6's point, that an idle "single-threaded" Node process has several OS threads (the book's
// `top -H` shows 7). Counts this process's threads (/proc/self/task entries) idle with the event
// loop running, with N workers started and listening, and after they have exited, and prints
// them as the C++ example does. Checks: with workers there are at least N more threads than
// idle; after the exits the count is back to the idle count (polled for up to 5 s, since Node
// joins a worker's thread a little after its 'exit' event). On a system without /proc it says
// so and exits 0.
// Run: node book_ch1_thread_count.js [--workers N]   (default 4)
'use strict';
const fs = require('node:fs');
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { flag, check, finish } = require('./book_support');

function countThreads() {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return -1;
  }
}

if (!isMainThread) {
  parentPort.on('message', () => parentPort.close());  // quit
  parentPort.postMessage('ready');
} else {
  const n = flag('--workers', 4);
  const plural = (k) => `${k} thread${k === 1 ? '' : 's'}`;

  setTimeout(async () => {
    const idle = countThreads();
    if (idle < 0) {
      console.log('no /proc/self/task on this system: the threads cannot be counted here');
      console.log('thread count skipped');
      return;
    }
    console.log(`idle, event loop running: ${plural(idle)} (bobbin's idle program has 1)`);

    const workers = [];
    const ready = [];
    const exited = [];
    for (let k = 0; k < n; k++) {
      const w = new Worker(__filename);
      ready.push(new Promise((resolve) => w.once('message', resolve)));
      exited.push(new Promise((resolve) => w.once('exit', resolve)));
      workers.push(w);
    }
    await Promise.all(ready);
    const withWorkers = countThreads();
    console.log(`with ${n} workers: ${withWorkers} threads`);
    check(withWorkers >= idle + n, 'N workers add at least N threads');
    for (const w of workers) w.postMessage('quit');
    await Promise.all(exited);

    let after = countThreads();
    for (let tries = 0; after !== idle && tries < 500; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = countThreads();
    }
    console.log(`after the workers exited: ${plural(after)}`);
    check(after === idle, 'back to the idle count');
    finish('thread count OK');
  }, 1);
}
