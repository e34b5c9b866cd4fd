// Unit tests of bobbin::BoundedQueue: every operation, the full and empty edges, wrap-around,
// move-only and lifecycle-counting element types, close() with waiters on both sides, timeouts.
#include <bobbin/bounded_queue.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/parking_lot.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using bobbin::BoundedQueue;
namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Counts live objects; each object also checks that it is destroyed exactly once.
struct Counted {
  static inline std::atomic<int> live{0};
  static inline std::atomic<int> bad{0};  // double destruction or use after destruction
  int value = 0;
  std::uint32_t magic = kAlive;
  static constexpr std::uint32_t kAlive = 0xA11CE;
  static constexpr std::uint32_t kDead = 0xDEAD;

  explicit Counted(int v) : value(v) { ++live; }
  Counted(const Counted& o) : value(o.value) {
    check(o);
    ++live;
  }
  Counted(Counted&& o) noexcept : value(o.value) {
    check(o);
    o.value = -1;
    ++live;
  }
  Counted& operator=(const Counted&) = delete;
  ~Counted() {
    check(*this);
    magic = kDead;
    --live;
  }
  static void check(const Counted& c) {
    if (c.magic != kAlive) ++bad;
  }
};

// Waits until `pred` holds, yielding.
template <class Pred>
void until(Pred pred) {
  while (!pred()) std::this_thread::yield();
}

TEST(BoundedQueue, CapacityZeroOrAbsurdThrowsRangeError) {
  EXPECT_THROW(BoundedQueue<int>(0), bobbin::RangeError);
  EXPECT_THROW(BoundedQueue<int>(BoundedQueue<int>::max_capacity() + 1), bobbin::RangeError);
  EXPECT_THROW(BoundedQueue<int>(static_cast<std::size_t>(-1)), bobbin::RangeError);
  try {
    BoundedQueue<int> q(0);
    FAIL();
  } catch (const bobbin::RangeError& e) {
    EXPECT_STREQ(e.name(), "RangeError");
    EXPECT_NE(std::string(e.what()).find("capacity"), std::string::npos);
  }
}

TEST(BoundedQueue, FreshQueue) {
  BoundedQueue<int> q(3);
  EXPECT_EQ(q.capacity(), 3u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.closed());
  EXPECT_EQ(q.try_pop(), std::nullopt);
}

TEST(BoundedQueue, FifoUpToFullThenTryPushFails) {
  for (std::size_t cap : {1u, 2u, 3u, 4u, 7u, 8u}) {
    BoundedQueue<int> q(cap);
    for (std::size_t i = 0; i < cap; ++i) {
      EXPECT_TRUE(q.try_push(static_cast<int>(i)));
      EXPECT_EQ(q.size(), i + 1);
    }
    EXPECT_FALSE(q.try_push(99));
    EXPECT_FALSE(q.try_emplace(99));
    EXPECT_EQ(q.size(), cap);
    for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(q.try_pop(), static_cast<int>(i));
    EXPECT_EQ(q.try_pop(), std::nullopt);
    EXPECT_TRUE(q.empty());
  }
}

