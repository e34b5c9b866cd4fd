// Stress tests of bobbin/lock_manager.hpp: several threads, each with its own event loop,
// making many requests on a few names in both modes, with async holders, if_available probes,
// steals and aborts from other threads. Exact counts, never timing. Run under
// ThreadSanitizer in CI (the protected counters are plain ints); kScale is smaller there.
#include <bobbin/lock_manager.hpp>

#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kScale = bobbin_test::kStressScale;

using bobbin::Async;
using bobbin::Lock;
using bobbin::LockManager;
using bobbin::LockMode;
using bobbin::LockOptions;
using bobbin::Promise;

struct Resource {
  int value = 0;                // written only by exclusive holders
  int writers = 0;              // exclusive holders inside (plain: only they touch it)
  std::atomic<int> readers{0};  // shared holders inside
  std::atomic<int> violations{0};
};

Async<void> hold_across_a_turn(Resource* r) {
  // Yield to the loop while holding the lock exclusively.
  co_await Promise<void>::resolved();
  r->value += 1;
  co_await Promise<void>::resolved();
}

TEST(LockManagerStress, MixedModesManyThreadsExactCounts) {
  LockManager locks;
  constexpr int kThreads = 4;
  constexpr int kNames = 3;
  const int per_thread = 300 * kScale;
  Resource resources[kNames];
  std::atomic<int> exclusive_granted{0};
  std::atomic<int> shared_granted{0};
  std::atomic<int> probes_granted{0};
  std::atomic<int> probes_refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Promise<void>> done;
      done.reserve(static_cast<std::size_t>(per_thread));
      for (int i = 0; i < per_thread; ++i) {
        const int n = (i + t) % kNames;
        Resource* r = &resources[n];
        const std::string name = "res" + std::to_string(n);
        const int kind = (i * 7 + t) % 5;
        LockOptions o;
        if (kind == 0 || kind == 1) {  // shared reader
          o.mode = LockMode::shared;
          done.push_back(locks.request(name, o, [&, r](const Lock* l) {
            if (l == nullptr || l->mode != LockMode::shared) r->violations.fetch_add(1);
            r->readers.fetch_add(1);
            if (r->writers != 0) r->violations.fetch_add(1);
            (void)r->value;  // a read, concurrent with other readers only
            r->readers.fetch_sub(1);
            shared_granted.fetch_add(1);
          }));
        } else if (kind == 2) {  // exclusive, async holder
          done.push_back(locks.request(name, o, [&, r](const Lock*) -> Async<void> {
            if (++r->writers != 1 || r->readers.load() != 0) r->violations.fetch_add(1);
            co_await hold_across_a_turn(r);
            if (r->writers != 1 || r->readers.load() != 0) r->violations.fetch_add(1);
            --r->writers;
            exclusive_granted.fetch_add(1);
          }));
        } else if (kind == 3) {  // exclusive, plain
          done.push_back(locks.request(name, o, [&, r](const Lock*) {
            if (++r->writers != 1 || r->readers.load() != 0) r->violations.fetch_add(1);
            r->value += 1;
            --r->writers;
            exclusive_granted.fetch_add(1);
          }));
        } else {  // if_available exclusive probe
          o.if_available = true;
          done.push_back(locks.request(name, o, [&, r](const Lock* l) {
            if (l == nullptr) {
              probes_refused.fetch_add(1);
              return;
            }
            if (++r->writers != 1 || r->readers.load() != 0) r->violations.fetch_add(1);
            r->value += 1;
            --r->writers;
            probes_granted.fetch_add(1);
          }));
        }
      }
      bobbin::run();
      for (auto& p : done) p.get();
    });
  }
  for (auto& th : threads) th.join();

  int value_sum = 0;
  for (auto& r : resources) {
    EXPECT_EQ(r.violations.load(), 0);
    EXPECT_EQ(r.writers, 0);
    EXPECT_EQ(r.readers.load(), 0);
    value_sum += r.value;
  }
  const int total = kThreads * per_thread;
  EXPECT_EQ(exclusive_granted.load() + shared_granted.load() + probes_granted.load() +
                probes_refused.load(),
            total);
  EXPECT_EQ(value_sum, exclusive_granted.load() + probes_granted.load());
  auto q = locks.query();
  EXPECT_TRUE(q.held.empty());
  EXPECT_TRUE(q.pending.empty());
}

TEST(LockManagerStress, AbortsFromAnotherThreadRaceGrants) {
  LockManager locks;
  constexpr int kThreads = 3;
  const int per_thread = 300 * kScale;
  int value = 0;  // plain: guarded by the lock
  std::atomic<int> ran{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<bobbin::AbortController> controllers(static_cast<std::size_t>(per_thread));
      std::vector<Promise<void>> done;
      // An aborter on its own thread, racing the grants.
      std::atomic<int> issued{0};
      std::thread aborter([&] {
        for (int i = 0; i < per_thread; i += 2) {
          while (issued.load() <= i) std::this_thread::yield();
          controllers[static_cast<std::size_t>(i)].abort();
        }
      });
      for (int i = 0; i < per_thread; ++i) {
        LockOptions o;
        o.signal = controllers[static_cast<std::size_t>(i)].signal();
        done.push_back(locks.request("one", o, [&](const Lock*) -> Async<void> {
          const int v = value;
          co_await Promise<void>::resolved();
          value = v + 1;
          ran.fetch_add(1);
        }));
        issued.store(i + 1);
      }
      bobbin::run();
      aborter.join();
      for (auto& p : done) {
        try {
          p.get();
        } catch (const bobbin::AbortError&) {
          aborted.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ran.load() + aborted.load(), kThreads * per_thread);
  EXPECT_EQ(value, ran.load());
  EXPECT_TRUE(locks.query().held.empty());
  EXPECT_TRUE(locks.query().pending.empty());
}

TEST(LockManagerStress, StealsKeepTheCountsExact) {
  LockManager locks;
  constexpr int kThreads = 3;
  const int per_thread = 200 * kScale;
  std::atomic<int> fulfilled{0};
  std::atomic<int> stolen{0};
  std::atomic<int> callbacks{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Promise<void>> done;
      for (int i = 0; i < per_thread; ++i) {
        LockOptions o;
        o.steal = (i + t) % 4 == 0;
        done.push_back(locks.request("s", o, [&](const Lock*) -> Async<void> {
          co_await Promise<void>::resolved();
          callbacks.fetch_add(1);
        }));
      }
      bobbin::run();
      for (auto& p : done) {
        try {
          p.get();
          fulfilled.fetch_add(1);
        } catch (const bobbin::AbortError&) {
          stolen.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fulfilled.load() + stolen.load(), kThreads * per_thread);
  EXPECT_EQ(callbacks.load(), kThreads * per_thread);  // every callback ran, robbed or not
  EXPECT_TRUE(locks.query().held.empty());
  EXPECT_TRUE(locks.query().pending.empty());
}

}  // namespace
