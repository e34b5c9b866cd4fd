// book_ch6_thread_product_mutex.js — the Node original of
// examples/shared_memory/ch6_thread_product_mutex.cpp: the same product, protected by the
// book's mutex (Multithreaded JavaScript 6-8 … 6-12, ch6-mutex/mutex.js and
// thread-product-mutex.js).
//
// The shared Int32Array is [2, 3, 5, 7, 0]; cell 4 is the lock. The book's Mutex (book_mutex.js):
// compareExchange 0 → 1 to take it, Atomics.wait to sleep while it is held, compareExchange
// 1 → 0 and notify one waiter to release, exec(fn) around a critical section. Inside
// mutex.exec, plain (non-Atomics) reads and writes do the book's read a, busy loop, read b,
// write a·b, assert. The lock gives exclusion and ordering, so the assert never fails and
// ints[3] always ends at 2·3·5·7 = 210 — checked every round (the book prints nothing).
//
// The three workers start together at a gate (a separate 4-byte buffer; the book's layout is
// kept): a Node worker takes milliseconds to start, longer than its critical section, so
// without the gate they would seldom contend for the lock at all (C++ threads start at once).
//
// Book bug fixed, as in the C++ twin (book-examples §12.7): the book's acquire() calls itself
// again after each wait; this one loops.
// Run: node book_ch6_thread_product_mutex.js [--rounds N=20] [--spin N=1000000]
'use strict';
const assert = require('assert');
const { Worker, isMainThread, workerData } = require('worker_threads');
const { Mutex } = require('./book_mutex');
const { flag } = require('./book_support');


if (!isMainThread) {
  const { i, shared, gate, spin } = workerData;
  const ints = new Int32Array(shared);
  Atomics.wait(new Int32Array(gate), 0, 0);  // start together
  const mutex = new Mutex(ints, 4);  // the same lock in every worker: the same cell
  mutex.exec(() => {
    const a = ints[i];
    for (let j = 0; j < spin; j++);  // the book's busy loop
    const b = ints[3];
    ints[3] = a * b;
    assert.strictEqual(ints[3], a * b);
  });
} else {
  const rounds = flag('--rounds', 20);
  const spin = flag('--spin', 1_000_000);
  const round = () => new Promise((resolve) => {
    const shared = new SharedArrayBuffer(5 * 4);
    const ints = new Int32Array(shared);
    ints.set([2, 3, 5, 7, 0]);
    const gate = new SharedArrayBuffer(4);
    let running = 3;
    let online = 0;
    let failed = 0;
    for (let i = 0; i < 3; i++) {
      const w = new Worker(__filename, { workerData: { i, shared, gate, spin } });
      w.on('error', (e) => { failed++; console.log(`worker ${i}: ${e}`); });
      w.on('online', () => {
        if (++online === 3) {  // open the gate once the last worker runs
          Atomics.store(new Int32Array(gate), 0, 1);
          Atomics.notify(new Int32Array(gate), 0);
        }
      });
      w.on('exit', () => { if (--running === 0) resolve({ final: Atomics.load(ints, 3), failed }); });
    }
  });
  (async () => {
    let good = 0;
    let failedChecks = 0;
    for (let r = 0; r < rounds; r++) {
      const { final, failed } = await round();
      good += final === 210;
      failedChecks += failed;
    }
    const ok = good === rounds && failedChecks === 0;
    console.log(`ch6_thread_product_mutex: ${good} of ${rounds} rounds ended with ints[3] == 210, ` +
                `${failedChecks} failed checks`);
    console.log(ok ? 'ch6_thread_product_mutex: ok' : 'ch6_thread_product_mutex: FAILED');
    process.exitCode = ok ? 0 : 1;
  })();
}