TEST(BoundedQueue, WrapAroundManyLaps) {
  for (std::size_t cap : {1u, 3u, 4u, 5u}) {
    BoundedQueue<int> q(cap);
    int next_in = 0, next_out = 0;
    for (int lap = 0; lap < 50; ++lap) {
      // Uneven fill levels, so the indices wrap at every offset.
      const int n = 1 + lap % static_cast<int>(cap);
      for (int i = 0; i < n; ++i) ASSERT_TRUE(q.try_push(next_in++));
      for (int i = 0; i < n; ++i) ASSERT_EQ(q.try_pop(), next_out++);
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(BoundedQueue, BlockingPushPopSingleThread) {
  BoundedQueue<std::string> q(2);
  EXPECT_TRUE(q.push("a"));
  EXPECT_TRUE(q.emplace(3, 'b'));
  EXPECT_EQ(q.pop(), "a");
  EXPECT_EQ(q.pop(), "bbb");
}

TEST(BoundedQueue, CopyPushLeavesSourceAndTryPushFailureKeepsArgument) {
  BoundedQueue<std::string> q(1);
  const std::string a = "first";
  EXPECT_TRUE(q.try_push(a));
  EXPECT_EQ(a, "first");
  std::string b = "second, long enough to be on the heap";
  EXPECT_FALSE(q.try_push(std::move(b)));
  EXPECT_EQ(b, "second, long enough to be on the heap");
  EXPECT_FALSE(q.try_push_for(std::move(b), 1ms));
  EXPECT_EQ(b, "second, long enough to be on the heap");
  EXPECT_FALSE(q.try_push_until(std::move(b), Clock::now() + 1ms));
  EXPECT_EQ(b, "second, long enough to be on the heap");
  EXPECT_FALSE(q.try_push_for(b, 0ms));
  EXPECT_EQ(q.pop(), "first");
  EXPECT_TRUE(q.try_push(std::move(b)));
  EXPECT_EQ(q.pop(), "second, long enough to be on the heap");
}

TEST(BoundedQueue, MoveOnlyElements) {
  BoundedQueue<std::unique_ptr<int>> q(2);
  auto p = std::make_unique<int>(7);
  EXPECT_TRUE(q.try_push(std::move(p)));
  EXPECT_EQ(p, nullptr);
  auto r = std::make_unique<int>(8);
  EXPECT_TRUE(q.push(std::move(r)));
  auto s = std::make_unique<int>(9);
  EXPECT_FALSE(q.try_push(std::move(s)));  // full: s keeps its object
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s, 9);
  EXPECT_FALSE(q.try_push_for(std::move(s), 100us));
  ASSERT_NE(s, nullptr);
  auto x = q.pop();
  ASSERT_TRUE(x && *x);
  EXPECT_EQ(**x, 7);
  auto y = q.try_pop_for(1ms);
  ASSERT_TRUE(y && *y);
  EXPECT_EQ(**y, 8);
  EXPECT_TRUE(q.emplace(new int(10)));
  auto z = q.try_pop();
  ASSERT_TRUE(z && *z);
  EXPECT_EQ(**z, 10);
}

TEST(BoundedQueue, LifecycleNoLeakNoDoubleDestruction) {
  Counted::live = 0;
  Counted::bad = 0;
  {
    BoundedQueue<Counted> q(4);
    for (int lap = 0; lap < 10; ++lap) {
      Counted c(lap);
      EXPECT_TRUE(q.try_push(c));             // copy
      EXPECT_TRUE(q.try_push(std::move(c)));  // move
      EXPECT_TRUE(q.try_emplace(lap));
      EXPECT_TRUE(q.emplace(lap));
      Counted extra(100);
      EXPECT_FALSE(q.try_push(std::move(extra)));
      EXPECT_EQ(extra.value, 100);  // not moved from
      for (int i = 0; i < 3; ++i) {
        auto v = q.try_pop();
        ASSERT_TRUE(v.has_value());
        EXPECT_EQ(v->value, lap);
      }
      auto last = q.pop();
      ASSERT_TRUE(last.has_value());
    }
    EXPECT_EQ(Counted::live.load(), 0);
    // Leave elements inside: the destructor must destroy exactly these.
    EXPECT_TRUE(q.try_emplace(1));
    EXPECT_TRUE(q.try_emplace(2));
    EXPECT_TRUE(q.try_emplace(3));
    ASSERT_TRUE(q.try_pop().has_value());  // the remaining two straddle nothing in particular
    EXPECT_EQ(Counted::live.load(), 2);
  }
  EXPECT_EQ(Counted::live.load(), 0);
  EXPECT_EQ(Counted::bad.load(), 0);
}

TEST(BoundedQueue, NonPowerOfTwoCapacityWrapsWithLeftoversDestroyed) {
  Counted::live = 0;
  Counted::bad = 0;
  {
    BoundedQueue<Counted> q(3);
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE(q.try_emplace(i));
      ASSERT_TRUE(q.try_pop().has_value());
    }
    ASSERT_TRUE(q.try_emplace(1));
    ASSERT_TRUE(q.try_emplace(2));
    ASSERT_TRUE(q.try_emplace(3));  // crosses the end of the slot array
  }
  EXPECT_EQ(Counted::live.load(), 0);
  EXPECT_EQ(Counted::bad.load(), 0);
}

// A type whose construction from an int throws on demand: the slot becomes a hole that
// consumers skip, and the queue stays usable.
struct Throwing {
  int value;
  explicit Throwing(int v) : value(v) {
    if (v < 0) throw std::runtime_error("negative");
  }
};

TEST(BoundedQueue, ConstructorThatThrowsLeavesQueueUsable) {
  BoundedQueue<Throwing> q(2);
  EXPECT_TRUE(q.try_emplace(1));
  EXPECT_THROW(static_cast<void>(q.try_emplace(-1)), std::runtime_error);
  EXPECT_EQ(q.try_pop().value().value, 1);
  EXPECT_TRUE(q.try_emplace(2));
  EXPECT_FALSE(q.try_emplace(3));           // the hole holds its slot until a consumer passes it
  EXPECT_EQ(q.try_pop().value().value, 2);  // the hole was skipped
  EXPECT_TRUE(q.try_emplace(3));
  EXPECT_EQ(q.try_pop().value().value, 3);
  EXPECT_EQ(q.try_pop(), std::nullopt);
  EXPECT_TRUE(q.empty());
}

TEST(BoundedQueue, HoleWakesAParkedConsumer) {
  // Capacity 1: a hole fills the ring, so a consumer parked before it must come and pass it,
  // or the next push would block forever.
  BoundedQueue<Throwing> q(1);
  std::optional<Throwing> got;
  std::thread consumer([&] { got = q.pop(); });
  until([&] { return q.waiting_consumers() == 1; });
  EXPECT_THROW(static_cast<void>(q.try_emplace(-1)), std::runtime_error);
  EXPECT_TRUE(q.push(Throwing(5)));
  consumer.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->value, 5);
}

