// ch1_thread_count: the threads of a "single-threaded" program (listing 1-6).
//
// The book runs `top -H -p <pid>` on an idle Node process and finds 7 OS threads: the main
// thread plus V8's platform workers and libuv's own threads, although the JavaScript runs on
// one.
//
// What it shows: bobbin adds no hidden threads. The program counts its own OS threads (the
// Threads line of /proc/self/status, what `top -H` lists) three times: idle with an event loop
// running (a timer callback counts), with N workers started and listening (each worker is one thread
// with its own loop: the count is N + 1), and after the workers have exited and their `Worker`
// objects are destroyed (which joins the threads: back to 1). Checked: exactly 1, N + 1, 1 on
// Linux. Built with a sanitizer, whose runtime may keep a thread of its own, the counts are
// checked relative to the count after one plain thread has come and gone. On a system without
// /proc it says so and exits 0.
// Flag: --workers N (default 4, as the book's pool sizes).
// Node original: bench/node/book_ch1_thread_count.js prints Node's own counts the same way.
#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "book_support.hpp"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CH1_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define CH1_SANITIZED 1
#endif
#endif
#ifndef CH1_SANITIZED
#define CH1_SANITIZED 0
#endif

namespace {

// The process's OS threads (the Threads line of /proc/self/status, what `top -H` lists); -1
// without /proc.
long count_threads() { return static_cast<long>(book::proc_status("Threads")); }

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::size_t>(book::flag(argc, argv, "--workers", 4));
  const long at_start = count_threads();
  if (at_start < 0) {
    book::say("no /proc/self/status on this system: the threads cannot be counted here");
    book::say("thread count skipped");
    return 0;
  }
  // A sanitizer's runtime may start a thread of its own (TSan does, with the first thread the
  // program creates): start and join one thread first, then count from there.
  long base = 1;
  if (CH1_SANITIZED) {
    std::thread([] {}).join();
    base = count_threads();
    book::say("(sanitizer build: " + std::to_string(base) + " thread(s) to start with)");
  }

  // 1. Idle, with the event loop running: count from a timer callback.
  long idle = -1;
  bobbin::set_timeout([&] { idle = count_threads(); }, std::chrono::milliseconds(1));
  bobbin::run();
  book::say("idle, event loop running: " + std::to_string(idle) + " thread" +
            (idle == 1 ? "" : "s") + " (an idle Node process has about 7)");
  book::check(idle == base,
              "an idle program with an event loop has " + std::to_string(base) + " thread(s)");

  // 2. N workers, each listening on its parent port until told to quit. Every worker reports
  //    "ready" from its own thread; once all have, the main thread counts and tells them to quit.
  long with_workers = -1;
  {
    std::vector<bobbin::Worker<int, int>> workers;
    workers.reserve(n);
    std::size_t ready = 0;
    for (std::size_t k = 0; k < n; ++k) {
      workers.emplace_back(bobbin::WorkerOptions{.name = "count-" + std::to_string(k)},
                           [](bobbin::ParentPort<int, int>& parent) {
                             parent.on_message([&](int) { parent.close(); });  // quit
                             parent.post_message(1);                           // ready
                           });
      workers.back().on_message([&](int) {
        if (++ready < n) return;
        with_workers = count_threads();
        for (auto& w : workers) w.post_message(0);  // quit
      });
    }
    if (n == 0) with_workers = count_threads();
    bobbin::run();  // until every worker's exit has been delivered
    book::say("with " + std::to_string(n) + " workers: " + std::to_string(with_workers) +
              " threads");
  }  // the Worker destructors join the threads
  book::check(with_workers == base + static_cast<long>(n),
              "N workers add exactly N threads (one each, with its own event loop)");

  // 3. After the workers have exited and been joined.
  const long after = count_threads();
  book::say("after the workers exited: " + std::to_string(after) + " thread" +
            (after == 1 ? "" : "s"));
  book::check(after == base, "back to " + std::to_string(base) + " thread(s)");
  return book::finish("thread count OK");
}
