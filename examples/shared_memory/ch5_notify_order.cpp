// ch5_notify_order: four waiters, notify wakes three, one times out (Multithreaded JavaScript
// 5-1 … 5-3, ch5-notify-order).
//
// Four workers share one Int32 cell holding 0. Each prints "Worker N started", then
// wait(cell, 0, 0, 1000 ms), then "Worker N awoken with <result>". The main thread calls
// notify(cell, 0, 3): three workers wake with "ok", the fourth sleeps on until its timeout
// and prints "timed-out". The order in which the workers start, and so which one is left
// over, changes from run to run: that nondeterminism is the point of the listing. Waiters
// wake in FIFO order, so the one left is the last that began to wait.
//
// The book's main thread waits 500 ms and hopes all four are waiting by then; a slow start
// turns that into two or more time-outs. Here the main thread instead waits until the parking
// lot shows four threads parked on the cell, so the outcome the book describes is the one
// that always happens, and the program checks it: notify returns 3, and the results are
// exactly three "ok" and one "timed-out".
#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace atomics = bobbin::atomics;
using namespace std::chrono_literals;

namespace {

struct Start {
  bobbin::SharedArrayBuffer buffer;
  int name;
};

}  // namespace

int main() {
  bobbin::SharedArrayBuffer sab(4);
  bobbin::Int32Array cell(sab);
  std::vector<atomics::WaitResult> results;
  std::vector<bobbin::Worker<Start, atomics::WaitResult>> workers;
  for (int name = 0; name < 4; ++name) {
    workers.emplace_back([](bobbin::ParentPort<Start, atomics::WaitResult>& parent) {
      parent.on_message([&](Start start) {
        bobbin::Int32Array cell(start.buffer);
        std::printf("Worker %d started\n", start.name);
        const atomics::WaitResult result = atomics::wait(cell, 0, 0, 1000ms);
        std::printf("Worker %d awoken with %s\n", start.name,
                    std::string(atomics::to_string(result)).c_str());
        parent.post_message(result);
        parent.close();
      });
    });
    workers.back().on_message([&](atomics::WaitResult r) { results.push_back(r); });
    workers.back().post_message(Start{sab, name});
  }

  // Instead of the book's 500 ms timer: wait until all four are asleep on the cell.
  const void* key = cell.element(0);
  const auto give_up = std::chrono::steady_clock::now() + 10s;  // a bug fails, never hangs
  while (bobbin::parking_lot::parked(key) < 4 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  const std::size_t woken = atomics::notify(cell, 0, 3);
  std::printf("main: notify(cell, 0, 3) woke %zu\n", woken);
  bobbin::run();  // the results arrive; returns once the four workers have exited

  int ok = 0, timed_out = 0;
  for (atomics::WaitResult r : results) {
    ok += r == atomics::WaitResult::ok;
    timed_out += r == atomics::WaitResult::timed_out;
  }
  const bool pass = woken == 3 && ok == 3 && timed_out == 1;
  std::printf("%d ok, %d timed-out\n%s\n", ok, timed_out,
              pass ? "ch5_notify_order: ok" : "ch5_notify_order: FAILED");
  return pass ? 0 : 1;
}
