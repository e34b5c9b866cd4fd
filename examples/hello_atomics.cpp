// hello_atomics: two threads meet on shared memory.
//
// The main thread and a worker thread share one SharedArrayBuffer. The worker sleeps in
// atomics::wait() on cell 0 until the main thread stores 1 there and calls
// atomics::notify(); then it answers the same way through cell 1. In JavaScript:
//
//   worker:  Atomics.wait(cells, 0, 0);  Atomics.store(cells, 1, 2);  Atomics.notify(cells, 1);
//   main:    Atomics.store(cells, 0, 1); Atomics.notify(cells, 0);    Atomics.wait(cells, 1, 0);
//
// Every line below is printed after the previous one has happened, so the output is in order
// without any lock around std::cout: the atomics themselves order the two threads.
#include <bobbin/bobbin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <thread>

namespace atomics = bobbin::atomics;
using namespace std::chrono_literals;

int main() {
  // Two 32-bit cells, zeroed. Copying a SharedArrayBuffer shares its memory, never clones it.
  bobbin::SharedArrayBuffer sab(2 * sizeof(std::int32_t));

  std::thread worker([sab] {  // the worker's copy of the buffer: the same memory
    bobbin::Int32Array cells(sab);

    // Sleep while cell 0 holds 0. If the main thread has already stored 1, wait() returns
    // not_equal at once, so the wake-up can never be lost.
    atomics::WaitResult woke = atomics::wait(cells, 0, 0);
    std::cout << "worker: wait(cells, 0, 0) returned \"" << atomics::to_string(woke)
              << "\", cell 0 is " << atomics::load(cells, 0) << '\n';

    std::cout << "worker: replying: store(cells, 1, 2), notify(cells, 1)\n";
    atomics::store(cells, 1, 2);
    atomics::notify(cells, 1);
  });

  bobbin::Int32Array cells(sab);  // the main thread's view of the same two cells

  // Give the worker time to fall asleep. Not needed for correctness (see above), only to
  // show a real wake-up rather than not_equal.
  std::this_thread::sleep_for(20ms);

  std::cout << "main:   store(cells, 0, 1), notify(cells, 0)\n";
  atomics::store(cells, 0, 1);
  std::size_t woken = atomics::notify(cells, 0);  // how many waiters woke: 1, or 0 if none slept

  // Wait for the reply, with a timeout so that a bug fails the demo instead of hanging it.
  atomics::WaitResult reply = atomics::wait(cells, 1, 0, 5s);
  std::cout << "main:   notify woke " << woken << " waiter(s); wait(cells, 1, 0) returned \""
            << atomics::to_string(reply) << "\", cell 1 is " << atomics::load(cells, 1) << '\n';

  worker.join();
  bool ok = reply != atomics::WaitResult::timed_out && atomics::load(cells, 1) == 2;
  std::cout << (ok ? "hello_atomics: ok\n" : "hello_atomics: FAILED\n");
  return ok ? 0 : 1;
}
