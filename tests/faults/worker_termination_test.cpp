// Fault injection: workers terminated while sending, receiving, waiting on atomics, blocked in
// a queue, waiting for a pool task, and handlers that throw inside a worker.
//
// Every test checks the exact accounting after the fault: each message the worker posted (its
// post returned true) reaches the parent exactly once and in order before the exit event; the
// exit code is the documented one; the terminate promise settles; the thread is joined (the
// Worker's destructor joins; a test that ends has joined every worker). Rounds are repeated so
// that the terminate lands at different points. Waits are handshakes, never sleeps.
#include <bobbin/atomics.hpp>
#include <bobbin/bounded_queue.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/thread_pool.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>

#include "support/sanitizers.hpp"

namespace {

using bobbin::ParentPort;
using bobbin::Worker;

constexpr int kRounds = 4 * bobbin_test::kStressScale;

// Polls `pred`, yielding, for up to 20 s (a handshake, not a sleep).
template <class Pred>
bool eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WorkerTermination, WhileSendingEveryPostedMessageArrivesOnceInOrder) {
  for (int round = 0; round < kRounds; ++round) {
    auto posted = std::make_shared<std::atomic<std::int64_t>>(0);
    std::int64_t next = 0;
    bool in_order = true;
    int exit_code = -1;
    Worker<int, std::int64_t> w([posted](ParentPort<int, std::int64_t>& parent) {
      for (std::int64_t i = 0; !bobbin::this_worker::stop_requested(); ++i) {
        if (!parent.post_message(i)) break;
        posted->store(i + 1);
      }
    });
    w.on_message([&](std::int64_t v) {
      in_order = in_order && v == next;
      ++next;
      if (next == 100 + round * 37) (void)w.terminate();
    });
    w.on_exit([&](int code) { exit_code = code; });
    bobbin::run();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(next, posted->load());  // delivered == accepted: none lost, none doubled
    EXPECT_EQ(exit_code, 1);
    EXPECT_EQ(w.terminate().get(), 1);
  }
}

TEST(WorkerTermination, WhileBlockedInReceiveExitCodeOneAndAcksExact) {
  for (int round = 0; round < kRounds; ++round) {
    auto handled = std::make_shared<std::atomic<int>>(0);
    int acks = 0;
    int exit_code = -1;
    Worker<int> w([handled](ParentPort<int>& parent) {
      while (auto m = parent.receive()) {
        handled->fetch_add(1);
        parent.post_message(*m);
      }
    });
    w.on_message([&](int) { ++acks; });
    w.on_exit([&](int code) { exit_code = code; });
    int accepted = 0;
    for (int i = 0; i < 50; ++i) accepted += w.post_message(i) ? 1 : 0;
    std::thread killer([&, round] {
      if (round % 2 == 0) {  // once it has drained everything and blocks again
        ASSERT_TRUE(eventually([&] { return handled->load() == accepted; }));
      }
      EXPECT_EQ(w.terminate().get(), 1);
    });
    bobbin::run();
    killer.join();
    EXPECT_EQ(exit_code, 1);
    EXPECT_EQ(acks, handled->load());
    EXPECT_LE(handled->load(), accepted);
    if (round % 2 == 0) {
      EXPECT_EQ(handled->load(), accepted);
    }
    EXPECT_FALSE(w.post_message(0));  // exited: posts are no-ops
  }
}

TEST(WorkerTermination, WhileWaitingOnAtomicsTheWaitThrowsTerminated) {
  for (int round = 0; round < kRounds; ++round) {
    bobbin::SharedArrayBuffer sab(8);
    bobbin::Int32Array cells(sab);
    auto saw_terminated = std::make_shared<std::atomic<bool>>(false);
    Worker<int> w(
        [saw_terminated](ParentPort<int>&, bobbin::SharedArrayBuffer shared) {
          bobbin::Int32Array c(shared);
          bobbin::atomics::store(c, 1, 1);  // "about to wait"
          try {
            (void)bobbin::atomics::wait(c, 0, 0);  // nobody ever notifies
          } catch (const bobbin::TerminatedError&) {
            saw_terminated->store(true);
            throw;
          }
        },
        sab);
    int exit_code = -1;
    w.on_exit([&](int code) { exit_code = code; });
    ASSERT_TRUE(eventually([&] { return bobbin::atomics::load(cells, 1) == 1; }));
    auto done = w.terminate();
    bobbin::run();
    EXPECT_EQ(done.get(), 1);
    EXPECT_EQ(exit_code, 1);
    EXPECT_TRUE(saw_terminated->load());
    EXPECT_EQ(bobbin::atomics::load(cells, 0), 0);
  }
}

