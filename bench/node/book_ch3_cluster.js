// book_ch3_cluster.js — the Node original of examples/book/ch3_cluster.cpp: HTTP hello world,
// then the cluster module (listings 3-1 and 3-2).
//
// 3-1 is an HTTP server answering every request with "Hello, World!\n". In 3-2 the primary
// process forks 4 workers and each runs the same server on the same port; the primary owns the
// listening socket and hands the connections to the workers. Here, as in the twin, the port is
// --port (the book's 3000; 0 = an ephemeral one, which Node's cluster shares among the workers),
// each answer names its process in an X-Worker-Pid header, and the primary drives itself: once
// every worker listens it sends --requests requests (a new connection each), checks every body is
// "Hello, World!\n" from one of its workers, prints the requests per process, and stops the
// workers with worker.kill() (SIGTERM), checking each exits on that signal. Prints "cluster OK"
// and exits 0. (notes_cluster.js is the twin of examples/notes/notes_cluster, not of this one.)
// Run: node book_ch3_cluster.js [--port 0] [--workers 4] [--requests 40]
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const { flag, check, finish } = require('./book_support');

const port = flag('--port', 0);
const workers = flag('--workers', 4);
const requests = flag('--requests', 40);

function get(p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: p, path: '/', headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, pid: res.headers['x-worker-pid'], body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function primary() {
  const served = new Map();  // pid -> requests
  const exits = [];
  let bound = 0;
  await new Promise((resolve) => {
    let listening = 0;
    for (let i = 0; i < workers; i++) {
      const worker = cluster.fork();
      served.set(String(worker.process.pid), 0);
      exits.push(new Promise((done) => worker.on('exit', (code, signal) => done(signal === 'SIGTERM'))));
      worker.on('listening', (address) => {
        bound = address.port;
        if (++listening === workers) resolve();
      });
    }
  });
  console.log(`primary ${process.pid}: ${workers} workers on http://127.0.0.1:${bound}/`);

  let good = 0;
  for (let i = 0; i < requests; i++) {
    const r = await get(bound).catch(() => ({}));
    if (r.status === 200 && r.body === 'Hello, World!\n' && served.has(r.pid)) {
      served.set(r.pid, served.get(r.pid) + 1);
      good++;
    }
  }
  for (const id in cluster.workers) cluster.workers[id].kill();  // SIGTERM
  const stopped = (await Promise.all(exits)).every(Boolean);
  for (const [pid, n] of [...served].sort()) console.log(`worker ${pid} served ${n}`);
  check(good === requests, 'every request got "Hello, World!" from a worker process');
  check(stopped, 'every worker process stopped on SIGTERM');
  return finish('cluster OK');
}

if (cluster.isPrimary) {
  primary().then((code) => { process.exitCode = code; },
                 (e) => { console.log(`WRONG: ${e.stack || e}`); process.exit(1); });
} else {
  // 3-1: the hello-world server, in each worker.
  http.createServer((req, res) => {
    res.setHeader('X-Worker-Pid', String(process.pid));
    res.end('Hello, World!\n');
  }).listen(port, '127.0.0.1');
}
