// Tests of bobbin/ring_buffer.hpp: the single-producer, single-consumer ring in a
// SharedArrayBuffer.
//
// Threads are known to be parked by polling parking_lot::parked(key), never by sleeping. The
// parking keys are the ring's head and tail words; tests find them through the other side's
// visible effect (a parked count on any key in the buffer) via `parked_in(ring)`.
#include <bobbin/ring_buffer.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace pl = bobbin::parking_lot;
using bobbin::RingBuffer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How many threads are parked on any 8-byte word of the ring's buffer (the head or tail).
template <class T>
std::size_t parked_in(const RingBuffer<T>& ring) {
  std::size_t n = 0;
  const auto& sab = ring.buffer();
  for (std::size_t at = 0; at + 8 <= std::min<std::size_t>(sab.byte_length(), 512); at += 8) {
    n += pl::parked(sab.data() + at);
  }
  return n;
}

template <class T>
void await_parked(const RingBuffer<T>& ring, std::size_t n) {
  while (parked_in(ring) < n) std::this_thread::yield();
}

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

std::string string_of(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(RingBuffer, HoldsExactlyCapacity) {
  for (std::size_t cap : {1u, 2u, 3u, 7u, 64u}) {
    RingBuffer<int> rb(cap);
    EXPECT_EQ(rb.capacity(), cap);
    EXPECT_TRUE(rb.empty());
    for (std::size_t i = 0; i < cap; ++i) EXPECT_TRUE(rb.try_push(static_cast<int>(i)));
    EXPECT_FALSE(rb.try_push(-1));
    EXPECT_EQ(rb.size(), cap);
    for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(rb.try_pop(), std::optional<int>(int(i)));
    EXPECT_EQ(rb.try_pop(), std::nullopt);
    EXPECT_TRUE(rb.empty());
  }
}

TEST(RingBuffer, WrapsAroundManyTimesInOrder) {
  RingBuffer<std::uint64_t> rb(5);
  std::uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    // Fill to the brim (1..5 pushes, depending on what is left), then take 1..5 out, so the
    // positions drift over every slot many times.
    while (next_in - next_out < 5) ASSERT_TRUE(rb.try_push(next_in++));
    ASSERT_FALSE(rb.try_push(0));
    ASSERT_EQ(rb.size(), 5u);
    for (int i = 0; i <= round % 5; ++i) ASSERT_EQ(rb.try_pop(), next_out++);
  }
  while (auto v = rb.try_pop()) EXPECT_EQ(*v, next_out++);
  EXPECT_EQ(next_in, next_out);
  EXPECT_GT(next_in, 2000u);
}

TEST(RingBuffer, BulkWritesAndReadsArePartialAtTheEdges) {
  RingBuffer<int> rb(8);
  std::vector<int> in(20);
  std::iota(in.begin(), in.end(), 0);
  EXPECT_EQ(rb.write(std::span<const int>(in.data(), 5)), 5u);
  std::array<int, 3> out{};
  EXPECT_EQ(rb.read(out), 3u);
  EXPECT_EQ(out, (std::array<int, 3>{0, 1, 2}));
  // 2 stored, 6 free; the write wraps around the end of the slots.
  EXPECT_EQ(rb.write(std::span<const int>(in.data() + 5, 15)), 6u);
  EXPECT_EQ(rb.write(std::span<const int>(in.data() + 11, 9)), 0u);  // full: 0
  std::array<int, 20> all{};
  EXPECT_EQ(rb.read(all), 8u);  // at most what is stored, wrapping too
  for (int i = 0; i < 8; ++i) EXPECT_EQ(all[i], 3 + i);
  EXPECT_EQ(rb.read(all), 0u);  // empty: 0
  EXPECT_EQ(rb.write(std::span<const int>()), 0u);
  EXPECT_EQ(rb.read(std::span<int>()), 0u);
}

