// book_ch4_serialize.js — the Node original of examples/shared_memory/ch4_serialize.cpp:
// strings and objects through shared memory (Multithreaded JavaScript, chapter 4, "Data
// serialization"; the booleans are in book_ch4_booleans.js).
//
// Shared memory holds bytes, so anything else is serialized into it: strings as UTF-8 bytes
// (TextEncoder/TextDecoder: "A" is 1 byte, "€" is 3), their length travelling in a Uint32
// header cell; objects as JSON text, then UTF-8 bytes. The reader (a worker, this same file)
// copies the bytes out of the shared buffer before decoding (browsers refuse to decode a
// shared view).
//
// Protocol in one 4096-byte SharedArrayBuffer, as in the C++ twin: Int32 cell 0 = message
// number (the writer bumps it and notifies), Uint32 cell 1 = byte length, bytes from offset 8;
// the reader acknowledges in the Int32 cell at byte 8 + 4000. The main thread writes and waits
// with Atomics.wait (Node allows it on the main thread). The reader hands what it decoded back
// on a MessageChannel port, which the main thread reads synchronously (receiveMessageOnPort)
// once acknowledged. The object's keys are in alphabetical order so that JSON.stringify prints
// what the C++ twin's nlohmann::json prints. Oracle: both messages arrive intact.
// Run: node book_ch4_serialize.js
'use strict';
const util = require('util');
const { Worker, MessageChannel, receiveMessageOnPort, isMainThread, workerData } =
  require('worker_threads');

const DATA = 8;

// Copies `text` as UTF-8 into the buffer; returns its length in bytes.
function storeString(sab, text) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > sab.byteLength - DATA) throw new RangeError('message too long');
  new Uint8Array(sab, DATA, bytes.length).set(bytes);
  Atomics.store(new Uint32Array(sab, 4, 1), 0, bytes.length);
  return bytes.length;
}

// Copies the bytes out into a non-shared buffer (slice), then decodes them.
function loadString(sab) {
  const n = Atomics.load(new Uint32Array(sab, 4, 1), 0);
  return new TextDecoder().decode(new Uint8Array(sab, DATA, n).slice());
}

if (!isMainThread) {
  const { sab, port } = workerData;
  const control = new Int32Array(sab, 0, 1);
  const ack = new Int32Array(sab, 8 + 4000, 1);
  Atomics.wait(control, 0, 0);  // message 1: a string
  port.postMessage(loadString(sab));
  Atomics.store(ack, 0, 1);
  Atomics.notify(ack, 0);
  Atomics.wait(control, 0, 1);  // message 2: an object as JSON
  port.postMessage(JSON.parse(loadString(sab)));
  Atomics.store(ack, 0, 2);
  Atomics.notify(ack, 0);
  port.close();
} else {
  const sab = new SharedArrayBuffer(4096);
  const control = new Int32Array(sab, 0, 1);      // message number
  const ack = new Int32Array(sab, 8 + 4000, 1);   // the reader's acknowledgement, past the data
  const { port1, port2 } = new MessageChannel();
  const reader = new Worker(__filename, { workerData: { sab, port: port2 }, transferList: [port2] });
  reader.on('error', (e) => { console.log(`reader: ${e}`); process.exitCode = 1; });
  const received = () => {
    const m = receiveMessageOnPort(port1);
    return m === undefined ? undefined : m.message;
  };

  let ok = true;
  const utf8 = (s) => Buffer.byteLength(s, 'utf8');
  const text = 'Hello, €!';
  console.log(`'A' is ${utf8('A')} byte, '€' is ${utf8('€')} bytes in UTF-8`);
  console.log(`writer: string of ${storeString(sab, text)} bytes`);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  while (Atomics.load(ack, 0) < 1) Atomics.wait(ack, 0, 0);
  const gotText = received();
  console.log(`reader: "${gotText}" (${gotText === undefined ? 0 : utf8(gotText)} bytes)`);
  ok = ok && gotText === text && utf8(gotText) === 11;

  const object = { name: 'bobbin', tags: ['sab', 'json'], threads: 4 };
  console.log(`writer: object as ${storeString(sab, JSON.stringify(object))} bytes of JSON`);
  Atomics.store(control, 0, 2);
  Atomics.notify(control, 0);
  while (Atomics.load(ack, 0) < 2) Atomics.wait(ack, 0, 1);
  const gotObject = received();
  console.log(`reader: ${JSON.stringify(gotObject)}`);
  ok = ok && util.isDeepStrictEqual(gotObject, object) && gotObject.threads === 4;
  port1.close();

  console.log(ok ? 'ch4_serialize: ok' : 'ch4_serialize: FAILED');
  process.exitCode = ok ? 0 : 1;
}
