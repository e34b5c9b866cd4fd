// book_ch6_thread_product.js — the Node original of
// examples/shared_memory/ch6_thread_product.cpp: the race the book shows on purpose
// (Multithreaded JavaScript 6-7, ch6-mutex/thread-product.js).
//
// A shared Int32Array holds [2, 3, 5, 7]. Three workers (this same file, workerData {i, shared})
// each do, with Atomics: a = load(ints, i); busy loop; b = load(ints, 3); store(ints, 3, a * b);
// assert.strictEqual(load(ints, 3), a * b). Each call is atomic, the sequence is not: one
// product can overwrite another (a lost update: 14, 21, 35, 42, 70 or 105 instead of 210), and
// a worker's assert can fail because another stored in between. The book lets that
// AssertionError crash the program; here, as in the C++ twin, the 'error' event counts it, and
// several rounds run, first in the book's order, then with the busy loop moved between
// load(ints, 3) and the store (the window that loses updates). Cell 4 is a start gate so the
// three workers begin together. The race may not show on a quiet machine, so this only reports
// (exit 0); book_ch6_thread_product_mutex.js is the fixed version, which checks 210.
// Run: node book_ch6_thread_product.js [--rounds N=20] [--spin N=1000000]
'use strict';
const assert = require('assert');
const { Worker, isMainThread, workerData } = require('worker_threads');
const { flag } = require('./book_support');

if (!isMainThread) {
  const { i, shared, spin, widened } = workerData;
  const ints = new Int32Array(shared);
  Atomics.wait(ints, 4, 0);  // start together
  const a = Atomics.load(ints, i);
  if (!widened) for (let j = 0; j < spin; j++);  // the book's busy loop
  const b = Atomics.load(ints, 3);
  if (widened) for (let j = 0; j < spin; j++);
  Atomics.store(ints, 3, a * b);
  assert.strictEqual(Atomics.load(ints, 3), a * b);
} else {
  const rounds = flag('--rounds', 20);
  const spin = flag('--spin', 1_000_000);
  const round = (widened) => new Promise((resolve) => {
    const shared = new SharedArrayBuffer(5 * 4);  // [2, 3, 5, 7] and a start gate in cell 4
    const ints = new Int32Array(shared);
    [2, 3, 5, 7].forEach((v, k) => Atomics.store(ints, k, v));
    let running = 3;
    let online = 0;
    let failed = 0;
    for (let i = 0; i < 3; i++) {
      const w = new Worker(__filename, { workerData: { i, shared, spin, widened } });
      w.on('error', () => failed++);  // the book lets this crash the main thread
      w.on('online', () => {
        // Open the gate once the last worker is running (a worker that reaches its wait late
        // finds 1 and goes straight on).
        if (++online === 3) {
          Atomics.store(ints, 4, 1);
          Atomics.notify(ints, 4);
        }
      });
      w.on('exit', () => { if (--running === 0) resolve({ final: Atomics.load(ints, 3), failed }); });
    }
  });
  (async () => {
    for (const widened of [false, true]) {
      const finals = new Map();  // final product -> rounds
      let failedChecks = 0;
      for (let r = 0; r < rounds; r++) {
        const { final, failed } = await round(widened);
        finals.set(final, (finals.get(final) || 0) + 1);
        failedChecks += failed;
      }
      const tally = [...finals.keys()].sort((x, y) => x - y).map((v) => ` ${v} (x${finals.get(v)})`);
      console.log(`${widened ? 'spin after load(b)' : "book's order"}: ${rounds} rounds, ` +
                  `final ints[3]:${tally.join('')}`);
      console.log(`  rounds with a lost update: ${rounds - (finals.get(210) || 0)}, ` +
                  `failed checks (the book's AssertionError): ${failedChecks}`);
    }
    console.log('ch6_thread_product: done (nondeterministic; see ch6_thread_product_mutex for the fix)');
  })();
}
