// book_ch5_notify_order.js — the Node original of examples/shared_memory/ch5_notify_order.cpp:
// four waiters, notify wakes three, one times out (Multithreaded JavaScript 5-1 … 5-3,
// ch5-notify-order).
//
// Four workers (this same file) share one Int32 cell holding 0. Each gets {buffer, name} by
// postMessage, prints "Worker N started", then Atomics.wait(cell, 0, 0, 1000), then "Worker N
// awoken with <result>". The main thread calls Atomics.notify(cell, 0, 3): three workers wake
// with "ok", the fourth sleeps on until its timeout and prints "timed-out". Which one is left
// over changes from run to run: that nondeterminism is the point of the listing.
//
// The book's main thread waits 500 ms and hopes all four are waiting by then; a slow start
// turns that into two or more time-outs. JavaScript cannot see who is parked on a cell (the C++
// twin asks its parking lot), so here each worker counts itself in a second shared cell just
// before it waits; the main thread notifies once all four have counted themselves, plus a short
// grace. Should a worker still be between its count and its wait, notify wakes fewer than 3,
// and the main thread notifies the missing number again (well inside the 1000 ms), so the
// outcome is always the book's. Oracle: the notify calls woke 3 in all, and the results are
// exactly three "ok" and one "timed-out". Workers print with synchronous writes (a worker's
// console.log goes through the main thread and would come after its wait).
// Run: node book_ch5_notify_order.js
'use strict';
const fs = require('fs');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (!isMainThread) {
  parentPort.once('message', ({ buffer, name }) => {
    const cell = new Int32Array(buffer);
    fs.writeSync(1, `Worker ${name} started\n`);
    Atomics.add(new Int32Array(workerData.arrived), 0, 1);  // about to wait
    const result = Atomics.wait(cell, 0, 0, 1000);
    fs.writeSync(1, `Worker ${name} awoken with ${result}\n`);
    parentPort.postMessage(result);
  });
} else {
  const buffer = new SharedArrayBuffer(4);
  const cell = new Int32Array(buffer);
  const arrived = new SharedArrayBuffer(4);
  const results = [];
  let running = 4;
  let woken = 0;
  let calls = 0;
  const finish = () => {
    const ok = results.filter((r) => r === 'ok').length;
    const timedOut = results.filter((r) => r === 'timed-out').length;
    const pass = woken === 3 && ok === 3 && timedOut === 1;
    console.log(`${ok} ok, ${timedOut} timed-out`);
    console.log(pass ? 'ch5_notify_order: ok' : 'ch5_notify_order: FAILED');
    process.exitCode = pass ? 0 : 1;
  };
  for (let name = 0; name < 4; name++) {
    const w = new Worker(__filename, { workerData: { arrived } });
    w.on('message', (r) => results.push(r));
    w.on('error', (e) => console.log(`worker ${name}: ${e}`));
    w.on('exit', () => { if (--running === 0) finish(); });
    w.postMessage({ buffer, name });
  }

  // Instead of the book's 500 ms timer: wait until all four have said they are about to wait.
  const t0 = Date.now();
  const notifyRest = () => {
    woken += Atomics.notify(cell, 0, 3 - woken);
    calls++;
    if (woken < 3 && Date.now() - t0 < 10000) {
      setTimeout(notifyRest, 5);  // someone was late to wait: wake the missing number
      return;
    }
    console.log(`main: notify(cell, 0, 3) woke ${woken}` +
                (calls > 1 ? ` (in ${calls} calls: a worker was late to wait)` : ''));
  };
  const poll = () => {
    if (Atomics.load(new Int32Array(arrived), 0) < 4 && Date.now() - t0 < 10000) {
      setTimeout(poll, 1);
      return;
    }
    setTimeout(notifyRest, 20);  // the grace between counting oneself and waiting
  };
  poll();
}
