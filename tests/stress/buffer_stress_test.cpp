// Stress tests for the memory layer (array_buffer.hpp, shared_array_buffer.hpp,
// typed_array.hpp): racing grows of one growable SharedArrayBuffer, readers of a
// length-tracking view while writers grow, and handles copied and destroyed on many threads
// while others write through bobbin::atomics. Meant to run under ThreadSanitizer too.
//
// Every iteration count derives from kScale; each test takes well under two seconds at 1
// without sanitizers. Raise it for a longer soak.
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace atomics = bobbin::atomics;
using bobbin::SharedArrayBuffer;
using bobbin::SharedArrayBufferOptions;

constexpr int kScale = 1;

// (a) Four threads grow one buffer towards random, per-thread increasing targets. Grows are
// totally ordered and never lost: each grow succeeds (and the length is then at least its
// target), or throws RangeError only because a larger length was already in place. The final
// length is the largest target anyone asked for, no thread ever sees the length go down, and
// every byte a grow reveals reads as zero.
TEST(BufferStress, RacingGrowsAreNeverLost) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 150 * kScale;
  constexpr std::size_t kMax = 64 * 1024;
  constexpr std::size_t kMaxStep = kMax / 40;

  std::atomic<int> lost{0};            // a grow that neither took effect nor lost to a larger one
  std::atomic<int> wrong_error{0};     // anything but RangeError from an in-range grow
  std::atomic<int> went_down{0};       // a thread saw the length decrease
  std::atomic<int> nonzero{0};         // a revealed byte that was not zero
  std::atomic<long> succeeded{0};
  std::atomic<long> refused{0};

  for (int round = 0; round < kRounds; ++round) {
    SharedArrayBuffer sab(0, SharedArrayBufferOptions{.max_byte_length = kMax});
    std::vector<std::size_t> largest(kThreads, 0);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, handle = sab]() mutable {
        std::mt19937 rng(static_cast<std::uint32_t>(round * kThreads + t));
        std::uniform_int_distribution<std::size_t> step(1, kMaxStep);
        bobbin::Uint8Array bytes(handle);  // tracks the length
        std::size_t seen = 0;   // the largest length this thread observed
        std::size_t target = 0;
        start.arrive_and_wait();
        while (target < kMax) {
          target = std::min(kMax, target + step(rng));
          largest[static_cast<std::size_t>(t)] = target;
          try {
            handle.grow(target);
            succeeded.fetch_add(1, std::memory_order_relaxed);
            if (handle.byte_length() < target) lost.fetch_add(1);
          } catch (const bobbin::RangeError&) {
            refused.fetch_add(1, std::memory_order_relaxed);
            if (handle.byte_length() <= target) lost.fetch_add(1);
          } catch (...) {
            wrong_error.fetch_add(1);
          }
          const std::size_t now = handle.byte_length();
          if (now < seen) went_down.fetch_add(1);
          if (bytes.length() < now) went_down.fetch_add(1);  // read after: at least `now`
          // Bytes between what this thread saw before and now were revealed since; nobody
          // writes, so they must all read as zero.
          for (std::size_t i = seen; i < now; ++i) {
            if (bytes[i] != 0) nonzero.fetch_add(1);
          }
          seen = std::max(seen, now);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const std::size_t expected = *std::max_element(largest.begin(), largest.end());
    ASSERT_EQ(sab.byte_length(), expected) << "round " << round;
    ASSERT_EQ(sab.byte_length(), kMax) << "round " << round;  // every thread ends at kMax
  }
  EXPECT_EQ(lost.load(), 0);
  EXPECT_EQ(wrong_error.load(), 0);
  EXPECT_EQ(went_down.load(), 0);
  EXPECT_EQ(nonzero.load(), 0);
  EXPECT_GT(succeeded.load(), 0);
  // Grows that lost the race are expected, but not required, to happen on a 2-core machine.
  RecordProperty("refused_grows", static_cast<int>(refused.load()));
}

// (a') Same, with targets that do not end at the maximum: the final length is the largest
// target requested, whichever thread asked for it.
TEST(BufferStress, FinalLengthIsTheLargestTarget) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 400 * kScale;
  constexpr int kGrowsPerThread = 50;
  constexpr std::size_t kMax = 1 << 20;

  for (int round = 0; round < kRounds; ++round) {
    SharedArrayBuffer sab(0, SharedArrayBufferOptions{.max_byte_length = kMax});
    std::vector<std::size_t> largest(kThreads, 0);
    std::atomic<int> lost{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<std::uint32_t>(1000003 * round + t));
        std::uniform_int_distribution<std::size_t> step(1, kMax / (2 * kGrowsPerThread));
        std::size_t target = 0;
        start.arrive_and_wait();
        for (int i = 0; i < kGrowsPerThread; ++i) {
          target += step(rng);
          try {
            sab.grow(target);
          } catch (const bobbin::RangeError&) {
            if (sab.byte_length() <= target) lost.fetch_add(1);
          }
        }
        largest[static_cast<std::size_t>(t)] = target;
      });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(lost.load(), 0) << "round " << round;
    ASSERT_EQ(sab.byte_length(), *std::max_element(largest.begin(), largest.end()))
        << "round " << round;
  }
}

