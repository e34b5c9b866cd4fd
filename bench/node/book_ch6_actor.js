// book_ch6_actor.js — the Node original of examples/book/ch6_actor.cpp: an actor process of the
// book's actor system (listings 6-18 to 6-23, actor.js).
//
// The actor connects to the server's actor port ("connected to server"), runs a 4-thread
// leastbusy RpcWorkerPool (the book's, from book_ch6_thread_pool.js, whose worker sleeps
// --sleep-ms and then computes square_sum), and for every NUL-terminated JSON message
// {id, method, args} runs the command on the pool and writes back {id, value, pid} + NUL. When
// the server closes the connection it logs "disconnect from server", stops its pool and exits 0.
// book_ch6_actor_server.js starts these processes itself (--spawn-actors).
//
// Differences from the book, as in the twin: frames are buffered across reads (FrameBuffer), so
// a message split between two TCP reads is still parsed whole (the book splits each chunk on NUL
// and drops the last piece); the commands of one read run concurrently on the pool (the book
// awaits them one by one; the ids make the order irrelevant). --chunk N writes each reply in
// N-byte pieces (one write each, no Nagle delay) so the messages really are split on the wire.
//
// `--self-test` (the twin's smoke run) plays the server itself in this process: it sends three
// requests one byte per write, reads the replies and checks their ids (1, 2, 3), values
// (square_sum(1000 id)) and pid (this process), then closes the connection; the actor must answer
// all three and end on end-of-stream. Prints "actor OK" and exits 0.
// Run: node book_ch6_actor.js --self-test
//      node book_ch6_actor.js 127.0.0.1:<port> [--chunk N] [--sleep-ms 100]
'use strict';
const net = require('node:net');
const path = require('node:path');
const { flag, check, finish } = require('./book_support');

// Complete frames out of a byte stream: the unfinished tail waits for the next read.
class FrameBuffer {
  constructor() {
    this.partial = Buffer.alloc(0);
  }
  feed(bytes) {
    const frames = [];
    let data = this.partial.length ? Buffer.concat([this.partial, bytes]) : bytes;
    for (let at = data.indexOf(0); at >= 0; at = data.indexOf(0)) {
      frames.push(data.subarray(0, at).toString());
      data = data.subarray(at + 1);
    }
    this.partial = Buffer.from(data);
    return frames;
  }
  pending() {
    return this.partial.length;
  }
}

// Writes `text` + NUL, in `chunk`-byte writes when chunk > 0.
function sendFrame(socket, text, chunk) {
  const bytes = Buffer.concat([Buffer.from(text), Buffer.alloc(1)]);
  if (!chunk) return socket.write(bytes);
  for (let at = 0; at < bytes.length; at += chunk) socket.write(bytes.subarray(at, at + chunk));
  return true;
}

// Counts the reads that ended inside a frame (the case the book's parser gets wrong).
function frameReader(onFrame) {
  const frames = new FrameBuffer();
  const reader = (bytes) => {
    for (const frame of frames.feed(bytes)) onFrame(frame);
    if (frames.pending() !== 0) reader.splitReads++;
  };
  reader.splitReads = 0;
  return reader;
}

module.exports = { FrameBuffer, sendFrame, frameReader };

// Resolves when the server closes the connection (after the pool has stopped).
function runActor(port, chunk, sleepMs) {
  const { RpcWorkerPool } = require('./book_ch6_thread_pool.js');
  const pool = new RpcWorkerPool(path.join(__dirname, 'book_ch6_thread_pool.js'), 4, 'leastbusy', { sleepMs });
  return new Promise((resolve, reject) => {
    const upstream = net.connect(port, '127.0.0.1', () => {
      upstream.setNoDelay(true);
      console.log('connected to server');
    });
    upstream.on('data', frameReader((frame) => {
      let message;
      try {
        message = JSON.parse(frame);
      } catch {
        return;
      }
      if (message === null || typeof message !== 'object' || !('id' in message)) return;
      const { id, method = 'square_sum', args = [0] } = message;
      pool.exec(method, ...args).then(({ sum }) => {
        if (!upstream.destroyed) sendFrame(upstream, JSON.stringify({ id, value: sum, pid: process.pid }), chunk);
      }, () => {});
    }));
    upstream.on('end', () => {
      console.log('disconnect from server');
      upstream.end();
      pool.terminate().then(() => resolve(0));
    });
    upstream.on('error', (e) => {
      console.log(`cannot connect: ${e.message}`);
      pool.terminate().then(() => reject(e));
    });
  });
}

// A stand-in server in this process: three requests one byte per write, then three replies.
async function selfTest() {
  const { squareSum } = require('./book_ch6_thread_pool.js');
  const replies = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    for (let id = 1; id <= 3; id++) {
      sendFrame(socket, JSON.stringify({ id, method: 'square_sum', args: [1000 * id] }), 1);
    }
    socket.on('data', frameReader((frame) => {
      replies.push(frame);
      if (replies.length === 3) socket.end();  // the actor sees end-of-stream
    }));
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const code = await runActor(server.address().port, 1, 5).catch(() => 1);
  server.close();
  check(code === 0, 'the actor ran');
  check(replies.length === 3, 'three replies');
  const ids = new Set();
  for (const r of replies) {
    console.log(`reply ${r}`);
    const data = JSON.parse(r);
    ids.add(data.id);
    check(data.value === squareSum(1000 * data.id), 'value = square_sum(1000 id)');
    check(data.pid === process.pid, 'pid = this process');
  }
  check(ids.size === 3 && ids.has(1) && ids.has(2) && ids.has(3), 'reply ids 1, 2, 3');
  return finish('actor OK');
}

if (require.main === module) {
  (async () => {
    if (process.argv.includes('--self-test')) return selfTest();
    const address = process.argv[2] || '';
    if (!address.includes(':')) {
      console.log('usage: node book_ch6_actor.js 127.0.0.1:<port> [--chunk N] [--sleep-ms N] | --self-test');
      return 2;
    }
    return runActor(Number(address.slice(address.lastIndexOf(':') + 1)), flag('--chunk', 0),
                    flag('--sleep-ms', 100)).catch(() => 1);
  })().then((code) => { process.exitCode = code; },
            (e) => { console.log(`WRONG: ${e.stack || e}`); process.exitCode = 1; });
}
