// Node original of examples/book/ch8_memory_overhead (the book's ch8-memory-overhead
// leader.js/worker.js): start N idle workers in batches 1, 2, 4, ... N and print the RSS added
// per worker (process.memoryUsage().rss), then end them.
// Usage: node book_memory_overhead.js [N=64]
'use strict';
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const n = Number(process.argv[2] || 64);
  console.log(`PID: ${process.pid}, ADD THREADS: ${n}`);
  const kb = () => Math.round(process.memoryUsage().rss / 1024);
  const rss0 = kb();
  console.log(`workers 0: rss ${rss0} kB`);
  const workers = [];
  (async () => {
    for (let target = 1; ; target = Math.min(target * 2, n)) {
      while (workers.length < target) {
        const w = new Worker(__filename);
        workers.push(new Promise((resolve) => w.once('message', () => resolve(w))));
      }
      const started = await Promise.all(workers);
      const rss = kb();
      console.log(`workers ${target}: rss ${rss} kB, ${Math.round((rss - rss0) / target)} kB per worker`);
      if (target === n) {
        await Promise.all(started.map((w) => w.terminate()));
        break;
      }
    }
  })();
} else {
  parentPort.postMessage(`WPID: ${process.pid}`);
  parentPort.on('message', () => {});  // idle (the book uses a 1-hour timer)
}
