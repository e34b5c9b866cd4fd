// book_ch2_shared_worker.js — the Node original of examples/book/ch2_shared_worker.cpp: one
// worker shared by several pages (listings 2-4 to 2-7) as a worker_threads analogue. Node has
// no SharedWorker, so the main thread plays the browser: it starts one shared worker and two
// pages ("red" and "blue", each a worker thread, as each page is a thread in the twin), and
// connects each page by creating a MessageChannel, handing one port to the page (its
// worker.port) and sending the other to the shared worker in a transferred "connect" message.
//
// shared-worker.js picks ID = floor(random × 999999), keeps the set of connected ports, logs
// "CONN ID size" on each connect (and announces "CONN size" to every port) and "MESSAGE ID data"
// on each message, and broadcasts [ID, data] to every port, the sender's included. A page's
// port closing drops it from the set (the fix for the book's leak: "GONE ID size"); once the
// set is empty the shared worker closes its own port and ends. Each page logs every message as
// "EVENT", posts "hello from <name>" once it has seen "CONN 2", and leaves (closes its port)
// once both hello messages arrived, then reports them to the browser.
// Checked, as in the twin: each page got both messages, every EVENT carries the same worker ID
// (one shared instance), and the broadcast reached both pages.
// Run: node book_ch2_shared_worker.js
'use strict';
const { Worker, MessageChannel, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { check, finish } = require('./book_support');

if (!isMainThread && workerData.role === 'shared') {
  // shared-worker.js
  const ID = Math.floor(Math.random() * 999999);
  console.log(`shared-worker.js ${ID}`);
  const ports = new Set();
  const broadcast = (data) => {
    for (const p of ports) p.postMessage([ID, data]);
  };
  parentPort.on('message', (event) => {
    if (event.type !== 'connect') return;
    const port = event.port; // event.ports[0]
    port.on('message', (data) => {
      console.log(`MESSAGE ${ID} ${data}`);
      broadcast(data);
    });
    port.on('close', () => {
      // The fix for the book's leak: forget the page's port (from a later task).
      setImmediate(() => {
        ports.delete(port);
        console.log(`GONE ${ID} ${ports.size}`);
        if (ports.size === 0) parentPort.close(); // no page left: the shared worker ends
      });
    });
    ports.add(port);
    console.log(`CONN ${ID} ${ports.size}`);
    broadcast(`CONN ${ports.size}`);
  });
} else if (!isMainThread && workerData.role === 'page') {
  // red.js / blue.js
  const { name, port } = workerData; // worker.port
  console.log(`${name}.js`);
  const events = []; // the data messages this page received (no CONN announcements)
  let posted = false;
  port.on('message', ([id, data]) => {
    console.log(`${name} EVENT [${id}, "${data}"]`);
    if (data === 'CONN 2' && !posted) {
      posted = true;
      port.postMessage(`hello from ${name}`);
    } else if (!data.startsWith('CONN')) {
      events.push([id, data]);
      if (events.length === 2) {
        port.close(); // the page leaves
        parentPort.postMessage(events);
      }
    }
  });
} else {
  // The browser.
  const sharedWorker = new Worker(__filename, { workerData: { role: 'shared' } });
  const received = new Map(); // page name -> its events
  const openPage = (name) => {
    const { port1, port2 } = new MessageChannel();
    sharedWorker.postMessage({ type: 'connect', port: port1 }, [port1]);
    const page = new Worker(__filename, { workerData: { role: 'page', name, port: port2 }, transferList: [port2] });
    page.on('message', (events) => received.set(name, events));
    page.on('error', (err) => console.log(`${name} error: ${err.message}`));
    return new Promise((resolve) => page.on('exit', resolve));
  };
  const sharedExit = new Promise((resolve) => sharedWorker.on('exit', resolve));
  sharedWorker.on('error', (err) => console.log(`shared worker error: ${err.message}`));

  Promise.all([openPage('red'), openPage('blue')]).then(async () => {
    await sharedExit;
    const red = received.get('red') || [];
    const blue = received.get('blue') || [];
    check(red.length === 2 && blue.length === 2, 'each page got both messages');
    if (red.length === 2 && blue.length === 2) {
      const id = red[0][0];
      check([...red, ...blue].every(([i]) => i === id),
            'every EVENT carries the same worker ID (one shared instance)');
      const expected = JSON.stringify(['hello from blue', 'hello from red']);
      const sorted = (events) => JSON.stringify(events.map(([, data]) => data).sort());
      check(sorted(red) === expected && sorted(blue) === expected, 'broadcast reached both pages');
    }
    finish('shared worker OK');
  });
}
