// book_ch4_atomics_ops.js — the Node original of examples/shared_memory/ch4_atomics_ops.cpp:
// each Atomics data method of chapter 4 ("Atomic methods for data manipulation") on a shared
// Int32Array / Uint8Array, with the value the book expects.
//
// add, sub, and, or, xor and exchange return the OLD value; compareExchange writes only when
// the element equals `expected` and always returns the old value; store returns the value
// given, not the wrapped element (store 999 into a Uint8Array: returns 999, the element
// becomes 231); isLockFree(4) is true by specification. The last part is the chapter's
// "atomicity concerns": load-then-store from two workers (this same file) loses updates, one
// Atomics.add each does not. The C++ twin's names (bit_and, compare_exchange, is_lock_free)
// are kept in the printed lines so that both print the same. The two workers meet at a start
// barrier first (worker start-up is slow). Oracle: every value as expected,
// and 2 × 200000 adds give exactly 400000 (the racy count is only reported).
// Run: node book_ch4_atomics_ops.js
'use strict';
const { Worker, isMainThread, workerData } = require('worker_threads');

const ROUNDS = 200000;

if (!isMainThread) {
  const ints = new Int32Array(workerData.sab);
  // A start barrier in ints[3]: a worker takes tens of milliseconds to start, far longer than
  // its loop runs, so without it the two loops would rarely overlap (C++ threads start at once).
  Atomics.add(ints, 3, 1);
  while (Atomics.load(ints, 3) < 2);
  for (let i = 0; i < ROUNDS; i++) {
    if (workerData.atomicAdd) Atomics.add(ints, 1, 1);
    else Atomics.store(ints, 1, Atomics.load(ints, 1) + 1);  // read, compute, write: racy
  }
} else {
  let ok = true;
  const expect = (what, got, want) => {
    console.log(`${what.padEnd(44)} -> ${Number(got)}`);
    if (Number(got) !== want) {
      console.log(`  expected ${want}`);
      ok = false;
    }
  };

  const sab = new SharedArrayBuffer(16);
  const ints = new Int32Array(sab);
  const bytes = new Uint8Array(sab, 8, 4);  // aliasing the same buffer at byte 8

  expect('store(ints, 0, 5)', Atomics.store(ints, 0, 5), 5);
  expect('add(ints, 0, 2)       returns old', Atomics.add(ints, 0, 2), 5);
  expect('load(ints, 0)', Atomics.load(ints, 0), 7);
  expect('sub(ints, 0, 2)       returns old', Atomics.sub(ints, 0, 2), 7);
  expect('bit_and(ints, 0, 3)   returns old (5&3)', Atomics.and(ints, 0, 3), 5);
  expect('  now 5 & 3', Atomics.load(ints, 0), 1);
  Atomics.store(ints, 0, 5);
  expect('bit_or(ints, 0, 3)    returns old (5|3)', Atomics.or(ints, 0, 3), 5);
  expect('  now 5 | 3', Atomics.load(ints, 0), 7);
  Atomics.store(ints, 0, 5);
  expect('bit_xor(ints, 0, 3)   returns old (5^3)', Atomics.xor(ints, 0, 3), 5);
  expect('  now 5 ^ 3', Atomics.load(ints, 0), 6);
  expect('exchange(ints, 0, 42) returns old', Atomics.exchange(ints, 0, 42), 6);
  expect('compare_exchange(ints, 0, 1, 9)  no match', Atomics.compareExchange(ints, 0, 1, 9), 42);
  expect('  still', Atomics.load(ints, 0), 42);
  expect('compare_exchange(ints, 0, 42, 9) match', Atomics.compareExchange(ints, 0, 42, 9), 42);
  expect('  now', Atomics.load(ints, 0), 9);
  expect('store(bytes, 0, 999)  returns the value', Atomics.store(bytes, 0, 999), 999);
  expect('  element wraps to 999 mod 256', Atomics.load(bytes, 0), 231);
  expect('is_lock_free(4)', Atomics.isLockFree(4), 1);
  const lf = (n) => Number(Atomics.isLockFree(n));
  console.log(`is_lock_free(1, 2, 8) on this machine: ${lf(1)} ${lf(2)} ${lf(8)}`);

  // Atomicity concerns: each call is atomic, a sequence of calls is not.
  const race = (atomicAdd) => new Promise((resolve, reject) => {
    Atomics.store(ints, 1, 0);
    Atomics.store(ints, 3, 0);  // the start barrier
    let running = 2;
    for (let t = 0; t < 2; t++) {
      const w = new Worker(__filename, { workerData: { sab, atomicAdd } });
      w.on('error', reject);
      w.on('exit', () => { if (--running === 0) resolve(Atomics.load(ints, 1)); });
    }
  });
  (async () => {
    const racy = await race(false);
    console.log(`load+store from 2 threads x ${ROUNDS}: ${racy} (updates lost: ` +
                `${2 * ROUNDS - racy}; may be 0 on a quiet run)`);
    expect('add from 2 threads (never loses one)', await race(true), 2 * ROUNDS);
    console.log(ok ? 'ch4_atomics_ops: ok' : 'ch4_atomics_ops: FAILED');
    process.exitCode = ok ? 0 : 1;
  })().catch((e) => {
    console.log(`ch4_atomics_ops: FAILED (${e})`);
    process.exitCode = 1;
  });
}
