// notes_http_server.js — the Node original of examples/notes/notes_http_server.cpp, the check of
// the small HTTP/1.1 server the C++ HTTP examples share: the same requests, against node:http.
// The handler answers at once, later (through a promise, settled once a request behind it has
// been handled), or throws (caught by the wrapper: a 500 with the message, as express does);
// then the client checks: plain GET and POST, a 500 for a thrown error, three pipelined
// keep-alive requests on one connection whose first answer comes last (the answers must still
// arrive in request order), a request split across four writes, and a 400 for a malformed
// request (node:http's own 'clientError' answer). The raw exchanges use net.Socket.
// flag, checker, readText and request come from notes_support.js.
// Run: node notes_http_server.js [--port 0]
'use strict';
const http = require('http');
const net = require('net');
const { flag, checker, readText, request } = require('./notes_support');

const text = (body, status = 200) => ({ status, body });
let held = null;  // the resolve of /later's answer, not yet given
let requestsServed = 0;

// The handler: returns an answer or a promise of one, or throws.
function handle(req) {
  const at = req.url.indexOf('?');
  const path = at < 0 ? req.url : req.url.slice(0, at);
  const query = at < 0 ? '' : req.url.slice(at + 1);
  if (path === '/later') {  // answered only once "/a?2" (behind it) has been handled
    return new Promise((resolve) => { held = resolve; });
  }
  if (query === '2' && held) {
    const resolve = held;
    held = null;
    setTimeout(() => resolve(text('later\n')), 0);
  }
  if (path === '/throw') throw new Error('boom');
  if (req.method === 'POST') return text(req.body + '\n');
  return text(`now ${query}\n`);
}

// Reads the body, runs the handler, and answers (500 with the message when it throws or rejects).
const server = http.createServer((req, res) => {
  readText(req).then(async (body) => {
    req.body = body;
    let answer;
    try {
      answer = await handle(req);
    } catch (error) {
      answer = text(error.message + '\n', 500);
    }
    requestsServed++;
    res.writeHead(answer.status, { 'Content-Type': 'text/plain',
                                   'Content-Length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  });
});

// Writes `pieces` one by one (a few ms apart) on a new connection and reads until `answers`
// responses ended (each body here ends with '\n') or the server closes.
function rawExchange(port, pieces, answers) {
  return new Promise((resolve) => {
    let got = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    const done = () => { clearTimeout(timer); socket.destroy(); resolve(got); };
    const timer = setTimeout(done, 10000);
    socket.on('connect', async () => {
      for (const p of pieces) {
        socket.write(p);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    socket.on('data', (chunk) => {
      got += chunk;
      const seen = got.split('HTTP/1.1 ').length - 1;
      if (seen >= answers && got.endsWith('\n')) done();
    });
    socket.on('end', done);
    socket.on('error', done);
  });
}

const { expect, failed } = checker();

server.listen(flag('--port', 0), '127.0.0.1', async () => {
  const port = server.address().port;
  try {
    const get = await request(port, 'GET', '/x?q=1');
    expect(get.status === 200 && get.body === 'now q=1\n', 'GET');
    const post = await request(port, 'POST', '/echo', '{"k":1}');
    expect(post.status === 200 && post.body === '{"k":1}\n', 'POST with a body');
    const thrown = await request(port, 'GET', '/throw');
    expect(thrown.status === 500 && thrown.body === 'boom\n', 'a handler that throws: 500');

    const pipelined = await rawExchange(port, [
      'GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /a?1 HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /a?2 HTTP/1.1\r\nHost: x\r\n\r\n'], 3);
    const a = pipelined.indexOf('later\n');
    const b = pipelined.indexOf('now 1\n');
    const c = pipelined.indexOf('now 2\n');
    expect(a >= 0 && b >= 0 && c >= 0 && a < b && b < c, 'three pipelined requests answered in order');

    const split = await rawExchange(port,
      ['POST /echo HTTP/1.1\r\nHo', 'st: x\r\nContent-Le', 'ngth: 5\r\n\r\nab', 'cde'], 1);
    expect(split.includes('abcde\n'), 'a request split across four writes');

    const bad = await rawExchange(port, ['NOT HTTP AT ALL\r\n\r\n'], 1);
    expect(bad.startsWith('HTTP/1.1 400'), 'a malformed request: 400');
  } catch (e) {
    expect(false, `the client: ${e.message}`);
  }
  const stuck = setTimeout(() => {  // close() waits for every connection: never hang
    expect(false, 'every connection closed');
    process.exit(1);
  }, 10000);
  server.close(() => {
    clearTimeout(stuck);
    server.getConnections((err, open) => {
      expect(!err && open === 0, 'every connection closed');
      console.log(`requests answered: ${requestsServed}`);
      console.log(failed() ? 'http server FAILED' : 'http server OK');
      process.exitCode = failed() ? 1 : 0;
    });
  });
});
