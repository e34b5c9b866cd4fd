// Unit tests of bobbin/lock_manager.hpp: the Web Locks queue rules, if_available, steal,
// signals, release on settlement, errors, cross-thread mutual exclusion and query().
#include <bobbin/lock_manager.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <thread>
#include <vector>

// Out-of-memory injection for the tests at the end: while `fail_allocations` is set, every
// allocation this thread makes throws std::bad_alloc.
namespace {
thread_local bool fail_allocations = false;
}  // namespace

// GCC's -Wmismatched-new-delete cannot see that these replace the global operators (so free()
// does pair with the malloc() in operator new) once gtest's `new` is inlined next to them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (fail_allocations) throw std::bad_alloc();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using bobbin::AbortController;
using bobbin::Async;
using bobbin::EventLoop;
using bobbin::Lock;
using bobbin::LockInfo;
using bobbin::LockManager;
using bobbin::LockMode;
using bobbin::LockOptions;
using bobbin::Promise;
using bobbin::Resolver;

// Runs this thread's loop until `done()` holds (something pending keeps run_once() useful).
template <class P>
void run_until(P done) {
  while (!done()) EventLoop::current().run_once();
}

template <class T>
std::string error_name(const Promise<T>& p) {
  try {
    p.get();
  } catch (const bobbin::Error& e) {
    return e.name();
  } catch (...) {
    return "other";
  }
  return "none";
}

LockOptions shared_mode() {
  LockOptions o;
  o.mode = LockMode::shared;
  return o;
}

TEST(LockManager, CallbackGetsTheLockAndTheResultComesBack) {
  LockManager locks;
  auto p = locks.request("r", [](const Lock* lock) {
    EXPECT_NE(lock, nullptr);
    EXPECT_EQ(lock->name, "r");
    EXPECT_EQ(lock->mode, LockMode::exclusive);
    return 42;
  });
  EXPECT_EQ(p.get(), 42);
  EXPECT_TRUE(locks.query().held.empty());
}

TEST(LockManager, CallbackIsNotCalledSynchronously) {
  LockManager locks;
  bool ran = false;
  auto p = locks.request("r", [&](const Lock*) { ran = true; });
  EXPECT_FALSE(ran);
  p.get();
  EXPECT_TRUE(ran);
}

TEST(LockManager, DefaultInstanceWorks) {
  auto p = bobbin::locks().request("lock-manager-test-default",
                                   [](const Lock* l) { return l != nullptr; });
  EXPECT_TRUE(p.get());
}