TEST(RingBuffer, BulkAndSingleOperationsMix) {
  RingBuffer<int> rb(4);
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 500; ++round) {
    std::array<int, 3> chunk{next_in, next_in + 1, next_in + 2};
    const std::size_t w = rb.write(chunk);
    next_in += static_cast<int>(w);
    if (rb.try_push(next_in)) ++next_in;
    std::array<int, 2> got{};
    const std::size_t r = rb.read(got);
    for (std::size_t i = 0; i < r; ++i) ASSERT_EQ(got[i], next_out++);
    if (auto v = rb.try_pop()) {
      ASSERT_EQ(*v, next_out++);
    }
  }
  while (auto v = rb.try_pop()) EXPECT_EQ(*v, next_out++);
  EXPECT_EQ(next_in, next_out);
}

TEST(RingBuffer, AttachesFromItsBuffer) {
  RingBuffer<double> rb(4);
  RingBuffer<double> other(rb.buffer());
  EXPECT_EQ(other.capacity(), 4u);
  EXPECT_TRUE(other.buffer() == rb.buffer());
  EXPECT_TRUE(rb.try_push(1.5));
  EXPECT_EQ(other.size(), 1u);
  EXPECT_EQ(other.try_pop(), 1.5);
  // The roles may move between objects: caches stay safe.
  for (int i = 0; i < 10; ++i) {
    RingBuffer<double>& producer = i % 2 ? rb : other;
    RingBuffer<double>& consumer = i % 3 ? other : rb;
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(producer.try_push(i * 10 + k));
    for (int k = 0; k < 3; ++k) ASSERT_EQ(consumer.try_pop(), i * 10 + k);
  }
  // An object idle while many times its capacity went through another object: its caches lag
  // far behind, and must still never let it overwrite or re-read an element.
  RingBuffer<double> stale_producer(rb.buffer()), stale_consumer(rb.buffer());
  ASSERT_TRUE(stale_producer.try_push(-1));
  EXPECT_EQ(stale_consumer.try_pop(), -1);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(rb.try_push(i));
    ASSERT_EQ(other.try_pop(), i);
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(stale_producer.try_push(100 + i));
  EXPECT_FALSE(stale_producer.try_push(0));  // full: a stale cache must not say otherwise
  const std::array<double, 1> more{0};
  EXPECT_EQ(stale_producer.write(more), 0u);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(stale_consumer.try_pop(), 100 + i);
  EXPECT_EQ(stale_consumer.try_pop(), std::nullopt);  // empty: nothing re-read
  std::array<double, 2> out{};
  EXPECT_EQ(stale_consumer.read(out), 0u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(rb.try_push(i));
    ASSERT_EQ(other.try_pop(), i);
  }
  std::array<double, 3> three{1, 2, 3};
  EXPECT_EQ(stale_producer.write(three), 3u);
  EXPECT_EQ(stale_consumer.read(out), 2u);
  EXPECT_EQ(out, (std::array<double, 2>{1, 2}));
  EXPECT_EQ(rb.try_pop(), 3);

  RingBuffer<double> copy = rb;  // copies share the ring
  EXPECT_TRUE(copy.try_push(7));
  EXPECT_EQ(other.try_pop(), 7);
}

