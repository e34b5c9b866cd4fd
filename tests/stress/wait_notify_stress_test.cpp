// Stress tests of the waiting core and of atomics::wait/notify (label: stress).
//
// Each test drives many threads through park/unpark or wait/notify and checks exact
// accounting at the end: no lost wake-up (the test would hang and hit its ctest timeout), no
// double outcome, no waiter left behind. ThreadSanitizer runs them in CI.
#include <bobbin/atomics.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace {

namespace pl = bobbin::parking_lot;
namespace atomics = bobbin::atomics;
using namespace std::chrono_literals;

constexpr int kScale = bobbin_test::kStressScale;

// A counting semaphore built directly on the parking lot. Releases take the lock-free fast
// path of unpark whenever nobody is parked, so this checks the store-buffering argument that
// makes that fast path safe.
class Semaphore {
 public:
  void release() {
    tokens_.fetch_add(1, std::memory_order_seq_cst);
    pl::unpark_one(&tokens_);
  }
  void acquire() {
    for (;;) {
      std::int64_t t = tokens_.load(std::memory_order_seq_cst);
      while (t > 0) {
        if (tokens_.compare_exchange_weak(t, t - 1, std::memory_order_seq_cst)) return;
      }
      pl::park(&tokens_, [&] { return tokens_.load(std::memory_order_seq_cst) == 0; });
    }
  }

 private:
  std::atomic<std::int64_t> tokens_{0};
};

TEST(WaitNotifyStress, SemaphoreLosesNoWakeUp) {
  constexpr int kProducers = 3, kConsumers = 3;
  const int per_thread = 4000 * kScale;
  Semaphore semaphore;
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kConsumers; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < per_thread; ++n) {
        semaphore.acquire();
        consumed.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int i = 0; i < kProducers; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < per_thread; ++n) semaphore.release();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(consumed.load(), kConsumers * per_thread);
}

// A token passed round a ring of threads through wait/notify on an Int32Array: thread i waits
// until cell i holds its turn, then hands the next turn to thread i+1.
TEST(WaitNotifyStress, TokenRingThroughAtomicsWaitNotify) {
  constexpr int kThreads = 4;
  const int rounds = 500 * kScale;
  bobbin::SharedArrayBuffer sab(kThreads * sizeof(std::int32_t));
  bobbin::Int32Array cells(sab);
  std::int64_t plain_sum = 0;  // plain memory, ordered only by wait/notify
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i, cells] {
      for (int round = 1; round <= rounds; ++round) {
        std::int32_t seen;
        while ((seen = atomics::load(cells, i)) != round) {
          atomics::wait(cells, static_cast<std::size_t>(i), seen);
        }
        plain_sum += i;
        const int next = (i + 1) % kThreads;
        atomics::store(cells, next, next == 0 ? round + 1 : round);
        atomics::notify(cells, static_cast<std::size_t>(next), 1);
      }
    });
  }
  atomics::store(cells, 0, 1);
  atomics::notify(cells, 0);
  for (auto& t : threads) t.join();
  EXPECT_EQ(plain_sum, static_cast<std::int64_t>(rounds) * (0 + 1 + 2 + 3));
  EXPECT_EQ(atomics::load(cells, 0), rounds + 1);
}

// Many waiters with short random timeouts on one cell; a notifier wakes one at a time. Every
// wake-up notify reports must be matched by exactly one waiter that returned `ok`.
TEST(WaitNotifyStress, TimeoutsRacingNotifiesAccountExactly) {
  constexpr int kWaiters = 4;
  const int per_waiter = 300 * kScale;
  bobbin::SharedArrayBuffer sab(sizeof(std::int32_t));
  bobbin::Int32Array cell(sab);
  std::atomic<int> ok{0}, timed_out{0}, finished{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWaiters; ++w) {
    threads.emplace_back([&, w] {
      std::minstd_rand random(static_cast<unsigned>(w) + 1);
      for (int n = 0; n < per_waiter; ++n) {
        const auto timeout = std::chrono::microseconds(random() % 200);
        switch (atomics::wait(cell, 0, 0, timeout)) {
          case atomics::WaitResult::ok:
            ok.fetch_add(1);
            break;
          case atomics::WaitResult::timed_out:
            timed_out.fetch_add(1);
            break;
          case atomics::WaitResult::not_equal:
            ADD_FAILURE() << "the cell never changes";
            break;
        }
      }
      finished.fetch_add(1);
    });
  }
  std::size_t reported = 0;
  while (finished.load() < kWaiters) reported += atomics::notify(cell, 0, 1);
  for (auto& t : threads) t.join();
  EXPECT_EQ(reported, static_cast<std::size_t>(ok.load()));
  EXPECT_EQ(ok.load() + timed_out.load(), kWaiters * per_waiter);
  EXPECT_EQ(pl::parked(cell.element(0)), 0u);
}

// Interrupts fired at threads that park and unpark continuously: each interrupt is observed
// (by the park it woke or by the next one), and nothing hangs.
TEST(WaitNotifyStress, InterruptsAreNeverLost) {
  constexpr int kThreads = 3;
  const int interrupts_each = 200 * kScale;
  int key = 0;
  std::vector<pl::ThreadHandle> handles(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::atomic<int>> observed(kThreads);
  std::vector<std::atomic<int>> sent(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      handles[static_cast<std::size_t>(i)] = pl::this_thread();
      ready.fetch_add(1);
      while (observed[static_cast<std::size_t>(i)].load() < interrupts_each) {
        // Alternate long parks (woken by interrupts or unparks) and instant ones.
        const auto r = pl::park_for(&key, [] { return true; }, 30s);
        if (r == pl::ParkResult::interrupted) {
          pl::clear_interrupt();
          observed[static_cast<std::size_t>(i)].fetch_add(1);
        }
      }
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  for (int n = 0; n < interrupts_each; ++n) {
    for (int i = 0; i < kThreads; ++i) {
      // Send the next interrupt only after the previous one was observed, so none merge.
      while (observed[static_cast<std::size_t>(i)].load() < sent[static_cast<std::size_t>(i)].load()) {
        pl::unpark_one(&key);  // stir: unparks make threads loop and re-park
        std::this_thread::yield();
      }
      sent[static_cast<std::size_t>(i)].fetch_add(1);
      pl::interrupt(handles[static_cast<std::size_t>(i)]);
    }
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(observed[static_cast<std::size_t>(i)].load(), interrupts_each);
  }
}

}  // namespace
