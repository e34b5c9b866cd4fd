// book_rpc_worker.js — the Node original of examples/book/ch2_dispatch.cpp: the table of named
// commands (listing 2-11; the commands of the RPC worker, listings 2-12 to 2-17, whose own
// Node original is book_ch2_rpc_worker.js), without the random sleeps. square_sum(max) =
// Σ √i for i in [0, max); fibonacci(limit) = F(limit) by the book's BigInt loop, as a decimal
// string; dispatch calls a command only if the table has it as an own property (so inherited
// names such as toString are refused) and otherwise throws a TypeError.
// Checked, as in the twin: square_sum(1000000) = 666666166.4588418; F(1000) has 209 digits,
// starts 43466557686937456435 and ends 6849228875; F(10) = 55; "toString" and "fake_method"
// throw TypeError. Then it times each command (--rounds N calls each, N = 1 by default as in the
// twin; a bare number is taken as N too) and prints the time per call.
// Run: node book_rpc_worker.js [--rounds 1]
'use strict';
const { flag, check, finish } = require('./book_support');

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

const rounds = flag('--rounds', Number(process.argv[2] || 1));

const sum = String(dispatch('square_sum', 1_000_000));
console.log(`square_sum(1000000) = ${sum}`);
check(sum === '666666166.4588418', 'square_sum(1000000) = 666666166.4588418');

const fib = dispatch('fibonacci', 1000);
console.log(`fibonacci(1000) = ${fib}`);
console.log(`  (${fib.length} digits)`);
check(fib.length === 209, 'F(1000) has 209 digits');
check(fib.startsWith('43466557686937456435'), 'F(1000) starts 43466557686937456435');
check(fib.endsWith('6849228875'), 'F(1000) ends 6849228875');
check(dispatch('fibonacci', 10) === '55', 'F(10) = 55');

for (const name of ['toString', 'fake_method']) {
  try {
    dispatch(name, 0);
    check(false, `${name} must not dispatch`);
  } catch (err) {
    check(err instanceof TypeError, `${name} throws a TypeError`);
    console.log(`${err.name}: ${err.message}`);
  }
}

// Time per call (compare with ch2_dispatch --rounds N; noisy).
for (const [method, arg] of [['square_sum', 1_000_000], ['fibonacci', 1000]]) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) sink += String(dispatch(method, arg)).length;
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / rounds;
  console.log(`${method}: ${us.toFixed(0)} us per call`);
  check(sink > 0, `${method} returned text`);
}

finish('dispatch OK');
