// notes_shared_memory.js — the Node original of examples/notes/notes_shared_memory.cpp: the note's
// SharedMemoryManager (main.js and shared-memory-worker.js, section "SharedArrayBuffer를 활용한
// 메모리 공유"). Two workers get the shared buffer as workerData; the main thread writes 100 and
// 200 into cells 0 and 1, worker 1 adds one to cells [0, 50), worker 2 to [50, 100), each with
// Atomics.load + Atomics.store and a 1 ms Atomics.wait on every tenth cell. Final memory: cell 0
// is 101, cell 1 is 201, every other cell 1 (sum 400).
// As in the C++ twin, the manager takes a count of cells (the note's `new SharedArrayBuffer(100)`
// is 100 bytes, 25 cells, so its workers would throw a RangeError), and the note's wait returns
// "not-equal" at once (the cell was just changed); --really-wait 1 waits on the new value instead
// (a real 1 ms pause per tenth cell).
// flag comes from notes_support.js.
// Run: node notes_shared_memory.js [--really-wait 1]
'use strict';
const { Worker, isMainThread, parentPort, workerData, threadId } = require('worker_threads');
const { flag } = require('./notes_support');

if (!isMainThread) {
  // shared-memory-worker.js
  const sharedArray = new Int32Array(workerData.sharedBuffer);
  const processSharedMemory = (startIndex, endIndex) => {
    console.log(`  [worker ${threadId}] processing cells ${startIndex} to ${endIndex}`);
    const waits = { notEqual: 0, timedOut: 0 };
    for (let i = startIndex; i < endIndex; i++) {
      const currentValue = Atomics.load(sharedArray, i);
      Atomics.store(sharedArray, i, currentValue + 1);
      if (i % 10 === 0) {  // "processing delay": wait up to 1 ms
        const expected = workerData.reallyWait ? currentValue + 1 : currentValue;
        if (Atomics.wait(sharedArray, i, expected, 1) === 'not-equal') waits.notEqual++;
        else waits.timedOut++;
      }
    }
    return waits;
  };
  parentPort.on('message', (data) => {
    try {
      const { action, startIndex, endIndex } = data;
      if (action === 'process') {
        const waits = processSharedMemory(startIndex, endIndex);
        parentPort.postMessage({
          type: 'completed', workerId: threadId, processedRange: { startIndex, endIndex }, waits,
        });
      }
    } catch (error) {
      parentPort.postMessage({ type: 'error', error: error.message });
    }
    parentPort.close();  // one job each: the worker may end
  });
} else {
  // main.js
  class SharedMemoryManager {
    constructor(cells = 256, reallyWait = false) {
      this.sharedBuffer = new SharedArrayBuffer(cells * Int32Array.BYTES_PER_ELEMENT);
      this.sharedArray = new Int32Array(this.sharedBuffer);
      this.reallyWait = reallyWait;
      this.workers = [];
    }

    createWorker(workerScript) {
      const worker = new Worker(workerScript, {
        workerData: {
          sharedBuffer: this.sharedBuffer,
          bufferSize: this.sharedArray.length,
          reallyWait: this.reallyWait,
        },
      });
      this.workers.push(worker);
      return worker;
    }

    writeToSharedMemory(index, value) {
      if (index >= 0 && index < this.sharedArray.length) {
        Atomics.store(this.sharedArray, index, value);
        return true;
      }
      return false;
    }

    readFromSharedMemory(index) {
      if (index >= 0 && index < this.sharedArray.length) return Atomics.load(this.sharedArray, index);
      return null;
    }

    shutdown() {
      return Promise.all(this.workers.map((worker) => worker.terminate()));
    }

    // Prints the non-zero cells, runs of equal values on one line (as the C++ twin).
    printSharedMemory() {
      console.log('  shared memory:');
      const n = this.sharedArray.length;
      for (let i = 0; i < n;) {
        const v = Atomics.load(this.sharedArray, i);
        let j = i + 1;
        while (j < n && Atomics.load(this.sharedArray, j) === v) j++;
        if (v !== 0) console.log(j - i === 1 ? `    [${i}]: ${v}` : `    [${i}..${j - 1}]: ${v}`);
        i = j;
      }
    }

    sum() {
      let s = 0;
      for (let i = 0; i < this.sharedArray.length; i++) s += Atomics.load(this.sharedArray, i);
      return s;
    }
  }

  (async () => {
    const memoryManager = new SharedMemoryManager(100, flag('--really-wait', 0) !== 0);
    const worker1 = memoryManager.createWorker(__filename);
    const worker2 = memoryManager.createWorker(__filename);

    memoryManager.writeToSharedMemory(0, 100);
    memoryManager.writeToSharedMemory(1, 200);
    console.log('initial shared memory:');
    memoryManager.printSharedMemory();

    let completedWorkers = 0;
    let errors = false;
    await new Promise((resolve) => {
      const onReply = (n) => (msg) => {
        if (msg.type === 'completed') {
          const { startIndex, endIndex } = msg.processedRange;
          console.log(`  worker ${n} completed cells ${startIndex}..${endIndex - 1} ` +
                      `(waits: ${msg.waits.notEqual} not-equal, ${msg.waits.timedOut} timed-out)`);
          completedWorkers++;
        } else {
          console.log(`  worker ${n} error: ${msg.error}`);
          errors = true;
        }
        if (completedWorkers === 2 || errors) resolve();
      };
      worker1.on('message', onReply(1));
      worker2.on('message', onReply(2));
      worker1.on('error', (e) => { console.log(`  worker 1 error: ${e.message}`); errors = true; resolve(); });
      worker2.on('error', (e) => { console.log(`  worker 2 error: ${e.message}`); errors = true; resolve(); });
      worker1.postMessage({ action: 'process', startIndex: 0, endIndex: 50 });
      worker2.postMessage({ action: 'process', startIndex: 50, endIndex: 100 });
    });

    console.log('final shared memory:');
    memoryManager.printSharedMemory();
    await memoryManager.shutdown();

    let ok = completedWorkers === 2 && !errors && memoryManager.sum() === 400 &&
             memoryManager.readFromSharedMemory(0) === 101 &&
             memoryManager.readFromSharedMemory(1) === 201 &&
             memoryManager.readFromSharedMemory(100) === null;
    for (let i = 2; i < 100; i++) ok = ok && memoryManager.readFromSharedMemory(i) === 1;
    console.log(`sum of the cells: ${memoryManager.sum()} (expected 400)`);
    console.log(ok ? 'shared memory OK' : 'shared memory WRONG');
    process.exitCode = ok ? 0 : 1;
  })();
}
