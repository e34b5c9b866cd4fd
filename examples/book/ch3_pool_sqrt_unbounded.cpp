// ch3_pool_sqrt_unbounded: a million tasks or more with no back-pressure (listing 3-13), on
// bobbin::ThreadPool.
//
// The book's 3-13 calls `piscina.run(i)` 10,000,000 times in a plain loop, each with a `.then`
// that asserts the result is a number. Piscina's queue is unbounded by default, so the loop
// piles up millions of queued tasks and pending promises and Node dies with "JavaScript heap
// out of memory". (3-14, ch3_pool_sqrt_drain, is the fix: a bounded queue and awaiting 'drain'.)
//
// What it shows, in two runs of the same loop:
//   1. The book's loop on a pool with the default, unbounded `max_queue`: nothing stops the
//      loop, the queue grows while the pool's threads work through it, and every task and its
//      continuation are held in memory until the loop returns to the event loop. C++ has no
//      heap limit, so the program does not crash: it prints the largest `queue_size()` seen at
//      a submit and the resident memory (VmRSS, and the peak VmHWM, from /proc/self/status)
//      before, at the end of the loop and after every continuation ran, and the growth per
//      task. The cost is the same as in Node, memory in proportion to the backlog; only the
//      limit differs. Most of it is not the pool's queue (the threads keep it to a fraction of
//      the tasks) but the settled promises whose continuations wait for the main loop, which
//      runs only after the loop: about 680 bytes per task, some 6.5 GB for ten million.
//   2. The same loop on a pool with `max_queue = bobbin::auto_queue` (max_threads², Piscina's
//      'auto') and no drain: `run()` never throws and never blocks; once the queue is full it
//      returns a promise rejected with `bobbin::QueueFullError`. To make the count exact, every
//      pool thread is first given a task that waits until the loop is over (without it, how many
//      tasks the threads finish during the loop would depend on timing): exactly max_queue
//      tasks are accepted, the other N − max_queue are rejected, each with a QueueFullError.
// Checked: run 1 completes every task with sqrt(i) and none is rejected; run 2 fulfils
// exactly min(N, max_queue) tasks and rejects the rest, each with QueueFullError.
// Flag: --tasks N (default 1,000,000, which peaks at about 0.9 GB; the book's 10,000,000 peaks at
// about 9 GB: 6.5 GB in run 1, and run 2 holds its rejected promises; the smoke run uses fewer).
// No Node original: in Node this listing only runs out of memory (the book shows the crash);
// bench/node/book_pool_drain.js is the Node original of the fixed program, 3-14.
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <typeinfo>

#include "book_support.hpp"

namespace {

std::string mb(long long kb) {
  if (kb < 0) return "n/a";
  return std::to_string(kb / 1024) + " MB";
}

// The JavaScript name of a rejection's error ("QueueFullError", ...).
std::string error_name(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const bobbin::Error& e) {
    return e.name();
  } catch (const std::exception& e) {
    return typeid(e).name();
  } catch (...) {
    return "unknown";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto tasks = static_cast<std::uint64_t>(book::flag(argc, argv, "--tasks", 1'000'000));
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());

  // ---- 1. the book's loop: unbounded queue, no back-pressure ----
  {
    std::uint64_t fulfilled = 0;
    std::uint64_t wrong = 0;
    std::uint64_t rejected = 0;
    std::size_t peak_queue = 0;
    const long long rss_before = book::proc_status("VmRSS");
    const auto t0 = std::chrono::steady_clock::now();
    {
      bobbin::ThreadPool piscina;  // the defaults: max_queue unbounded, threads = cores
      for (std::uint64_t i = 0; i < tasks; ++i) {
        const double x = static_cast<double>(i);
        piscina.run([](double num) { return std::sqrt(num); }, x)
            .then([&fulfilled, &wrong, x](double result) {  // the book asserts a number
              if (result == std::sqrt(x)) {
                ++fulfilled;
              } else {
                ++wrong;
              }
            })
            .catch_error([&rejected](std::exception_ptr) { ++rejected; });
        peak_queue = std::max(peak_queue, piscina.queue_size());
      }
      const long long rss_loop = book::proc_status("VmRSS");
      book::say("unbounded: submitted " + std::to_string(tasks) + " tasks in " +
                std::to_string(static_cast<long long>(book::ms_since(t0))) +
                " ms; largest queue_size at a submit " + std::to_string(peak_queue) + "; VmRSS " +
                mb(rss_before) + " before, " + mb(rss_loop) + " after the loop (+" +
                (rss_before < 0 ? "n/a" : mb(rss_loop - rss_before)) + ", " +
                (rss_before < 0 || tasks == 0 ? std::string("n/a")
                                              : std::to_string((rss_loop - rss_before) * 1024 /
                                                               static_cast<long long>(tasks))) +
                " bytes per task)");
      bobbin::run();  // every continuation runs only now, after the loop
    }
    book::say("unbounded: completed " + std::to_string(fulfilled) + " in " +
              std::to_string(static_cast<long long>(book::ms_since(t0))) + " ms; VmRSS " +
              mb(book::proc_status("VmRSS")) + " after, peak (VmHWM) " + mb(book::proc_status("VmHWM")) +
              " (Node runs out of heap in this loop)");
    book::check(fulfilled == tasks && wrong == 0, "unbounded: every task completed with sqrt(i)");
    book::check(rejected == 0, "unbounded: no run() rejected");
  }

  // ---- 2. the same loop on a bounded queue (max_threads²), still without drain ----
  {
    std::promise<void> gate;
    const std::shared_future<void> opened = gate.get_future().share();
    bobbin::ThreadPool piscina({.min_threads = cores,
                                .max_threads = static_cast<int>(cores),
                                .max_queue = bobbin::auto_queue});
    const std::size_t max_queue = piscina.max_queue();
    // Every thread busy until the loop is over, so that no queued task finishes meanwhile.
    for (unsigned k = 0; k < cores; ++k) piscina.post([opened] { opened.wait(); });

    std::uint64_t fulfilled = 0;
    std::uint64_t wrong = 0;
    std::map<std::string, std::uint64_t> rejections;  // by error name
    for (std::uint64_t i = 0; i < tasks; ++i) {
      const double x = static_cast<double>(i);
      piscina.run([](double num) { return std::sqrt(num); }, x)
          .then([&fulfilled, &wrong, x](double result) {
            if (result == std::sqrt(x)) {
              ++fulfilled;
            } else {
              ++wrong;
            }
          })
          .catch_error(
              [&rejections](std::exception_ptr error) { ++rejections[error_name(error)]; });
    }
    gate.set_value();
    bobbin::run();

    std::uint64_t rejected = 0;
    std::string kinds;
    for (const auto& [name, count] : rejections) {
      rejected += count;
      kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + name;
    }
    book::say("bounded (max_queue " + std::to_string(max_queue) + ", " + std::to_string(cores) +
              " threads busy), no drain: fulfilled " + std::to_string(fulfilled) + ", rejected " +
              std::to_string(rejected) + (kinds.empty() ? "" : " (" + kinds + ")"));
    const std::uint64_t accepted = std::min<std::uint64_t>(tasks, max_queue);
    book::check(fulfilled == accepted && wrong == 0,
                "bounded: exactly max_queue tasks accepted and completed with sqrt(i)");
    book::check(rejected == tasks - accepted && rejections.size() <= 1 &&
                    (rejected == 0 || rejections.count("QueueFullError") == 1),
                "bounded: every other run() rejected with QueueFullError");
  }
  return book::finish("pool unbounded OK");
}
