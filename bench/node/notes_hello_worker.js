// notes_hello_worker.js — the Node original of examples/notes/notes_hello_worker.cpp: "Hello,
// Worker!", main.js/worker.js messages, and the sum 0..n-1 on the main thread versus in a
// worker while the main loop ticks (the notes' single-thread.js and computation-worker.js).
// Run: node notes_hello_worker.js [n]   (default 1e9, as in the notes)
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

function heavyComputation(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

if (!isMainThread) {
  if (workerData.kind === 'hello') {
    parentPort.on('message', (m) => parentPort.postMessage(m + ' Received'));
  } else {
    parentPort.postMessage({ input: 10, result: heavyComputation(workerData.n) });
  }
} else {
  const n = Number(process.argv[2] || 1e9);
  const hello = new Worker(__filename, { workerData: { kind: 'hello' } });
  hello.on('message', (m) => {
    console.log('1.', m);
    hello.terminate().then(() => {
      let t0 = Date.now();
      const single = heavyComputation(n);
      const singleMs = Date.now() - t0;
      console.log(`2. main thread: result ${single} in ${singleMs} ms (the loop was blocked)`);
      let ticks = 0;
      const tick = setInterval(() => ticks++, 10);
      t0 = Date.now();
      const worker = new Worker(__filename, { workerData: { kind: 'sum', n } });
      worker.on('message', (r) => {
        console.log(`3. worker: { input: ${r.input}, result: ${r.result} } in ${Date.now() - t0} ms; ` +
                    `the main loop ticked ${ticks} times meanwhile`);
      });
      worker.on('error', (e) => console.error('worker error:', e));
      worker.on('exit', (code) => { clearInterval(tick); console.log(`worker exited (code: ${code})`); });
    });
  });
  hello.postMessage('Hello, Worker!');
}
