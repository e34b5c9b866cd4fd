// ch3_message_channel: a MessageChannel port transferred to a worker (listing 3-6).
//
// The main thread creates a channel {port1, port2}, gives port2 to the worker inside its worker
// data (transferred: a port cannot be cloned, so C++ demands `std::move`, where Node demands a
// transferList) and echoes on port1. The worker takes its port out of the worker data, logs
// what arrives and posts "Hello, World!" on it. Same observable output as 3-5.
//
// What it shows: a MessagePort is a transferable; after the transfer the main thread's port2
// is moved-from (checked: `valid()` is false), and messages flow on the channel, not on the
// parent port. As in ch3_parent_port, the worker closes its port after the first message (the
// book's program never exits); main's port1 then sees `close` and the program ends.
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/worker.hpp>

#include <atomic>
#include <string>

#include "book_support.hpp"

namespace {

std::atomic<int> g_logged{0};
std::string g_last;  // written by the worker, read by main after the worker's exit

}  // namespace

int main() {
  bobbin::MessageChannel<std::string> channel;
  bobbin::Worker<int> worker(
      [](bobbin::MessagePort<std::string> port) {  // workerData.port
        port.on_message([&port](const std::string& msg) {
          book::say("We got a message from the main thread: " + msg);
          g_last = msg;
          g_logged.fetch_add(1);
          port.close();
        });
        port.post_message("Hello, World!");
        bobbin::run();  // the port lives in this frame: serve it here until it closes
      },
      std::move(channel.port2));
  book::check(!channel.port2.valid(), "port2 was transferred (moved-from in the main thread)");

  bool closed = false;
  channel.port1.on_message([&](std::string msg) { channel.port1.post_message(std::move(msg)); });
  channel.port1.on_close([&] { closed = true; });
  int exit_code = -1;
  worker.on_exit([&](int code) { exit_code = code; });
  bobbin::run();

  book::check(g_logged.load() == 1, "the worker logs exactly one message");
  book::check(g_last == "Hello, World!", "the echoed message is \"Hello, World!\"");
  book::check(closed, "port1 saw the channel close");
  book::check(exit_code == 0, "the worker ended normally");
  return book::finish("MessageChannel echo OK");
}
