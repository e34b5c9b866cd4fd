// Stress tests of bobbin::BoundedQueue (label: stress): many producers and consumers mixing
// blocking, try and timed operations, at capacity 1 and 1024, and close() racing with both
// sides. Each checks exact accounting: the multiset of received values equals the multiset of
// successfully pushed ones, and each producer's values arrive in the order it pushed them.
// ThreadSanitizer runs them in CI.
#include <bobbin/bounded_queue.hpp>

#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using bobbin::BoundedQueue;
using namespace std::chrono_literals;

constexpr int kScale = bobbin_test::kStressScale;

// A value encodes its producer and its sequence number within that producer.
constexpr std::uint64_t encode(int producer, std::uint64_t n) {
  return (static_cast<std::uint64_t>(producer) << 40) | n;
}
constexpr int producer_of(std::uint64_t v) { return static_cast<int>(v >> 40); }
constexpr std::uint64_t seq_of(std::uint64_t v) { return v & ((std::uint64_t{1} << 40) - 1); }

enum class Mode { blocking, try_spin, timed, mixed };

// Pushes `v` in the given mode; returns false only if the queue is closed.
bool push_one(BoundedQueue<std::uint64_t>& q, Mode mode, std::uint64_t v, unsigned& rng) {
  rng = rng * 1103515245u + 12345u;
  Mode m = mode == Mode::mixed ? static_cast<Mode>((rng >> 16) % 3) : mode;
  switch (m) {
    case Mode::blocking:
      return q.push(v);
    case Mode::try_spin:
      for (;;) {
        if (q.try_push(v)) return true;
        if (q.closed()) return false;
        std::this_thread::yield();
      }
    default:
      for (;;) {
        if (q.try_push_for(v, 50us)) return true;
        if (q.closed()) return false;
      }
  }
}

// Pops in the given mode; nullopt only once the queue is closed and drained.
std::optional<std::uint64_t> pop_one(BoundedQueue<std::uint64_t>& q, Mode mode, unsigned& rng) {
  rng = rng * 1103515245u + 12345u;
  Mode m = mode == Mode::mixed ? static_cast<Mode>((rng >> 16) % 3) : mode;
  switch (m) {
    case Mode::blocking:
      return q.pop();
    case Mode::try_spin:
      for (;;) {
        if (auto v = q.try_pop()) return v;
        if (q.closed()) return q.pop();  // closed: pop drains without blocking
        std::this_thread::yield();
      }
    default:
      for (;;) {
        if (auto v = q.try_pop_for(50us)) return v;
        if (q.closed()) return q.pop();
      }
  }
}

// P producers push `per_producer` values each, C consumers pop until the queue is closed and
// drained; the main thread closes once every producer is done. Checks exact delivery.
void run_exact(int producers, int consumers, std::size_t capacity, Mode mode, int per_producer) {
  BoundedQueue<std::uint64_t> q(capacity);
  std::vector<std::vector<std::uint64_t>> received(static_cast<std::size_t>(consumers));
  std::vector<std::thread> threads;
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      unsigned rng = 7u + static_cast<unsigned>(c);
      auto& mine = received[static_cast<std::size_t>(c)];
      while (auto v = pop_one(q, mode, rng)) mine.push_back(*v);
    });
  }
  std::vector<std::thread> producer_threads;
  for (int p = 0; p < producers; ++p) {
    producer_threads.emplace_back([&, p] {
      unsigned rng = 1000u + static_cast<unsigned>(p);
      for (int n = 0; n < per_producer; ++n) {
        ASSERT_TRUE(push_one(q, mode, encode(p, static_cast<std::uint64_t>(n)), rng));
      }
    });
  }
  for (auto& t : producer_threads) t.join();
  q.close();
  for (auto& t : threads) t.join();

  // Exact multiset, and per-producer order as seen by each consumer.
  std::vector<std::vector<int>> seen(static_cast<std::size_t>(producers),
                                     std::vector<int>(static_cast<std::size_t>(per_producer), 0));
  for (const auto& mine : received) {
    std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
    for (std::uint64_t v : mine) {
      const int p = producer_of(v);
      const auto n = static_cast<std::int64_t>(seq_of(v));
      ASSERT_GE(p, 0);
      ASSERT_LT(p, producers);
      ASSERT_LT(n, per_producer);
      ASSERT_GT(n, last[static_cast<std::size_t>(p)]) << "producer order broken";
      last[static_cast<std::size_t>(p)] = n;
      ++seen[static_cast<std::size_t>(p)][static_cast<std::size_t>(n)];
    }
  }
  for (int p = 0; p < producers; ++p) {
    for (int n = 0; n < per_producer; ++n) {
      ASSERT_EQ(seen[static_cast<std::size_t>(p)][static_cast<std::size_t>(n)], 1)
          << "producer " << p << " value " << n;
    }
  }
  EXPECT_TRUE(q.empty());
}