// Each object remembers where its side's lap of the slots starts; the slot it computes must be
// exact whatever happened since: the side moved on by less than a lap, one lap, many laps, or
// through a copy made mid-lap. Several objects play each side in turn, with bulk and single
// operations, over a capacity that is not a power of two.
TEST(RingBuffer, SlotsStayExactWhenTheSidesMoveBetweenObjects) {
  RingBuffer<int> first(5);
  std::vector<RingBuffer<int>> objects{first, RingBuffer<int>(first.buffer()),
                                       RingBuffer<int>(first.buffer())};
  objects.reserve(4);  // references into it stay valid across the push_back below
  int next_in = 0;
  int next_out = 0;
  const int steps[] = {1, 4, 5, 2, 5, 3, 1, 5, 5, 4, 2, 1, 3, 5};
  for (int round = 0; round < 60; ++round) {
    const int n = steps[round % 14];
    RingBuffer<int>& producer = objects[static_cast<std::size_t>(round * 7 % 3)];
    RingBuffer<int>& consumer = objects[static_cast<std::size_t>(round * 5 % 3 + round / 30) % 3];
    if (round % 4 == 0) {
      std::vector<int> in(static_cast<std::size_t>(n));
      for (int& v : in) v = next_in++;
      ASSERT_EQ(producer.write(in), in.size());
    } else {
      for (int k = 0; k < n; ++k) ASSERT_TRUE(producer.try_push(next_in++));
    }
    if (round % 5 == 0) {
      objects.push_back(consumer);  // a copy, mid-lap, that later plays either side
    }
    if (round % 3 == 0) {
      std::vector<int> out(static_cast<std::size_t>(n));
      ASSERT_EQ(consumer.read(out), out.size());
      for (int v : out) ASSERT_EQ(v, next_out++);
    } else {
      for (int k = 0; k < n; ++k) ASSERT_EQ(consumer.pop(), next_out++);
    }
    ASSERT_TRUE(consumer.empty());
    if (objects.size() > 3) {
      RingBuffer<int>& copy = objects.back();
      ASSERT_TRUE(copy.try_push(next_in++));
      ASSERT_EQ(objects[static_cast<std::size_t>(round) % 3].try_pop(), next_out++);
      ASSERT_TRUE(objects[static_cast<std::size_t>(round + 1) % 3].try_push(next_in++));
      ASSERT_EQ(copy.try_pop(), next_out++);
      objects.pop_back();
    }
  }
  EXPECT_EQ(next_in, next_out);
}

TEST(RingBuffer, AttachesFromAnotherThread) {
  RingBuffer<int> rb(3);
  std::vector<int> got;
  std::thread consumer([sab = rb.buffer(), &got] {
    RingBuffer<int> in(sab);
    while (auto v = in.pop()) got.push_back(*v);
  });
  for (int i = 0; i < 100; ++i) rb.push(i);
  rb.close();
  consumer.join();
  std::vector<int> want(100);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(got, want);
}

TEST(RingBuffer, RejectsBadCapacitiesAndBuffers) {
  EXPECT_THROW(RingBuffer<int>{0}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{std::numeric_limits<std::size_t>::max()}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{std::numeric_limits<std::size_t>::max() / 4}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{bobbin::SharedArrayBuffer(0)}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{bobbin::SharedArrayBuffer(100)}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{bobbin::SharedArrayBuffer(4096)}, bobbin::RangeError);  // zeros
  RingBuffer<int> ints(16);
  EXPECT_THROW(RingBuffer<std::int64_t>{ints.buffer()}, bobbin::RangeError);
  using Chars = std::array<char, 4>;  // the same size, another alignment
  EXPECT_THROW(RingBuffer<Chars>{ints.buffer()}, bobbin::RangeError);
}

// The first 64-byte-aligned byte of a buffer, where a ring's header starts.
std::byte* header_of(const bobbin::SharedArrayBuffer& sab) {
  const auto data = reinterpret_cast<std::uintptr_t>(sab.data());
  return sab.data() + (-data % 64);
}

// A buffer with exactly `length` bytes from its header on, holding a copy of `ring`'s 64-byte
// header. The padding before the header depends on where the allocation lands, so try each
// possible padding until one matches.
bobbin::SharedArrayBuffer forge(const RingBuffer<int>& ring, std::size_t length) {
  for (std::size_t i = 0;; ++i) {
    const std::size_t pad = (i % 4) * 16;  // the data is at least 16-byte aligned
    bobbin::SharedArrayBuffer sab(pad + length);
    if (header_of(sab) != sab.data() + pad) continue;
    std::memcpy(header_of(sab), header_of(ring.buffer()), 64);
    return sab;
  }
}

