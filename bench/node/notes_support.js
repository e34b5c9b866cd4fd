// notes_support.js — small helpers the notes' Node scripts share (the JS side of
// examples/notes/notes_support.hpp):
//   flag('--n', 10)                      the number after a flag on the command line, or the fallback
//   checker()                            { expect(condition, what), failed() }: expect prints
//                                        "  ok: what" or "  FAILED: what"; failed() is true once
//                                        one check failed
//   readText(stream)                     a promise of a stream's whole text (utf8), at its 'end'
//   request(port, method, path, body, headers)
//                                        a one-shot HTTP request to 127.0.0.1 (a new connection): a
//                                        promise of {status, body} (the body as text)
//   sendJson(res, status, value, stringify = JSON.stringify)
//                                        answers a JSON body with its Content-Length
//   sortedKeys(value)                    a copy of a JSON value with every object's keys sorted,
//                                        so printed objects read like the C++ twins' (nlohmann)
// Run: not on its own; the notes_*.js scripts require('./notes_support').
'use strict';
const http = require('http');

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

function checker() {
  let failed = false;
  return {
    expect(condition, what) {
      console.log((condition ? '  ok: ' : '  FAILED: ') + what);
      if (!condition) failed = true;
    },
    failed: () => failed,
  };
}

function readText(stream) {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => (text += chunk));
    stream.on('end', () => resolve(text));
  });
}

function request(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      readText(res).then((text) => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function sendJson(res, status, value, stringify = JSON.stringify) {
  const body = stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys(value[k])]));
  }
  return value;
}

module.exports = { flag, checker, readText, request, sendJson, sortedKeys };