class BoundedQueueExact : public ::testing::TestWithParam<std::tuple<int, int, std::size_t, Mode>> {
};

TEST_P(BoundedQueueExact, NothingLostDuplicatedOrReordered) {
  const auto [producers, consumers, capacity, mode] = GetParam();
  run_exact(producers, consumers, capacity, mode, 2500 * kScale);
}

INSTANTIATE_TEST_SUITE_P(Shapes, BoundedQueueExact,
                         ::testing::Combine(::testing::Values(1, 3), ::testing::Values(1, 3),
                                            ::testing::Values(std::size_t{1}, std::size_t{1024}),
                                            ::testing::Values(Mode::blocking, Mode::try_spin,
                                                              Mode::timed, Mode::mixed)));

// A single producer in order through one consumer at capacity 1: the strict FIFO chain.
TEST(BoundedQueueStress, SpscStrictFifoCapacityOne) {
  BoundedQueue<std::uint64_t> q(1);
  const std::uint64_t n = 20000u * kScale;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(q.push(i));
    q.close();
  });
  std::uint64_t expected = 0;
  while (auto v = q.pop()) ASSERT_EQ(*v, expected++);
  producer.join();
  EXPECT_EQ(expected, n);
}

// close() races with producers and consumers: every value whose push returned true is popped
// exactly once, and nothing else is.
TEST(BoundedQueueStress, CloseRacingWithBothSides) {
  const int rounds = 40 * kScale;
  for (int round = 0; round < rounds; ++round) {
    const std::size_t capacity = round % 2 == 0 ? 1 : 16;
    BoundedQueue<std::uint64_t> q(capacity);
    constexpr int kProducers = 3, kConsumers = 2;
    std::vector<std::vector<std::uint64_t>> accepted(kProducers), received(kConsumers);
    std::atomic<int> go{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
      threads.emplace_back([&, p] {
        unsigned rng = static_cast<unsigned>(round * 31 + p);
        ++go;
        for (std::uint64_t n = 0;; ++n) {
          if (!push_one(q, Mode::mixed, encode(p, n), rng)) break;
          accepted[static_cast<std::size_t>(p)].push_back(encode(p, n));
        }
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      threads.emplace_back([&, c] {
        unsigned rng = static_cast<unsigned>(round * 17 + c);
        ++go;
        while (auto v = pop_one(q, Mode::mixed, rng)) {
          received[static_cast<std::size_t>(c)].push_back(*v);
        }
      });
    }
    while (go.load() < kProducers + kConsumers) std::this_thread::yield();
    for (int i = 0; i < 200 * (round % 5); ++i) std::this_thread::yield();
    q.close();
    for (auto& t : threads) t.join();

    std::vector<std::uint64_t> all_accepted, all_received;
    for (auto& a : accepted) all_accepted.insert(all_accepted.end(), a.begin(), a.end());
    for (auto& r : received) all_received.insert(all_received.end(), r.begin(), r.end());
    std::sort(all_accepted.begin(), all_accepted.end());
    std::sort(all_received.begin(), all_received.end());
    ASSERT_EQ(all_accepted, all_received) << "round " << round;
    EXPECT_EQ(q.try_pop(), std::nullopt);
  }
}

// Move-only payloads through many threads: every object arrives once and none leaks.
TEST(BoundedQueueStress, MoveOnlyPayloadsArriveOnce) {
  BoundedQueue<std::unique_ptr<std::uint64_t>> q(8);
  constexpr int kProducers = 2, kConsumers = 2;
  const int per_producer = 5000 * kScale;
  std::atomic<std::uint64_t> sum{0}, count{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (auto v = q.pop()) {
        sum += **v;
        ++count;
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&] {
      for (int n = 1; n <= per_producer; ++n) {
        ASSERT_TRUE(q.push(std::make_unique<std::uint64_t>(static_cast<std::uint64_t>(n))));
      }
    });
  }
  for (auto& t : producers) t.join();
  q.close();
  for (auto& t : threads) t.join();
  const auto n = static_cast<std::uint64_t>(per_producer);
  EXPECT_EQ(count.load(), kProducers * n);
  EXPECT_EQ(sum.load(), kProducers * n * (n + 1) / 2);
}

}  // namespace
