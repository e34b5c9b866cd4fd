// book_ch2_rpc_worker.js — the Node original of examples/book/ch2_rpc_worker.cpp: the RPC
// worker (listings 2-12 to 2-17) on worker_threads; the file is both main.js and worker.js.
// Wire format (JSON-RPC 2.0 without the jsonrpc field): request {method, params, id}, success
// {id, result}, failure {id, error: {code, message}}: -32601 "method X not found", -32000 for
// an exception thrown by the method.
//   - RpcWorker (main side): ids start at 1 (pre-increment); exec(method, ...args) records the
//     promise's resolvers under the id, posts the request and returns the promise; the message
//     listener finds the id, forgets it, and resolves or rejects.
//   - The worker: async commands that first sleep a random time (so replies arrive out of
//     order, the reason for the id map): square_sum(max), fibonacci(limit) (F(limit) by the
//     BigInt loop, as a decimal string) and bad(), which throws "oh no".
//   - main: four calls at once collected with Promise.allSettled: square_sum(1000000),
//     fibonacci(1000), fake_method(), bad().
// Checked, as in the twin: square sum 666666166.4588418; F(1000) has 209 digits, starts
// 43466557686937456435 and ends 6849228875; fake -> {-32601, "method fake_method not found"};
// bad -> {-32000, "oh no"}. Unlike the book, which never ends its worker, the program
// terminates it once all four calls have settled.
// Run: node book_ch2_rpc_worker.js
'use strict';
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { check, finish } = require('./book_support');

if (!isMainThread) {
  // worker.js
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const commands = {
    async square_sum(max) {
      await sleep(Math.random() * 100);
      let sum = 0;
      for (let i = 0; i < max; i++) sum += Math.sqrt(i);
      return sum;
    },
    async fibonacci(limit) {
      await sleep(Math.random() * 100);
      let prev = 1n, next = 0n, swap;
      while (limit) { swap = prev; prev = prev + next; next = swap; limit--; }
      return String(next); // a BigInt cannot go through JSON
    },
    async bad() {
      await sleep(Math.random() * 10);
      throw new Error('oh no');
    },
  };
  // asyncOnMessageWrap: an async handler as a message listener that posts back its result.
  const asyncOnMessageWrap = (fn) => async (msg) => parentPort.postMessage(await fn(msg));
  parentPort.on('message', asyncOnMessageWrap(async ({ method, params, id }) => {
    if (!Object.prototype.hasOwnProperty.call(commands, method)) {
      return { id, error: { code: -32601, message: `method ${method} not found` } };
    }
    try {
      const result = await commands[method](...params);
      return { id, result };
    } catch (err) {
      return { id, error: { code: -32000, message: err.message } };
    }
  }));
} else {
  // main.js
  class RpcWorker {
    constructor(path) {
      this.nextCommandId = 0;
      this.inFlightCommands = new Map();
      this.replyOrder = []; // the ids in the order their replies arrived
      this.worker = new Worker(path);
      this.worker.on('message', (msg) => this.onMessage(msg));
    }

    onMessage({ id, result, error }) {
      this.replyOrder.push(id);
      const pending = this.inFlightCommands.get(id);
      if (!pending) return;
      this.inFlightCommands.delete(id);
      if (error) pending.reject(error);
      else pending.resolve(result);
    }

    exec(method, ...args) {
      const id = ++this.nextCommandId;
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      this.inFlightCommands.set(id, { resolve, reject });
      this.worker.postMessage({ method, params: args, id });
      return promise;
    }
  }

  const worker = new RpcWorker(__filename);
  (async () => {
    const settled = await Promise.allSettled([
      worker.exec('square_sum', 1_000_000),
      worker.exec('fibonacci', 1_000),
      worker.exec('fake_method'),
      worker.exec('bad'),
    ]);
    await worker.worker.terminate(); // the book's worker would live on; end it here

    const labels = ['square sum', 'fibonacci', 'fake', 'bad'];
    const outcomes = settled.map((s, i) => {
      if (s.status === 'fulfilled') {
        console.log(`${labels[i]}: fulfilled ${s.value}`);
        return { fulfilled: true, value: String(s.value), code: 0 };
      }
      const { code = 0, message = String(s.reason) } = s.reason || {};
      console.log(`${labels[i]}: rejected {code: ${code}, message: "${message}"}`);
      return { fulfilled: false, value: message, code };
    });
    console.log(`replies arrived in id order: ${worker.replyOrder.join(' ')}`);

    check(outcomes.length === 4, 'four settled calls');
    const [sum, fib, fake, bad] = outcomes;
    check(sum.fulfilled && sum.value === '666666166.4588418', 'square sum');
    check(fib.fulfilled && fib.value.length === 209 && fib.value.startsWith('43466557686937456435') &&
              fib.value.endsWith('6849228875'),
          'F(1000): 209 digits, 43466557686937456435...6849228875');
    check(!fake.fulfilled && fake.code === -32601 && fake.value === 'method fake_method not found',
          'fake -> -32601');
    check(!bad.fulfilled && bad.code === -32000 && bad.value === 'oh no', 'bad -> -32000 oh no');
    finish('rpc worker OK');
  })().catch((err) => {
    console.log(`WRONG: ${err.message}`);
    process.exitCode = 1;
  });
}
