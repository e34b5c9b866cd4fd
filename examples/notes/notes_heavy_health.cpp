// notes_heavy_health: "하나뿐인 스레드가 멈추지 않도록 관리하라" (keep the one thread from
// stopping) and "블로킹 작업을 빠르고 효율적으로 할 수 있는 방법" (how to do blocking work fast),
// from the note "Node.js 핵심 개념".
//
// The note's bad example: `app.get('/heavy', ...)` sums 0..1e10 on the event loop, so `/health`
// gets no answer until it is done. Its fix: hand the sum to a worker (worker.js with workerData)
// or to a Piscina pool. This program runs one server three ways and, in each, sends /heavy and
// then, as soon as the server has started on it, /health from a second client:
//
//   1. single-threaded: /heavy runs on the loop; /health is answered only after /heavy
//      (checked: the server answers /heavy first, every time: the loop is busy).
//   2. a Worker per /heavy request: the handler returns a promise that the worker's message
//      settles; /health is answered while /heavy computes.
//   3. a ThreadPool (bobbin's Piscina): `pool.run(sum, n)` returns the promise directly.
// For each it prints how long /heavy and /health took. Every /heavy answer is checked against
// n(n-1)/2. (The note's 1e10 would overflow 64 bits — JavaScript gives an inexact double — so
// the default n is 1e9; --n sets it, and the smoke run uses a smaller one.)
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>
#include <bobbin/worker.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "http_server.hpp"
#include "notes_support.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using notes::heavy_computation;  // the for loop of the note (notes_support.hpp)

enum class Mode { single_thread, worker, pool };

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::single_thread:
      return "1. single-threaded: /heavy on the event loop";
    case Mode::worker:
      return "2. /heavy in a Worker (worker.js with workerData)";
    case Mode::pool:
      return "3. /heavy on a ThreadPool (Piscina)";
  }
  return "";
}

struct Outcome {
  double heavy_ms = 0;
  double health_ms = 0;
  bool health_before_heavy = false;  // the server answered /health while /heavy was pending
  bool sum_right = false;
};

Outcome run_mode(Mode mode, std::uint64_t n) {
  std::atomic<bool> heavy_started{false};
  bool heavy_answered = false;  // loop thread only
  bool health_first = false;    // loop thread only
  std::list<std::unique_ptr<bobbin::Worker<int, std::uint64_t>>> workers;
  bobbin::ThreadPool pool({.min_threads = 0, .max_threads = 2});

  const auto answer_sum = [&heavy_answered](std::uint64_t sum) {
    heavy_answered = true;
    return http::Response::text("Done " + std::to_string(sum));
  };

  http::Server server([&](const http::Request& req) -> bobbin::Promise<http::Response> {
    if (req.path == "/health") {
      health_first = !heavy_answered;
      return bobbin::Promise<http::Response>::resolved(http::Response::text("OK"));
    }
    if (req.path != "/heavy") {
      return bobbin::Promise<http::Response>::resolved(http::Response::text("not found", 404));
    }
    heavy_started.store(true);  // seq_cst; the client thread polls it
    heavy_started.notify_all();
    switch (mode) {
      case Mode::single_thread:  // the bad example: the loop is stuck in this call
        return bobbin::Promise<http::Response>::resolved(answer_sum(heavy_computation(n)));
      case Mode::worker: {  // main.js: new Worker('./worker.js', { workerData })
        auto [promise, resolver] = bobbin::Promise<std::uint64_t>::with_resolvers();
        workers.push_back(std::make_unique<bobbin::Worker<int, std::uint64_t>>(
            [](bobbin::ParentPort<int, std::uint64_t>& parent_port, std::uint64_t count) {
              parent_port.post_message(heavy_computation(count));  // worker.js
            },
            n));
        workers.back()->on_message(
            [resolver = resolver](std::uint64_t sum) { resolver.resolve(sum); });
        workers.back()->on_error(
            [resolver = resolver](std::exception_ptr e) { resolver.reject(e); });
        return promise.then(answer_sum);
      }
      case Mode::pool:  // const result = await piscina.run({ value: 10 })
        return pool.run(heavy_computation, n).then(answer_sum);
    }
    return bobbin::Promise<http::Response>::resolved(http::Response::text("?", 500));
  });
  const int port = server.listen(0);

  Outcome out;
  std::string heavy_body;
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  std::thread heavy_client([&] {
    const auto t0 = Clock::now();
    heavy_body = http::http_get("127.0.0.1", port, "/heavy").body;
    out.heavy_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  });
  std::thread health_client([&] {
    heavy_started.wait(false);  // the server is computing /heavy now
    const auto t0 = Clock::now();
    const auto health = http::http_get("127.0.0.1", port, "/health");
    out.health_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    heavy_client.join();
    loop.post([&server] { server.close(); });
  });
  bobbin::run();  // until the server is closed and the workers have ended
  health_client.join();
  out.health_before_heavy = health_first;
  out.sum_right = heavy_body == "Done " + std::to_string(n == 0 ? 0 : n * (n - 1) / 2);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::uint64_t>(notes::flag(argc, argv, "--n", 1'000'000'000));
  bool ok = true;
  for (const Mode mode : {Mode::single_thread, Mode::worker, Mode::pool}) {
    notes::say(mode_name(mode));
    const Outcome o = run_mode(mode, n);
    notes::say("  /heavy answered after " + notes::fixed(o.heavy_ms) + " ms (sum " +
               (o.sum_right ? "right" : "WRONG") + ")");
    notes::say(
        "  /health answered after " + notes::fixed(o.health_ms) + " ms, " +
        (o.health_before_heavy ? "while /heavy was still computing" : "only once /heavy was done"));
    ok = ok && o.sum_right;
    if (mode == Mode::single_thread) {
      ok = ok && !o.health_before_heavy;  // certain: the loop could not read /health earlier
    } else if (!o.health_before_heavy) {
      notes::say("  (this time /heavy finished first: n is too small to show the overlap)");
    }
  }
  notes::say(ok ? "heavy/health OK" : "heavy/health FAILED");
  return ok ? 0 : 1;
}
