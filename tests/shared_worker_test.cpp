// Tests of bobbin::SharedWorker: one named worker shared by many clients, a port per client,
// an on_connect per client, broadcast (the book's chapter 2 example) and when the worker ends.
#include <bobbin/shared_worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using bobbin::MessagePort;
using bobbin::SharedWorker;
using bobbin::SharedWorkerScope;

// The book's shared worker: greets each client with "welcome <n>" and broadcasts every message
// to every connected client, prefixed with its thread id.
struct Hub {
  std::atomic<int>* starts;
  void operator()(SharedWorkerScope<std::string>& self) const {
    ++*starts;
    auto ports = std::make_shared<std::vector<std::shared_ptr<MessagePort<std::string>>>>();
    self.on_connect([ports](MessagePort<std::string> incoming) {
      auto port = std::make_shared<MessagePort<std::string>>(std::move(incoming));
      ports->push_back(port);
      port->post_message("welcome " + std::to_string(ports->size()));
      // The port's own listeners hold the list weakly: the list holds the port (no cycle).
      std::weak_ptr list = ports;
      port->on_message([list](std::string m) {
        if (auto all = list.lock()) {
          for (auto& p : *all) p->post_message(std::to_string(bobbin::thread_id()) + ":" + m);
        }
      });
      port->on_close([list, raw = port.get()] {
        if (auto all = list.lock()) {
          std::erase_if(*all, [raw](const auto& p) { return p.get() == raw; });
        }
      });
    });
  }
};

TEST(SharedWorker, ClientsOfOneNameShareOneWorker) {
  std::atomic<int> starts{0};
  SharedWorker<std::string> red("hub-1", Hub{&starts});
  EXPECT_EQ(red.port().receive(), "welcome 1");
  SharedWorker<std::string> blue("hub-1", Hub{&starts});
  EXPECT_EQ(blue.port().receive(), "welcome 2");
  EXPECT_EQ(red.name(), "hub-1");
  red.port().post_message("hello");
  const auto to_red = red.port().receive();
  const auto to_blue = blue.port().receive();
  ASSERT_TRUE(to_red && to_blue);
  EXPECT_EQ(*to_red, *to_blue);  // the same worker (same thread id) sent both
  EXPECT_NE(to_red->find(":hello"), std::string::npos);
  EXPECT_EQ(to_red->substr(0, 2) == "0:", false);  // not the main thread
  EXPECT_EQ(starts.load(), 1);
}

TEST(SharedWorker, ClientsOnOtherThreads) {
  std::atomic<int> starts{0};
  SharedWorker<std::string> main_client("hub-2", Hub{&starts});
  ASSERT_EQ(main_client.port().receive(), "welcome 1");
  std::atomic<int> ready{0};
  std::vector<std::thread> clients;
  std::vector<std::string> heard(3);
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] {
      SharedWorker<std::string> client("hub-2", Hub{&starts});
      (void)client.port().receive();  // its welcome
      ++ready;
      auto m = client.port().receive();  // the broadcast
      heard[static_cast<std::size_t>(i)] = m.value_or("none");
      while (ready.load() < 4) std::this_thread::yield();  // stay connected until all heard
    });
  }
  while (ready.load() < 3) std::this_thread::yield();
  main_client.port().post_message("all");
  const auto mine = main_client.port().receive();
  ASSERT_TRUE(mine);
  ++ready;
  for (auto& t : clients) t.join();
  for (const auto& h : heard) EXPECT_EQ(h, *mine);
  EXPECT_EQ(starts.load(), 1);
}

TEST(SharedWorker, DifferentNamesAreDifferentWorkers) {
  std::atomic<int> starts{0};
  SharedWorker<std::string> a("hub-3a", Hub{&starts});
  SharedWorker<std::string> b("hub-3b", Hub{&starts});
  EXPECT_EQ(a.port().receive(), "welcome 1");
  EXPECT_EQ(b.port().receive(), "welcome 1");
  EXPECT_EQ(starts.load(), 2);
}

