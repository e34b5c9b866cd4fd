// book_ch6_thread_pool.js — the Node original of examples/book/ch6_thread_pool.cpp: the book's
// RpcWorkerPool (listings 6-1 to 6-6) with the roundrobin, random and leastbusy strategies behind
// a node:http server, and a built-in load driver that sends the same requests as the C++ twin.
//
// RpcWorkerPool(path, size, strategy): size 0 = the number of cores, negative = cores + size (at
// least 1); ids start at 1; each worker has its map of commands in flight; leastbusy takes the
// fewest in flight with a strict <, so ties go to the lowest index. The worker's one command,
// square_sum(max), sleeps --sleep-ms (the book's 100 ms setTimeout) and then sums √i for i < max.
// Fixes as in the twin: --threads 0 (the default) means one worker per core (the book's main.js
// gets NaN workers when THREADS is unset); an unknown strategy throws TypeError "invalid strategy".
// The answer carries the index of the worker that ran it ({sum, value, worker}) and the program
// prints it per request ("Selected Worker: i", the book's log line).
//
// Checked per strategy, as in the twin: every sum equals square_sum(value) computed here; with
// sequential requests roundrobin serves 0, 1, ..., n-1, 0, ... and leastbusy always worker 0 (all
// idle: the tie goes to the lowest index); random stays in range. Then a load phase (--clients
// concurrent clients, --load requests in all, values below min(--max-value, 1,000,000), a new
// connection per request as the twin's client does) prints the time and the requests per worker.
// The clients run on a worker thread of their own (the twin's run on client threads), so the
// server's event loop does only the server's work; the time printed is the clients' (from their
// first request to their last), with the pool's workers already online. Exits 0 and prints "thread pool strategies OK".
//
// This file is also the pool's worker script (the book's worker.js) and exports RpcWorkerPool
// and squareSum for book_ch6_actor*.js.
// Run: node book_ch6_thread_pool.js [--threads N] [--strategy roundrobin|random|leastbusy|all]
//        [--requests 12] [--max-value 100000000] [--sleep-ms 100] [--clients 5] [--load 100]
'use strict';
const http = require('node:http');
const os = require('node:os');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { flag, flagText, check, finish } = require('./book_support');

function squareSum(max) {
  let sum = 0;
  for (let i = 0; i < max; i++) sum += Math.sqrt(i);
  return sum;
}

// ---- rpc-worker.js (6-1 to 6-5), with the worker's data passed through ----
class RpcWorkerPool {
  constructor(path, size = 0, strategy = 'roundrobin', data = {}) {
    if (size === 0) this.size = os.cpus().length;
    else if (size < 0) this.size = Math.max(os.cpus().length + size, 1);
    else this.size = size;
    if (!['roundrobin', 'random', 'leastbusy'].includes(strategy)) throw new TypeError('invalid strategy');
    this.strategy = strategy;
    this.rr_index = -1;
    this.next_command_id = 0;
    this.workers = [];
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(path, { workerData: { ...data, role: 'rpc-worker', index: i } });
      this.workers.push({ worker, in_flight_commands: new Map() });
      worker.on('message', (msg) => this.onMessageHandler(msg, i));
      worker.on('error', (e) => {  // not in the book: a dead worker fails its commands
        for (const { reject } of this.workers[i].in_flight_commands.values()) reject(e);
        this.workers[i].in_flight_commands.clear();
      });
    }
  }

  onMessageHandler(msg, worker_id) {
    const worker = this.workers[worker_id];
    const { result, error, id } = msg;
    const { resolve, reject } = worker.in_flight_commands.get(id);
    worker.in_flight_commands.delete(id);
    if (error) reject(error);
    else resolve(result);
  }

  exec(method, ...args) {
    const id = ++this.next_command_id;
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    const worker = this.getWorker();
    worker.in_flight_commands.set(id, { resolve, reject });
    worker.worker.postMessage({ method, params: args, id });
    return promise;
  }

  getWorker() {
    let id;
    if (this.strategy === 'random') {
      id = Math.floor(Math.random() * this.size);
    } else if (this.strategy === 'roundrobin') {
      this.rr_index++;
      if (this.rr_index >= this.size) this.rr_index = 0;
      id = this.rr_index;
    } else if (this.strategy === 'leastbusy') {
      let min = Infinity;
      for (let i = 0; i < this.size; i++) {
        const worker = this.workers[i];
        if (worker.in_flight_commands.size < min) {
          min = worker.in_flight_commands.size;
          id = i;
        }
      }
    }
    // The book logs `Selected Worker: ${id}` here; this program prints it per answer instead.
    return this.workers[id];
  }

  // Not in the book: resolves once every worker thread runs (so a timed phase excludes startup).
  ready() {
    return Promise.all(this.workers.map((w) => new Promise((resolve) => w.worker.once('online', resolve))));
  }

  terminate() {
    return Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

module.exports = { RpcWorkerPool, squareSum };

// A GET on a new connection (Connection: close), like the twin's http_get.
function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { connection: 'close' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
module.exports.httpGet = httpGet;

if (!isMainThread && require.main === module && workerData.role === 'rpc-worker') {
  // ---- worker.js (6-6): the async-wrap adapter and square_sum after a sleep ----
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const commands = {
    async square_sum(max) {
      await sleep(workerData.sleepMs);
      return { sum: squareSum(max), worker: workerData.index };
    },
  };
  parentPort.on('message', async ({ method, params, id }) => {
    const result = await commands[method](...params);
    parentPort.postMessage({ result, id });
  });
} else if (!isMainThread && require.main === module && workerData.role === 'load') {
  // ---- the load clients: workerData.clients loops sharing one counter ----
  (async () => {
    const { port, clients, load } = workerData;
    let next = 0, ok = 0;
    const perWorker = {};
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next++ < load) {
        const r = await httpGet(port, '/');
        const a = JSON.parse(r.body);
        if (r.status === 200 && a.sum === squareSum(a.value)) ok++;
        perWorker[a.worker] = (perWorker[a.worker] || 0) + 1;
      }
    }));
    parentPort.postMessage({ ok, perWorker, ms: Number((process.hrtime.bigint() - t0) / 1_000_000n) });
  })();
}

