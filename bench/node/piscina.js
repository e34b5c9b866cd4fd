// piscina.js — the Node twin of bench/thread_pool_bench.cpp (BM_Pool_Tiny and BM_Pool_Latency):
// a Piscina pool of 2 threads runs N tiny tasks submitted all at once, then awaited; then one
// task at a time for the submit → result latency.
// Run: (cd bench/node && npm install) && node piscina.js [tasks=200000] [latencyRounds=2000]
'use strict';
const { Piscina, isWorkerThread } = require('piscina');

if (isWorkerThread) {
  // The task: return its argument (as tiny as BM_Pool_Tiny's).
  module.exports = (i) => i;
} else {
  const tasks = Number(process.argv[2] || 200000);
  const rounds = Number(process.argv[3] || 2000);
  const pool = new Piscina({ filename: __filename, minThreads: 2, maxThreads: 2 });

  const percentile = (sorted, p) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

  (async () => {
    await Promise.all([pool.run(0), pool.run(0)]);  // warm both threads

    const t0 = process.hrtime.bigint();
    const promises = new Array(tasks);
    for (let i = 0; i < tasks; i++) promises[i] = pool.run(i);
    const results = await Promise.all(promises);
    const t1 = process.hrtime.bigint();
    let sum = 0;
    for (const r of results) sum += r;
    if (sum !== (tasks * (tasks - 1)) / 2) throw new Error('lost tasks');
    const seconds = Number(t1 - t0) / 1e9;
    console.log(`Pool_Tiny/Piscina ${tasks} tasks: ${(tasks / seconds / 1000).toFixed(1)} k tasks/s ` +
                `(${(seconds * 1000).toFixed(0)} ms)`);

    const lat = [];
    for (let i = 0; i < rounds; i++) {
      const s = process.hrtime.bigint();
      await pool.run(i);
      lat.push(Number(process.hrtime.bigint() - s));
    }
    lat.sort((a, b) => a - b);
    console.log(`Pool_Latency/Piscina submit->result p50 ${percentile(lat, 50)} ns, ` +
                `p99 ${percentile(lat, 99)} ns`);
    await pool.destroy();
  })().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
