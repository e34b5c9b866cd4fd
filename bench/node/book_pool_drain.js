// Node original of examples/book/ch3_pool_sqrt_drain (listing 3-14): Piscina with
// maxQueue 'auto', awaiting 'drain' whenever the queue is full, then run(i) -> Math.sqrt(i).
// Usage: node book_pool_drain.js [tasks=10000000]. Prints the time and the completed count.
'use strict';
const { Piscina, isWorkerThread } = require('piscina');
const assert = require('assert');

if (!isWorkerThread) {
  const tasks = Number(process.argv[2] || 10_000_000);
  const piscina = new Piscina({ filename: __filename, maxQueue: 'auto' });
  (async () => {
    const t0 = process.hrtime.bigint();
    let done = 0;
    for (let i = 0; i < tasks; i++) {
      // The book awaits piscina's 'drain' event here. With piscina 5 that event did not come
      // (the process then exits with nothing left to keep it alive), so this waits for the
      // queue to have room by checking once per loop turn.
      while (piscina.queueSize >= piscina.options.maxQueue) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      piscina.run(i).then((squareRootOfI) => {
        assert.ok(typeof squareRootOfI === 'number');
        done++;
      });
    }
    await new Promise((resolve) => {  // until every continuation has run
      const check = () => (done === tasks ? resolve() : setImmediate(check));
      check();
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`completed ${done} of ${tasks} tasks in ${ms.toFixed(0)} ms ` +
                `(threads ${piscina.threads.length}, maxQueue ${piscina.options.maxQueue})`);
    await piscina.destroy();
  })();
}

module.exports = (num) => Math.sqrt(num);
