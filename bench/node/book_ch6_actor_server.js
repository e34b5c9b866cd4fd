// book_ch6_actor_server.js — the Node original of examples/book/ch6_actor_server.cpp: the router
// of the book's actor system (listings 6-18 to 6-24, server.js).
//
// The server keeps a counter message_id, the set of actor handlers and the map id -> pending HTTP
// response. Actor processes (book_ch6_actor.js) connect over TCP ("actor pool connected <size>");
// each connection adds a handler that writes JSON + NUL to that socket, and the replies
// {id, value, pid} complete the pending response with the same id. GET /<n> takes the next id
// (even on the error path), picks a uniformly random handler and sends it
// {id, method: "square_sum", args: [n]}; with no actor it answers "ERROR: EMPTY ACTOR POOL".
// Part two (6-24): a local actor, a 4-thread leastbusy pool in this process (the RpcWorkerPool of
// book_ch6_thread_pool.js), answering with pid "server" (--no-local leaves it out).
// Fixes as in the twin: frames are buffered across reads (checked first by feeding two messages
// in 1-byte pieces, and on the wire with --chunk 1), and the HTTP body carries no trailing NUL.
//
// Smoke mode (--spawn-actors K --requests R), the twin's: both ports are ephemeral; the server
// starts K actor processes (node book_ch6_actor.js), waits until they are connected, sends at
// least R requests GET /1000, /1001, ... one after the other (more until every actor and the
// local one have answered at least once), checks every answer (its id equals the request's
// number, its value equals square_sum(n) computed here, its pid is "server" or one of the
// children), then closes everything; the actors see end-of-stream and exit, and the server
// checks they all exited with status 0. A 30 s watchdog ends a stuck run. Prints
// "actor system OK" and exits 0. Without --requests it serves until killed.
// Run: node book_ch6_actor_server.js --spawn-actors 2 --requests 6 --chunk 1 --sleep-ms 5
//      node book_ch6_actor_server.js [127.0.0.1:<web port>] [127.0.0.1:<actor port>] [--no-local]
'use strict';
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { RpcWorkerPool, squareSum, httpGet } = require('./book_ch6_thread_pool.js');
const { FrameBuffer, sendFrame, frameReader } = require('./book_ch6_actor.js');
const { flag, check, finish } = require('./book_support');

// The framing fix, tested without sockets: two messages fed one byte at a time.
function testSplitFrames() {
  const wire = Buffer.from('{"id":1,"value":2}\0{"id":2,"pid":"x"}\0');
  const frames = new FrameBuffer();
  const got = [];
  for (let i = 0; i < wire.length; i++) got.push(...frames.feed(wire.subarray(i, i + 1)));
  check(got.length === 2 && got[0] === '{"id":1,"value":2}' && got[1] === '{"id":2,"pid":"x"}',
        'a message fed in 1-byte pieces is parsed whole');
  console.log(`framing: 2 messages fed in ${wire.length} 1-byte reads -> ${got.length} whole messages`);
}

