// gol.js: the book's Game of Life in Node (Multithreaded JavaScript 5-6 … 5-17), without the
// canvas, for the Node column of docs/examples.md. The same grid and algorithm as
// examples/game_of_life: size×size cells in two generations of one buffer, cell (x, y) at
// size·x + y, a torus, B3/S23; threads: compute workers each own a band of rows and the main
// thread coordinates them with Atomics.store/notify/wait on one Int32 sync cell per worker.
// (Node's main thread may Atomics.wait, so it coordinates itself; the book needed a separate
// coordinator worker only because a browser's main thread may not wait.)
//
//   node gol.js [single|threads] [size=1000] [generations=100] [workers=2] [--seed S] [--verify]
//
// --seed S makes the first generation reproducible (a small seeded generator instead of
// Math.random); --verify then computes the same generations again on the main thread, after the
// timed run, and exits 1 unless the grids are equal (the C++ twin's --verify).
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

// mulberry32: a small seeded generator, so that --seed makes a run reproducible.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (isMainThread) {
  const argv = process.argv.slice(2);
  const seedAt = argv.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : undefined;
  const verify = argv.includes('--verify');
  const positional = argv.filter((a, k) => !a.startsWith('--') && !(seedAt >= 0 && k === seedAt + 1));
  const mode = positional[0] || 'single';
  const size = Number(positional[1] || 1000);
  const generations = Number(positional[2] || 100);
  const workers = mode === 'single' ? 1 : Number(positional[3] || 2);
  if (!['single', 'threads'].includes(mode) || !(size > 0) || !(generations >= 0) || !(workers > 0) ||
      (seed !== undefined && !Number.isFinite(seed))) {
    console.error('usage: node gol.js [single|threads] [size] [generations] [workers] [--seed S] [--verify]');
    process.exit(2);
  }
  const random = seed === undefined ? Math.random : seeded(seed);
  const syncOffset = Math.ceil(2 * size * size / 4) * 4;
  const sab = new SharedArrayBuffer(syncOffset + 4 * workers);
  const cells = new Uint8Array(sab, 0, size * size);
  for (let i = 0; i < cells.length; i++) cells[i] = random() < 0.5 ? 1 : 0;
  const initial = verify ? cells.slice() : null;
  const sync = new Int32Array(sab, syncOffset, workers);
  const report = (start) => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const last = new Uint8Array(sab, generations % 2 === 0 ? 0 : size * size, size * size);
    const alive = last.reduce((a, b) => a + b, 0);
    console.log(`gol.js: ${size}x${size}, ${generations} generations, mode ${mode}, ` +
                `${workers} worker(s), ${seconds.toFixed(3)} s ` +
                `(${(generations / seconds).toFixed(1)} generations/s), alive ${alive}`);
    if (verify) {
      // The reference: the same generations on this thread, from the saved first generation.
      const ref = new SharedArrayBuffer(2 * size * size);
      new Uint8Array(ref, 0, size * size).set(initial);
      const iterate = makeStep(size, ref);
      for (let g = 0; g < generations; g++) iterate(0, size);
      const want = new Uint8Array(ref, generations % 2 === 0 ? 0 : size * size, size * size);
      const same = want.every((v, k) => v === last[k]);
      console.log(same ? 'verify: ok (equals a single-threaded run)' : 'verify: FAILED');
      if (!same) process.exitCode = 1;
    }
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