TEST(BoundedQueue, CloseMakesPushFailAndPopDrain) {
  BoundedQueue<int> q(4);
  EXPECT_TRUE(q.push(1));
  EXPECT_TRUE(q.push(2));
  q.close();
  EXPECT_TRUE(q.closed());
  q.close();  // idempotent
  EXPECT_FALSE(q.push(3));
  EXPECT_FALSE(q.try_push(3));
  EXPECT_FALSE(q.try_emplace(3));
  EXPECT_FALSE(q.emplace(3));
  int x = 4;
  EXPECT_FALSE(q.try_push_for(std::move(x), 1h));  // fails at once, never waits
  EXPECT_FALSE(q.try_push_until(x, Clock::time_point::max()));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.pop(), 1);
  EXPECT_EQ(q.try_pop_for(1h), 2);
  EXPECT_EQ(q.pop(), std::nullopt);  // closed and drained: does not block
  EXPECT_EQ(q.try_pop(), std::nullopt);
  EXPECT_EQ(q.try_pop_for(1h), std::nullopt);
  EXPECT_EQ(q.try_pop_until(Clock::time_point::max()), std::nullopt);
}

TEST(BoundedQueue, PopBlocksUntilPush) {
  BoundedQueue<int> q(1);
  std::optional<int> got;
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    got = q.pop();
    done = true;
  });
  until([&] { return q.waiting_consumers() == 1; });
  EXPECT_FALSE(done.load());
  EXPECT_TRUE(q.push(42));
  consumer.join();
  EXPECT_EQ(got, 42);
}

TEST(BoundedQueue, PushBlocksUntilPop) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.push(1));
  std::atomic<bool> done{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.push(2));
    done = true;
  });
  until([&] { return q.waiting_producers() == 1; });
  EXPECT_FALSE(done.load());
  EXPECT_EQ(q.pop(), 1);
  producer.join();
  EXPECT_EQ(q.pop(), 2);
}

// Waiters on both sides, blocking and timed, all parked, all return once the queues close.
TEST(BoundedQueue, CloseWakesWaitersOnBothSides) {
  BoundedQueue<int> empty_q(2);
  BoundedQueue<int> full_q(1);
  ASSERT_TRUE(full_q.push(0));
  constexpr int kEach = 3;
  std::atomic<int> started{0}, finished{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kEach; ++i) {
    threads.emplace_back([&] {
      ++started;
      EXPECT_EQ(empty_q.pop(), std::nullopt);
      ++finished;
    });
    threads.emplace_back([&, i] {
      ++started;
      EXPECT_FALSE(full_q.push(i));
      ++finished;
    });
    threads.emplace_back([&] {
      ++started;
      EXPECT_EQ(empty_q.try_pop_for(1h), std::nullopt);
      ++finished;
    });
    threads.emplace_back([&, i] {
      ++started;
      EXPECT_FALSE(full_q.try_push_for(i, 1h));
      ++finished;
    });
  }
  until([&] { return started.load() == 4 * kEach; });
  until([&] {
    return empty_q.waiting_consumers() == 2 * kEach && full_q.waiting_producers() == 2 * kEach;
  });
  EXPECT_EQ(finished.load(), 0);
  empty_q.close();
  full_q.close();
  for (auto& t : threads) t.join();
  EXPECT_EQ(finished.load(), 4 * kEach);
  EXPECT_EQ(full_q.pop(), 0);  // the element pushed before close is still delivered
  EXPECT_EQ(full_q.pop(), std::nullopt);
}

