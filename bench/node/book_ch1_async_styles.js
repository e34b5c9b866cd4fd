// book_ch1_async_styles.js — the Node original of examples/book/ch1_async_styles.cpp: listing
// 1-1's one job in two styles, read a file → transform it (upper case) → write it → log
// "done", first with nested callbacks (fs.readFile / fs.writeFile, the transform deferred with
// setImmediate as the book's callback-taking doStuffWithData), then as an async function
// awaiting the three steps (fs/promises). The input file is written into a fresh temporary
// directory, removed at the end. Checks: each output file holds exactly the transformed input,
// and "done" is logged twice; prints "async styles OK" and exits 0, or exits 1.
// Run: node book_ch1_async_styles.js
'use strict';
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { check, finish } = require('./book_support');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bobbin-ch1-async-'));
const input = 'Read a file, transform it, write it, log done.\nTwice: callbacks, then await.\n';
const inFile = path.join(dir, 'input.txt');
fs.writeFileSync(inFile, input);
const upperCase = (data) => data.toUpperCase();
const expected = upperCase(input);

let done = 0;
const logDone = () => {
  done++;
  console.log('done');
};
const report = (err) => console.error('Something went wrong:\n' + err);

// The transform as a callback-taking step, like the book's doStuffWithData.
function transform(data, cb) {
  setImmediate(() => {
    try {
      cb(null, upperCase(data));
    } catch (err) {
      cb(err);
    }
  });
}

function callbackStyle(outFile, next) {
  fs.readFile(inFile, 'utf8', (err, data) => {
    if (err) return report(err);
    console.log(`  read ${Buffer.byteLength(data)} bytes`);
    transform(data, (err, result) => {
      if (err) return report(err);
      console.log('  transformed');
      fs.writeFile(outFile, result, (err) => {
        if (err) return report(err);
        console.log(`  wrote ${path.basename(outFile)}`);
        logDone();
        next();
      });
    });
  });
}

async function asyncStyle(outFile) {
  const data = await fsp.readFile(inFile, 'utf8');
  console.log(`  read ${Buffer.byteLength(data)} bytes`);
  const result = await new Promise((resolve, reject) =>
    transform(data, (err, r) => (err ? reject(err) : resolve(r))));
  console.log('  transformed');
  await fsp.writeFile(outFile, result);
  console.log(`  wrote ${path.basename(outFile)}`);
  logDone();
}

console.log('callbacks:');
callbackStyle(path.join(dir, 'out-callbacks.txt'), async () => {
  console.log('async/await:');
  try {
    await asyncStyle(path.join(dir, 'out-await.txt'));
  } catch (err) {
    report(err);
  }
  const read = (name) => {
    try {
      return fs.readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return null;
    }
  };
  const byCallbacks = read('out-callbacks.txt');
  const byAwait = read('out-await.txt');
  fs.rmSync(dir, { recursive: true, force: true });
  check(byCallbacks === expected, "the callbacks' output file holds the transformed input");
  check(byAwait === expected, "the async function's output file holds the transformed input");
  check(done === 2, '"done" logged twice');
  finish('async styles OK');
});
