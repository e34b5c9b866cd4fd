// ch6_thread_product: the race the book shows on purpose (Multithreaded JavaScript 6-7,
// ch6-mutex/thread-product.js).
//
// A shared Int32Array holds [2, 3, 5, 7]. Three workers i = 0, 1, 2 each do, with atomics:
//   a = load(ints, i); busy loop (meant to widen the race); b = load(ints, 3);
//   store(ints, 3, a * b); check load(ints, 3) == a * b
// Each call is atomic; the sequence is not. Two threads can read the same b, and one product
// overwrites the other (a "lost update"): the result can be 14, 21, 35, 42, 70 or 105
// instead of 2·3·5·7 = 210, and a thread's check can fail because another thread stored in
// between. The book lets that AssertionError (an error thrown in the worker, reported to the
// main thread) crash the program; this port catches it with on_error, runs several rounds
// and counts both outcomes honestly, first in the book's order, then with the busy loop moved
// into the window that matters (see main). It cannot assert that the race happens (on an idle
// machine it may never show; a start gate lets the three threads begin together, which makes
// it likely), so it exits 0 and prints the tally; ch6_thread_product_mutex
// is the fixed version, which does check 210.
//
// Flags: --rounds N (20), --spin N (busy-loop iterations, 1,000,000 as in the book).
#include "example_support.hpp"

#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <stdexcept>
#include <vector>

namespace atomics = bobbin::atomics;

int main(int argc, char** argv) {
  const int rounds = static_cast<int>(examples::flag(argc, argv, "--rounds", 20));
  const long spin = static_cast<long>(examples::flag(argc, argv, "--spin", 1'000'000));
  // Phase 1 is the book's order (spin between the two loads); the window that loses updates is
  // then only the few instructions between load(ints, 3) and store(ints, 3), so losses are
  // rare. Phase 2 moves the spin between load(ints, 3) and the store, which makes the same
  // race show far more often (how often depends on the machine and its load).
  for (const bool widened : {false, true}) {
    std::map<int, int> finals;  // final product -> rounds
    int failed_checks = 0;      // the book's AssertionErrors
    for (int round = 0; round < rounds; ++round) {
      bobbin::SharedArrayBuffer sab(5 * 4);  // [2, 3, 5, 7] and a start gate in cell 4
      bobbin::Int32Array ints(sab);
      const int start[4] = {2, 3, 5, 7};
      for (std::size_t i = 0; i < 4; ++i) atomics::store(ints, i, start[i]);
      std::vector<bobbin::Worker<int>> workers;
      for (std::size_t i = 0; i < 3; ++i) {
        // workerData {i, shared}, as in the book.
        workers.emplace_back(
            [](bobbin::SharedArrayBuffer shared, std::size_t i, long spin, bool widened) {
              bobbin::Int32Array ints(shared);
              atomics::wait(ints, 4, 0);  // start together (the book's start ~together too)
              const int a = atomics::load(ints, i);
              if (!widened) examples::busy_loop(spin);
              const int b = atomics::load(ints, 3);
              if (widened) examples::busy_loop(spin);
              atomics::store(ints, 3, a * b);
              if (atomics::load(ints, 3) != a * b) {  // the book's assert.strictEqual
                throw std::runtime_error("AssertionError: another worker stored in between");
              }
            },
            sab, i, spin, widened);
        // The book lets the worker's error crash the main thread; here it is counted.
        workers.back().on_error([&](std::exception_ptr) { ++failed_checks; });
      }
      atomics::store(ints, 4, 1);
      atomics::notify(ints, 4);
      bobbin::run();  // until the three workers have exited
      ++finals[atomics::load(ints, 3)];
    }
    std::printf("%s: %d rounds, final ints[3]:", widened ? "spin after load(b)" : "book's order",
                rounds);
    for (const auto& [value, count] : finals) std::printf(" %d (x%d)", value, count);
    const int lost = rounds - (finals.count(210) != 0 ? finals[210] : 0);
    std::printf(
        "\n  rounds with a lost update: %d, failed checks (the book's AssertionError): %d\n", lost,
        failed_checks);
  }
  std::puts(
      "ch6_thread_product: done (nondeterministic; see ch6_thread_product_mutex for the fix)");
  return 0;
}
