// book_ch3_message_channel.js — the Node original of examples/book/ch3_message_channel.cpp: a
// MessageChannel port transferred to a worker (listing 3-6). main creates {port1, port2},
// passes port2 in workerData and in the transferList, and echoes on port1; the worker takes its
// port out of workerData, logs what arrives and posts "Hello, World!" on it. As in the twin
// (and ch3_parent_port), the worker closes its port after the first message (the book's program
// never exits); port1 then sees 'close' and the program ends.
// Checked, as in the twin: port2 was transferred (detached in the main thread: transferring it
// again throws DataCloneError); the worker logs exactly one message, "Hello, World!"; port1
// saw the channel close; the worker exits with code 0. (The worker records what it logged in a
// SharedArrayBuffer, read by main after the worker's exit.)
// Run: node book_ch3_message_channel.js
'use strict';
const { Worker, MessageChannel, isMainThread, workerData } = require('node:worker_threads');
const { check, finish } = require('./book_support');

// shared layout: Int32 [0] messages logged, [1] byte length of the last one; bytes from 8 on.
const TEXT_AT = 8;
const TEXT_MAX = 248;

if (!isMainThread) {
  const { port, shared } = workerData;
  const counts = new Int32Array(shared, 0, 2);
  const text = new Uint8Array(shared, TEXT_AT, TEXT_MAX);
  port.on('message', (msg) => {
    console.log(`We got a message from the main thread: ${msg}`);
    const { written } = new TextEncoder().encodeInto(String(msg), text);
    Atomics.store(counts, 1, written);
    Atomics.add(counts, 0, 1);
    port.close();
  });
  port.postMessage('Hello, World!');
} else {
  // A transferred port is detached: transferring it again throws a DataCloneError.
  const detached = (port) => {
    const probe = new MessageChannel();
    try {
      probe.port1.postMessage(port, [port]);
      return false;
    } catch (err) {
      return err.name === 'DataCloneError';
    } finally {
      probe.port1.close();
    }
  };

  const shared = new SharedArrayBuffer(TEXT_AT + TEXT_MAX);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(__filename, { workerData: { port: port2, shared }, transferList: [port2] });
  check(detached(port2), 'port2 was transferred (detached in the main thread)');

  let closed = false;
  port1.on('message', (msg) => port1.postMessage(msg)); // echo
  port1.on('close', () => { closed = true; });
  worker.on('error', (err) => console.log(`worker error: ${err.message}`)); // then exit code 1
  worker.on('exit', (code) => {
    // 'close' on port1 may come after the worker's exit: decide once both are in.
    const verdict = () => {
      const counts = new Int32Array(shared, 0, 2);
      const last = new TextDecoder().decode(new Uint8Array(shared, TEXT_AT, Atomics.load(counts, 1)).slice());
      check(Atomics.load(counts, 0) === 1, 'the worker logs exactly one message');
      check(last === 'Hello, World!', 'the echoed message is "Hello, World!"');
      check(closed, 'port1 saw the channel close');
      check(code === 0, 'the worker ended normally');
      finish('MessageChannel echo OK');
    };
    if (closed || code !== 0) {
      verdict();
      port1.close(); // nothing may keep the program alive after a failure
    } else {
      port1.once('close', () => setImmediate(verdict));
    }
  });
}