TEST(LockManager, ExclusiveSerialisesInRequestOrder) {
  LockManager locks;
  std::vector<std::string> log;
  auto [gate, open] = Promise<void>::with_resolvers();
  auto a = locks.request("r", [&, g = gate](const Lock*) {
    log.push_back("a");
    return g;
  });
  auto b = locks.request("r", [&](const Lock*) { log.push_back("b"); });
  auto c = locks.request("r", [&](const Lock*) { log.push_back("c"); });
  run_until([&] { return !log.empty(); });
  EXPECT_EQ(log, std::vector<std::string>{"a"});
  auto q = locks.query();
  ASSERT_EQ(q.held.size(), 1u);
  EXPECT_EQ(q.pending.size(), 2u);
  open.resolve();
  c.get();
  b.get();
  a.get();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(LockManager, SharedRunTogetherAndExclusiveWaitsForAll) {
  LockManager locks;
  int shared_running = 0;
  bool exclusive_ran = false;
  auto [g1, open1] = Promise<void>::with_resolvers();
  auto [g2, open2] = Promise<void>::with_resolvers();
  auto s1 = locks.request("r", shared_mode(), [&, g = g1](const Lock* l) {
    EXPECT_EQ(l->mode, LockMode::shared);
    ++shared_running;
    return g;
  });
  auto s2 = locks.request("r", shared_mode(), [&, g = g2](const Lock*) {
    ++shared_running;
    return g;
  });
  auto x = locks.request("r", [&](const Lock*) {
    exclusive_ran = true;
    EXPECT_TRUE(locks.query().held.size() == 1u);
  });
  run_until([&] { return shared_running == 2; });
  EXPECT_EQ(locks.query().held.size(), 2u);
  open1.resolve();
  s1.get();
  EXPECT_FALSE(exclusive_ran);
  open2.resolve();
  x.get();
  EXPECT_TRUE(exclusive_ran);
  s2.get();
}

TEST(LockManager, QueuedExclusiveBlocksLaterShared) {
  LockManager locks;
  std::vector<std::string> log;
  auto [gate, open] = Promise<void>::with_resolvers();
  auto s1 = locks.request("r", shared_mode(), [&, g = gate](const Lock*) {
    log.push_back("s1");
    return g;
  });
  auto x = locks.request("r", [&](const Lock*) { log.push_back("x"); });
  auto s2 = locks.request("r", shared_mode(), [&](const Lock*) { log.push_back("s2"); });
  run_until([&] { return !log.empty(); });
  // Let any wrongly granted callback run: one more turn with a posted no-op.
  EventLoop::current().post([] {});
  EventLoop::current().run_once();
  EXPECT_EQ(log, std::vector<std::string>{"s1"});
  auto q = locks.query();
  ASSERT_EQ(q.pending.size(), 2u);
  EXPECT_EQ(q.pending[0].mode, LockMode::exclusive);
  EXPECT_EQ(q.pending[1].mode, LockMode::shared);
  open.resolve();
  s2.get();
  x.get();
  s1.get();
  EXPECT_EQ(log, (std::vector<std::string>{"s1", "x", "s2"}));
}

TEST(LockManager, IfAvailableGrantsWhenFree) {
  LockManager locks;
  LockOptions o;
  o.if_available = true;
  auto p = locks.request("r", o, [](const Lock* l) { return l != nullptr; });
  EXPECT_TRUE(p.get());
}

TEST(LockManager, IfAvailableGivesNullWhenHeld) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  bool held = false;
  auto a = locks.request("r", [&, g = gate](const Lock*) {
    held = true;
    return g;
  });
  run_until([&] { return held; });
  LockOptions o;
  o.if_available = true;
  auto p = locks.request("r", o, [](const Lock* l) { return l == nullptr ? 7 : 8; });
  EXPECT_EQ(p.get(), 7);
  // A shared if_available request against a shared holder is granted.
  open.resolve();
  a.get();
  auto [g2, open2] = Promise<void>::with_resolvers();
  auto s = locks.request("r", shared_mode(), [g = g2](const Lock*) { return g; });
  LockOptions so = shared_mode();
  so.if_available = true;
  auto p2 = locks.request("r", so, [](const Lock* l) { return l != nullptr; });
  EXPECT_TRUE(p2.get());
  open2.resolve();
  s.get();
}

TEST(LockManager, StealRejectsTheVictimWithAbortError) {
  LockManager locks;
  auto [gate, open] = Promise<int>::with_resolvers();
  bool victim_running = false;
  auto victim = locks.request("r", [&, g = gate](const Lock*) {
    victim_running = true;
    return g;
  });
  run_until([&] { return victim_running; });
  LockOptions o;
  o.steal = true;
  auto thief = locks.request("r", o, [&](const Lock* l) {
    EXPECT_NE(l, nullptr);
    EXPECT_EQ(locks.query().held.size(), 1u);
    return 5;
  });
  EXPECT_EQ(thief.get(), 5);
  EXPECT_EQ(error_name(victim), "AbortError");
  // The victim's callback keeps running; its late result changes nothing.
  open.resolve(1);
  auto after = locks.request("r", [](const Lock*) { return 9; });
  EXPECT_EQ(after.get(), 9);
  EXPECT_TRUE(locks.query().held.empty());
}