TEST(RingBuffer, ValidatesTheHeaderAgainstTheBuffer) {
  RingBuffer<int> ring(16);
  const std::size_t needed = 192 + 16 * sizeof(int);                // header lines + slots
  EXPECT_EQ(RingBuffer<int>(forge(ring, needed)).capacity(), 16u);  // the control
  EXPECT_THROW(RingBuffer<int>{forge(ring, needed - 1)}, bobbin::RangeError);
  EXPECT_THROW(RingBuffer<int>{forge(ring, 191)}, bobbin::RangeError);
  bobbin::SharedArrayBuffer other_size = forge(ring, needed);
  header_of(other_size)[8] = std::byte{8};  // the element-size word
  EXPECT_THROW(RingBuffer<int>{other_size}, bobbin::RangeError);
  bobbin::SharedArrayBuffer zero_capacity = forge(ring, needed);
  std::memset(header_of(zero_capacity) + 24, 0, 8);  // the capacity word
  EXPECT_THROW(RingBuffer<int>{zero_capacity}, bobbin::RangeError);
}

TEST(RingBuffer, PushBlocksWhileFullUntilAPop) {
  RingBuffer<int> rb(1);
  ASSERT_TRUE(rb.try_push(1));
  std::thread producer([&] { EXPECT_TRUE(rb.push(2)); });
  await_parked(rb, 1);
  EXPECT_EQ(rb.try_pop(), 1);
  producer.join();
  EXPECT_EQ(rb.try_pop(), 2);
}

// A blocked producer that streams may first wait (spinning) for a batch of free slots; one
// freed slot must still be enough, whether it frees during that spin or after the park.
TEST(RingBuffer, BlockedPushNeedsOnlyOneFreeSlot) {
  RingBuffer<int> rb(64);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(rb.try_push(i));
  std::thread early([&] { EXPECT_TRUE(rb.push(64)); });  // likely still spinning
  EXPECT_EQ(rb.try_pop(), 0);
  early.join();
  std::thread late([&] { EXPECT_TRUE(rb.push(65)); });
  await_parked(rb, 1);  // surely parked
  EXPECT_EQ(rb.try_pop(), 1);
  late.join();
  for (int i = 2; i < 66; ++i) ASSERT_EQ(rb.try_pop(), i);
  EXPECT_EQ(rb.try_pop(), std::nullopt);
}

// After a stream has taught a blocked consumer to wait for batches, a lone element pushed
// before the producer goes idle must still reach it (bounded latency): the producer waits for
// the consumer to acknowledge each lone element before it pushes anything else.
TEST(RingBuffer, LoneElementAfterAStreamReachesABlockedConsumer) {
  RingBuffer<std::uint64_t> rb(1024);
  constexpr int kRounds = 20;
  constexpr std::uint64_t kBurst = 4000;
  std::atomic<std::uint64_t> received{0};
  std::thread consumer([&] {
    RingBuffer<std::uint64_t> in(rb.buffer());
    for (std::uint64_t expect = 0; auto v = in.pop(); ++expect) {
      EXPECT_EQ(*v, expect);
      received.store(expect + 1, std::memory_order_release);
    }
  });
  std::uint64_t next = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (std::uint64_t i = 0; i < kBurst; ++i) ASSERT_TRUE(rb.push(next++));
    ASSERT_TRUE(rb.push(next++));  // the lone element: nothing follows until it arrives
    while (received.load(std::memory_order_acquire) != next) std::this_thread::yield();
  }
  rb.close();
  consumer.join();
  EXPECT_EQ(received.load(), next);
}

