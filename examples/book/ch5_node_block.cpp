// ch5_node_block: Atomics.wait on the main thread starves an HTTP server (listing 5-18,
// ch5-node-block), and the fix with Atomics.waitAsync.
//
// The book: a 4-byte SharedArrayBuffer seen as an Int32Array whose slot is never notified;
// setInterval every 2000 ms calls Atomics.wait(view, 0, 0, 1900), which blocks the main event
// loop for 1.9 s; an HTTP server on the same loop answers "Hello World". A request made during
// a blocked window hangs until the wait times out: the server is responsive about 100 ms in
// every 2 s. Lesson: never block a thread that also services an event loop.
//
// What it shows: the same program on bobbin (atomics::wait on the main loop, allowed as in
// Node), then the fixed version, where the interval calls atomics::wait_async instead: the
// wait is a promise and the loop keeps serving. A client thread sends GET /health right after
// a window starts and measures the latency; the server says whether it answered while the
// wait was still pending. Checked: blocked, the answer comes only after the wait ended (and so
// took at least half the wait); fixed, the answer comes while the wait is still pending.
// Flags: --period-ms P (2000 as in the book), --wait-ms W (1900); the smoke run uses less
// (keep P > W: otherwise the interval is already due again when a wait ends).
#include <bobbin/atomics.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/wait_async.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "book_support.hpp"
#include "http_server.hpp"

namespace {

struct Outcome {
  double latency_ms = 0;
  bool served_during_wait = false;
};

Outcome run_version(bool fixed, std::chrono::milliseconds period, std::chrono::milliseconds wait) {
  bobbin::SharedArrayBuffer buffer(4);
  bobbin::Int32Array view(buffer);
  bool waiting = false;                   // main loop only
  std::atomic<bool> window_started{false};  // read by the client thread

  http::Server server([&](const http::Request&) {
    http::Response r = http::Response::text("Hello World");
    r.headers.emplace_back("X-During-Wait", waiting ? "yes" : "no");
    return r;
  });
  const int port = server.listen(0);
  book::say(std::string(fixed ? "fixed (waitAsync)" : "blocking (Atomics.wait)") + ": http://127.0.0.1:" +
            std::to_string(port) + "/");

  bobbin::Timer interval = bobbin::set_interval(
      [&] {
        waiting = true;
        window_started.store(true);
        window_started.notify_one();
        if (!fixed) {
          (void)bobbin::atomics::wait(view, 0, 0, wait);  // the main loop is stuck here
          waiting = false;
        } else {
          auto result = bobbin::atomics::wait_async(view, 0, 0, wait);
          result.value.then([&](bobbin::atomics::WaitResult) { waiting = false; });
        }
      },
      period);

  Outcome out;
  auto& loop = bobbin::EventLoop::current();
  std::thread client([&] {
    window_started.wait(false);  // asleep until a window has just started
    const auto t0 = std::chrono::steady_clock::now();
    http::ClientResponse r = http::http_get("127.0.0.1", port, "/health");
    out.latency_ms = book::ms_since(t0);
    out.served_during_wait = r.header("X-During-Wait") == "yes";
    book::check(r.status == 200 && r.body == "Hello World", "GET /health answered");
    loop.post([&] {
      interval.clear();
      server.close();
    });
  });
  bobbin::run();
  client.join();
  book::say("  /health latency during a wait: " + std::to_string(static_cast<long long>(out.latency_ms)) +
            " ms, answered " + (out.served_during_wait ? "while the wait was pending" : "after the wait ended"));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::chrono::milliseconds period(book::flag(argc, argv, "--period-ms", 2000));
  const std::chrono::milliseconds wait(book::flag(argc, argv, "--wait-ms", 1900));

  const Outcome blocked = run_version(false, period, wait);
  book::check(!blocked.served_during_wait, "blocked: answered only after the wait ended");
  book::check(blocked.latency_ms >= static_cast<double>(wait.count()) / 2,
              "blocked: the request waited for the blocked window");

  const Outcome fixed = run_version(true, period, wait);
  book::check(fixed.served_during_wait, "fixed: answered while the wait was pending");
  return book::finish("node block OK");
}
