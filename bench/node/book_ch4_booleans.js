// book_ch4_booleans.js — the Node original of examples/shared_memory/ch4_booleans.cpp: eight
// booleans packed in one byte (Multithreaded JavaScript, chapter 4, "Data serialization":
// ch4-serialization/booleans.js).
//
// setBool(slot, value) clears bit `slot`, then ORs in the value; getBool(slot) tests the bit.
// The book's trace: 0, set slot 0 → 1, set slot 1 → 3, clear slot 0 → 2; get 0, 1, 2 → false,
// true, false (printed 0, 1, 0 as the C++ twin does); set slot 7 → 130. The book notes its
// functions are not atomic; the second half does the same with Atomics.or / Atomics.and from
// eight workers sharing one byte (one read-modify-write each, nothing lost: 255), then clears
// slot 3 (247). Oracle: every printed value equals the book's.
// Run: node book_ch4_booleans.js
'use strict';
const { Worker, isMainThread, workerData } = require('worker_threads');

// The book's functions: plain (non-atomic) read-modify-write of the byte.
function setBool(flags, slot, value) {
  flags[0] = (flags[0] & ~(1 << slot)) | (Number(value) << slot);
}
function getBool(flags, slot) {
  return ((flags[0] >> slot) & 1) === 1;
}
// The shared-memory version: one atomic operation each.
function setBoolAtomic(flags, slot, value) {
  if (value) Atomics.or(flags, 0, 1 << slot);
  else Atomics.and(flags, 0, ~(1 << slot) & 0xff);
}

if (!isMainThread) {
  setBoolAtomic(new Uint8Array(workerData.shared), workerData.slot, true);
} else {
  let ok = true;
  const expect = (what, got, want) => {
    console.log(`${what.padEnd(22)} ${Number(got)}`);
    if (Number(got) !== want) {
      console.log(`  expected ${want}`);
      ok = false;
    }
  };

  const flags = new Uint8Array(new ArrayBuffer(1));  // the book's one-byte buffer
  expect('start', flags[0], 0);
  setBool(flags, 0, true);
  expect('set slot 0 true', flags[0], 1);
  setBool(flags, 1, true);
  expect('set slot 1 true', flags[0], 3);
  setBool(flags, 0, false);
  expect('set slot 0 false', flags[0], 2);
  expect('get slot 0', getBool(flags, 0), 0);
  expect('get slot 1', getBool(flags, 1), 1);
  expect('get slot 2', getBool(flags, 2), 0);
  setBool(flags, 7, true);
  expect('set slot 7 true', flags[0], 130);

  // Eight workers, one slot each, setting their flag in a shared byte: no bit is lost.
  const shared = new SharedArrayBuffer(1);
  let running = 8;
  for (let slot = 0; slot < 8; slot++) {
    const w = new Worker(__filename, { workerData: { shared, slot } });
    w.on('error', (e) => { console.log(`worker ${slot}: ${e}`); ok = false; });
    w.on('exit', () => {
      if (--running > 0) return;
      const view = new Uint8Array(shared);
      expect('8 threads, atomic set', Atomics.load(view, 0), 255);
      setBoolAtomic(view, 3, false);
      expect('atomic clear slot 3', Atomics.load(view, 0), 247);
      console.log(ok ? 'ch4_booleans: ok' : 'ch4_booleans: FAILED');
      process.exitCode = ok ? 0 : 1;
    });
  }
}