// Likewise a producer that learnt to wait for a batch of free slots must take one lone slot.
TEST(RingBuffer, LoneFreeSlotAfterAStreamReachesABlockedProducer) {
  RingBuffer<std::uint64_t> rb(64);
  constexpr std::uint64_t kTotal = 20000;
  std::atomic<std::uint64_t> pushed{0};
  std::thread producer([&] {
    RingBuffer<std::uint64_t> out(rb.buffer());
    for (std::uint64_t i = 0; i < kTotal; ++i) {
      ASSERT_TRUE(out.push(i));
      pushed.store(i + 1, std::memory_order_release);
    }
  });
  std::uint64_t expect = 0;
  while (expect < kTotal) {
    // Drain a stream, then free one slot of a full ring and wait until it is refilled.
    for (int i = 0; i < 500 && expect < kTotal; ++i) ASSERT_EQ(rb.pop(), expect++);
    while (pushed.load(std::memory_order_acquire) < std::min(expect + 64, kTotal)) {
      std::this_thread::yield();
    }
    if (expect < kTotal) {
      ASSERT_EQ(rb.pop(), expect++);
    }
    while (pushed.load(std::memory_order_acquire) < std::min(expect + 64, kTotal)) {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_EQ(rb.try_pop(), std::nullopt);
}

// Many hand-offs that park: a consumer that parks announces itself, and the producer's next
// push, seeing the announcement, wakes it; afterwards nobody is left parked.
TEST(RingBuffer, RepeatedSleepsAndWakesLoseNothing) {
  RingBuffer<int> rb(4);
  constexpr int kRounds = 50;
  std::thread consumer([sab = rb.buffer()] {
    RingBuffer<int> in(sab);
    for (int i = 0; i < kRounds; ++i) EXPECT_EQ(in.pop(), i);
  });
  for (int i = 0; i < kRounds; ++i) {
    await_parked(rb, 1);  // the consumer sleeps on an empty ring
    ASSERT_TRUE(rb.try_push(i));
  }
  consumer.join();
  EXPECT_EQ(parked_in(rb), 0u);
  EXPECT_TRUE(rb.empty());
}

TEST(RingBuffer, PopBlocksWhileEmptyUntilAPush) {
  RingBuffer<int> rb(2);
  std::optional<int> got;
  std::thread consumer([&] { got = rb.pop(); });
  await_parked(rb, 1);
  EXPECT_TRUE(rb.try_push(42));
  consumer.join();
  EXPECT_EQ(got, 42);
}

TEST(RingBuffer, BulkOperationsWakeTheOtherSide) {
  RingBuffer<int> rb(2);
  std::optional<int> got;
  std::thread consumer([&] { got = rb.pop(); });
  await_parked(rb, 1);
  const std::array<int, 1> one{5};
  EXPECT_EQ(rb.write(one), 1u);
  consumer.join();
  EXPECT_EQ(got, 5);

  ASSERT_TRUE(rb.try_push(1) && rb.try_push(2));
  std::thread producer([&] { EXPECT_TRUE(rb.push(3)); });
  await_parked(rb, 1);
  std::array<int, 1> out{};
  EXPECT_EQ(rb.read(out), 1u);
  producer.join();
  EXPECT_EQ(rb.try_pop(), 2);
  EXPECT_EQ(rb.try_pop(), 3);
}

TEST(RingBuffer, TimeoutsNeverEndEarly) {
  RingBuffer<int> rb(1);
  for (auto timeout : {1ms, 20ms}) {
    auto start = Clock::now();
    EXPECT_EQ(rb.try_pop_for(timeout), std::nullopt);
    EXPECT_GE(Clock::now() - start, timeout);
    start = Clock::now();
    EXPECT_EQ(rb.try_pop_until(start + timeout), std::nullopt);
    EXPECT_GE(Clock::now() - start, timeout);
  }
  ASSERT_TRUE(rb.try_push(1));
  for (auto timeout : {1ms, 20ms}) {
    auto start = Clock::now();
    EXPECT_FALSE(rb.try_push_for(2, timeout));
    EXPECT_GE(Clock::now() - start, timeout);
    start = Clock::now();
    EXPECT_FALSE(rb.try_push_until(2, std::chrono::system_clock::now() + timeout));
    EXPECT_GE(Clock::now() - start, timeout);
  }
  EXPECT_FALSE(rb.try_push_for(2, 0ms));
  EXPECT_FALSE(rb.try_push_for(2, -1s));
  EXPECT_EQ(rb.try_pop(), 1);
  EXPECT_EQ(rb.try_pop_for(-1s), std::nullopt);
  EXPECT_TRUE(rb.try_push_for(3, 0ms));  // room: succeeds without waiting
  EXPECT_EQ(rb.try_pop_for(0ms), 3);
  EXPECT_EQ(parked_in(rb), 0u);
}

TEST(RingBuffer, TimedOperationsSucceedWhenTheOtherSideMoves) {
  RingBuffer<int> rb(1);
  std::optional<int> got;
  std::thread consumer([&] { got = rb.try_pop_for(30s); });
  await_parked(rb, 1);
  EXPECT_TRUE(rb.try_push(9));
  consumer.join();
  EXPECT_EQ(got, 9);
  ASSERT_TRUE(rb.try_push(1));
  std::thread producer([&] { EXPECT_TRUE(rb.try_push_until(2, Clock::now() + 30s)); });
  await_parked(rb, 1);
  EXPECT_EQ(rb.try_pop(), 1);
  producer.join();
  EXPECT_EQ(rb.try_pop(), 2);
}

TEST(RingBuffer, CloseDrainsThenEnds) {
  RingBuffer<int> rb(4);
  ASSERT_TRUE(rb.try_push(1) && rb.try_push(2));
  EXPECT_FALSE(rb.closed());
  rb.close();
  rb.close();  // idempotent
  EXPECT_TRUE(rb.closed());
  EXPECT_FALSE(rb.try_push(3));
  EXPECT_FALSE(rb.push(3));
  EXPECT_FALSE(rb.try_push_for(3, 1s));
  const std::array<int, 1> one{3};
  EXPECT_EQ(rb.write(one), 0u);
  EXPECT_EQ(rb.pop(), 1);
  EXPECT_EQ(rb.try_pop(), 2);
  EXPECT_EQ(rb.pop(), std::nullopt);
  EXPECT_EQ(rb.try_pop_for(1s), std::nullopt);
  EXPECT_TRUE(RingBuffer<int>(rb.buffer()).closed());  // the flag lives in the buffer
}

TEST(RingBuffer, CloseWakesWaitersOnBothSides) {
  RingBuffer<int> empty(2);
  std::optional<int> got = 0;
  std::thread consumer([&] { got = empty.pop(); });
  await_parked(empty, 1);
  empty.close();
  consumer.join();
  EXPECT_EQ(got, std::nullopt);

  RingBuffer<int> full(1);
  ASSERT_TRUE(full.try_push(1));
  bool pushed = true;
  std::thread producer([&] { pushed = full.push(2); });
  await_parked(full, 1);
  full.close();
  producer.join();
  EXPECT_FALSE(pushed);
  EXPECT_EQ(full.pop(), 1);
  EXPECT_EQ(full.pop(), std::nullopt);
}

TEST(RingBuffer, InterruptedWaitThrowsTerminatedError) {
  RingBuffer<int> rb(1);
  pl::ThreadHandle handle;
  std::atomic<bool> ready{false};
  bool threw = false;
  std::thread consumer([&] {
    handle = pl::this_thread();
    ready.store(true);
    try {
      static_cast<void>(rb.pop());
    } catch (const bobbin::TerminatedError&) {
      threw = true;
    }
    pl::clear_interrupt();
  });
  while (!ready.load()) std::this_thread::yield();
  await_parked(rb, 1);
  EXPECT_TRUE(pl::interrupt(handle));
  consumer.join();
  EXPECT_TRUE(threw);
}

TEST(RingBuffer, ElementsNeedNoDefaultConstructor) {
  struct Pair {
    Pair(int a, int b) : a(a), b(b) {}
    int a, b;
  };
  static_assert(std::is_trivially_copyable_v<Pair> && !std::is_default_constructible_v<Pair>);
  RingBuffer<Pair> rb(2);
  ASSERT_TRUE(rb.try_push(Pair(1, 2)));
  const auto p = rb.try_pop();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->a + p->b, 3);
}

TEST(RingBuffer, TryOperationsAreNoexceptAndNodiscard) {
  RingBuffer<int> rb(1);
  static_assert(noexcept(rb.try_push(1)));
  static_assert(noexcept(rb.try_pop()));
  static_assert(noexcept(rb.write(std::span<const int>())));
  static_assert(noexcept(rb.read(std::span<int>())));
}

// ---- the book's byte stream (ch. 6, ring-buffer.js) ------------------------------------------

TEST(RingBufferBytes, WriteReturnsBytesWrittenZeroWhenFull) {
  RingBuffer<std::byte> rb(100);
  const auto hello = bytes_of("Hello, World!\n");  // 14 bytes, the book's producer
  for (int i = 0; i < 7; ++i) EXPECT_EQ(rb.write(hello), 14u);
  EXPECT_EQ(rb.write(hello), 2u);  // partial: 98 + 2 = 100
  EXPECT_EQ(rb.write(hello), 0u);  // full
  EXPECT_EQ(rb.size(), 100u);
}

TEST(RingBufferBytes, ReadReturnsAtMostNAndNothingWhenEmpty) {
  RingBuffer<std::byte> rb(100);
  std::array<std::byte, 20> out{};
  EXPECT_EQ(rb.read(out), 0u);
  const auto abc = bytes_of("abc");
  EXPECT_EQ(rb.write(abc), 3u);
  EXPECT_EQ(rb.read(out), 3u);
  EXPECT_EQ(string_of(std::span(out).first(3)), "abc");
}

// The book's read sliced [tail, bytes) instead of [tail, tail + bytes): once tail > 0, reads
// came back short or empty while the bytes were consumed anyway. Here every byte written comes
// back exactly once, in order, through reads that start at every tail position.
TEST(RingBufferBytes, ReadsFromANonZeroTailReturnTheBytesTheyConsume) {
  RingBuffer<std::byte> rb(100);
  std::array<std::byte, 20> out{};
  // tail = 5 after this; the book's next read would return slice(5, 4): nothing.
  EXPECT_EQ(rb.write(bytes_of("01234")), 5u);
  EXPECT_EQ(rb.read(out), 5u);
  EXPECT_EQ(rb.write(bytes_of("abcd")), 4u);
  ASSERT_EQ(rb.read(std::span(out).first(4)), 4u);
  EXPECT_EQ(string_of(std::span(out).first(4)), "abcd");
}

TEST(RingBufferBytes, TheBooksDemoStreamsEveryByteInOrder) {
  // The book's demo, single-threaded: write 14-byte lines, read up to 20 bytes at a time.
  RingBuffer<std::byte> rb(100);
  const auto hello = bytes_of("Hello, World!\n");
  std::string written, read;
  std::array<std::byte, 20> out{};
  for (int round = 0; round < 2000; ++round) {
    const std::size_t w = rb.write(hello);
    written += string_of(std::span(hello).first(w));
    const std::size_t r = rb.read(std::span(out).first(1 + round % 20));
    ASSERT_LE(r, 1u + round % 20);
    read += string_of(std::span(out).first(r));
  }
  for (std::size_t r; (r = rb.read(out)) != 0;) read += string_of(std::span(out).first(r));
  EXPECT_EQ(read, written);
  EXPECT_GT(written.size(), 10000u);
}

}  // namespace
