// happycoin.js: the book's Happycoin in Node (Multithreaded JavaScript 3-7 … 3-11, 7-5, 7-6),
// for the Node column of docs/examples.md. The same algorithm as examples/happycoin: BigInt
// arithmetic, crypto random 64-bit draws, the happy test before the divisibility test.
//
//   node happycoin.js [single|threads|batch] [iterations=10000000] [threads=4]
//
// single:  one thread (3-7 … 3-9).  threads: N worker_threads, each coin posted to the main
// thread as found, then 'done' (3-10, 3-11).  batch: N worker_threads, each posting the whole
// array of its coins (BigInt) once (7-5, 7-6, whose workers get the array from WASM; here the
// loop is plain JS); the main thread prints each batch as it arrives and checks that it got N
// batches of multiples of 10000 (exit 1 otherwise). Prints the coins, "count N" and one summary
// line.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const { random64, isHappycoin } = require('./happycoin-core');  // the book's test

if (isMainThread) {
  const mode = process.argv[2] || 'single';
  const iterations = Number(process.argv[3] || 10_000_000);
  const threads = mode === 'single' ? 1 : Number(process.argv[4] || 4);
  const start = process.hrtime.bigint();
  const finish = (count) => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stdout.write(`\ncount ${count}\n`);
    console.log(`happycoin.js: mode ${mode}, ${iterations} draws on ${threads} thread(s) in ` +
                `${seconds.toFixed(3)} s (${(iterations / seconds / 1e6).toFixed(2)} M draws/s)`);
  };
  if (mode === 'single') {
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      const randomNum = random64();
      if (isHappycoin(randomNum)) {
        process.stdout.write(randomNum.toString() + ' ');
        count++;
      }
    }
    finish(count);
  } else if (mode === 'batch') {
    let batches = 0;
    let count = 0;
    for (let k = 0; k < threads; k++) {
      const share =
        Math.floor(iterations * (k + 1) / threads) - Math.floor(iterations * k / threads);
      const worker = new Worker(__filename, { workerData: { batch: share } });
      worker.on('message', (coins) => {
        count += coins.length;
        if (!coins.every((c) => typeof c === 'bigint' && c % 10000n === 0n)) {
          console.error('happycoin.js: a batch holds a number that is not a Happycoin');
          process.exitCode = 1;
        }
        process.stdout.write(coins.map((c) => c.toString() + ' ').join(''));
        if (++batches === threads) finish(count);
      });
    }
    process.on('exit', () => {
      if (batches !== threads) {
        console.error(`happycoin.js: ${batches} batches for ${threads} workers`);
        process.exitCode = 1;
      }
    });
  } else {
    let inFlight = threads;
    let count = 0;
    for (let k = 0; k < threads; k++) {
      const share = Math.floor(iterations * (k + 1) / threads) - Math.floor(iterations * k / threads);
      const worker = new Worker(__filename, { workerData: share });
      worker.on('message', (msg) => {
        if (msg === 'done') {
          if (--inFlight === 0) finish(count);
        } else if (typeof msg === 'bigint') {
          process.stdout.write(msg.toString() + ' ');
          count++;
        }
      });
    }
  }
} else if (typeof workerData === 'object') {  // batch: all the coins in one message
  const coins = [];
  for (let i = 0; i < workerData.batch; i++) {
    const randomNum = random64();
    if (isHappycoin(randomNum)) coins.push(randomNum);
  }
  parentPort.postMessage(coins);
} else {
  for (let i = 0; i < workerData; i++) {
    const randomNum = random64();
    if (isHappycoin(randomNum)) parentPort.postMessage(randomNum);
  }
  parentPort.postMessage('done');
}
