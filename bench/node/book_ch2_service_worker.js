// book_ch2_service_worker.js — the Node original of examples/book/ch2_service_worker.cpp: the
// request-counting service worker (listings 2-8 to 2-10) as a worker_threads analogue: a
// shared worker in front of a handler. The main thread plays the browser: it starts sw.js (one
// worker thread) and registers it by holding a connection for the program's lifetime; each page
// is a worker thread connected to it by a MessageChannel (one port to the page, the other sent
// to sw.js in a transferred "connect" message).
//
// sw.js keeps counter = 0, logs "service worker install" and "service worker activate", and on
// every fetch logs "fetch URL": a URL ending in /data.json increments the counter and is
// answered by the worker itself with {"counter": n}; every other request passes through to the
// network (a plain handler function). A page's makeRequest() fetches /data.json through its
// port, awaits the answer and logs it. Pages A and B run at the same time, n requests each
// (page A then also loads /index.html); after both have left, page A is reloaded and makes n
// more requests: the counter is the worker's state, so it continues. A page that leaves closes
// its port and sw.js drops it; once the registration is gone too, sw.js ends.
// Checked, as in the twin: the counters handed out are exactly 1..3n, each page sees its
// counters increase, the reloaded page continues the count (its first is 2n+1), and
// /index.html passed through to the network.
// Run: node book_ch2_service_worker.js [--requests 5]
'use strict';
const { Worker, MessageChannel, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { flag, check, finish } = require('./book_support');

// The network: what answers when the service worker passes a request through.
function network(request) {
  if (request.url === '/' || request.url === '/index.html') {
    return { status: 200, contentType: 'text/html', body: '<h1>hello</h1>' };
  }
  return { status: 404, contentType: 'text/plain', body: 'not found' };
}

if (!isMainThread && workerData.role === 'sw') {
  // sw.js
  console.log('service worker install');
  console.log('service worker activate'); // clients.claim(): every page is controlled at once
  let counter = 0;
  const ports = new Set();
  parentPort.on('message', (event) => {
    if (event.type !== 'connect') return;
    const port = event.port;
    ports.add(port);
    port.on('close', () => {
      // A page went away: forget its port (from a later task, not inside its own callback).
      setImmediate(() => {
        ports.delete(port);
        if (ports.size === 0) parentPort.close(); // no client and no registration left
      });
    });
    port.on('message', (request) => {
      console.log(`fetch ${request.url}`);
      if (request.url.endsWith('/data.json')) {
        counter++;
        port.postMessage({ status: 200, contentType: 'application/json', body: `{"counter": ${counter}}` });
      } else {
        port.postMessage(network(request)); // fetch(event.request)
      }
    });
  });
} else if (!isMainThread && workerData.role === 'page') {
  // A page: n times makeRequest(), then (page A only) /index.html through the worker.
  const { name, n, passThrough, port } = workerData;
  const fetchVia = (url) => new Promise((resolve) => {
    port.once('message', resolve);
    port.postMessage({ url });
  });
  (async () => {
    const seen = [];
    for (let i = 0; i < n; i++) {
      const response = await fetchVia('/data.json'); // makeRequest(): fetch('/data.json')
      console.log(`${name}: ${response.body}`);
      seen.push(JSON.parse(response.body).counter);
    }
    let indexHtml = null;
    if (passThrough) indexHtml = (await fetchVia('/index.html')).body;
    port.close(); // the page leaves
    parentPort.postMessage({ seen, indexHtml });
  })();
} else {
  // The browser.
  const n = flag('--requests', 5);

  const sw = new Worker(__filename, { workerData: { role: 'sw' } });
  sw.on('error', (err) => console.log(`service worker error: ${err.message}`));
  const swExit = new Promise((resolve) => sw.on('exit', resolve));
  const connect = () => {
    const { port1, port2 } = new MessageChannel();
    sw.postMessage({ type: 'connect', port: port1 }, [port1]);
    return port2;
  };
  const registration = connect(); // navigator.serviceWorker.register: held until the end

  const openPage = (name, passThrough) => new Promise((resolve) => {
    const port = connect();
    const page = new Worker(__filename, {
      workerData: { role: 'page', name, n, passThrough, port },
      transferList: [port],
    });
    let report = { seen: [], indexHtml: null };
    page.on('message', (r) => { report = r; });
    page.on('error', (err) => console.log(`${name} error: ${err.message}`));
    page.on('exit', () => resolve(report));
  });

  (async () => {
    const [a, b] = await Promise.all([openPage('page A', true), openPage('page B', false)]);
    const reloaded = await openPage('page A (reloaded)', false); // the counter survives the reload
    registration.close();
    await swExit;

    const all = [...a.seen, ...b.seen, ...reloaded.seen].sort((x, y) => x - y);
    check(all.length === 3 * n && all.every((c, i) => c === i + 1), 'the counters handed out are exactly 1..3n');
    for (const { seen } of [a, b, reloaded]) {
      check(seen.every((c, i) => i === 0 || seen[i - 1] < c), "a page's counters increase");
    }
    check(reloaded.seen.length > 0 && reloaded.seen[0] === 2 * n + 1, 'the reloaded page continues the count');
    check(a.indexHtml === '<h1>hello</h1>', '/index.html passed through to the network');
    finish('service worker OK');
  })();
}
