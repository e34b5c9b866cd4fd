// Stress tests of bobbin::Mutex and bobbin::ConditionVariable (label: stress).
//
// The payloads are plain, non-atomic variables guarded by the mutex, so ThreadSanitizer (run
// on these in CI) reports any missing happens-before; the counts at the end are exact.
#include <bobbin/mutex.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bobbin::ConditionVariable;
using bobbin::Int32Array;
using bobbin::Mutex;
using bobbin::SharedArrayBuffer;

constexpr int kScale = bobbin_test::kStressScale;

TEST(MutexStress, PlainCounterUnderTheLockIsExact) {
  constexpr int kThreads = 4;
  const int per_thread = 20000 * kScale;
  SharedArrayBuffer sab(8);
  std::int64_t counter = 0;    // plain: guarded by the lock in cell 0
  std::latch start(kThreads);  // a start gate, so the threads overlap
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Mutex m(Int32Array(sab), 0);  // each thread's own object over the shared cell
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        if (i % 3 == 0 && t % 2 == 0) {
          m.exec([&] { ++counter; });
        } else {
          std::lock_guard guard(m);
          ++counter;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, std::int64_t{kThreads} * per_thread);
  EXPECT_FALSE(Mutex(Int32Array(sab), 0).locked());
}

TEST(MutexStress, TimedTryLockUnderContentionCountsExactly) {
  constexpr int kThreads = 4;
  const int per_thread = 5000 * kScale;
  Mutex m;
  std::int64_t counter = 0;  // plain: guarded by m
  std::vector<std::int64_t> mine(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        // Half the threads block; the others use short timeouts, some zero, so many of their
        // attempts fail (often after parking): the successes must add up, and the blocking
        // threads must never be left asleep by a waiter that timed out.
        const auto timeout = std::chrono::microseconds(i % 4 == 0 ? 0 : (i % 7) * 10);
        if (t % 2 == 0) {
          m.lock();
        } else if (!m.try_lock_for(timeout)) {
          continue;
        }
        for (int k = 0; k < 20; ++k) ++counter;  // a critical section long enough to collide
        mine[t] += 20;
        m.unlock();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::int64_t total = 0;
  for (auto n : mine) total += n;
  EXPECT_EQ(counter, total);
  EXPECT_GE(total, std::int64_t{kThreads / 2} * per_thread * 20);  // every blocking lock
  EXPECT_FALSE(m.locked());
}

TEST(MutexStress, ProducerConsumerWithConditionVariablesIsExact) {
  constexpr int kProducers = 3, kConsumers = 3;
  constexpr std::size_t kCapacity = 8;
  const int per_producer = 5000 * kScale;
  SharedArrayBuffer sab(16);
  Int32Array cells(sab);
  Mutex m(cells, 0);
  ConditionVariable not_full(cells, 1), not_empty(cells, 2);
  std::deque<std::int64_t> queue;   // plain: guarded by m
  int producers_left = kProducers;  // guarded by m
  std::vector<std::int64_t> sums(kConsumers, 0);
  std::vector<std::int64_t> counts(kConsumers, 0);
  std::vector<std::vector<std::int64_t>> last(kConsumers,
                                              std::vector<std::int64_t>(kProducers, -1));
  bool order_kept = true;  // written by consumers under m
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (std::int64_t i = 0; i < per_producer; ++i) {
        std::unique_lock lock(m);
        if (i % 2 == 0) {
          not_full.wait(lock, [&] { return queue.size() < kCapacity; });
        } else {
          while (!not_full.wait_for(lock, 50us, [&] { return queue.size() < kCapacity; })) {
          }
        }
        queue.push_back(p * std::int64_t{1'000'000'000} + i);
        lock.unlock();
        not_empty.notify_one();
      }
      std::lock_guard guard(m);
      if (--producers_left == 0) not_empty.notify_all();
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      for (;;) {
        std::unique_lock lock(m);
        not_empty.wait(lock, [&] { return !queue.empty() || producers_left == 0; });
        if (queue.empty()) return;
        const std::int64_t v = queue.front();
        queue.pop_front();
        const auto producer = static_cast<std::size_t>(v / 1'000'000'000);
        const std::int64_t seq = v % 1'000'000'000;
        if (seq <= last[c][producer]) order_kept = false;  // per-producer FIFO per consumer
        last[c][producer] = seq;
        lock.unlock();
        not_full.notify_one();
        sums[c] += v;
        ++counts[c];
      }
    });
  }
  for (auto& t : threads) t.join();
  std::int64_t total = 0, count = 0;
  for (int c = 0; c < kConsumers; ++c) {
    total += sums[c];
    count += counts[c];
  }
  std::int64_t expected = 0;
  for (std::int64_t p = 0; p < kProducers; ++p) {
    expected +=
        p * 1'000'000'000 * per_producer + std::int64_t{per_producer} * (per_producer - 1) / 2;
  }
  EXPECT_EQ(count, std::int64_t{kProducers} * per_producer);
  EXPECT_EQ(total, expected);
  EXPECT_TRUE(order_kept);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
