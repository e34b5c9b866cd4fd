// ch4_atomics_ops: each Atomics data method of chapter 4 ("Atomic methods for data
// manipulation") on a shared Int32Array / Uint8Array, with the value the book expects.
//
// add, sub, bit_and, bit_or, bit_xor and exchange return the OLD value; compare_exchange
// writes only when the element equals `expected` and always returns the old value; store
// returns the value given, not the wrapped element (store 999 into a Uint8Array: returns 999,
// the element becomes 231); is_lock_free is true for 4 bytes by specification. The last part
// is the chapter's "atomicity concerns": load-then-store from two threads loses updates,
// one add each does not.
#include <bobbin/bobbin.hpp>

#include <cstdint>
#include <cstdio>
#include <thread>

namespace atomics = bobbin::atomics;

int main() {
  bool ok = true;
  auto expect = [&](const char* what, long long got, long long want) {
    std::printf("%-44s -> %lld\n", what, got);
    if (got != want) {
      std::printf("  expected %lld\n", want);
      ok = false;
    }
  };

  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array ints(sab);
  bobbin::Uint8Array bytes(sab, 8, 4);  // aliasing the same buffer at byte 8

  expect("store(ints, 0, 5)", atomics::store(ints, 0, 5), 5);
  expect("add(ints, 0, 2)       returns old", atomics::add(ints, 0, 2), 5);
  expect("load(ints, 0)", atomics::load(ints, 0), 7);
  expect("sub(ints, 0, 2)       returns old", atomics::sub(ints, 0, 2), 7);
  expect("bit_and(ints, 0, 3)   returns old (5&3)", atomics::bit_and(ints, 0, 3), 5);
  expect("  now 5 & 3", atomics::load(ints, 0), 1);
  atomics::store(ints, 0, 5);
  expect("bit_or(ints, 0, 3)    returns old (5|3)", atomics::bit_or(ints, 0, 3), 5);
  expect("  now 5 | 3", atomics::load(ints, 0), 7);
  atomics::store(ints, 0, 5);
  expect("bit_xor(ints, 0, 3)   returns old (5^3)", atomics::bit_xor(ints, 0, 3), 5);
  expect("  now 5 ^ 3", atomics::load(ints, 0), 6);
  expect("exchange(ints, 0, 42) returns old", atomics::exchange(ints, 0, 42), 6);
  expect("compare_exchange(ints, 0, 1, 9)  no match", atomics::compare_exchange(ints, 0, 1, 9), 42);
  expect("  still", atomics::load(ints, 0), 42);
  expect("compare_exchange(ints, 0, 42, 9) match", atomics::compare_exchange(ints, 0, 42, 9), 42);
  expect("  now", atomics::load(ints, 0), 9);
  expect("store(bytes, 0, 999)  returns the value", atomics::store(bytes, 0, 999), 999);
  expect("  element wraps to 999 mod 256", atomics::load(bytes, 0), 231);
  expect("is_lock_free(4)", atomics::is_lock_free(4), 1);
  std::printf("is_lock_free(1, 2, 8) on this machine: %d %d %d\n", atomics::is_lock_free(1),
              atomics::is_lock_free(2), atomics::is_lock_free(8));

  // Atomicity concerns: each call is atomic, a sequence of calls is not.
  constexpr int kRounds = 200000;
  auto race = [&](bool atomic_add) {
    atomics::store(ints, 1, 0);
    auto body = [ints, atomic_add] {
      for (int i = 0; i < kRounds; ++i) {
        if (atomic_add) {
          atomics::add(ints, 1, 1);
        } else {
          atomics::store(ints, 1, atomics::load(ints, 1) + 1);  // read, compute, write: racy
        }
      }
    };
    std::thread a(body), b(body);
    a.join();
    b.join();
    return atomics::load(ints, 1);
  };
  const int racy = race(false);
  std::printf("load+store from 2 threads x %d: %d (updates lost: %d; may be 0 on a quiet run)\n",
              kRounds, racy, 2 * kRounds - racy);
  expect("add from 2 threads (never loses one)", race(true), 2 * kRounds);

  std::puts(ok ? "ch4_atomics_ops: ok" : "ch4_atomics_ops: FAILED");
  return ok ? 0 : 1;
}
