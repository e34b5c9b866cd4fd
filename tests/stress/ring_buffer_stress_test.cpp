// Stress tests of bobbin::RingBuffer (label: stress).
//
// A producer thread sends the sequence 0..N-1 and a consumer thread checks that it receives
// exactly that sequence: nothing lost, nothing duplicated, order kept. Tiny capacities (1, 2)
// force the ring full or empty on nearly every operation, so both sides park and wake all the
// time; a lost wake-up would hang the test into its ctest timeout. ThreadSanitizer runs them
// in CI.
#include <bobbin/ring_buffer.hpp>

#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace {

using bobbin::RingBuffer;
using namespace std::chrono_literals;

constexpr int kScale = bobbin_test::kStressScale;

// bursty: blocking calls with random idle gaps, so that a side that learnt to wait for a batch
// (a streaming other side) keeps meeting a side that has stopped.
enum class Mode { blocking, try_spin, timed, bulk, mixed, bursty };

void idle_now_and_then(std::mt19937& rng) {
  if (rng() % 256 == 0) {
    for (unsigned i = rng() % 4; i != 0; --i) std::this_thread::yield();
  }
}

void produce(RingBuffer<std::uint64_t>& rb, std::uint64_t n, Mode mode, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint64_t> chunk;
  for (std::uint64_t next = 0; next < n;) {
    const Mode m = mode == Mode::mixed ? static_cast<Mode>(rng() % 4) : mode;
    switch (m) {
      case Mode::blocking:
        ASSERT_TRUE(rb.push(next));
        ++next;
        break;
      case Mode::try_spin:
        while (!rb.try_push(next)) std::this_thread::yield();
        ++next;
        break;
      case Mode::timed:
        if (rb.try_push_for(next, 50us)) ++next;
        break;
      case Mode::bulk: {
        chunk.resize(1 + rng() % 7);
        for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = next + i;
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), n - next));
        next += rb.write(std::span<const std::uint64_t>(chunk.data(), want));
        break;
      }
      case Mode::bursty:
        ASSERT_TRUE(rb.push(next));
        ++next;
        idle_now_and_then(rng);
        break;
      case Mode::mixed:
        break;
    }
  }
}

// Receives exactly 0..n-1 in order; returns how many were received.
std::uint64_t consume(RingBuffer<std::uint64_t>& rb, std::uint64_t n, Mode mode, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint64_t> chunk;
  std::uint64_t expect = 0;
  while (expect < n) {
    const Mode m = mode == Mode::mixed ? static_cast<Mode>(rng() % 4) : mode;
    switch (m) {
      case Mode::blocking: {
        const auto v = rb.pop();
        if (!v || *v != expect) return expect;
        ++expect;
        break;
      }
      case Mode::try_spin: {
        std::optional<std::uint64_t> v;
        while (!(v = rb.try_pop())) std::this_thread::yield();
        if (*v != expect) return expect;
        ++expect;
        break;
      }
      case Mode::timed: {
        if (const auto v = rb.try_pop_for(50us)) {
          if (*v != expect) return expect;
          ++expect;
        }
        break;
      }
      case Mode::bulk: {
        chunk.resize(1 + rng() % 7);
        const std::size_t got = rb.read(chunk);
        for (std::size_t i = 0; i < got; ++i) {
          if (chunk[i] != expect) return expect;
          ++expect;
        }
        break;
      }
      case Mode::bursty: {
        const auto v = rb.pop();
        if (!v || *v != expect) return expect;
        ++expect;
        idle_now_and_then(rng);
        break;
      }
      case Mode::mixed:
        break;
    }
  }
  return expect;
}

void run(std::size_t capacity, Mode producer_mode, Mode consumer_mode, std::uint64_t n) {
  RingBuffer<std::uint64_t> rb(capacity);
  std::uint64_t received = 0;
  std::thread consumer([&, sab = rb.buffer()] {
    RingBuffer<std::uint64_t> in(sab);  // the consumer attaches through the buffer
    received = consume(in, n, consumer_mode, 7);
    EXPECT_EQ(in.try_pop(), std::nullopt);  // nothing duplicated past the end
  });
  produce(rb, n, producer_mode, 11);
  consumer.join();
  EXPECT_EQ(received, n) << "capacity " << capacity;
  EXPECT_TRUE(rb.empty());
}

TEST(RingBufferStress, BlockingPushPop) {
  for (std::size_t cap : {1u, 2u, 64u}) run(cap, Mode::blocking, Mode::blocking, 20000 * kScale);
}

