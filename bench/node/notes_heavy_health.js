// notes_heavy_health.js — the Node original of examples/notes/notes_heavy_health.cpp (the note
// "Node.js 핵심 개념": /heavy blocks /health on the one thread; the fix offloads /heavy to a
// worker). The clients run in a worker thread of their own, so they keep working while the
// server's loop is blocked; the server tells them through a SharedArrayBuffer when /heavy has
// started. Run: node notes_heavy_health.js [n]   (default 1e9)
'use strict';
const http = require('http');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

function heavySum(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ body, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    }).on('error', reject);
  });
}

if (!isMainThread && workerData.kind === 'sum') {
  parentPort.postMessage(heavySum(workerData.n));
} else if (!isMainThread && workerData.kind === 'client') {
  const flag = new Int32Array(workerData.flag);
  (async () => {
    const heavy = get(workerData.port, '/heavy');
    const started = Atomics.waitAsync(flag, 0, 0);  // until the server has started /heavy
    if (started.async) await started.value;
    const health = await get(workerData.port, '/health');
    parentPort.postMessage({ heavy: await heavy, health });
  })();
} else {
  const n = Number(process.argv[2] || 1e9);
  const run = (mode) => new Promise((done) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const server = http.createServer((req, res) => {
      if (req.url === '/health') return res.end('OK');
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      if (mode === 'single') return res.end('Done ' + heavySum(n));
      const w = new Worker(__filename, { workerData: { kind: 'sum', n } });
      w.on('message', (sum) => res.end('Done ' + sum));
    });
    server.listen(0, '127.0.0.1', () => {
      const client = new Worker(__filename, {
        workerData: { kind: 'client', port: server.address().port, flag: flag.buffer },
      });
      client.on('message', ({ heavy, health }) => {
        console.log(`${mode}: /heavy ${heavy.ms.toFixed(1)} ms (${heavy.body}), /health ${health.ms.toFixed(1)} ms`);
        server.close();
        done();
      });
    });
  });
  run('single').then(() => run('worker'));
}
