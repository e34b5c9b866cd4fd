// ch4_sab_hello: the SharedArrayBuffer hello world (Multithreaded JavaScript 4-1 … 4-5; the
// Node version, main-node.js and worker-node.js, with worker.unref()).
//
// The main thread makes a 1024-byte SharedArrayBuffer, views it as a Uint8Array, prints
// "now 0" and posts the buffer to a worker. Posting a SharedArrayBuffer shares it (copying
// the handle shares the bytes), so when the worker writes view[0] = 2 the main thread sees 2
// in its own view: "later 2". In JavaScript the worker also sets an expando property `foo` on
// its SharedArrayBuffer object, and the main thread's object has none ("prop undefined"):
// the bytes are shared, the wrapper objects are not. C++ handles carry no per-object state at
// all, so that line is printed for fidelity only. Posting a plain ArrayBuffer instead would
// clone it, and the main thread would still read 0 (shown at the end).
//
// The worker keeps listening on its parent port forever, as in the book; worker.unref() lets
// the main thread's loop end anyway (then the Worker's destructor stops and joins it).
//
// The book reads the value after a 500 ms timer and hopes the worker was quicker; on a loaded
// machine it may not be, so here the timer re-arms until the worker has written (the output is
// the same; it only never prints "later 0" by accident).
#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstdio>
#include <functional>

namespace atomics = bobbin::atomics;
using namespace std::chrono_literals;

int main() {
  bobbin::Worker<bobbin::SharedArrayBuffer, int> worker(
      [](bobbin::ParentPort<bobbin::SharedArrayBuffer, int>& parent) {
        parent.on_message([&](bobbin::SharedArrayBuffer sab) {
          bobbin::Uint8Array view(sab);
          std::puts("updated in worker");
          std::fflush(stdout);
          atomics::store(view, 0, 2);  // after the print, so the output order is fixed
        });
      });

  bobbin::SharedArrayBuffer buffer(1024);
  bobbin::Uint8Array view(buffer);
  std::printf("now %d\n", int{view[0]});
  std::fflush(stdout);
  worker.post_message(buffer);  // shared, not copied
  worker.unref();               // the worker alone does not keep this thread's loop alive

  bool ok = false;
  int waited_ms = 0;
  std::function<void()> later = [&] {
    waited_ms += 500;
    const int value = atomics::load(view, 0);
    if (value == 0 && waited_ms < 10000) {  // the worker was slower than the book's 500 ms
      bobbin::set_timeout(later, 500ms);
      return;
    }
    std::printf("later %d\n", value);
    std::puts("prop undefined");  // no expando properties on C++ handles
    ok = value == 2;
  };
  bobbin::set_timeout(later, 500ms);
  bobbin::run();  // returns after the timer: the unref'd worker does not hold the loop

  // The contrast: a plain ArrayBuffer is cloned, so a write to the copy is not seen here.
  bobbin::ArrayBuffer plain(1024);
  bobbin::ArrayBuffer posted = plain;  // what post_message(plain) does
  bobbin::Uint8Array{posted}[0] = 2;
  const int unchanged = bobbin::Uint8Array{plain}[0];
  std::printf("a cloned ArrayBuffer: the sender still reads %d\n", unchanged);
  ok = ok && unchanged == 0;
  std::puts(ok ? "ch4_sab_hello: ok" : "ch4_sab_hello: FAILED");
  return ok ? 0 : 1;
}
