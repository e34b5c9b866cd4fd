// Node original of examples/book/ch2_dispatch and ch2_rpc_worker (listings 2-11 to 2-17),
// without the random sleeps: the two commands timed on the main thread, square_sum(1000000)
// and fibonacci(1000) (BigInt), as the dispatch table calls them.
// Usage: node book_rpc_worker.js [rounds=20]
'use strict';
const commands = {
  square_sum(max) {
    let sum = 0;
    for (let i = 0; i < max; i++) sum += Math.sqrt(i);
    return sum;
  },
  fibonacci(limit) {
    let prev = 1n, next = 0n, swap;
    while (limit) { swap = prev; prev = prev + next; next = swap; limit--; }
    return String(next);
  },
};
function dispatch(method, ...args) {
  if (Object.prototype.hasOwnProperty.call(commands, method)) return commands[method](...args);
  throw new TypeError(`command ${method} is not defined`);
}
const rounds = Number(process.argv[2] || 20);
for (const [method, arg] of [['square_sum', 1_000_000], ['fibonacci', 1000]]) {
  let result;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) result = dispatch(method, arg);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / rounds;
  console.log(`${method}(${arg}) = ${String(result).slice(0, 20)}${String(result).length > 20 ? '…' : ''}: ${us.toFixed(0)} us per call`);
}
