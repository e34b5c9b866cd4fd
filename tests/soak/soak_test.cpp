// Soak: mixed traffic through every primitive at once, for BOBBIN_SOAK_SECONDS (default 600).
//
// Label `soak`: not part of the default, tsan or asan test runs; `cmake --workflow --preset
// soak` runs it (CI sets BOBBIN_SOAK_SECONDS=30). Eight lanes run concurrently, each on its own
// thread, each repeating short cycles until the time is up and checking every cycle exactly:
//   queue    BoundedQueue, 2 producers x 2 consumers: exact sum and count per cycle
//   ring     RingBuffer SPSC: every element in order
//   ports    MessageChannel: a sender, a blocked receiver, closed from a random side mid-flight:
//            received == accepted, in order
//   workers  Workers come and go: echo traffic, then end normally, by terminate() while
//            blocked in receive(), or by a throwing handler; exact acks and exit codes
//   pool     ThreadPool tasks, some aborted, some throwing: every promise settles, fulfilled
//            == ran, completed() adds up
//   actors   an actor that throws on some messages (restart) plus asks: handled == accepted
//   atomics  two threads ping-pong through atomics::wait/notify on an Int32Array
//   mutex    Mutex + ConditionVariable: a counter under the lock and a producer/consumer
//            handoff through the condition variable
// At the end: the totals (messages, tasks, faults injected) are printed, and every thread the
// test started has been joined (the lanes join their own threads; Worker and ThreadPool and
// ActorSystem destructors join theirs).
#include <bobbin/abort.hpp>
#include <bobbin/actor.hpp>
#include <bobbin/atomics.hpp>
#include <bobbin/bounded_queue.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/mutex.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/ring_buffer.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/thread_pool.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <dirent.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  std::atomic<std::uint64_t> messages{0};  // elements/messages delivered and checked
  std::atomic<std::uint64_t> tasks{0};     // pool tasks and actor messages handled
  std::atomic<std::uint64_t> faults{0};    // throws, aborts, terminates, mid-flight closes
  std::atomic<std::uint64_t> cycles{0};
};

int soak_seconds() {
  if (const char* s = std::getenv("BOBBIN_SOAK_SECONDS")) {
    const int v = std::atoi(s);
    if (v > 0) return v;
  }
  return 600;
}

// The process's thread count (Linux: the entries of /proc/self/task), or -1 where unknown.
int thread_count() {
#if defined(__linux__)
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
  closedir(d);
  return n;
#else
  return -1;
#endif
}

// ---- lanes: each returns after `end`, having checked every cycle ----

void queue_lane(Clock::time_point end, Totals& t) {
  while (Clock::now() < end) {
    bobbin::BoundedQueue<std::uint64_t> q(16);
    constexpr std::uint64_t kPer = 5000;
    std::atomic<std::uint64_t> sum{0}, count{0};
    auto producer = [&q](std::uint64_t p) {
      for (std::uint64_t i = 1; i <= kPer; ++i) ASSERT_TRUE(q.push(p * kPer + i));
    };
    auto consumer = [&] {
      while (auto v = q.pop()) {
        sum.fetch_add(*v);
        count.fetch_add(1);
      }
    };
    std::thread p0(producer, 0), p1(producer, 1), c0(consumer), c1(consumer);
    p0.join();
    p1.join();
    q.close();
    c0.join();
    c1.join();
    const std::uint64_t n = 2 * kPer;
    ASSERT_EQ(count.load(), n);
    ASSERT_EQ(sum.load(), n * (n + 1) / 2);
    t.messages.fetch_add(n);
    t.cycles.fetch_add(1);
  }
}

void ring_lane(Clock::time_point end, Totals& t) {
  while (Clock::now() < end) {
    bobbin::RingBuffer<std::uint32_t> rb(64);
    static constexpr std::uint32_t kN = 20000;
    std::thread consumer([sab = rb.buffer()] {
      bobbin::RingBuffer<std::uint32_t> in(sab);
      std::uint32_t expected = 0;
      while (auto v = in.pop()) ASSERT_EQ(*v, expected++);
      ASSERT_EQ(expected, kN);
    });
    for (std::uint32_t i = 0; i < kN; ++i) rb.push(i);
    rb.close();
    consumer.join();
    t.messages.fetch_add(kN);
    t.cycles.fetch_add(1);
  }
}

