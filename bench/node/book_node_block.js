// Node original of examples/book/ch5_node_block (listing 5-18): setInterval calls
// Atomics.wait(view, 0, 0, W) on the main thread, which starves the HTTP server on the same
// loop; then the fixed version with Atomics.waitAsync. A worker thread is the client: it sends
// GET /health right after a window starts and reports the latency.
// Usage: node book_node_block.js [periodMs=2000] [waitMs=1900]
'use strict';
const http = require('http');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (isMainThread) {
  const period = Number(process.argv[2] || 2000);
  const wait = Number(process.argv[3] || 1900);
  const runVersion = (fixed) => new Promise((resolve) => {
    const view = new Int32Array(new SharedArrayBuffer(4));
    const flag = new Int32Array(new SharedArrayBuffer(4));
    let waiting = false;
    const server = http.createServer((req, res) => {
      res.setHeader('X-During-Wait', waiting ? 'yes' : 'no');
      res.end('Hello World');
    });
    server.listen(0, '127.0.0.1', () => {
      const client = new Worker(__filename, { workerData: { port: server.address().port, flag } });
      const interval = setInterval(() => {
        waiting = true;
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        if (!fixed) {
          Atomics.wait(view, 0, 0, wait);
          waiting = false;
        } else {
          Atomics.waitAsync(view, 0, 0, wait).value.then(() => { waiting = false; });
        }
      }, period);
      client.on('message', (m) => {
        console.log(`${fixed ? 'fixed (waitAsync)' : 'blocking (Atomics.wait)'}: ` +
                    `/health latency during a wait: ${m.ms.toFixed(0)} ms, answered ` +
                    (m.during ? 'while the wait was pending' : 'after the wait ended'));
        clearInterval(interval);
        server.close();
        client.terminate().then(resolve);
      });
    });
  });
  runVersion(false).then(() => runVersion(true));
} else {
  Atomics.wait(workerData.flag, 0, 0);  // until a window starts
  const t0 = process.hrtime.bigint();
  http.get({ host: '127.0.0.1', port: workerData.port, path: '/health', agent: false }, (res) => {
    res.resume();
    res.on('end', () => parentPort.postMessage({
      ms: Number(process.hrtime.bigint() - t0) / 1e6,
      during: res.headers['x-during-wait'] === 'yes',
    }));
  });
}