TEST(SharedWorker, LastClientGoneEndsTheWorkerAndANewOneStartsFresh) {
  std::atomic<int> starts{0};
  std::atomic<int> ended{0};
  auto entry = [&](SharedWorkerScope<std::string>& self) {
    struct Guard {
      std::atomic<int>* n = nullptr;
      ~Guard() {
        if (n != nullptr) ++*n;
      }
    };
    ++starts;
    auto guard = std::make_shared<Guard>();
    guard->n = &ended;
    self.on_connect([guard](MessagePort<std::string> p) { p.post_message("hi"); });
  };
  {
    SharedWorker<std::string> a("hub-4", entry);
    EXPECT_EQ(a.port().receive(), "hi");
    {
      SharedWorker<std::string> b("hub-4", entry);
      EXPECT_EQ(b.port().receive(), "hi");
    }
    EXPECT_EQ(ended.load(), 0);  // a still holds it
  }
  EXPECT_EQ(ended.load(), 1);  // joined by the last destructor
  SharedWorker<std::string> c("hub-4", entry);
  EXPECT_EQ(c.port().receive(), "hi");
  EXPECT_EQ(starts.load(), 2);
}

TEST(SharedWorker, TheWorkerSeesAClientLeave) {
  std::atomic<int> closes{0};
  SharedWorker<int> keeper("hub-5", [&](SharedWorkerScope<int>& self) {
    auto held = std::make_shared<std::vector<std::unique_ptr<MessagePort<int>>>>();
    self.on_connect([&closes, held](MessagePort<int> incoming) {
      held->push_back(std::make_unique<MessagePort<int>>(std::move(incoming)));
      MessagePort<int>* port = held->back().get();
      port->post_message(0);
      port->on_close([&closes, port] {
        ++closes;
        EXPECT_FALSE(port->post_message(-1));  // closed: dropped
      });
    });
  });
  ASSERT_EQ(keeper.port().receive(), 0);
  {
    SharedWorker<int> visitor("hub-5", [](SharedWorkerScope<int>&) {});
    EXPECT_EQ(visitor.port().receive(), 0);
  }
  while (closes.load() < 1) std::this_thread::yield();
  EXPECT_EQ(closes.load(), 1);
}

TEST(SharedWorker, SameNameWithOtherTypesThrowsTypeError) {
  SharedWorker<int> a("hub-6", [](SharedWorkerScope<int>&) {});
  EXPECT_THROW((SharedWorker<std::string>("hub-6", [](SharedWorkerScope<std::string>&) {})),
               bobbin::TypeError);
}

TEST(SharedWorker, EmptyNameThrowsTypeError) {
  EXPECT_THROW((SharedWorker<int>("", [](SharedWorkerScope<int>&) {})), bobbin::TypeError);
}

TEST(SharedWorker, WorkerSideIdentity) {
  std::atomic<bool> main{true};
  std::atomic<int> id{0};
  SharedWorker<int> w(bobbin::WorkerOptions{.name = "hub-7", .stack_size = 1 << 20},
                      [&](SharedWorkerScope<int>& self) {
                        main = bobbin::is_main_thread();
                        id = bobbin::thread_id();
                        EXPECT_EQ(self.name(), "hub-7");
                        self.on_connect([](MessagePort<int> p) { p.post_message(1); });
                      });
  EXPECT_EQ(w.port().receive(), 1);
  EXPECT_FALSE(main.load());
  EXPECT_GT(id.load(), 0);
}

TEST(SharedWorker, AWorkerThatEndedClosesItsClientsPorts) {
  SharedWorker<int> a("hub-8", [](SharedWorkerScope<int>&) {});  // nothing keeps it alive
  EXPECT_EQ(a.port().receive(), std::nullopt);                   // closed, nothing sent
  SharedWorker<int> b("hub-8", [](SharedWorkerScope<int>&) {});
  EXPECT_EQ(b.port().receive(), std::nullopt);
}

}  // namespace