void port_lane(Clock::time_point end, Totals& t) {
  std::mt19937 rng(1);
  while (Clock::now() < end) {
    bobbin::MessageChannel<std::string> ch;
    constexpr int kN = 3000;
    const int close_at = static_cast<int>(rng() % (kN + kN / 2));  // sometimes never
    const bool from_receiver = rng() % 2 == 0;
    std::atomic<int> accepted{0};
    std::vector<std::string> got;
    std::thread receiver([&] {
      while (auto m = ch.port2.receive()) got.push_back(std::move(*m));
    });
    std::thread sender([&] {
      for (int i = 0; i < kN; ++i) {
        if (!ch.port1.post_message(std::to_string(i))) return;
        accepted.store(i + 1);
      }
    });
    while (accepted.load() < close_at && accepted.load() < kN) {
      if (ch.port1.closed()) break;
      std::this_thread::yield();
    }
    if (close_at < kN) t.faults.fetch_add(1);
    sender.join();
    if (from_receiver) {
      ch.port2.close();
    } else {
      ch.port1.close();
    }
    receiver.join();
    ASSERT_EQ(static_cast<int>(got.size()), accepted.load());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], std::to_string(i));
    t.messages.fetch_add(got.size());
    t.cycles.fetch_add(1);
  }
}

void worker_lane(Clock::time_point end, Totals& t) {
  int round = 0;
  while (Clock::now() < end) {
    const int mode = round++ % 3;  // 0 ends normally, 1 terminated, 2 a handler throws
    const int n = 200;
    int acks = 0;
    int exit_code = -1;
    bool errored = false;
    bobbin::Worker<int> w([mode](bobbin::ParentPort<int>& parent) {
      if (mode == 2) {
        parent.on_message([&parent](int m) {
          if (m == 150) throw std::runtime_error("handler failed");
          parent.post_message(m);
        });
        return;
      }
      while (auto m = parent.receive()) {
        parent.post_message(*m);
        if (mode == 0 && *m == n - 1) return;
      }
    });
    w.on_message([&](int) {
      ++acks;
      if (mode == 1 && acks == n) (void)w.terminate();  // it is blocked in receive() again
    });
    w.on_error([&](std::exception_ptr) { errored = true; });
    w.on_exit([&](int code) { exit_code = code; });
    for (int i = 0; i < n; ++i) (void)w.post_message(i);
    bobbin::run();
    if (mode == 2) {
      ASSERT_EQ(acks, 150);
      ASSERT_TRUE(errored);
      ASSERT_EQ(exit_code, 1);
      t.faults.fetch_add(1);
    } else {
      ASSERT_EQ(acks, n);
      ASSERT_FALSE(errored);
      ASSERT_EQ(exit_code, mode == 0 ? 0 : 1);
      if (mode == 1) t.faults.fetch_add(1);
    }
    t.messages.fetch_add(static_cast<std::uint64_t>(2 * acks));
    t.cycles.fetch_add(1);
  }
}

void pool_lane(Clock::time_point end, Totals& t) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 2});
  std::atomic<std::uint64_t> ran{0};
  std::uint64_t settled_total = 0;
  while (Clock::now() < end) {
    constexpr int kN = 400;
    std::vector<bobbin::AbortController> ctl(kN);
    std::vector<bobbin::Promise<int>> ps;
    ps.reserve(kN);
    for (int i = 0; i < kN; ++i) {
      ps.push_back(pool.run({.signal = ctl[static_cast<std::size_t>(i)].signal()},
                            [&ran, i](std::stop_token) {
                              ran.fetch_add(1);
                              if (i % 13 == 0) throw std::runtime_error("task failed");
                              return i;
                            }));
      if (i % 11 == 0) ctl[static_cast<std::size_t>(i)].abort();
    }
    int value = 0, thrown = 0, aborted = 0;
    for (int i = 0; i < kN; ++i) {
      try {
        ASSERT_EQ(ps[static_cast<std::size_t>(i)].get(), i);
        ++value;
      } catch (const bobbin::AbortError&) {
        ++aborted;
      } catch (const bobbin::Error&) {
        FAIL() << "unexpected bobbin error";
      } catch (const std::runtime_error&) {
        ++thrown;
      }
    }
    ASSERT_EQ(value + thrown + aborted, kN);
    ASSERT_LE(aborted, (kN + 10) / 11);  // only the aborted ones (some finished first)
    settled_total += kN;
    t.tasks.fetch_add(static_cast<std::uint64_t>(value + thrown));
    t.faults.fetch_add(static_cast<std::uint64_t>(thrown + aborted));
    t.cycles.fetch_add(1);
  }
  pool.close().get();
  EXPECT_EQ(pool.completed(), ran.load());
  EXPECT_LE(ran.load(), settled_total);
}

