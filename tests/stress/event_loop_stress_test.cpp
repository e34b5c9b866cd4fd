// Stress tests of bobbin::EventLoop across threads (label: stress).
//
// Post storms with exact counts and per-producer order, ping-pong between two loops (every
// hand-off races the receiving loop going to sleep), keep-alive releases and stop() racing the
// loop's sleep. A lost wake-up hangs the test (its ctest timeout catches it). ThreadSanitizer
// runs them in CI; payloads are plain (non-atomic) data so a missing happens-before shows up.
#include <bobbin/event_loop.hpp>
#include <bobbin/parking_lot.hpp>
#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace {

using bobbin::EventLoop;

constexpr int kScale = bobbin_test::kStressScale;

// Spins a random handful of iterations, so posts land at every point of the loop's way to sleep.
void jitter(std::minstd_rand& rng) {
  const unsigned n = rng() % 64;
  for (unsigned i = 0; i < n; ++i) bobbin::detail::cpu_relax();
  if (rng() % 16 == 0) std::this_thread::yield();
}

TEST(EventLoopStress, PostStormExactCountsAndPerProducerOrder) {
  constexpr int kProducers = 4;
  const int per_producer = 5000 * kScale;
  EventLoop loop;
  std::vector<int> next(kProducers, 0);  // plain data, written only on the loop thread
  std::vector<std::uint64_t> payload_sum(kProducers, 0);
  bool in_order = true;
  loop.add_ref();
  std::atomic<int> finished{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::minstd_rand rng(static_cast<unsigned>(p) + 1);
      for (int i = 0; i < per_producer; ++i) {
        auto boxed = std::make_unique<std::uint64_t>(static_cast<std::uint64_t>(i));
        loop.post([&, p, i, boxed = std::shared_ptr<std::uint64_t>(std::move(boxed))] {
          in_order = in_order && next[p] == i;
          next[p] = i + 1;
          payload_sum[p] += *boxed;
        });
        if (i % 256 == 0) jitter(rng);
      }
      if (finished.fetch_add(1) + 1 == kProducers) loop.release_ref();
    });
  }
  loop.run();
  for (auto& t : producers) t.join();
  EXPECT_TRUE(in_order);
  const auto n = static_cast<std::uint64_t>(per_producer);
  for (int p = 0; p < kProducers; ++p) {
    EXPECT_EQ(next[p], per_producer);
    EXPECT_EQ(payload_sum[p], n * (n - 1) / 2);
  }
}

// Two loops on two threads bounce a counter; each hand-off wakes a loop that may be parking.
TEST(EventLoopStress, PingPongBetweenTwoLoopsLosesNoWakeUp) {
  const int rounds = 4000 * kScale;
  std::atomic<EventLoop*> b_ptr{nullptr};
  std::shared_ptr<EventLoop> b_keep;  // posting needs the loop alive until post() returns
  std::atomic<bool> b_done{false};
  int a_seen = 0;  // loop A's thread only
  int b_seen = 0;  // loop B's thread only
  std::thread b_thread([&] {
    EventLoop& b = EventLoop::current();
    b.add_ref();
    b_keep = b.shared_from_this();
    b_ptr.store(&b);
    b.run();
    b_done.store(true);
  });
  while (b_ptr.load() == nullptr) std::this_thread::yield();
  EventLoop& b = *b_ptr.load();
  EventLoop a;
  a.add_ref();
  std::function<void(int)> on_a;
  std::function<void(int)> on_b = [&](int v) {
    ++b_seen;
    a.post([&, v] { on_a(v + 1); });
  };
  on_a = [&](int v) {
    ++a_seen;
    if (v >= 2 * rounds) {
      a.release_ref();
      b.post([&] { b.release_ref(); });
      return;
    }
    b.post([&, v] { on_b(v + 1); });
  };
  a.post([&] { on_a(0); });
  a.run();
  b_thread.join();
  EXPECT_TRUE(b_done.load());
  EXPECT_EQ(a_seen, rounds + 1);
  EXPECT_EQ(b_seen, rounds);
}