TEST(LockManager, SignalAbortBeforeGrantRejectsWithReason) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  bool held = false;
  auto a = locks.request("r", [&, g = gate](const Lock*) {
    held = true;
    return g;
  });
  AbortController controller;
  LockOptions o;
  o.signal = controller.signal();
  bool ran = false;
  auto b = locks.request("r", o, [&](const Lock*) { ran = true; });
  run_until([&] { return held; });
  EXPECT_EQ(locks.query().pending.size(), 1u);
  controller.abort();
  EXPECT_TRUE(b.rejected());
  EXPECT_EQ(error_name(b), "AbortError");
  EXPECT_TRUE(locks.query().pending.empty());
  open.resolve();
  a.get();
  EXPECT_FALSE(ran);
}

TEST(LockManager, AlreadyAbortedSignalRejectsAtOnce) {
  LockManager locks;
  LockOptions o;
  o.signal = bobbin::AbortSignal::abort(std::make_exception_ptr(bobbin::TimeoutError("late")));
  auto p = locks.request("r", o, [](const Lock*) {});
  EXPECT_EQ(error_name(p), "TimeoutError");
}

TEST(LockManager, AbortAfterGrantHasNoEffect) {
  LockManager locks;
  AbortController controller;
  LockOptions o;
  o.signal = controller.signal();
  auto [gate, open] = Promise<int>::with_resolvers();
  bool held = false;
  auto p = locks.request("r", o, [&, g = gate](const Lock*) {
    held = true;
    return g;
  });
  run_until([&] { return held; });
  controller.abort();
  open.resolve(3);
  EXPECT_EQ(p.get(), 3);
}

TEST(LockManager, ThrowingCallbackRejectsAndReleases) {
  LockManager locks;
  auto p = locks.request("r", [](const Lock*) -> int { throw bobbin::RangeError("boom"); });
  auto q = locks.request("r", [](const Lock*) { return 1; });
  EXPECT_EQ(error_name(p), "RangeError");
  EXPECT_EQ(q.get(), 1);
}

TEST(LockManager, RejectedPromiseReleasesToo) {
  LockManager locks;
  auto p = locks.request("r", [](const Lock*) {
    return Promise<int>::rejected(std::make_exception_ptr(bobbin::TypeError("no")));
  });
  auto q = locks.request("r", [](const Lock*) { return 2; });
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(error_name(p), "TypeError");
}

Async<int> hold_until(Promise<void> gate, bool* returned) {
  *returned = true;  // the coroutine has "returned" its promise to request() by its first await
  co_await gate;
  co_return 11;
}

TEST(LockManager, AsyncCallbackHoldsTheLockUntilItSettles) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  bool returned = false;
  bool second = false;
  auto a = locks.request("r", [&, g = gate](const Lock*) { return hold_until(g, &returned); });
  auto b = locks.request("r", [&](const Lock*) { second = true; });
  run_until([&] { return returned; });
  EventLoop::current().post([] {});
  EventLoop::current().run_once();
  EXPECT_FALSE(second);
  EXPECT_EQ(locks.query().held.size(), 1u);
  open.resolve();
  EXPECT_EQ(a.get(), 11);
  b.get();
  EXPECT_TRUE(second);
}

TEST(LockManager, RefusedOptionCombinations) {
  LockManager locks;
  LockOptions steal_if;
  steal_if.steal = true;
  steal_if.if_available = true;
  LockOptions steal_shared = shared_mode();
  steal_shared.steal = true;
  AbortController c;
  LockOptions steal_signal;
  steal_signal.steal = true;
  steal_signal.signal = c.signal();
  for (const auto& o : {steal_if, steal_shared, steal_signal}) {
    auto p = locks.request("r", o, [](const Lock*) {});
    EXPECT_EQ(error_name(p), "NotSupportedError");
  }
  auto dash = locks.request("-reserved", [](const Lock*) {});
  EXPECT_EQ(error_name(dash), "NotSupportedError");
  EXPECT_TRUE(locks.query().held.empty());
  EXPECT_TRUE(locks.query().pending.empty());
}

