// Stress tests of bobbin/promise.hpp and atomics::wait_async: many threads settling promises
// whose continuations were attached on other loops, attachment racing settlement, coroutines
// resumed across threads, and async waiters racing notifiers. Exact counts, never timing.
// Run under ThreadSanitizer in CI; kScale is smaller there.
#include <bobbin/bobbin.hpp>
#include <gtest/gtest.h>

#include "support/sanitizers.hpp"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

constexpr int kScale = bobbin_test::kStressScale;

using bobbin::Promise;
using bobbin::Resolver;

TEST(PromiseStress, ManyThreadsSettlePromisesAttachedOnOneLoop) {
  constexpr int kThreads = 4;
  const int per_thread = 500 * kScale;
  const int total = kThreads * per_thread;
  std::vector<Resolver<int>> resolvers;
  std::int64_t sum = 0;
  int count = 0;
  int wrong_thread = 0;
  const auto self = std::this_thread::get_id();
  for (int i = 0; i < total; ++i) {
    auto [p, r] = Promise<int>::with_resolvers();
    p.then([&](int v) {
       sum += v;
       ++count;
       if (std::this_thread::get_id() != self) ++wrong_thread;
       return v;
     }).then([&](int) { ++count; });
    resolvers.push_back(r);
  }
  std::atomic<int> first_wins{0};
  std::vector<std::thread> settlers;
  for (int t = 0; t < kThreads; ++t) {
    settlers.emplace_back([&, t] {
      // Two threads settle each promise (t and t+1 mod kThreads): only the first counts.
      for (int k = 0; k < 2; ++k) {
        const int owner = (t + k) % kThreads;
        for (int i = owner * per_thread; i < (owner + 1) * per_thread; ++i) {
          if (resolvers[static_cast<std::size_t>(i)].resolve(i)) first_wins.fetch_add(1);
        }
      }
    });
  }
  bobbin::run();  // kept alive until every continuation ran
  for (auto& t : settlers) t.join();
  EXPECT_EQ(first_wins.load(), total);
  EXPECT_EQ(count, 2 * total);
  EXPECT_EQ(sum, std::int64_t{total} * (total - 1) / 2);
  EXPECT_EQ(wrong_thread, 0);
}

TEST(PromiseStress, AttachRacesSettleOnManyLoops) {
  constexpr int kLoops = 3;
  const int promises = 300 * kScale;
  std::vector<Promise<int>> ps;
  std::vector<Resolver<int>> rs;
  for (int i = 0; i < promises; ++i) {
    auto [p, r] = Promise<int>::with_resolvers();
    ps.push_back(p);
    rs.push_back(r);
  }
  std::atomic<int> started{0};
  std::vector<std::int64_t> sums(kLoops, 0);
  std::vector<int> wrong(kLoops, 0);
  std::vector<std::thread> loops;
  for (int l = 0; l < kLoops; ++l) {
    loops.emplace_back([&, l] {
      const auto self = std::this_thread::get_id();
      started.fetch_add(1);
      for (auto& p : ps) {
        p.then([&, l, self](int v) {
          sums[static_cast<std::size_t>(l)] += v;
          if (std::this_thread::get_id() != self) ++wrong[static_cast<std::size_t>(l)];
        });
      }
      bobbin::run();
    });
  }
  while (started.load() < kLoops) std::this_thread::yield();
  for (int i = 0; i < promises; ++i) rs[static_cast<std::size_t>(i)].resolve(1);
  for (auto& t : loops) t.join();
  for (int l = 0; l < kLoops; ++l) {
    EXPECT_EQ(sums[static_cast<std::size_t>(l)], promises);
    EXPECT_EQ(wrong[static_cast<std::size_t>(l)], 0);
  }
}

bobbin::Async<int> relay(std::vector<Promise<int>> inputs) {
  int total = 0;
  for (auto& p : inputs) total += co_await p;
  co_return total;
}

TEST(PromiseStress, CoroutinesResumedByOtherThreads) {
  const int n = 200 * kScale;
  std::vector<Promise<int>> ps;
  std::vector<Resolver<int>> rs;
  for (int i = 0; i < n; ++i) {
    auto [p, r] = Promise<int>::with_resolvers();
    ps.push_back(p);
    rs.push_back(r);
  }
  Promise<int> total = relay(ps);
  std::thread a([&] {
    for (int i = 0; i < n; i += 2) rs[static_cast<std::size_t>(i)].resolve(i);
  });
  std::thread b([&] {
    for (int i = 1; i < n; i += 2) rs[static_cast<std::size_t>(i)].resolve(i);
  });
  EXPECT_EQ(total.get(), n * (n - 1) / 2);
  a.join();
  b.join();
}

TEST(PromiseStress, GetFromManyThreadsWithoutLoops) {
  const int rounds = 200 * kScale;
  for (int round = 0; round < rounds / 10; ++round) {
    auto [p, r] = Promise<int>::with_resolvers();
    std::atomic<int> got{0};
    std::vector<std::thread> waiters;
    for (int t = 0; t < 3; ++t) waiters.emplace_back([&, p = p] { got.fetch_add(p.get()); });
    r.resolve(round);
    for (auto& t : waiters) t.join();
    EXPECT_EQ(got.load(), 3 * round);
  }
}

TEST(PromiseStress, AsyncWaitersRaceNotifiers) {
  namespace atomics = bobbin::atomics;
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array cell(sab);
  const int waiters = 20 * kScale;
  std::vector<Promise<atomics::WaitResult>> pending;
  for (int i = 0; i < waiters; ++i) {
    auto r = atomics::wait_async(cell, 0, 0);
    ASSERT_TRUE(r.async);
    pending.push_back(r.value);
  }
  std::atomic<int> woken{0};
  std::vector<std::thread> notifiers;
  for (int t = 0; t < 3; ++t) {
    notifiers.emplace_back([&] {
      while (woken.load() < waiters) {
        woken.fetch_add(static_cast<int>(atomics::notify(cell, 0, 1)));
      }
    });
  }
  for (auto& t : notifiers) t.join();
  EXPECT_EQ(woken.load(), waiters);  // every waiter counted exactly once
  for (auto r : bobbin::all(pending).get()) EXPECT_EQ(r, atomics::WaitResult::ok);
}

}  // namespace
