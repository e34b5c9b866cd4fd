// happycoin-piscina.js: the book's Happycoin on a Piscina pool (Multithreaded JavaScript
// 3-15 … 3-17), for comparison with `happycoin --mode pool`. The same file is the pool owner
// and the task module; each task mines its share of the draws and returns its coins batched in
// one result ({total, happycoins}), printed as each task settles.
//
//   node happycoin-piscina.js [iterations=10000000] [threads=4]
'use strict';
const { Piscina } = require('piscina');

const { random64, isHappycoin } = require('./happycoin-core');  // the book's test

if (!Piscina.isWorkerThread) {
  const iterations = Number(process.argv[2] || 10_000_000);
  const threads = Number(process.argv[3] || 4);
  const piscina = new Piscina({ filename: __filename, minThreads: threads, maxThreads: threads });
  const start = process.hrtime.bigint();
  let done = 0;
  let count = 0;
  for (let k = 0; k < threads; k++) {
    const draws = Math.floor(iterations * (k + 1) / threads) - Math.floor(iterations * k / threads);
    (async () => {
      const { total, happycoins } = await piscina.run(draws);
      process.stdout.write(happycoins);
      count += total;
      if (++done === threads) {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        console.log('\ncount', count);
        console.log(`happycoin-piscina.js: ${iterations} draws on ${threads} thread(s) in ` +
                    `${seconds.toFixed(3)} s (${(iterations / seconds / 1e6).toFixed(2)} M draws/s)`);
        piscina.destroy();
      }
    })();
  }
}

module.exports = (draws) => {
  let happycoins = '';
  let total = 0;
  for (let i = 0; i < draws; i++) {
    const randomNum = random64();
    if (isHappycoin(randomNum)) {
      happycoins += randomNum.toString() + ' ';
      total++;
    }
  }
  return { total, happycoins };
};
