// notes_event_loop.js — the Node original of examples/notes/notes_event_loop.cpp (the note
// "Node.js 핵심 개념", sections 3 and 4): prints each lesson's order, so the C++ example's
// expected orders can be checked against real Node. Run: node notes_event_loop.js [delayMs]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const delayMs = Number(process.argv[2] || 3000);
const log = (s) => console.log('  ' + s);
const t0 = Date.now();

function third() { log('third'); }
function second() { third(); log('second'); }
function first() { second(); log('first'); }

function longRunningTask() {
  let sum = 0;
  for (let i = 0; i < 2e6; i++) sum += i;
  log('task done');
}

const lessons = [
  (next) => { console.log('1. call stack'); first(); next(); },
  (next) => {
    console.log(`2. setTimeout(run, ${delayMs}ms)`);
    log('start');
    setTimeout(() => { log('run after the delay'); next(); }, delayMs);
    log('end');
  },
  (next) => {
    console.log('3b. queues inside a timer callback');
    setTimeout(() => {
      setTimeout(() => { log('setTimeout 0'); next(); }, 0);
      setImmediate(() => log('setImmediate'));
      Promise.resolve().then(() => { log('promise.then'); process.nextTick(() => log('nextTick from a microtask')); });
      process.nextTick(() => log('nextTick'));
      log('timer callback');
    }, 0);
  },
  (next) => {
    console.log('4. blocking vs non-blocking');
    log('start'); longRunningTask(); log('next task');
    log('start'); setTimeout(() => { longRunningTask(); next(); }, 0); log('next task');
  },
  (next) => {
    console.log('5. Promise.all over 1.txt, 2.txt, 3.txt');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notes-'));
    for (const i of [1, 2, 3]) fs.writeFileSync(path.join(dir, `${i}.txt`), `${i}\n`);
    Promise.all([1, 2, 3].map((i) => fs.promises.readFile(path.join(dir, `${i}.txt`), 'utf8')))
      .then((texts) => {
        log('sum ' + texts.reduce((a, t) => a + Number(t), 0));
        fs.rmSync(dir, { recursive: true });
        next();
      });
    log('reads started');
  },
];

let i = 0;
const next = () => { if (i < lessons.length) lessons[i++](next); else console.log(`done in ${Date.now() - t0} ms`); };
next();
