// gol.js: the book's Game of Life in Node (Multithreaded JavaScript 5-6 … 5-17), without the
// canvas, for the Node column of docs/examples.md. The same grid and algorithm as
// examples/game_of_life: size×size cells in two generations of one buffer, cell (x, y) at
// size·x + y, a torus, B3/S23; threads: compute workers each own a band of rows and the main
// thread coordinates them with Atomics.store/notify/wait on one Int32 sync cell per worker.
// (Node's main thread may Atomics.wait, so it coordinates itself; the book needed a separate
// coordinator worker only because a browser's main thread may not wait.)
//
//   node gol.js [single|threads] [size=1000] [generations=100] [workers=2]
'use strict';
const { Worker, isMainThread, workerData } = require('worker_threads');

function makeStep(size, sab) {
  let cells = new Uint8Array(sab, 0, size * size);
  let nextCells = new Uint8Array(sab, size * size, size * size);
  return function iterate(minX, maxX) {
    for (let x = minX; x < maxX; x++) {
      const up = (x === 0 ? size - 1 : x - 1) * size;
      const mid = x * size;
      const down = (x + 1 === size ? 0 : x + 1) * size;
      for (let y = 0; y < size; y++) {
        const l = y === 0 ? size - 1 : y - 1;
        const r = y + 1 === size ? 0 : y + 1;
        const alive = cells[up + l] + cells[up + y] + cells[up + r] + cells[mid + l] +
                      cells[mid + r] + cells[down + l] + cells[down + y] + cells[down + r];
        nextCells[mid + y] = alive === 3 || (alive === 2 && cells[mid + y] === 1) ? 1 : 0;
      }
    }
    [cells, nextCells] = [nextCells, cells];
  };
}

if (isMainThread) {
  const mode = process.argv[2] || 'single';
  const size = Number(process.argv[3] || 1000);
  const generations = Number(process.argv[4] || 100);
  const workers = mode === 'single' ? 1 : Number(process.argv[5] || 2);
  const syncOffset = Math.ceil(2 * size * size / 4) * 4;
  const sab = new SharedArrayBuffer(syncOffset + 4 * workers);
  const cells = new Uint8Array(sab, 0, size * size);
  for (let i = 0; i < cells.length; i++) cells[i] = Math.random() < 0.5 ? 1 : 0;
  const sync = new Int32Array(sab, syncOffset, workers);
  const report = (start) => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const last = new Uint8Array(sab, generations % 2 === 0 ? 0 : size * size, size * size);
    const alive = last.reduce((a, b) => a + b, 0);
    console.log(`gol.js: ${size}x${size}, ${generations} generations, mode ${mode}, ` +
                `${workers} worker(s), ${seconds.toFixed(3)} s ` +
                `(${(generations / seconds).toFixed(1)} generations/s), alive ${alive}`);
  };
  if (mode === 'single') {
    const iterate = makeStep(size, sab);
    const start = process.hrtime.bigint();
    for (let g = 0; g < generations; g++) iterate(0, size);
    report(start);
  } else {
    let online = 0;
    const pool = [];
    for (let i = 0; i < workers; i++) {
      const w = new Worker(__filename, { workerData: { sab, size, i, workers, syncOffset } });
      pool.push(w);
      w.on('online', () => {
        if (++online < workers) return;
        const start = process.hrtime.bigint();
        for (let g = 0; g < generations; g++) {
          for (let k = 0; k < workers; k++) { Atomics.store(sync, k, 1); Atomics.notify(sync, k); }
          for (let k = 0; k < workers; k++) {
            while (Atomics.load(sync, k) === 1) Atomics.wait(sync, k, 1);
          }
        }
        report(start);
        for (let k = 0; k < workers; k++) { Atomics.store(sync, k, 2); Atomics.notify(sync, k); }
      });
    }
  }
} else {
  const { sab, size, i, workers, syncOffset } = workerData;
  const sync = new Int32Array(sab, syncOffset, workers);
  const iterate = makeStep(size, sab);
  const first = Math.floor(size * i / workers);
  const last = Math.floor(size * (i + 1) / workers);
  for (;;) {
    Atomics.wait(sync, i, 0);
    if (Atomics.load(sync, i) === 2) break;
    iterate(first, last);
    Atomics.store(sync, i, 0);
    Atomics.notify(sync, i);
  }
}
