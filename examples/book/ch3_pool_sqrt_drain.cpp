// ch3_pool_sqrt_drain: ten million tasks with back-pressure (listings 3-13 and 3-14), on
// bobbin::ThreadPool.
//
// 3-13 submits 10,000,000 `run(i)` calls in a loop with no back-pressure; Piscina's unbounded
// queue then exhausts the JavaScript heap. 3-14 is the fix: `maxQueue: 'auto'` (max_threads²)
// and, before each `run`, if the queue is full, await the pool's next 'drain' event.
//
// What it shows: the same fix with bobbin: `max_queue = bobbin::auto_queue`, and the submit
// loop is a coroutine on the main loop that awaits `pool.drain()` whenever `queue_size()` has
// reached `max_queue()`. The loop thus never has more than max_queue tasks waiting and memory
// stays bounded. Every result is checked by a continuation (the book asserts it is a number;
// here it must equal sqrt(i) exactly), and the program checks that the queue never exceeded
// max_queue at a submit, that no `run` was rejected, and that every task completed.
// Flag: --tasks N (default 10,000,000 as in the book; the smoke run uses fewer).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "book_support.hpp"

namespace {

struct Tally {
  std::uint64_t fulfilled = 0;
  std::uint64_t wrong = 0;
  std::uint64_t rejected = 0;
  std::size_t max_queue_seen = 0;
  std::uint64_t drains = 0;
};

bobbin::Async<void> submit_all(bobbin::ThreadPool& piscina, std::uint64_t tasks, Tally& tally) {
  for (std::uint64_t i = 0; i < tasks; ++i) {
    if (piscina.queue_size() >= piscina.max_queue()) {  // the book: queueSize === maxQueue
      ++tally.drains;
      co_await piscina.drain();
    }
    tally.max_queue_seen = std::max(tally.max_queue_seen, piscina.queue_size());
    const double x = static_cast<double>(i);
    piscina.run([](double num) { return std::sqrt(num); }, x)
        .then([&tally, x](double result) {
          if (result == std::sqrt(x)) {
            ++tally.fulfilled;
          } else {
            ++tally.wrong;
          }
        })
        .catch_error([&tally](std::exception_ptr) { ++tally.rejected; });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto tasks = static_cast<std::uint64_t>(book::flag(argc, argv, "--tasks", 10'000'000));
  bobbin::ThreadPool piscina({.max_queue = bobbin::auto_queue});
  book::say("tasks " + std::to_string(tasks) + ", threads " + std::to_string(piscina.threads()) +
            " (max " + std::to_string(static_cast<std::size_t>(std::sqrt(static_cast<double>(piscina.max_queue())))) +
            "), max_queue " + std::to_string(piscina.max_queue()));
  Tally tally;
  const auto t0 = std::chrono::steady_clock::now();
  (void)submit_all(piscina, tasks, tally);
  bobbin::run();
  const double ms = book::ms_since(t0);

  book::say("completed " + std::to_string(tally.fulfilled) + " in " + std::to_string(static_cast<long long>(ms)) +
            " ms; waited for drain " + std::to_string(tally.drains) + " times; largest queue at a submit " +
            std::to_string(tally.max_queue_seen));
  book::check(tally.fulfilled == tasks, "every task completed with sqrt(i)");
  book::check(tally.wrong == 0 && tally.rejected == 0, "no wrong result, no rejection");
  book::check(tally.max_queue_seen <= piscina.max_queue(), "the queue never exceeded max_queue");
  return book::finish("pool drain OK");
}