TEST(LockManager, DifferentNamesDoNotConflict) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  auto a = locks.request("a", [g = gate](const Lock*) { return g; });
  auto b = locks.request("b", [](const Lock*) { return 1; });
  EXPECT_EQ(b.get(), 1);
  open.resolve();
  a.get();
}

TEST(LockManager, ThreeThreadsMutualExclusion) {
  LockManager locks;
  constexpr int kThreads = 3;
  constexpr int kPerThread = 200;
  int counter = 0;  // plain int: only the lock protects it
  int inside = 0;
  int overlaps = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<Promise<void>> done;
      for (int i = 0; i < kPerThread; ++i) {
        done.push_back(locks.request("shared-counter", [&](const Lock*) {
          if (++inside != 1) ++overlaps;
          const int v = counter;
          counter = v + 1;
          --inside;
        }));
      }
      bobbin::run();
      for (auto& p : done) p.get();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, kThreads * kPerThread);
  EXPECT_EQ(overlaps, 0);
  EXPECT_TRUE(locks.query().held.empty());
}

TEST(LockManager, QueryShowsHeldAndPendingWithClientIds) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  bool held = false;
  auto a = locks.request("a", [&, g = gate](const Lock*) {
    held = true;
    return g;
  });
  auto b = locks.request("a", shared_mode(), [](const Lock*) {});
  run_until([&] { return held; });

  // Another thread holds "b" until we let it go.
  auto [tgate, topen] = Promise<void>::with_resolvers();
  std::atomic<bool> other_held{false};
  std::thread other([&, g = tgate] {
    auto p = locks.request("b", shared_mode(), [&, g](const Lock*) {
      other_held.store(true);
      return g;
    });
    p.get();
  });
  while (!other_held.load()) std::this_thread::yield();

  auto q = locks.query();
  ASSERT_EQ(q.held.size(), 2u);
  ASSERT_EQ(q.pending.size(), 1u);
  EXPECT_EQ(q.held[0].name, "a");
  EXPECT_EQ(q.held[0].mode, LockMode::exclusive);
  EXPECT_EQ(q.held[1].name, "b");
  EXPECT_EQ(q.held[1].mode, LockMode::shared);
  EXPECT_NE(q.held[0].client_id, q.held[1].client_id);
  EXPECT_FALSE(q.held[0].client_id.empty());
  EXPECT_EQ(q.pending[0], (LockInfo{"a", LockMode::shared, q.held[0].client_id}));

  // Cross-thread if_available sees the other thread's exclusive hold... here shared: an
  // exclusive if_available request is refused.
  LockOptions o;
  o.if_available = true;
  auto probe = locks.request("b", o, [](const Lock* l) { return l != nullptr; });
  EXPECT_FALSE(probe.get());

  topen.resolve();
  other.join();
  open.resolve();
  a.get();
  b.get();
  q = locks.query();
  EXPECT_TRUE(q.held.empty());
  EXPECT_TRUE(q.pending.empty());
}

TEST(LockManager, RequestFromThreadThatExitsIsCleanedUp) {
  LockManager locks;
  auto [gate, open] = Promise<void>::with_resolvers();
  bool held = false;
  auto a = locks.request("r", [&, g = gate](const Lock*) {
    held = true;
    return g;
  });
  run_until([&] { return held; });
  int unhandled = 0;
  auto previous = bobbin::set_unhandled_rejection_handler([&](std::exception_ptr) { ++unhandled; });
  std::thread([&] {
    // Queued, then the thread exits without running its loop.
    auto p = locks.request("r", [](const Lock*) {});
    (void)p;
  }).join();
  EXPECT_EQ(locks.query().pending.size(), 1u);
  open.resolve();
  a.get();
  auto c = locks.request("r", [](const Lock*) { return 4; });
  EXPECT_EQ(c.get(), 4);
  EXPECT_TRUE(locks.query().held.empty());
  bobbin::set_unhandled_rejection_handler(previous);
  EXPECT_EQ(unhandled, 1);  // the orphaned request's promise (TerminatedError), unobserved
}

