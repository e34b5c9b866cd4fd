// Fault injection: allocation failure wherever bobbin allocates on the caller's thread.
//
// Each test probes one operation allocation by allocation (tests/support/failing_new.hpp: the
// n+1-th allocation of the calling thread fails, for n = 0, 1, ... until the operation needs no
// more). Every probe must end in std::bad_alloc (or the operation's documented refusal) with
// nothing half-done, and the object must stay usable. At the end the accounting is exact:
// every accepted message or task is delivered or run exactly once, every refused one never,
// every promise settles. ASan (the asan preset) checks that nothing leaked on the failing paths.
#include <bobbin/actor.hpp>
#include <bobbin/bounded_queue.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/lock_manager.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/ring_buffer.hpp>
#include <bobbin/thread_pool.hpp>
#include <bobbin/worker.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "support/failing_new.hpp"

namespace {

using bobbin_test::FailAfter;

constexpr int kMaxProbe = 200;  // no operation here makes anywhere near this many allocations

// A message long enough to live on the heap (no small-string optimisation).
std::string message(int i) { return "message-" + std::to_string(i) + std::string(40, 'x'); }

// Runs `op` with the calling thread's allocation number n+1 failing, for n = 0, 1, ...; stops
// at the first n for which op needed no refused allocation. `op` returns normally or throws
// std::bad_alloc; anything else fails the test. Returns how many probes failed an allocation.
template <class Op>
int probe(Op&& op) {
  int injected = 0;
  for (int n = 0; n < kMaxProbe; ++n) {
    bool threw = false;
    bool failed = false;
    {
      FailAfter arm(n);
      try {
        op();
      } catch (const std::bad_alloc&) {
        threw = true;
      }
      failed = arm.failed();
    }
    if (!failed) {
      EXPECT_FALSE(threw) << "std::bad_alloc without an injected failure";
      return injected;
    }
    ++injected;
  }
  ADD_FAILURE() << "the operation never completed without an allocation failure";
  return injected;
}

TEST(AllocationFailure, MessagePortCloneAndTransferDeliverExactlyTheAcceptedPosts) {
  bobbin::MessageChannel<std::string> ch;
  std::vector<int> accepted;  // reserved: recording an acceptance never allocates
  accepted.reserve(64);
  int injected = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string clone = message(i);
    injected += probe([&] {
      if (ch.port1.post_message(clone)) accepted.push_back(i);
    });
  }
  for (int i = 8; i < 16; ++i) {
    injected += probe([&] {
      std::string m = message(i);
      const std::string copy = m;
      bool ok = false;
      try {
        ok = ch.port1.post_message(std::move(m));
      } catch (const std::bad_alloc&) {
        // A refused transfer leaves its source untouched.
        if (m != copy) std::abort();
        throw;
      }
      if (ok) accepted.push_back(i);
    });
  }
  EXPECT_GT(injected, 0);
  ch.port1.close();
  std::vector<std::string> got;
  while (auto m = ch.port2.receive()) got.push_back(std::move(*m));
  std::vector<std::string> want;
  for (int i : accepted) want.push_back(message(i));
  EXPECT_EQ(got, want);  // exactly once each, in order: no duplicate, no loss
  EXPECT_EQ(accepted.size(), 16u);
}

TEST(AllocationFailure, EventLoopPostRunsExactlyTheAcceptedTasks) {
  auto& loop = bobbin::EventLoop::current();
  int ran = 0;
  int accepted = 0;
  int injected = 0;
  for (int i = 0; i < 64; ++i) {
    injected += probe([&] {
      // A capture too large for any small-buffer optimisation: the task itself allocates.
      std::string payload = message(i);
      if (loop.post([&ran, payload] { ran += payload.empty() ? 0 : 1; })) ++accepted;
    });
  }
  EXPECT_GT(injected, 0);
  bobbin::run();
  EXPECT_EQ(ran, accepted);
  EXPECT_EQ(accepted, 64);
  // The inbox lock was released on every failing path: the loop still takes tasks.
  bool later = false;
  EXPECT_TRUE(loop.post([&] { later = true; }));
  bobbin::run();
  EXPECT_TRUE(later);
}

TEST(AllocationFailure, PromiseContinuationsRunOnceOrNeverAttach) {
  int attached = 0;
  int ran = 0;
  int settled = 0;
  std::vector<bobbin::Promise<int>> tails;
  tails.reserve(64);
  auto pair = bobbin::Promise<int>::with_resolvers();
  bobbin::Promise<int>& head = pair.promise;
  int injected = 0;
  for (int i = 0; i < 16; ++i) {
    injected += probe([&] {
      auto next = head.then([&ran, i](int v) {
        ++ran;
        return v + i;
      });
      ++attached;
      tails.push_back(std::move(next));
    });
  }
  EXPECT_GT(injected, 0);
  pair.resolver.resolve(100);
  for (int i = 0; i < static_cast<int>(tails.size()); ++i) {
    EXPECT_EQ(tails[static_cast<std::size_t>(i)].get(), 100 + i);
    ++settled;
  }
  EXPECT_EQ(ran, attached);
  EXPECT_EQ(settled, 16);
}