// Rings large enough for batches (a quarter of the ring above one slot): each side adapts the
// batch it waits for while the other streams, stops, and streams again.
TEST(RingBufferStress, BurstyBlockingOnRingsWithBatches) {
  for (std::size_t cap : {8u, 64u, 1024u}) {
    run(cap, Mode::bursty, Mode::bursty, 50000 * kScale);
    run(cap, Mode::blocking, Mode::bursty, 50000 * kScale);
    run(cap, Mode::bursty, Mode::blocking, 50000 * kScale);
  }
  run(1024, Mode::blocking, Mode::try_spin, 50000 * kScale);
  run(1024, Mode::try_spin, Mode::blocking, 50000 * kScale);
}

TEST(RingBufferStress, TrySpinVariants) {
  for (std::size_t cap : {1u, 2u, 64u}) run(cap, Mode::try_spin, Mode::try_spin, 20000 * kScale);
}

TEST(RingBufferStress, BlockingAgainstTry) {
  for (std::size_t cap : {1u, 2u}) {
    run(cap, Mode::try_spin, Mode::blocking, 10000 * kScale);
    run(cap, Mode::blocking, Mode::try_spin, 10000 * kScale);
  }
}

TEST(RingBufferStress, TimedVariants) {
  for (std::size_t cap : {1u, 2u}) run(cap, Mode::timed, Mode::timed, 5000 * kScale);
}

TEST(RingBufferStress, BulkWithRandomSizes) {
  for (std::size_t cap : {1u, 2u, 5u, 64u}) run(cap, Mode::bulk, Mode::bulk, 20000 * kScale);
}

TEST(RingBufferStress, MixedEverything) {
  for (std::size_t cap : {1u, 2u, 3u, 16u}) run(cap, Mode::mixed, Mode::mixed, 20000 * kScale);
}

// close() racing a blocked consumer: every element pushed before close is received, then the
// consumer ends with nullopt; run many times so close lands in every phase of a pop.
TEST(RingBufferStress, CloseAfterTheLastPushDrainsEverything) {
  for (int round = 0; round < 200 * kScale; ++round) {
    RingBuffer<std::uint64_t> rb(2);
    const std::uint64_t n = static_cast<std::uint64_t>(round % 5);
    std::uint64_t received = 0;
    bool ended = false;
    std::thread consumer([&] {
      while (auto v = rb.pop()) {
        if (*v != received) return;
        ++received;
      }
      ended = true;
    });
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(rb.push(i));
    rb.close();
    consumer.join();
    EXPECT_TRUE(ended);
    EXPECT_EQ(received, n);
  }
}

// The same with a ring large enough for batches, the consumer likely waiting for one when
// close() lands.
TEST(RingBufferStress, CloseDrainsABatchingConsumer) {
  for (int round = 0; round < 200 * kScale; ++round) {
    RingBuffer<std::uint64_t> rb(256);
    const std::uint64_t n = static_cast<std::uint64_t>(round % 7) * 100;
    std::uint64_t received = 0;
    bool ended = false;
    std::thread consumer([&] {
      while (auto v = rb.pop()) {
        if (*v != received) return;
        ++received;
      }
      ended = true;
    });
    for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(rb.push(i));
    rb.close();
    consumer.join();
    EXPECT_TRUE(ended);
    EXPECT_EQ(received, n);
  }
}

// A ping-pong through two rings (the benchmarks' pattern): nearly every pop meets an empty ring
// and waits for a hand-off (the consumer's spin inline in pop()). Now and then the sender
// pushes a burst instead (at most what the two rings and the echo can hold), so a consumer
// that finds more than one asks for a batch and then falls back to single elements. The echo
// must return exactly what was sent, in order; close() then ends both sides.
TEST(RingBufferStress, PingPongWithBursts) {
  for (std::size_t cap : {1u, 4u, 1024u}) {
    RingBuffer<std::uint64_t> there(cap);
    RingBuffer<std::uint64_t> back(cap);
    std::thread echo([&] {
      while (auto v = there.pop()) {
        if (!back.push(*v)) return;
      }
      back.close();
    });
    std::mt19937 rng(static_cast<unsigned>(cap));
    std::uint64_t next = 0;
    std::uint64_t expected = 0;
    bool in_order = true;
    for (int round = 0; round < 20000 * kScale && in_order; ++round) {
      const std::uint64_t burst = rng() % 64 == 0 ? 1 + rng() % (2 * cap) : 1;
      for (std::uint64_t i = 0; i < burst; ++i) ASSERT_TRUE(there.push(next++));
      for (std::uint64_t i = 0; i < burst; ++i) in_order &= back.pop() == expected++;
    }
    there.close();
    EXPECT_EQ(back.pop(), std::nullopt);
    echo.join();
    EXPECT_TRUE(in_order) << "capacity " << cap;
    EXPECT_EQ(expected, next);
  }
}

}  // namespace