// ---- out of memory while releasing or aborting ----------------------------------------------
//
// The regrant after a release or an abort needs room for the grants it makes. It reserves that
// room before it removes anything, so running out of memory leaves the state untouched and is
// reported (std::bad_alloc from the state, which the callers turn into a rejection), instead
// of losing the next request halfway (popped from the queue, never delivered).

using State = bobbin::detail::LockManagerState;
using Request = bobbin::detail::LockRequest;
using Status = bobbin::detail::LockRequestStatus;

struct Record {
  int runs = 0;
  bool granted = false;
  int rejections = 0;
};

struct RecordingJob final : bobbin::detail::LockJob {
  explicit RecordingJob(Record& r) : record(r) {}
  void run(const std::shared_ptr<State>&, const std::shared_ptr<Request>&, bool granted) override {
    ++record.runs;
    record.granted = granted;
  }
  void reject(std::exception_ptr) noexcept override { ++record.rejections; }
  Record& record;
};

std::shared_ptr<Request> make_request(Record& record, Status status) {
  auto req = std::make_shared<Request>();
  req->lock = Lock{"r", LockMode::exclusive};
  req->client_id = "client-test";
  req->loop = EventLoop::current().shared_from_this();
  req->job = std::make_unique<RecordingJob>(record);
  req->status = status;
  return req;
}

TEST(LockManagerOutOfMemory, ReleaseLeavesTheStateUntouchedAndReports) {
  auto state = std::make_shared<State>();
  Record first, second;
  auto holder = make_request(first, Status::granted);
  auto waiter = make_request(second, Status::queued);
  state->resources["r"].held.push_back(holder);
  state->resources["r"].queue.push_back(waiter);
  EventLoop::current().add_ref();  // the waiter's keep-alive ref, dropped when its task runs

  fail_allocations = true;
  bool reported = false;
  try {
    state->release(holder);
  } catch (const std::bad_alloc&) {
    reported = true;
  }
  fail_allocations = false;
  EXPECT_TRUE(reported);
  EXPECT_EQ(holder->status, Status::granted);
  EXPECT_EQ(waiter->status, Status::queued);
  auto s = state->snapshot();
  ASSERT_EQ(s.held.size(), 1u);
  ASSERT_EQ(s.pending.size(), 1u);

  state->release(holder);  // memory again: the waiter is granted and its callback runs
  EXPECT_EQ(holder->status, Status::released);
  EXPECT_EQ(waiter->status, Status::granted);
  run_until([&] { return second.runs == 1; });
  EXPECT_TRUE(second.granted);
  EXPECT_EQ(state->snapshot().held.size(), 1u);
  EXPECT_TRUE(state->snapshot().pending.empty());
}

TEST(LockManagerOutOfMemory, AbortLeavesTheRequestQueuedAndReports) {
  auto state = std::make_shared<State>();
  Record first, second, third;
  auto holder = make_request(first, Status::granted);
  auto aborted = make_request(second, Status::queued);
  auto behind = make_request(third, Status::queued);
  state->resources["r"].held.push_back(holder);
  state->resources["r"].queue.push_back(aborted);
  state->resources["r"].queue.push_back(behind);
  EventLoop::current().add_ref();  // the aborted request's ref, dropped by abort()

  fail_allocations = true;
  bool reported = false;
  try {
    state->abort(aborted, nullptr);
  } catch (const std::bad_alloc&) {
    reported = true;
  }
  fail_allocations = false;
  EXPECT_TRUE(reported);
  EXPECT_EQ(aborted->status, Status::queued);
  EXPECT_EQ(state->snapshot().pending.size(), 2u);
  EXPECT_EQ(second.rejections, 0);

  state->abort(aborted, nullptr);
  EXPECT_EQ(aborted->status, Status::aborted);
  EXPECT_EQ(second.rejections, 1);
  EXPECT_EQ(behind->status, Status::queued);  // the lock is still held
  EXPECT_EQ(state->snapshot().pending.size(), 1u);
}

}  // namespace