function portOf(address) {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

async function main() {
  const positional = [];
  for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i].startsWith('--')) {
      if (process.argv[i] !== '--no-local') i++;  // skip the flag's value
    } else {
      positional.push(process.argv[i]);
    }
  }
  const webPort = positional.length > 0 ? portOf(positional[0]) : 0;
  const actorPort = positional.length > 1 ? portOf(positional[1]) : 0;
  const spawnCount = flag('--spawn-actors', 0);
  const requests = flag('--requests', 0);
  const chunk = flag('--chunk', 0);
  const sleepMs = flag('--sleep-ms', 100);
  const local = !process.argv.includes('--no-local');

  testSplitFrames();

  // ---- server.js ----
  let message_id = 0;
  const actors = new Set();
  const messages = new Map();  // id -> the pending HTTP response
  const connections = new Set();
  let splitReads = 0;

  let pool = null;
  if (local) {
    pool = new RpcWorkerPool(path.join(__dirname, 'book_ch6_thread_pool.js'), 4, 'leastbusy', { sleepMs });
    actors.add(async (data) => {
      const { sum } = await pool.exec(data.method, ...data.args);
      const res = messages.get(data.id);
      if (!res) return;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ id: data.id, value: sum, pid: 'server' }));
      messages.delete(data.id);
    });
  }

  let onConnected = () => {};
  const actorServer = net.createServer((socket) => {
    socket.setNoDelay(true);
    const reader = frameReader((frame) => {
      let data;
      try {
        data = JSON.parse(frame);
      } catch {
        return;
      }
      const res = data && messages.get(data.id);
      if (!res) return;
      res.setHeader('Content-Type', 'application/json');
      res.end(frame);  // the book appends a NUL here
      messages.delete(data.id);
    });
    const handler = (data) => sendFrame(socket, JSON.stringify(data), chunk);
    const entry = { socket, reader, handler };
    connections.add(entry);
    actors.add(handler);
    console.log(`actor pool connected ${actors.size}`);
    socket.on('data', reader);
    socket.on('end', () => {
      splitReads += reader.splitReads;
      connections.delete(entry);
      actors.delete(handler);
      console.log(`actor pool disconnected ${actors.size}`);
      socket.end();
    });
    socket.on('error', () => {});
    onConnected();
  });
  await new Promise((resolve) => actorServer.listen(actorPort, '127.0.0.1', resolve));

  const web = http.createServer((req, res) => {
    const id = ++message_id;  // incremented even on the error path, as in the book
    if (actors.size === 0) {
      res.end('ERROR: EMPTY ACTOR POOL');
      return;
    }
    const list = [...actors];
    const actor = list[Math.floor(Math.random() * list.length)];
    messages.set(id, res);
    actor({ id, method: 'square_sum', args: [Number(req.url.substr(1))] });
  });
  await new Promise((resolve) => web.listen(webPort, '127.0.0.1', resolve));
  console.log(`web:   http://127.0.0.1:${web.address().port}/`);
  console.log(`actor: tcp://127.0.0.1:${actorServer.address().port}`);
  if (requests <= 0) return null;  // serve until killed

  // ---- smoke mode: the actor processes, a client, then a clean shutdown ----
  const children = [];
  const exits = [];
  for (let k = 0; k < spawnCount; k++) {
    const child = spawn(process.execPath, [path.join(__dirname, 'book_ch6_actor.js'),
      `127.0.0.1:${actorServer.address().port}`, '--chunk', String(chunk), '--sleep-ms', String(sleepMs)],
    { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    exits.push(new Promise((resolve) => child.on('exit', (code, signal) => resolve(code === 0 && signal === null))));
  }
  const expectedPids = new Set(children.map((c) => String(c.pid)));
  if (local) expectedPids.add('server');

  let watchdog;
  const stuck = new Promise((resolve) => {
    watchdog = setTimeout(() => {
      check(false, 'the actors connected and answered within 30 s');
      resolve();
    }, 30_000);
  });
  const connected = new Promise((resolve) => {
    onConnected = () => { if (connections.size === spawnCount) resolve(); };
    onConnected();
  });

  const pidsSeen = new Set();
  let answered = 0;
  const client = async () => {
    await connected;
    for (let i = 0; i < 50 * requests + 200; i++) {
      if (i >= requests && pidsSeen.size === expectedPids.size) break;
      const n = 1000 + i;
      const r = await httpGet(web.address().port, `/${n}`);
      let data = null;
      try {
        data = JSON.parse(r.body);
      } catch {
        // checked below
      }
      const ok = data !== null && data.id === i + 1 && data.value === squareSum(n) && 'pid' in data;
      check(ok, `answer ${i + 1}: ${r.body}`);
      if (!ok) break;
      const pid = String(data.pid);
      check(expectedPids.has(pid), `pid ${pid} is the server or a child`);
      pidsSeen.add(pid);
      answered++;
      if (i < 6) console.log(`GET /${n} -> ${r.body}`);
    }
  };
  await Promise.race([client(), stuck]);

  // Shutdown: close the servers and the actor connections (the actors see end-of-stream).
  clearTimeout(watchdog);
  web.close();
  web.closeAllConnections();  // a request left unanswered after the watchdog
  actorServer.close();
  for (const { socket, reader } of connections) {
    splitReads += reader.splitReads;
    socket.removeAllListeners('end');
    socket.end();
  }
  connections.clear();
  actors.clear();
  if (pool) await pool.terminate();
  const killer = setTimeout(() => children.forEach((c) => c.kill()), 10_000);  // a last resort
  const exited = (await Promise.all(exits)).every(Boolean);
  clearTimeout(killer);

  console.log(`answered ${answered} requests from ${pidsSeen.size} actors; ` +
              `reads that ended inside a message: ${splitReads}`);
  check(answered >= requests, 'every request answered');
  check(exited, 'every actor process exited with status 0');
  return finish('actor system OK');
}

main().then((code) => {
  if (code === 1) process.exit(1);  // a failed run may have left a client request pending
  if (code !== null) process.exitCode = code;
},
            (e) => { console.log(`WRONG: ${e.stack || e}`); process.exit(1); });