TEST(BoundedQueue, TimeoutsNeverEarly) {
  BoundedQueue<int> q(1);
  for (auto timeout : {0us, 1us, 500us, 2000us, 10000us}) {
    const auto t0 = Clock::now();
    EXPECT_EQ(q.try_pop_for(timeout), std::nullopt);
    EXPECT_GE(Clock::now() - t0, timeout);
  }
  ASSERT_TRUE(q.try_push(1));
  for (auto timeout : {0us, 1us, 500us, 2000us, 10000us}) {
    const auto t0 = Clock::now();
    EXPECT_FALSE(q.try_push_for(2, timeout));
    EXPECT_GE(Clock::now() - t0, timeout);
  }
  const auto deadline = Clock::now() + 3ms;
  EXPECT_FALSE(q.try_push_until(2, deadline));
  EXPECT_GE(Clock::now(), deadline);
  ASSERT_EQ(q.try_pop(), 1);
  const auto deadline2 = Clock::now() + 3ms;
  EXPECT_EQ(q.try_pop_until(deadline2), std::nullopt);
  EXPECT_GE(Clock::now(), deadline2);
  // Another clock is converted once; a past deadline and a negative timeout make one attempt.
  EXPECT_EQ(q.try_pop_until(std::chrono::system_clock::now() + 1ms), std::nullopt);
  EXPECT_EQ(q.try_pop_until(Clock::time_point::min()), std::nullopt);
  EXPECT_EQ(q.try_pop_for(-1s), std::nullopt);
  EXPECT_TRUE(q.try_push_for(5, -1s));  // room: succeeds even with no time
  EXPECT_EQ(q.try_pop_for(-1s), 5);
}

TEST(BoundedQueue, TimedCallsSucceedWhenTheOtherSideActs) {
  BoundedQueue<int> q(1);
  std::thread producer([&] { EXPECT_TRUE(q.try_push_for(7, 1h)); });
  EXPECT_EQ(q.try_pop_for(1h), 7);
  producer.join();
  ASSERT_TRUE(q.try_push(8));
  std::thread consumer([&] { EXPECT_EQ(q.try_pop_until(Clock::now() + 1h), 8); });
  EXPECT_TRUE(q.try_push_until(9, Clock::now() + 1h));
  consumer.join();
  EXPECT_EQ(q.try_pop(), 9);
}

TEST(BoundedQueue, InterruptedWaitThrowsTerminatedError) {
  BoundedQueue<int> q(1);
  std::atomic<bool> threw{false};
  pl::ThreadHandle handle;
  std::atomic<bool> have_handle{false};
  std::thread consumer([&] {
    handle = pl::this_thread();
    have_handle = true;
    try {
      static_cast<void>(q.pop());
    } catch (const bobbin::TerminatedError&) {
      threw = true;
    }
    pl::clear_interrupt();
  });
  until([&] { return have_handle.load() && q.waiting_consumers() == 1; });
  pl::interrupt(handle);
  consumer.join();
  EXPECT_TRUE(threw.load());
  EXPECT_EQ(q.waiting_consumers(), 0u);
  EXPECT_TRUE(q.try_push(1));  // the queue is unharmed
  EXPECT_EQ(q.try_pop(), 1);
  // An interrupt that comes before the wait: the wait throws at once, but a push that finds
  // room never waits and succeeds.
  std::thread producer([&] {
    pl::interrupt(pl::this_thread());
    EXPECT_TRUE(q.push(2));
    EXPECT_THROW(static_cast<void>(q.push(3)), bobbin::TerminatedError);
    EXPECT_THROW(static_cast<void>(q.try_push_for(3, 1h)), bobbin::TerminatedError);
    EXPECT_FALSE(q.try_push_for(3, 0ms));  // no time to wait: fails without parking
    pl::clear_interrupt();
  });
  producer.join();
  EXPECT_EQ(q.try_pop(), 2);
  EXPECT_EQ(q.try_pop(), std::nullopt);
}

TEST(BoundedQueue, CapacityOnePingPong) {
  BoundedQueue<int> there(1), back(1);
  constexpr int kRounds = 2000;
  std::thread echo([&] {
    while (auto v = there.pop()) ASSERT_TRUE(back.push(*v + 1));
  });
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(there.push(i));
    ASSERT_EQ(back.pop(), i + 1);
  }
  there.close();
  echo.join();
}

TEST(BoundedQueue, NoexceptAndTypeProperties) {
  BoundedQueue<int> q(1);
  static_assert(noexcept(q.close()));
  static_assert(noexcept(q.closed()));
  static_assert(noexcept(q.size()));
  static_assert(noexcept(q.capacity()));
  static_assert(!std::is_copy_constructible_v<BoundedQueue<int>>);
  static_assert(std::is_same_v<BoundedQueue<int>::value_type, int>);
  SUCCEED();
}

}  // namespace
