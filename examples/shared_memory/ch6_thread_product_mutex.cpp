// ch6_thread_product_mutex: the same product, protected by the book's mutex (Multithreaded
// JavaScript 6-8 … 6-12, ch6-mutex/mutex.js and thread-product-mutex.js).
//
// The shared Int32Array is [2, 3, 5, 7, 0]; cell 4 is the lock (bobbin::Mutex over that cell
// is the book's Mutex: compare-exchange to take it, wait/notify to sleep and wake). Inside
// mutex.exec(...), plain (non-atomic) element reads and writes do the book's read a, busy
// loop, read b, write a·b, check. The lock gives both exclusion and ordering, so the check
// never fails and ints[3] always ends at 2·3·5·7 = 210 — checked every round.
//
// Book bug fixed: the book's acquire() recurses after each wait (§12.7); bobbin::Mutex loops.
//
// Flags: --rounds N (20), --spin N (busy-loop iterations, 1,000,000 as in the book).
#include "example_support.hpp"

#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <vector>

namespace atomics = bobbin::atomics;

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(examples::flag(argc, argv, "--rounds", 20));
  const long spin = static_cast<long>(examples::flag(argc, argv, "--spin", 1'000'000));
  int good = 0;
  std::atomic<int> failed_checks{0};
  for (int round = 0; round < rounds; ++round) {
    bobbin::SharedArrayBuffer sab(5 * 4);
    bobbin::Int32Array ints(sab);
    const int start[4] = {2, 3, 5, 7};
    for (std::size_t i = 0; i < 4; ++i) ints[i] = start[i];
    std::vector<bobbin::Worker<int>> workers;
    for (std::size_t i = 0; i < 3; ++i) {
      workers.emplace_back(
          [](bobbin::SharedArrayBuffer shared, std::size_t i, long spin) {  // workerData
            bobbin::Int32Array ints(shared);
            bobbin::Mutex mutex(ints, 4);  // the same lock in every worker: the same cell
            mutex.exec([&] {
              const int a = ints[i];
              examples::busy_loop(spin);
              const int b = ints[3];
              ints[3] = a * b;
              if (ints[3] != a * b) throw std::runtime_error("AssertionError");  // the book's
            });
          },
          sab, i, spin);
      workers.back().on_error([&](std::exception_ptr) { failed_checks.fetch_add(1); });
    }
    bobbin::run();  // until the three workers have exited
    good += atomics::load(ints, 3) == 210;
  }
  const bool ok = good == rounds && failed_checks.load() == 0;
  std::printf(
      "ch6_thread_product_mutex: %d of %d rounds ended with ints[3] == 210, %d failed "
      "checks\n%s\n",
      good, rounds, failed_checks.load(),
      ok ? "ch6_thread_product_mutex: ok" : "ch6_thread_product_mutex: FAILED");
  return ok ? 0 : 1;
}
