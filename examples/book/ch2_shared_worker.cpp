// ch2_shared_worker: one worker shared by several pages (listings 2-4 to 2-7,
// ch2-shared-workers), on bobbin::SharedWorker.
//
// red.js and blue.js (here: two client threads, "red" and "blue") each construct a
// SharedWorker on the same script and log every message on their port as "EVENT". The shared
// worker picks a random ID at start-up, keeps the set of connected ports, logs "CONN ID size"
// on each connect and "MESSAGE ID data" on each message, and broadcasts [ID, data] to every
// port, the sender's included.
//
// What it shows: one instance serves every client (both see the same ID), a client's
// connection arrives as a connect event carrying a port of its own, and a broadcast is a loop
// over the ports. Fixes to the book (research §2-4): the book never forgets a closed page's
// port (a leak); here the worker drops a port when its client goes away (the port's `close`),
// which is the fix the book suggests. In the browser the reader posts by hand from devtools;
// here each client posts one message once it has seen that both clients are connected (the
// worker announces "CONN" to every port), so every client must receive both messages.
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_worker.hpp>

#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "book_support.hpp"

namespace {

using Event = std::pair<int, std::string>;  // [ID, data]
using Scope = bobbin::SharedWorkerScope<std::string, Event>;

// shared-worker.js
void shared_worker(Scope& self) {
  std::mt19937 rng{std::random_device{}()};
  const int id = std::uniform_int_distribution<int>(0, 999'998)(rng);  // floor(random × 999999)
  book::say("shared-worker.js " + std::to_string(id));
  auto ports = std::make_shared<std::map<int, Scope::Port>>();
  auto next_key = std::make_shared<int>(0);
  // The ports' own listeners hold the set weakly: a strong reference from a port's listener
  // back to the set holding that port would be a cycle that outlives the worker.
  std::weak_ptr<std::map<int, Scope::Port>> weak_ports = ports;
  auto broadcast = [weak_ports](const Event& event) {
    if (auto all = weak_ports.lock()) {
      for (auto& [key, port] : *all) port.post_message(event);
    }
  };
  self.on_connect([=](Scope::Port port) {
    const int key = (*next_key)++;
    port.on_message([=](const std::string& data) {
      book::say("MESSAGE " + std::to_string(id) + " " + data);
      broadcast({id, data});
    });
    port.on_close([=] {
      // The fix for the book's leak: forget the page's port. Erased from a later task, not
      // from inside the port's own callback.
      bobbin::EventLoop::current().post([=] {
        if (auto all = weak_ports.lock()) {
          all->erase(key);
          book::say("GONE " + std::to_string(id) + " " + std::to_string(all->size()));
        }
      });
    });
    ports->emplace(key, std::move(port));
    book::say("CONN " + std::to_string(id) + " " + std::to_string(ports->size()));
    broadcast({id, "CONN " + std::to_string(ports->size())});
  });
}

struct Page {
  std::string name;
  std::vector<Event> events;  // the data messages this page received (no CONN announcements)
};

// red.js / blue.js: connect, log every EVENT, post one message once both pages are connected,
// leave (destroying the SharedWorker closes this page's port) once both messages arrived.
void page(Page& self, std::latch& connected) {
  bobbin::SharedWorker<std::string, Event> worker("shared-worker.js", shared_worker);
  connected.arrive_and_wait();  // both pages hold the worker: it cannot end between them
  book::say(self.name + ".js");
  bool posted = false;
  worker.port().on_message([&](const Event& event) {
    book::say(self.name + " EVENT [" + std::to_string(event.first) + ", \"" + event.second + "\"]");
    if (event.second == "CONN 2" && !posted) {
      posted = true;
      worker.port().post_message("hello from " + self.name);
    } else if (!event.second.starts_with("CONN")) {
      self.events.push_back(event);
      if (self.events.size() == 2) worker.port().close();
    }
  });
  bobbin::run();
}

}  // namespace

int main() {
  Page red{"red", {}}, blue{"blue", {}};
  std::latch connected(2);
  std::thread red_thread(page, std::ref(red), std::ref(connected));
  std::thread blue_thread(page, std::ref(blue), std::ref(connected));
  red_thread.join();
  blue_thread.join();

  book::check(red.events.size() == 2 && blue.events.size() == 2, "each page got both messages");
  if (red.events.size() == 2 && blue.events.size() == 2) {
    const int id = red.events[0].first;
    bool same = true;
    std::multiset<std::string> red_data, blue_data;
    for (const Event& e : red.events) {
      same = same && e.first == id;
      red_data.insert(e.second);
    }
    for (const Event& e : blue.events) {
      same = same && e.first == id;
      blue_data.insert(e.second);
    }
    book::check(same, "every EVENT carries the same worker ID (one shared instance)");
    const std::multiset<std::string> expected{"hello from blue", "hello from red"};
    book::check(red_data == expected && blue_data == expected, "broadcast reached both pages");
  }
  return book::finish("shared worker OK");
}