// ---- main.js: the HTTP server; `client(port, pool)` drives it and the server closes after ----
async function serve(strategy, s, client) {
  const pool = new RpcWorkerPool(__filename, s.threads, strategy, { sleepMs: s.sleepMs });
  const server = http.createServer(async (req, res) => {
    const value = Math.floor(Math.random() * s.maxValue);
    try {
      const { sum, worker } = await pool.exec('square_sum', value);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ sum, value, worker }));
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  await pool.ready();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await client(server.address().port, pool.size);
  } finally {
    server.close();
    await pool.terminate();
  }
}

async function runStrategy(strategy, s) {
  console.log(`== strategy ${strategy}`);
  const served = [];
  let n = 0;
  let sumsOk = true;
  await serve(strategy, s, async (port, threads) => {
    n = threads;
    for (let i = 0; i < s.requests; i++) {
      const r = await httpGet(port, '/');
      const a = JSON.parse(r.body);
      console.log(`Selected Worker: ${a.worker}  ${r.body}`);
      sumsOk = sumsOk && r.status === 200 && a.sum === squareSum(a.value);
      served.push(a.worker);
    }
  });
  check(sumsOk, `${strategy}: every sum equals square_sum(value)`);
  served.forEach((w, i) => {
    check(w >= 0 && w < n, `${strategy}: worker index in range`);
    if (strategy === 'roundrobin') check(w === i % n, 'roundrobin cycles 0..n-1');
    else if (strategy === 'leastbusy') check(w === 0, 'leastbusy: all idle, the tie goes to the lowest index');
  });

  // Load: several clients at once (the book uses autocannon); time and spread per worker.
  const load = { ...s, maxValue: Math.min(s.maxValue, 1_000_000) };
  let result;
  await serve(strategy, load, (port) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { role: 'load', port, clients: load.clients, load: load.load } });
    w.once('message', (m) => { result = m; });
    w.once('error', reject);
    w.once('exit', resolve);
  }));
  let spread = '';
  for (let i = 0; i < n; i++) spread += ` ${result.perWorker[i] || 0}`;
  console.log(`load: ${load.load} requests from ${load.clients} clients in ${result.ms} ms; requests per thread:${spread}`);
  check(result.ok === load.load, `${strategy}: every load answer correct`);
}

async function main() {
  const s = {
    threads: flag('--threads', 0),
    requests: flag('--requests', 12),
    maxValue: flag('--max-value', 100_000_000),
    sleepMs: flag('--sleep-ms', 100),
    clients: flag('--clients', 5),
    load: flag('--load', 100),
  };
  const strategy = flagText('--strategy', 'all');
  for (const name of strategy === 'all' ? ['roundrobin', 'random', 'leastbusy'] : [strategy]) {
    await runStrategy(name, s);
  }
  if (finish('thread pool strategies OK')) process.exit(1);
}

if (isMainThread && require.main === module) {
  main().catch((e) => {
    console.log(e instanceof TypeError ? `TypeError: ${e.message}` : `WRONG: ${e.stack || e}`);
    process.exit(1);
  });
}