TEST(WorkerTermination, WhileBlockedInABoundedQueueNothingIsLostOrDoubled) {
  for (int round = 0; round < kRounds; ++round) {
    auto q = std::make_shared<bobbin::BoundedQueue<std::int64_t>>(4);
    auto pushed = std::make_shared<std::atomic<std::int64_t>>(0);
    Worker<int> w([q, pushed](ParentPort<int>&) {
      for (std::int64_t i = 0;; ++i) {
        if (!q->push(i)) return;  // blocks while full; interrupted by terminate
        pushed->store(i + 1);
      }
    });
    std::int64_t expected = 0;
    bool in_order = true;
    for (int i = 0; i < 20 + round; ++i) {
      auto v = q->pop();
      ASSERT_TRUE(v.has_value());
      in_order = in_order && *v == expected++;
    }
    // The producer is now (or soon) blocked on a full queue: terminate it there.
    ASSERT_TRUE(eventually([&] { return q->size() == 4 || q->waiting_producers() > 0; }));
    EXPECT_EQ(w.terminate().get(), 1);
    while (auto v = q->try_pop()) in_order = in_order && *v == expected++;
    EXPECT_TRUE(in_order);
    EXPECT_EQ(expected, pushed->load());  // every element whose push returned true, once
    bobbin::run();
  }
}

TEST(WorkerTermination, WhileWaitingForAPoolTaskThePoolStaysHealthy) {
  bobbin::ThreadPool pool({.min_threads = 2, .max_threads = 2});
  for (int round = 0; round < kRounds; ++round) {
    auto gate = std::make_shared<bobbin::BoundedQueue<int>>(1);
    auto task_ran = std::make_shared<std::atomic<int>>(0);
    auto waiting = std::make_shared<std::atomic<bool>>(false);
    auto caught = std::make_shared<std::atomic<bool>>(false);
    bobbin::Promise<int> task;
    {
      Worker<int> w([&pool, gate, task_ran, waiting, caught, &task](ParentPort<int>&) {
        task = pool.run([gate, task_ran] {
          auto v = gate->pop();  // held until the test opens the gate
          task_ran->fetch_add(1);
          return v.value_or(-1);
        });
        waiting->store(true);
        try {
          (void)task.get();
        } catch (const bobbin::TerminatedError&) {
          caught->store(true);
          throw;
        }
      });
      ASSERT_TRUE(eventually([&] { return waiting->load(); }));
      EXPECT_EQ(w.terminate().get(), 1);
      bobbin::run();
    }
    EXPECT_TRUE(caught->load());
    // The task the worker abandoned still runs to its end and settles its promise.
    ASSERT_TRUE(gate->push(round));
    EXPECT_EQ(task.get(), round);
    EXPECT_EQ(task_ran->load(), 1);
    EXPECT_EQ(pool.run([] { return 5; }).get(), 5);
  }
  pool.close().get();
}

TEST(WorkerTermination, ThrowingMessageHandlerEndsTheWorkerAfterExactlyItsMessages) {
  for (int round = 0; round < kRounds; ++round) {
    const int fatal = 3 + round;
    std::vector<int> got;
    std::exception_ptr error;
    int exit_code = -1;
    std::vector<int> events;  // 1 message, 2 error, 3 exit
    Worker<int> w([fatal](ParentPort<int>& parent) {
      parent.on_message([&parent, fatal](int m) {
        if (m == fatal) throw std::runtime_error("handler failed");
        parent.post_message(m);
      });
    });
    w.on_message([&](int m) {
      got.push_back(m);
      events.push_back(1);
    });
    w.on_error([&](std::exception_ptr e) {
      error = e;
      events.push_back(2);
    });
    w.on_exit([&](int code) {
      exit_code = code;
      events.push_back(3);
    });
    for (int i = 0; i < fatal + 10; ++i) (void)w.post_message(i);
    bobbin::run();
    std::vector<int> want;
    for (int i = 0; i < fatal; ++i) want.push_back(i);
    EXPECT_EQ(got, want);
    ASSERT_TRUE(error);
    EXPECT_THROW(std::rethrow_exception(error), std::runtime_error);
    EXPECT_EQ(exit_code, 1);
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[events.size() - 2], 2);
    EXPECT_EQ(events.back(), 3);
  }
}

}  // namespace