TEST(AllocationFailure, ThreadPoolRunSettlesEveryAcceptedTask) {
  bobbin::ThreadPool pool({.min_threads = 2, .max_threads = 2});
  std::atomic<int> ran{0};
  std::vector<std::pair<int, bobbin::Promise<int>>> accepted;
  accepted.reserve(64);
  int injected = 0;
  for (int i = 0; i < 32; ++i) {
    injected += probe([&] {
      auto p = pool.run(
          [&ran](int x) {
            ran.fetch_add(1);
            return x * 2;
          },
          i);
      accepted.emplace_back(i, std::move(p));
    });
  }
  EXPECT_GT(injected, 0);
  for (auto& [i, p] : accepted) EXPECT_EQ(p.get(), i * 2);
  EXPECT_EQ(ran.load(), 32);
  pool.close().get();
  EXPECT_EQ(pool.completed(), 32u);
}

TEST(AllocationFailure, ActorTellAndAskHandleExactlyTheAcceptedMessages) {
  bobbin::ActorSystem actors(2);
  std::atomic<std::int64_t> sum{0};
  auto ref = actors.spawn<std::string>([&sum](const std::string& s) {
    sum.fetch_add(static_cast<std::int64_t>(s.size()));
    return static_cast<int>(s.size());
  });
  std::int64_t expected = 0;
  std::vector<bobbin::Promise<int>> asks;
  asks.reserve(64);
  int injected = 0;
  for (int i = 0; i < 16; ++i) {
    injected += probe([&] {
      std::string m = message(i);
      const auto size = static_cast<std::int64_t>(m.size());
      if (ref.tell(std::move(m))) expected += size;
    });
    injected += probe([&] {
      std::string m = message(1000 + i);
      const auto size = static_cast<std::int64_t>(m.size());
      auto p = ref.ask(std::move(m));
      expected += size;
      asks.push_back(std::move(p));
    });
  }
  EXPECT_GT(injected, 0);
  for (std::size_t i = 0; i < asks.size(); ++i) {
    EXPECT_EQ(asks[i].get(), static_cast<int>(message(1000 + static_cast<int>(i)).size()));
  }
  ref.stop().get();
  EXPECT_EQ(sum.load(), expected);
  EXPECT_EQ(ref.dropped(), 0u);
  actors.stop().get();
}

// A lock request either is accepted (and its callback runs exactly once, never overlapping
// another holder) or throws std::bad_alloc having changed nothing. (Found by this test:
// LockManager::enqueue used to make the "stolen" exception after the grant, so a failure there
// left the lock held by a request whose callback was never posted.)
TEST(AllocationFailure, LockRequestsAreGrantedOnceOrNeverQueued) {
  bobbin::LockManager manager;
  int callbacks = 0;
  int holders = 0;
  bool overlapped = false;
  std::vector<bobbin::Promise<int>> accepted;
  accepted.reserve(64);
  int injected = 0;
  for (int i = 0; i < 16; ++i) {
    injected += probe([&] {
      auto p = manager.request("resource", [&, i](const bobbin::Lock* lock) {
        overlapped = overlapped || lock == nullptr || ++holders != 1;
        ++callbacks;
        --holders;
        return i;
      });
      accepted.push_back(std::move(p));
    });
  }
  EXPECT_GT(injected, 0);
  bobbin::run();
  ASSERT_EQ(accepted.size(), 16u);
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    EXPECT_EQ(accepted[i].get(), static_cast<int>(i));
  }
  EXPECT_EQ(callbacks, 16);
  EXPECT_FALSE(overlapped);
  const auto snapshot = manager.query();
  EXPECT_TRUE(snapshot.held.empty());
  EXPECT_TRUE(snapshot.pending.empty());
}

TEST(AllocationFailure, QueueAndRingConstructorsThrowCleanlyAndOperationsNeverAllocate) {
  int injected = probe([] { bobbin::BoundedQueue<std::uint64_t> q(64); });
  injected += probe([] { bobbin::RingBuffer<std::uint64_t> rb(64); });
  EXPECT_GT(injected, 0);

  bobbin::BoundedQueue<std::uint64_t> q(64);
  bobbin::RingBuffer<std::uint64_t> rb(64);
  std::uint64_t sum = 0;
  bool failed = false;
  {
    FailAfter arm(0);  // any allocation now would fail: the operations must make none
    for (std::uint64_t i = 1; i <= 64; ++i) {
      (void)q.try_push(i);
      (void)rb.try_push(i);
    }
    while (auto v = q.try_pop()) sum += *v;
    while (auto v = rb.try_pop()) sum += *v;
    failed = arm.failed();
  }
  EXPECT_FALSE(failed);
  EXPECT_EQ(sum, 2u * (64u * 65u / 2u));
}

TEST(AllocationFailure, WorkerConstructorFailsCleanlyAndLeavesNoThread) {
  std::atomic<int> entries{0};
  int constructed = 0;
  int injected = 0;
  const int code_sum_expected = 0;
  int code_sum = 0;
  injected = probe([&] {
    try {
      bobbin::Worker<int> w([&entries](bobbin::ParentPort<int>&) { entries.fetch_add(1); });
      ++constructed;
      // The destructor joins; the exit event is never delivered (listeners are detached).
    } catch (const bobbin::Error&) {
      throw std::bad_alloc();  // "a thread that cannot be created" reports as bobbin::Error
    }
  });
  EXPECT_GT(injected, 0);
  EXPECT_EQ(constructed, 1);
  // A refused construction never ran the entry (the accepted one may have been terminated
  // before its entry started).
  EXPECT_LE(entries.load(), 1);
  bobbin::Worker<int> w([](bobbin::ParentPort<int>& parent) { parent.post_message(7); });
  w.on_message([&](int v) { code_sum += v - 7; });
  bobbin::run();
  EXPECT_EQ(code_sum, code_sum_expected);
}

}  // namespace