// (b) Readers read a length-tracking Int32Array's length() while writers grow the buffer and
// mark the last element of each length they set. A reader's length never goes down, never
// exceeds the buffer's length read after it, and its last element is readable (0 or a mark).
TEST(BufferStress, TrackingLengthWhileGrowing) {
  constexpr int kWriters = 2;
  constexpr int kReaders = 2;
  constexpr int kRounds = 60 * kScale;
  constexpr std::size_t kMaxElements = 4096;
  constexpr std::size_t kMax = kMaxElements * sizeof(std::int32_t);

  std::atomic<int> bad{0};
  std::atomic<long> reads{0};
  for (int round = 0; round < kRounds; ++round) {
    SharedArrayBuffer sab(0, SharedArrayBufferOptions{.max_byte_length = kMax});
    const bobbin::Int32Array tracking(sab);
    std::atomic<bool> done{false};
    std::latch start(kWriters + kReaders);
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w, handle = sab, view = tracking]() mutable {
        std::mt19937 rng(static_cast<std::uint32_t>(round * 31 + w));
        std::uniform_int_distribution<std::size_t> step(1, 16);
        start.arrive_and_wait();
        for (;;) {
          const std::size_t current = handle.byte_length() / sizeof(std::int32_t);
          if (current >= kMaxElements) break;
          const std::size_t target = std::min(kMaxElements, current + step(rng));
          try {
            handle.grow(target * sizeof(std::int32_t));
            atomics::store(view, target - 1, 1);  // the element exists: lengths only grow
          } catch (const bobbin::RangeError&) {
            // another writer got further first
          }
        }
      });
    }
    for (int r = 0; r < kReaders; ++r) {
      threads.emplace_back([&, view = tracking] {
        start.arrive_and_wait();
        std::size_t last = 0;
        long count = 0;
        for (;;) {
          const std::size_t n = view.length();
          ++count;
          if (n < last) bad.fetch_add(1);
          if (n * sizeof(std::int32_t) > sab.byte_length()) bad.fetch_add(1);
          if (n > 0) {
            const std::int32_t v = atomics::load(view, n - 1);
            if (v != 0 && v != 1) bad.fetch_add(1);
          }
          last = n;
          if (n == kMaxElements || done.load()) break;
        }
        reads.fetch_add(count, std::memory_order_relaxed);
      });
    }
    for (int i = 0; i < kWriters; ++i) threads[static_cast<std::size_t>(i)].join();
    done.store(true);
    for (std::size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
    ASSERT_EQ(tracking.length(), kMaxElements) << "round " << round;
    EXPECT_EQ(atomics::load(tracking, kMaxElements - 1), 1);
  }
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

// (c) Handles are copied from a common handle, passed between threads through a pool,
// destroyed on any thread, and the last one dies on a worker, while every thread writes
// through bobbin::atomics. Sanitizers catch a reference-count error as a use-after-free or a
// leak; the counts catch lost writes.
TEST(BufferStress, HandlesCopiedAndDestroyedWhileWriting) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 80 * kScale;
  constexpr int kIterations = 1500;
  constexpr std::size_t kCells = 1 + kThreads;  // cell 0: total; cell 1 + t: thread t

  for (int round = 0; round < kRounds; ++round) {
    std::mutex pool_mutex;
    std::vector<SharedArrayBuffer> pool;
    std::atomic<int> finished{0};
    std::atomic<std::int32_t> total_seen{-1};
    std::atomic<int> bad{0};
    std::latch start(kThreads + 1);
    std::latch copied(kThreads + 1);
    std::vector<std::thread> threads;
    {
      const SharedArrayBuffer common(kCells * sizeof(std::int32_t));
      pool.assign(4, common);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          start.arrive_and_wait();
          // Every worker copies the common handle at once; the main thread drops it as
          // soon as all of them hold their copy, while they are already at work.
          SharedArrayBuffer mine = common;
          copied.count_down();
          std::mt19937 rng(static_cast<std::uint32_t>(round * 97 + t));
          std::vector<SharedArrayBuffer> held;
          for (int i = 0; i < kIterations; ++i) {
            switch (rng() % 4) {
              case 0: {  // take one out of the pool, if any
                std::unique_lock lock(pool_mutex);
                if (!pool.empty()) {
                  held.push_back(std::move(pool.back()));
                  pool.pop_back();
                }
                break;
              }
              case 1: {  // put a copy into the pool
                SharedArrayBuffer copy = mine;
                std::unique_lock lock(pool_mutex);
                if (pool.size() < 16) pool.push_back(std::move(copy));
                break;  // or drop it here, after unlocking
              }
              case 2:
                held.push_back(held.empty() ? mine : held.back());
                break;
              default:
                if (!held.empty()) held.erase(held.begin());  // destroy a handle
                break;
            }
            const SharedArrayBuffer& via = held.empty() ? mine : held.back();
            if (!(via == mine)) bad.fetch_add(1);
            const bobbin::Int32Array cells(via);
            atomics::add(cells, 0, 1);
            atomics::add(cells, static_cast<std::size_t>(1 + t), 1);
            if (held.size() > 8) held.clear();
          }
          held.clear();
          {  // drain the pool so that the last handles die on workers
            std::vector<SharedArrayBuffer> drained;
            {
              std::unique_lock lock(pool_mutex);
              drained.swap(pool);
            }
          }
          const bobbin::Int32Array cells(mine);
          if (atomics::load(cells, static_cast<std::size_t>(1 + t)) != kIterations) {
            bad.fetch_add(1);
          }
          // seq_cst: the last thread to finish sees every other thread's adds.
          if (finished.fetch_add(1) == kThreads - 1) total_seen.store(atomics::load(cells, 0));
        });
      }
      start.arrive_and_wait();
      copied.arrive_and_wait();
    }  // `common` dies here, racing the workers' copies and destructions of other handles
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(bad.load(), 0) << "round " << round;
    ASSERT_EQ(total_seen.load(), kThreads * kIterations) << "round " << round;
    EXPECT_TRUE(pool.empty());
  }
}

}  // namespace
