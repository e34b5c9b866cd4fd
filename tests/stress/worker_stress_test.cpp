// Stress tests of bobbin::Worker: workers terminated mid-send and mid-receive, many short-lived
// workers, nested workers, concurrent terminates, destructors racing the start. Exact
// accounting: every message a worker posted successfully is delivered exactly once and in
// order, every thread is joined (the Worker destructors return), every terminate promise is
// settled.
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "support/sanitizers.hpp"

namespace {

using bobbin::ParentPort;
using bobbin::Worker;

constexpr int kScale = bobbin_test::kStressScale;

// The worker floods the parent until it is terminated; the parent terminates it after `k`
// messages. Everything the worker's posts accepted arrives, in order, before on_exit.
TEST(WorkerStress, TerminatedMidSend) {
  for (int round = 0; round < 25 * kScale; ++round) {
    // Cell 0: how many posts the worker's port accepted; cell 1: how many the parent got (the
    // worker stays at most 64 messages ahead, so a round stays short).
    bobbin::Int32Array counts(bobbin::SharedArrayBuffer(8));
    Worker<int> w(
        [](ParentPort<int>& parent, bobbin::Int32Array count) {
          int n = 0;
          while (!bobbin::this_worker::stop_requested()) {
            if (n - bobbin::atomics::load(count, 1) > 64) {
              std::this_thread::yield();
              continue;
            }
            if (parent.post_message(n)) ++n;
          }
          bobbin::atomics::store(count, 0, n);
        },
        counts);
    const std::size_t stop_after = static_cast<std::size_t>(1 + (round * 37) % 500);
    std::vector<int> got;
    std::optional<bobbin::Promise<int>> terminated;
    std::size_t at_exit = 0;
    int code = -5;
    w.on_message([&](int v) {
      got.push_back(v);
      bobbin::atomics::store(counts, 1, static_cast<int>(got.size()));
      if (got.size() == stop_after) terminated = w.terminate();
    });
    w.on_exit([&](int c) {
      code = c;
      at_exit = got.size();
    });
    bobbin::run();
    ASSERT_TRUE(terminated.has_value());
    EXPECT_EQ(terminated->get(), 1);
    EXPECT_EQ(code, 1);
    EXPECT_EQ(at_exit, got.size());
    ASSERT_EQ(got.size(), static_cast<std::size_t>(bobbin::atomics::load(counts, 0)));
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<int>(i));
  }
}

// The worker echoes what it receives; the parent posts a burst and terminates mid-way. The
// echoes are a prefix of what was posted, in order, each once.
TEST(WorkerStress, TerminatedMidReceive) {
  for (int round = 0; round < 25 * kScale; ++round) {
    Worker<int> w([](ParentPort<int>& parent) {
      while (auto m = parent.receive()) parent.post_message(*m);
    });
    std::vector<int> got;
    w.on_message([&](int v) { got.push_back(v); });
    const int burst = 200;
    const int cut = (round * 53) % burst;
    for (int i = 0; i < burst; ++i) {
      if (i == cut) w.terminate();
      w.post_message(i);  // false once the worker has gone: dropped
    }
    bool exited = false;
    w.on_exit([&](int c) {
      exited = true;
      EXPECT_EQ(c, 1);
    });
    bobbin::run();
    EXPECT_TRUE(exited);
    ASSERT_LE(got.size(), static_cast<std::size_t>(burst));
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<int>(i));
  }
}

// Many short-lived workers, half of them terminated right after construction: every exit is
// delivered exactly once, every terminate promise settles, the sum of what arrived is exact.
TEST(WorkerStress, ManyShortLivedWorkers) {
  for (int round = 0; round < 10 * kScale; ++round) {
    std::vector<Worker<int>> workers;
    std::vector<bobbin::Promise<int>> terminations;
    long long sum = 0, expected = 0;
    int exits = 0;
    for (int i = 0; i < 8; ++i) {
      workers.emplace_back([](ParentPort<int>& p, int v) { p.post_message(v); }, i + 1);
      workers.back().on_message([&](int v) { sum += v; });
      workers.back().on_exit([&](int) { ++exits; });
      if (i % 2 == 1) {
        terminations.push_back(workers.back().terminate());
      } else {
        expected += i + 1;
      }
    }
    bobbin::run();
    EXPECT_EQ(exits, 8);
    for (auto& t : terminations) {
      const int code = t.get();
      EXPECT_TRUE(code == 0 || code == 1) << code;  // ended on its own, or was stopped
    }
    // Terminated workers may or may not have posted first; the others always did.
    EXPECT_GE(sum, expected);
    EXPECT_LE(sum, 36);
  }
}

// A worker owning a child owning a grandchild, all blocked; terminating the top unwinds all
// three before its terminate promise settles.
TEST(WorkerStress, NestedWorkersAreTornDownWithTheirParent) {
  for (int round = 0; round < 10 * kScale; ++round) {
    auto unwound = std::make_shared<std::atomic<int>>(0);
    auto blocked = std::make_shared<std::atomic<int>>(0);
    struct Flag {
      std::shared_ptr<std::atomic<int>> n;
      ~Flag() { ++*n; }
    };
    Worker<int> top([unwound, blocked](ParentPort<int>& parent) {
      Flag flag{unwound};
      Worker<int> child([unwound, blocked](ParentPort<int>& p) {
        Flag child_flag{unwound};
        Worker<int> grandchild([unwound, blocked](ParentPort<int>& q) {
          Flag grandchild_flag{unwound};
          ++*blocked;
          while (q.receive()) {
          }
        });
        ++*blocked;
        while (p.receive()) {
        }
      });
      ++*blocked;
      while (parent.receive()) {
      }
    });
    if (round % 2 == 0) {
      while (blocked->load() < 3) std::this_thread::yield();
    }
    EXPECT_EQ(top.terminate().get(), 1);
    // All three levels that started have unwound (a level terminated before it started
    // never ran its entry and so never started the next one).
    EXPECT_EQ(unwound->load(), blocked->load());
    if (round % 2 == 0) {
      EXPECT_EQ(unwound->load(), 3);
    }
    bobbin::run();
  }
}

// terminate() from several threads at once: every promise settles with the same code.
TEST(WorkerStress, ConcurrentTerminates) {
  for (int round = 0; round < 10 * kScale; ++round) {
    Worker<int> w([](ParentPort<int>& p) {
      while (p.receive()) {
      }
    });
    std::vector<std::thread> threads;
    std::atomic<int> ones{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        if (w.terminate().get() == 1) ++ones;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ones.load(), 4);
    bobbin::run();
  }
}

// Workers destroyed at once, whether or not their thread has started: every destructor
// returns (the thread is joined) and the parent's loop is released.
TEST(WorkerStress, DestructorRacesTheStart) {
  std::atomic<int> ran{0};
  for (int round = 0; round < 50 * kScale; ++round) {
    Worker<int> w([&](ParentPort<int>& p) {
      ++ran;
      while (p.receive()) {
      }
    });
  }
  bobbin::run();
  EXPECT_LE(ran.load(), 50 * kScale);
}

}  // namespace
