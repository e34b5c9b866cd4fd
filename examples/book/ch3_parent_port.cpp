// ch3_parent_port: two-way messages over parentPort (listing 3-5), on bobbin::Worker.
//
// The main thread echoes every message it receives back to the worker. The worker logs each
// message from the main thread ("We got a message from the main thread: ...") and, at start,
// posts "Hello, World!". Flow: worker -> main "Hello, World!" -> main echoes -> worker logs it.
//
// What it shows: both sides listen on their end of the same channel. In the book neither
// listener is ever removed, so the program never exits (a listening port keeps its event loop
// alive). This port applies the fix the book names: the worker closes its port after the first
// message, both loops then have nothing left, and the program ends. Checked: the worker logs
// exactly one message, and it is "Hello, World!".
#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <atomic>
#include <string>

#include "book_support.hpp"

namespace {

std::atomic<int> g_logged{0};
std::string g_last;  // written by the worker, read by main after the worker's exit

}  // namespace

int main() {
  bobbin::Worker<std::string> worker([](bobbin::ParentPort<std::string>& parent_port) {
    parent_port.on_message([&parent_port](const std::string& msg) {
      book::say("We got a message from the main thread: " + msg);
      g_last = msg;
      g_logged.fetch_add(1);
      parent_port.close();  // the fix: without it both loops stay alive forever
    });
    parent_port.post_message("Hello, World!");
  });
  worker.on_message([&worker](std::string msg) { worker.post_message(std::move(msg)); });  // echo
  int exit_code = -1;
  worker.on_exit([&](int code) { exit_code = code; });
  bobbin::run();

  book::check(g_logged.load() == 1, "the worker logs exactly one message");
  book::check(g_last == "Hello, World!", "the echoed message is \"Hello, World!\"");
  book::check(exit_code == 0, "the worker ended on its own once its port was closed");
  return book::finish("parentPort echo OK");
}
