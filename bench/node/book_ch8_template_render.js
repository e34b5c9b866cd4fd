// book_ch8_template_render.js — the Node original of examples/book/ch8_template_render.cpp: when
// offloading to threads does not pay (listings 8-1 to 8-5, ch8-template-render).
//
// The book renders the template `<em>{{me}} loves {{you}}</em> ` repeated 80 times with
// {me: "Thomas", you: "Katelyn"} (2,400 characters) on the main thread (GET /main) or on a
// 4-thread leastbusy RpcWorkerPool (GET /offload), and probes the event-loop delay (hrtime, then
// setImmediate, then the difference). Here, as in the twin, without fastify or mustache: node:http
// and a tiny Mustache stand-in (the template parsed into literal and variable parts, cached per
// thread unless --clear-cache, the book's commented-out Mustache.clearCache()), on the
// RpcWorkerPool of book_ch6_thread_pool.js (this file is also its worker script, worker.js with
// the one command renderLove). --repeat R renders R times per request, to make the work heavier.
//
// A built-in load driver (a worker thread of its own, as the twin's client threads: the server's
// loop does only the server's work) loads /main, then /offload, with --requests requests each
// from --clients concurrent clients (a new connection per request, as the twin's client). The
// program prints per route the time, requests per second and the largest event-loop delay the
// probe (every --probe-ms) saw during the phase; noisy numbers: compare, do not trust the digit.
// Checked: every answer of both routes is the 2,400-character rendering. Prints
// "template render OK" and exits 0.
// Run: node book_ch8_template_render.js [--requests 2000] [--clients 4] [--probe-ms 1000]
//        [--clear-cache] [--repeat 1]
'use strict';
const http = require('node:http');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { flag, check, finish } = require('./book_support');
const { RpcWorkerPool, httpGet } = require('./book_ch6_thread_pool.js');

function makeTemplate() {
  return '<em>{{me}} loves {{you}}</em> '.repeat(80);
}

// The template as literal and variable parts: {variable, text}.
function parse(source) {
  const parts = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open < 0) {
      parts.push({ variable: false, text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ variable: false, text: source.slice(at, open) });
    const close = source.indexOf('}}', open);
    parts.push({ variable: true, text: source.slice(open + 2, close) });
    at = close + 2;
  }
  return parts;
}

// renderLove(data): Mustache.render with its per-thread template cache.
let cache = null;
function renderLove(data, clearCache, repeat) {
  let out = '';
  for (let r = 0; r < repeat; r++) {
    if (clearCache || !cache) cache = parse(makeTemplate());  // Mustache.clearCache()
    out = '';
    for (const p of cache) out += p.variable ? data[p.text] : p.text;
  }
  return out;
}

const love = () => ({ me: 'Thomas', you: 'Katelyn' });

if (!isMainThread && workerData.role === 'rpc-worker') {
  // ---- worker.js: the async-wrap adapter with the one command ----
  const commands = {
    renderLove: (data) => renderLove(data, workerData.clearCache, workerData.repeat),
  };
  parentPort.on('message', async ({ method, params, id }) => {
    const result = await commands[method](...params);
    parentPort.postMessage({ result, id });
  });
} else if (!isMainThread && workerData.role === 'load') {
  // ---- the load clients: for each phase the main thread asks for, `clients` loops ----
  const { port, clients, requests } = workerData;
  const expected = renderLove(love(), true, 1);
  parentPort.on('message', async (route) => {
    if (route === null) {
      parentPort.close();
      return;
    }
    let next = 0, correct = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next++ < requests) {
        const r = await httpGet(port, route);
        if (r.status === 200 && r.body === expected) correct++;
      }
    }));
    parentPort.postMessage({ ms: Number(process.hrtime.bigint() - t0) / 1e6, correct });
  });
} else {
  main().then((code) => { process.exitCode = code; },
              (e) => { console.log(`WRONG: ${e.stack || e}`); process.exit(1); });
}

async function main() {
  const requests = flag('--requests', 2000);
  const clients = flag('--clients', 4);
  const probeMs = flag('--probe-ms', 1000);
  const clearCache = process.argv.includes('--clear-cache');
  const repeat = flag('--repeat', 1);

  const pool = new RpcWorkerPool(__filename, 4, 'leastbusy', { clearCache, repeat });
  await pool.ready();
  const server = http.createServer(async (req, res) => {
    if (req.url === '/main') {
      res.setHeader('Content-Type', 'text/html');
      res.end(renderLove(love(), clearCache, repeat));
    } else if (req.url === '/offload') {
      try {
        const html = await pool.exec('renderLove', love());
        res.setHeader('Content-Type', 'text/html');
        res.end(html);
      } catch (e) {
        res.statusCode = 500;
        res.end(String(e));
      }
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  console.log(`listening on: http://127.0.0.1:${port}${clearCache ? ' (clear cache)' : ''}`);

  // The event-loop delay probe: hrtime, setImmediate, difference.
  let maxDelayNs = 0n;
  const probe = setInterval(() => {
    const t0 = process.hrtime.bigint();
    setImmediate(() => {
      const ns = process.hrtime.bigint() - t0;
      if (ns > maxDelayNs) maxDelayNs = ns;
    });
  }, probeMs);

  const expected = renderLove(love(), true, 1);
  const load = new Worker(__filename, { workerData: { role: 'load', port, clients, requests } });
  const loadExit = new Promise((resolve, reject) => {
    load.once('error', reject);
    load.once('exit', resolve);
  });
  const phases = [];
  for (const route of ['/main', '/offload']) {
    maxDelayNs = 0n;
    const done = new Promise((resolve) => load.once('message', resolve));
    load.postMessage(route);
    const { ms, correct } = await Promise.race([done, loadExit.then(() => { throw new Error('the load driver stopped'); })]);
    phases.push({ ms, correct, maxDelayNs });
  }
  load.postMessage(null);
  await loadExit;
  clearInterval(probe);
  server.close();
  await pool.terminate();

  console.log(`rendered length: ${expected.length} characters`);
  ['/main   ', '/offload'].forEach((name, p) => {
    const { ms, correct, maxDelayNs: delay } = phases[p];
    const rps = ms > 0 ? (requests * 1000) / ms : 0;
    console.log(`${name}: ${requests} requests in ${Math.trunc(ms)} ms (${Math.trunc(rps)} req/s), ` +
                `largest loop delay ${delay / 1000n} us`);
    check(correct === requests, `${name}: every answer is the 2,400-character rendering`);
  });
  check(expected.length === 2400, 'the rendered template has 2,400 characters');
  return finish('template render OK');
}