// A keep-alive reference released from another thread at a random moment always ends run().
TEST(EventLoopStress, ReleaseRefRacingSleepEndsRun) {
  const int iterations = 300 * kScale;
  EventLoop loop;
  std::minstd_rand rng(7);
  for (int i = 0; i < iterations; ++i) {
    loop.add_ref();
    int ran = 0;
    const unsigned seed = static_cast<unsigned>(rng());
    std::thread other([&] {
      std::minstd_rand r(seed);
      loop.post([&] { ++ran; });
      jitter(r);
      loop.release_ref();
    });
    loop.run();
    other.join();
    EXPECT_EQ(ran, 1);
  }
}

// stop() from another thread at a random moment always ends run().
TEST(EventLoopStress, StopRacingSleepEndsRun) {
  const int iterations = 300 * kScale;
  EventLoop loop;
  loop.add_ref();
  std::minstd_rand rng(11);
  for (int i = 0; i < iterations; ++i) {
    const unsigned seed = static_cast<unsigned>(rng());
    std::thread other([&] {
      std::minstd_rand r(seed);
      jitter(r);
      loop.stop();
    });
    loop.run();
    other.join();
  }
  loop.release_ref();
  loop.run();
}

// Many threads post to one loop that also runs timers and immediates; the counts are exact.
TEST(EventLoopStress, PostsMixedWithTimersAndImmediates) {
  constexpr int kProducers = 3;
  const int per_producer = 2000 * kScale;
  EventLoop loop;
  int posted = 0;
  int timers = 0;
  int immediates = 0;
  loop.add_ref();
  std::atomic<int> finished{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&] {
      for (int i = 0; i < per_producer; ++i) {
        loop.post([&, i] {
          ++posted;
          if (i % 64 == 0) {
            loop.set_timeout([&] { ++timers; }, std::chrono::microseconds(i % 200));
            loop.set_immediate([&] { ++immediates; });
          }
        });
      }
      if (finished.fetch_add(1) + 1 == kProducers) {
        loop.post([&] { loop.release_ref(); });
      }
    });
  }
  loop.run();
  for (auto& t : producers) t.join();
  const int expected_side = kProducers * ((per_producer + 63) / 64);
  EXPECT_EQ(posted, kProducers * per_producer);
  EXPECT_EQ(timers, expected_side);
  EXPECT_EQ(immediates, expected_side);
}

#if defined(__linux__)
// The same ping-pong, but loop A also watches an idle pipe, so it sleeps in epoll_wait and each
// post has to wake it through the eventfd.
TEST(EventLoopStress, PingPongWithALoopSleepingInEpoll) {
  const int rounds = 2000 * kScale;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::atomic<EventLoop*> b_ptr{nullptr};
  std::shared_ptr<EventLoop> b_keep;  // posting needs the loop alive until post() returns
  std::thread b_thread([&] {
    EventLoop& b = EventLoop::current();
    b.add_ref();
    b_keep = b.shared_from_this();
    b_ptr.store(&b);
    b.run();
  });
  while (b_ptr.load() == nullptr) std::this_thread::yield();
  EventLoop& b = *b_ptr.load();
  EventLoop a;
  bobbin::FdWatch idle = a.watch_readable(fds[0], [] {});
  int a_seen = 0;
  std::function<void(int)> on_a = [&](int v) {
    ++a_seen;
    if (v >= rounds) {
      idle.clear();
      b.post([&] { b.release_ref(); });
      return;
    }
    b.post([&, v] { a.post([&, v] { on_a(v + 1); }); });
  };
  a.post([&] { on_a(0); });
  a.run();
  b_thread.join();
  EXPECT_EQ(a_seen, rounds + 1);
  ::close(fds[0]);
  ::close(fds[1]);
}
#endif

}  // namespace
