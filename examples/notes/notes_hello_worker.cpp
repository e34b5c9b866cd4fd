// notes_hello_worker: the first worker programs of the notes, on bobbin::Worker.
//
//   1. "Worker Threads 기본개념 설명" → 사용 예시: the main thread posts "Hello, Worker!" and the
//      worker answers "Hello, Worker! Received".
//   2. "Node.js Worker Threads (워커 스레드)" → 핵심 → "메인 스레드에서 Worker 실행": main.js posts
//      "start work", worker.js logs it and answers "work done!".
//   3. The same note → "Worker Threads를 활용한 CPU 집약 작업": the sum 0 + 1 + ... + (n-1) with
//      n = 10^9 (499999999500000000), first on the main thread (the loop is stuck: its interval
//      never ticks), then in a worker while the main loop keeps ticking, with the worker's
//      'error' and 'exit' events handled. A second worker fails on purpose to show them.
//   4. "Node.js 핵심 개념" → "블로킹 작업을 빠르고 효율적으로": the worker gets workerData
//      {value: 10} and answers {input: 10, result: ...}; then "worker exited (code: 0)".
//
// Flag: --n N (default 1000000000 as in the notes; the smoke run uses a smaller N). Every
// result is checked against n(n-1)/2; the program prints "all results correct" and exits 0
// only then.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "notes_support.hpp"

using namespace std::chrono_literals;

namespace {

using notes::heavy_computation;  // the notes' heavyComputation (notes_support.hpp)

std::uint64_t expected_sum(std::uint64_t n) { return n == 0 ? 0 : n * (n - 1) / 2; }

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool g_ok = true;
void check(bool condition, std::string_view what) {
  if (!condition) {
    std::cout << "WRONG: " << what << '\n';
    g_ok = false;
  }
}

void hello_worker() {
  std::cout << "1. Hello, Worker!\n";
  bobbin::Worker<std::string> worker([](bobbin::ParentPort<std::string>& parent_port) {
    parent_port.on_message(
        [&parent_port](std::string message) { parent_port.post_message(message + " Received"); });
  });
  std::string answer;
  worker.on_message([&](const std::string& message) {
    std::cout << "  " << message << '\n';
    answer = message;
    (void)worker.terminate();  // its port listener would keep it alive forever, as in Node
  });
  worker.post_message("Hello, Worker!");
  bobbin::run();
  check(answer == "Hello, Worker! Received", "hello answer");
}

void main_and_worker_messages() {
  std::cout << "2. Messages between main.js and worker.js\n";
  bobbin::Worker<std::string> worker([](bobbin::ParentPort<std::string>& parent_port) {
    parent_port.on_message([&parent_port](const std::string& message) {
      notes::say("  [worker] message from the main thread: " + message);
      parent_port.post_message("work done!");
      parent_port.close();  // nothing else to do: the worker may end
    });
  });
  std::string answer;
  worker.on_message([&](const std::string& message) {
    std::cout << "  [main] message from the worker: " << message << '\n';
    answer = message;
  });
  worker.post_message("start work");
  bobbin::run();  // returns once the worker has exited
  check(answer == "work done!", "worker.js answer");
}

// Counts the main loop's turns while something runs: an interval every 10 ms.
struct Ticker {
  int ticks = 0;
  bobbin::Timer timer;
  void start() {
    timer = bobbin::set_interval(
        [this] {
          ++ticks;
          if (ticks <= 5 || ticks % 50 == 0) notes::say("  [main] tick " + std::to_string(ticks));
        },
        10ms);
    timer.unref();  // the ticker alone does not keep the loop alive
  }
};

void sum_single_thread(std::uint64_t n) {
  std::cout << "3a. single-thread.js: the sum on the main thread\n";
  Ticker ticker;
  ticker.start();
  std::cout << "  computation start\n";
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t result = heavy_computation(n);
  std::cout << "  result: " << result << '\n'
            << "  computation done in " << notes::fixed(ms_since(t0))
            << " ms; the main loop ticked " << ticker.ticks
            << " times meanwhile (it was blocked)\n";
  ticker.timer.clear();
  check(result == expected_sum(n), "single-thread sum");
}

struct SumResult {
  std::uint64_t input = 0;
  std::uint64_t result = 0;
};

void sum_in_worker(std::uint64_t n) {
  std::cout << "3b. main.js + computation-worker.js: the sum in a worker\n";
  std::cout << "  main thread start\n";
  const auto t0 = std::chrono::steady_clock::now();
  bobbin::Worker<int, SumResult> worker(
      [](bobbin::ParentPort<int, SumResult>& parent_port, std::uint64_t count) {
        notes::say("  [worker] computation start");
        const std::uint64_t sum = heavy_computation(count);
        parent_port.post_message(SumResult{10, sum});
        notes::say("  [worker] computation done");
      },
      n);
  Ticker ticker;
  ticker.start();
  SumResult got;
  int exit_code = -1;
  worker.on_message([&](const SumResult& r) {
    got = r;
    notes::say("  [main] worker result: { input: " + std::to_string(r.input) + ", result: " +
               std::to_string(r.result) + " } after " + notes::fixed(ms_since(t0)) + " ms");
    notes::say("  [main] the main thread ticked " + std::to_string(ticker.ticks) +
               " times while the worker computed");
  });
  worker.on_error(
      [](std::exception_ptr e) { notes::say("  [main] worker error: " + notes::what(e)); });
  worker.on_exit([&](int code) {
    exit_code = code;
    notes::say("  [main] worker exited (code: " + std::to_string(code) + ")");
  });
  notes::say("  main thread goes on with other work");
  bobbin::run();
  ticker.timer.clear();
  check(got.result == expected_sum(n), "worker sum");
  check(exit_code == 0, "worker exit code 0");
}

void failing_worker() {
  std::cout << "3c. a worker that throws: 'error', then 'exit' with code 1\n";
  bobbin::Worker<int> worker(
      [](bobbin::ParentPort<int>&) { throw std::runtime_error("computation failed on purpose"); });
  std::string error;
  int exit_code = -1;
  worker.on_error([&](std::exception_ptr e) {
    error = notes::what(e);
    notes::say("  [main] worker error: " + error);
  });
  worker.on_exit([&](int code) {
    exit_code = code;
    if (code != 0) std::cout << "  [main] worker exited with code " << code << '\n';
  });
  bobbin::run();
  check(error == "computation failed on purpose", "error event");
  check(exit_code == 1, "exit code 1 after an uncaught exception");
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<std::uint64_t>(notes::flag(argc, argv, "--n", 1'000'000'000));
  hello_worker();
  main_and_worker_messages();
  sum_single_thread(n);
  sum_in_worker(n);
  failing_worker();
  std::cout << (g_ok ? "all results correct\n" : "SOME RESULT IS WRONG\n");
  return g_ok ? 0 : 1;
}
