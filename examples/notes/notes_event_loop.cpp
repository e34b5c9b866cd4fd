// notes_event_loop: the event-loop lessons of the note "Node.js 핵심 개념" (Node.js core
// concepts), sections 3 "이벤트 기반" (event-driven: the call stack, the event loop, the
// background and the task queues) and 4 "논 블로킹 I/O" (non-blocking I/O), in C++ on bobbin's
// event loop.
//
//   1. The call stack: first() calls second() calls third(); the logs come out third, second,
//      first (a LIFO stack).
//   2. setTimeout(run, 3000): "start", "end", then "run after the delay": the callback waits in
//      the timer phase until the script has finished.
//   3. The queues' priorities: process.nextTick before the promise microtasks before the
//      macrotasks (timers, immediates). Inside a timer callback Node's order is fixed:
//      nextTick, promise, setImmediate, setTimeout(0). From the main script Node's
//      setTimeout(0)-versus-setImmediate is a race with its 1 ms clock; bobbin runs the timeout
//      first (documented in event_loop.hpp).
//   4. Blocking versus non-blocking: longRunningTask() called directly ("start", "task done",
//      "next task") versus handed to setTimeout(fn, 0) / setImmediate ("start", "next task",
//      "task done").
//   5. Doing I/O side by side: Promise.all over reading 1.txt, 2.txt and 3.txt (holding 1, 2
//      and 3) sums 6. Node reads files on libuv's thread pool; here each read runs on a
//      background thread and settles a promise whose continuation runs on this loop.
//
// Every lesson records its order and compares it with Node's; the program prints "all lessons
// match Node" and exits 0 only if each one does. Flags: --delay-ms N (lesson 2, default 3000
// as in the note; the smoke run passes 30).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> g_log;  // what the current lesson printed, in order

void log(const std::string& line) {
  std::cout << "  " << line << '\n';
  g_log.push_back(line);
}

bool g_all_ok = true;

void expect_order(std::string_view lesson, const std::vector<std::string>& node_order) {
  const bool ok = g_log == node_order;
  std::cout << "  -> " << lesson << (ok ? ": same order as Node\n" : ": DIFFERENT from Node\n");
  if (!ok) g_all_ok = false;
  g_log.clear();
}

// Lesson 1: the call stack.
void third() { log("third"); }
void second() {
  third();
  log("second");
}
void first() {
  second();
  log("first");
}

// Lesson 4: a task that takes a while (a busy computation, as in the note).
void long_running_task() {
  volatile std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < 2'000'000; ++i) sum = sum + i;
  log("task done");
}

// Lesson 5: fs.promises.readFile — the read runs on another thread, the promise settles there,
// and the continuations attached on this thread run on this thread's loop.
bobbin::Promise<std::string> read_file(fs::path path) {
  auto [promise, resolver] = bobbin::Promise<std::string>::with_resolvers();
  std::thread([path = std::move(path), resolver = resolver] {
    std::ifstream in(path);
    if (!in) {
      resolver.reject(std::make_exception_ptr(std::runtime_error("cannot read " + path.string())));
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    resolver.resolve(text.str());
  }).detach();
  return promise;
}

}  // namespace

int main(int argc, char** argv) {
  int delay_ms = 3000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--delay-ms") delay_ms = std::atoi(argv[i + 1]);
  }

  std::cout << "1. The call stack (LIFO)\n";
  first();
  expect_order("call stack", {"third", "second", "first"});

  std::cout << "2. setTimeout(run, " << delay_ms << "ms)\n";
  const auto t0 = std::chrono::steady_clock::now();
  log("start");
  bobbin::set_timeout(
      [t0] {
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - t0);
        log("run after the delay");
        std::cout << "     (waited " << waited.count() << " ms)\n";
      },
      std::chrono::milliseconds(delay_ms));
  log("end");
  bobbin::run();
  expect_order("setTimeout", {"start", "end", "run after the delay"});

  std::cout << "3a. Queues, scheduled from the main script\n";
  log("sync");
  bobbin::set_timeout([] { log("setTimeout 0"); }, 0ms);
  bobbin::set_immediate([] { log("setImmediate"); });
  bobbin::Promise<void>::resolved().then([] { log("promise.then"); });
  bobbin::queue_microtask([] { log("queueMicrotask"); });
  bobbin::next_tick([] { log("nextTick"); });
  log("sync end");
  bobbin::run();
  // Node prints setTimeout/setImmediate in either order here; bobbin's order is fixed.
  expect_order("main-script queues", {"sync", "sync end", "nextTick", "promise.then",
                                      "queueMicrotask", "setTimeout 0", "setImmediate"});

  std::cout << "3b. Queues, scheduled inside a timer callback (Node's order is fixed)\n";
  bobbin::set_timeout(
      [] {
        bobbin::set_timeout([] { log("setTimeout 0"); }, 0ms);
        bobbin::set_immediate([] { log("setImmediate"); });
        bobbin::Promise<void>::resolved().then([] {
          log("promise.then");
          bobbin::next_tick([] { log("nextTick from a microtask"); });
        });
        bobbin::next_tick([] { log("nextTick"); });
        log("timer callback");
      },
      0ms);
  bobbin::run();
  expect_order("timer-callback queues",
               {"timer callback", "nextTick", "promise.then", "nextTick from a microtask",
                "setImmediate", "setTimeout 0"});

  std::cout << "4a. Blocking: longRunningTask() called directly\n";
  log("start");
  long_running_task();
  log("next task");
  expect_order("blocking", {"start", "task done", "next task"});

  std::cout << "4b. Non-blocking: setTimeout(longRunningTask, 0), then setImmediate\n";
  log("start");
  bobbin::set_timeout(long_running_task, 0ms);
  log("next task");
  bobbin::run();
  log("start");
  bobbin::set_immediate(long_running_task);
  log("next task");
  bobbin::run();
  expect_order("non-blocking",
               {"start", "next task", "task done", "start", "next task", "task done"});

  std::cout << "5. Promise.all over reading 1.txt, 2.txt, 3.txt\n";
  const fs::path dir = fs::temp_directory_path() / ("bobbin_notes_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 1; i <= 3; ++i) std::ofstream(dir / (std::to_string(i) + ".txt")) << i << '\n';
  std::vector<bobbin::Promise<std::string>> reads;
  for (int i = 1; i <= 3; ++i) reads.push_back(read_file(dir / (std::to_string(i) + ".txt")));
  log("reads started");
  int sum = -1;
  bobbin::all(reads)
      .then([&sum](const std::vector<std::string>& texts) {
        sum = 0;
        for (const std::string& t : texts) sum += std::stoi(t);
        log("sum " + std::to_string(sum));
      })
      .catch_error([](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          log(std::string("error: ") + ex.what());
        }
      });
  bobbin::run();  // returns once the reads have settled and the sum is printed
  fs::remove_all(dir);
  expect_order("Promise.all", {"reads started", "sum 6"});

  std::cout << (g_all_ok ? "all lessons match Node\n" : "some lesson differs from Node\n");
  return g_all_ok ? 0 : 1;
}
