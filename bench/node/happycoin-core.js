// happycoin-core.js: the book's Happycoin test (Multithreaded JavaScript 3-7 … 3-9), shared by
// happycoin.js and happycoin-piscina.js. The same algorithm as examples/happycoin: BigInt
// arithmetic, crypto random 64-bit draws, the happy test before the divisibility test.
'use strict';
const crypto = require('crypto');

const big64arr = new BigUint64Array(1);
function random64() {
  crypto.randomFillSync(big64arr);
  return big64arr[0];
}

function sumDigitsSquared(num) {
  let total = 0n;
  while (num > 0n) {
    const numModBase = num % 10n;
    total += numModBase ** 2n;
    num = num / 10n;
  }
  return total;
}

function isHappy(num) {
  while (num != 1n && num != 4n) num = sumDigitsSquared(num);
  return num === 1n;
}

function isHappycoin(num) {
  return isHappy(num) && num % 10000n === 0n;
}

module.exports = { random64, isHappycoin };
