// ch5_notify_when_ready: wake the workers once all of them are ready (Multithreaded
// JavaScript 5-4 and 5-5, ch5-notify-when-ready).
//
// Four workers get the same 4-byte SharedArrayBuffer. Each posts "ready" to the main thread,
// prints "Worker N started" and waits on cell 0 with no timeout. The main thread prints
// "Ready; id=N, count=C, time=Tms" for each "ready" (C counts down 3, 2, 1, 0) and, once all
// four are ready, wakes them all; each prints "Worker N awoken with <result>". Worker start-up
// takes a noticeable and variable time, which is what the printed times show.
//
// The book's lost wake-up, fixed (§12.4): a worker posts "ready" *before* it calls wait, and
// the book's main thread only calls notify, never changing the cell. If the last worker's
// "ready" is handled and notify runs before that worker reaches wait, nobody is woken and the
// worker then sleeps forever (no timeout). Here the main thread first stores 1 in the cell,
// then notifies: a worker that reaches wait late finds 1 instead of the expected 0 and
// returns "not-equal" at once, so every worker wakes, whichever order things happen in. The
// results are "ok" (woken by the notify) or "not-equal" (arrived after the store); the check
// is that all four return and the counts run 3, 2, 1, 0.
#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace atomics = bobbin::atomics;

namespace {

struct Start {
  bobbin::SharedArrayBuffer buffer;
  int name;
};

}  // namespace

int main() {
  const auto now = std::chrono::steady_clock::now();
  bobbin::SharedArrayBuffer buffer(4);
  bobbin::Int32Array view(buffer);
  int count = 4;
  std::vector<int> counts;
  int awoken = 0;

  std::vector<bobbin::Worker<Start, int>> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([](bobbin::ParentPort<Start, int>& parent) {
      parent.on_message([&](Start start) {
        parent.post_message(start.name);  // "ready", before waiting: the book's order
        std::printf("Worker %d started\n", start.name);
        bobbin::Int32Array view(start.buffer);
        const atomics::WaitResult result = atomics::wait(view, 0, 0);  // no timeout
        std::printf("Worker %d awoken with %s\n", start.name,
                    std::string(atomics::to_string(result)).c_str());
        parent.close();  // done: the worker ends
      });
    });
    workers.back().on_message([&](int id) {
      const auto ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - now);
      std::printf("Ready; id=%d, count=%d, time=%.1fms\n", id, --count, ms.count());
      counts.push_back(count);
      if (count == 0) {
        atomics::store(view, 0, 1);  // the fix: a late waiter now sees "not-equal"
        atomics::notify(view, 0);    // wake everyone already waiting
      }
    });
    workers.back().on_exit([&](int code) { awoken += code == 0; });
    workers.back().post_message(Start{buffer, i});
  }
  bobbin::run();  // until all four workers have exited

  const bool ok = awoken == 4 && counts == std::vector<int>{3, 2, 1, 0};
  std::puts(ok ? "ch5_notify_when_ready: ok" : "ch5_notify_when_ready: FAILED");
  return ok ? 0 : 1;
}