void actor_lane(Clock::time_point end, Totals& t) {
  bobbin::ActorSystem actors(2);
  while (Clock::now() < end) {
    std::atomic<std::int64_t> handled{0}, sum{0}, threw{0};
    auto ref = actors.spawn<std::int64_t>([&](std::int64_t v) {
      handled.fetch_add(1);
      if (v % 17 == 0) {
        threw.fetch_add(1);
        throw std::runtime_error("actor crashed");
      }
      sum.fetch_add(v);
      return v;
    });
    constexpr std::int64_t kN = 3000;
    std::int64_t want = 0;
    std::vector<bobbin::Promise<std::int64_t>> asks;
    std::thread other([&] {
      for (std::int64_t i = 1; i <= kN; ++i) ASSERT_TRUE(ref.tell(kN + i));
    });
    for (std::int64_t i = 1; i <= kN; ++i) {
      if (i % 10 == 0) {
        asks.push_back(ref.ask(i));
      } else {
        ASSERT_TRUE(ref.tell(i));
      }
    }
    other.join();
    for (std::int64_t i = 1; i <= 2 * kN; ++i) want += i % 17 == 0 ? 0 : i;
    int rejected = 0;
    for (auto& p : asks) {
      try {
        (void)p.get();
      } catch (const std::runtime_error&) {
        ++rejected;
      }
    }
    ref.stop().get();
    ASSERT_EQ(handled.load(), 2 * kN);
    ASSERT_EQ(sum.load(), want);
    ASSERT_EQ(static_cast<std::int64_t>(ref.restarts()), threw.load());
    ASSERT_EQ(ref.dropped(), 0u);
    t.tasks.fetch_add(static_cast<std::uint64_t>(handled.load()));
    t.faults.fetch_add(static_cast<std::uint64_t>(threw.load()));
    t.cycles.fetch_add(1);
  }
  actors.stop().get();
}

void atomics_lane(Clock::time_point end, Totals& t) {
  namespace atomics = bobbin::atomics;
  while (Clock::now() < end) {
    bobbin::SharedArrayBuffer sab(8);
    bobbin::Int32Array cell(sab);
    constexpr int kRounds = 2000;
    // Cell 0 is the turn: even = ping's, odd = pong's.
    auto player = [cell](int parity) {
      for (int r = 0; r < kRounds; ++r) {
        for (;;) {
          const auto v = atomics::load(cell, 0);
          if (v % 2 == parity) break;
          (void)atomics::wait(cell, 0, v);
        }
        atomics::add(cell, 0, 1);
        (void)atomics::notify(cell, 0);
      }
    };
    std::thread ping([&] { player(0); });
    std::thread pong([&] { player(1); });
    ping.join();
    pong.join();
    ASSERT_EQ(atomics::load(cell, 0), 2 * kRounds);
    t.messages.fetch_add(2 * kRounds);
    t.cycles.fetch_add(1);
  }
}

void mutex_lane(Clock::time_point end, Totals& t) {
  while (Clock::now() < end) {
    bobbin::SharedArrayBuffer sab(16);
    bobbin::Int32Array cells(sab);
    bobbin::Mutex mutex(cells, 0);
    bobbin::ConditionVariable ready(cells, 1);
    constexpr int kN = 3000;
    std::int64_t counter = 0;  // guarded by mutex
    std::int64_t slot = 0;     // guarded by mutex; 0 = empty
    std::int64_t consumed_sum = 0;
    std::thread consumer([&] {
      for (int i = 0; i < kN; ++i) {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return slot != 0; });
        consumed_sum += slot;
        slot = 0;
        ++counter;
        ready.notify_all();
      }
    });
    std::thread producer([&] {
      for (int i = 1; i <= kN; ++i) {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return slot == 0; });
        slot = i;
        ++counter;
        ready.notify_all();
      }
    });
    producer.join();
    consumer.join();
    ASSERT_EQ(counter, 2 * kN);
    ASSERT_EQ(consumed_sum, std::int64_t{kN} * (kN + 1) / 2);
    t.messages.fetch_add(kN);
    t.cycles.fetch_add(1);
  }
}

TEST(Soak, MixedTrafficThroughEveryPrimitive) {
  const int seconds = soak_seconds();
  // A sanitizer runtime may start a helper thread along with the first thread (TSan does):
  // start and join one before taking the baseline.
  std::thread([] {}).join();
  const int threads_before = thread_count();
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  Totals t;
  std::vector<std::thread> lanes;
  lanes.emplace_back([&] { queue_lane(end, t); });
  lanes.emplace_back([&] { ring_lane(end, t); });
  lanes.emplace_back([&] { port_lane(end, t); });
  lanes.emplace_back([&] { worker_lane(end, t); });
  lanes.emplace_back([&] { pool_lane(end, t); });
  lanes.emplace_back([&] { actor_lane(end, t); });
  lanes.emplace_back([&] { atomics_lane(end, t); });
  lanes.emplace_back([&] { mutex_lane(end, t); });
  for (auto& l : lanes) l.join();
  // Every thread the lanes started (their own, the workers', the pool's, the actor system's)
  // has been joined by the time the lanes return.
  EXPECT_EQ(thread_count(), threads_before);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "soak: %d s requested, %.1f s run, %llu cycles: %llu messages, %llu tasks, "
      "%llu faults injected and survived; every thread joined\n",
      seconds, took, static_cast<unsigned long long>(t.cycles.load()),
      static_cast<unsigned long long>(t.messages.load()),
      static_cast<unsigned long long>(t.tasks.load()),
      static_cast<unsigned long long>(t.faults.load()));
  EXPECT_GT(t.cycles.load(), 0u);
}

}  // namespace
