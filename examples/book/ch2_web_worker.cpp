// ch2_web_worker: the book's first dedicated worker (listings 1-2 and 2-1 to 2-3,
// ch2-web-workers), on bobbin::Worker.
//
// main.js logs "hello from main.js", creates the worker, installs its message handler, posts
// "message sent to worker" and logs "hello from end of main.js". worker.js logs "hello from
// worker.js" at top level, then answers each message from main with "message sent from worker".
//
// What it shows: a message posted before the worker has started is queued, not lost; the
// worker runs its top-level code (its entry) before any message is dispatched to it; each side's
// handler runs on its own thread's event loop. Unlike the browser, the worker here is a real
// thread that starts at once, so "hello from worker.js" may print before "hello from end of
// main.js"; the program checks only the orders that hold everywhere.
#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "book_support.hpp"

namespace {

std::mutex g_lock;
std::vector<std::string> g_log;  // every line, in the order printed

void log(const std::string& line) {
  std::lock_guard guard(g_lock);
  g_log.push_back(line);
  book::say(line);
}

std::size_t position(const std::string& line) {
  std::lock_guard guard(g_lock);
  for (std::size_t i = 0; i < g_log.size(); ++i) {
    if (g_log[i] == line) return i;
  }
  return g_log.size();
}

}  // namespace

int main() {
  log("hello from main.js");
  bobbin::Worker<std::string> worker([](bobbin::ParentPort<std::string>& self) {
    log("hello from worker.js");  // top-level code of worker.js
    self.on_message([&self](const std::string& msg) {
      log("message from main: " + msg);
      self.post_message("message sent from worker");
      self.close();  // the browser page keeps the worker; the program lets it end
    });
  });
  worker.on_message([](const std::string& msg) { log("message received from worker: " + msg); });
  int exit_code = -1;
  worker.on_exit([&](int code) { exit_code = code; });
  worker.post_message("message sent to worker");  // before the worker listens: queued
  log("hello from end of main.js");
  bobbin::run();  // until the worker's exit has been delivered

  const std::size_t main_first = position("hello from main.js");
  const std::size_t main_end = position("hello from end of main.js");
  const std::size_t top = position("hello from worker.js");
  const std::size_t got = position("message from main: message sent to worker");
  const std::size_t back = position("message received from worker: message sent from worker");
  book::check(g_log.size() == 5, "five lines");
  book::check(main_first == 0, "main's first line comes first");
  book::check(top < got, "the worker's top-level code runs before its message handler");
  book::check(main_end < back && got < back, "main's handler runs last");
  book::check(exit_code == 0, "the worker ended normally");
  return book::finish("web worker OK");
}
