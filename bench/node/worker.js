// bench/node/worker.js — the workloads of bench/worker_bench.cpp in Node:
//
//   start to online     from `new Worker(...)` to the parent's 'online' event (the worker
//                       then waits for messages on parentPort)
//   terminate to exit   from `worker.terminate()` to the parent's 'exit' event, for a worker
//                       idle in its event loop (a 'message' listener on parentPort)
//   create to exit      a whole life: a worker whose script returns at once, to 'exit'
//
// Each figure is the median (and mean) over ITERATIONS sequential workers, after a few
// untimed warm-up ones.
//
// Usage: node bench/node/worker.js [iterations]   (Node 20; no dependencies)
'use strict';

const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');

if (!isMainThread) {
  if (process.argv.includes('--return-at-once')) return;
  parentPort.on('message', () => {});
  return;
}

const ITERATIONS = Number(process.argv[2] || 50);
const WARMUP = 5;

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, resolve));
}

function summary(name, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`${name.padEnd(20)} median ${median.toFixed(3)} ms   mean ${mean.toFixed(3)} ms` +
              `   (n=${samples.length})`);
}

async function main() {
  const online = [];
  const terminate = [];
  const whole = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const t0 = performance.now();
    const w = new Worker(__filename);
    await once(w, 'online');
    const t1 = performance.now();
    const exited = once(w, 'exit');
    const t2 = performance.now();
    w.terminate();
    await exited;
    const t3 = performance.now();
    if (i >= WARMUP) {
      online.push(t1 - t0);
      terminate.push(t3 - t2);
    }
  }
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const t0 = performance.now();
    const w = new Worker(__filename, { argv: ['--return-at-once'] });
    await once(w, 'exit');
    if (i >= WARMUP) whole.push(performance.now() - t0);
  }
  console.log(`node ${process.version}, worker_threads`);
  summary('start to online', online);
  summary('terminate to exit', terminate);
  summary('create to exit', whole);
}

main();
