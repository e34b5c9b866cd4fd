// tests/thread_pool_test.cpp — bobbin::ThreadPool: results, errors, back-pressure, abort,
// timeout, shutdown, growth and idle shrink, metrics, nested waits, Async tasks, dispatch.
//
// The Piscina behaviours come from Piscina's test files, named at each test (test/simple-test.ts,
// thread-count.ts, task-queue.ts, post-task.ts, abort-task.ts, pool.test.ts, idle-timeout.ts,
// pool-close.ts, pool-destroy.ts, test-uncaught-exception-from-handler.ts, histogram.ts); the
// dispatch oracles from the book's RpcWorkerPool (ch6-thread-pool, listings 6-1 … 6-6).
#include <bobbin/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A one-shot gate that blocked tasks wait on (a real handshake, no sleeps).
struct Gate {
  std::promise<void> p;
  std::shared_future<void> f = p.get_future().share();
  void open() { p.set_value(); }
  void wait() const { f.wait(); }
};

template <class E, class T>
bool rejects_with(const bobbin::Promise<T>& p) {
  try {
    p.get();
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

// A number per thread, never reused (std::thread::id values are reused after a join).
int thread_serial() {
  static std::atomic<int> next{0};
  thread_local const int serial = next.fetch_add(1);
  return serial;
}

// Polls `cond` (yielding) for at most 10 s: for state that only time changes (idle shrink).
template <class F>
bool eventually(F cond) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(ThreadPool, RunReturnsTheResult) {  // simple-test: sync result
  bobbin::ThreadPool pool({.max_threads = 2});
  bobbin::Promise<int> p = pool.run([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_EQ(p.get(), 42);
  bobbin::Promise<void> v = pool.run([] {});
  v.get();
  bobbin::Promise<std::string> s =
      pool.run([](std::string x) { return x + "!"; }, std::string("hi"));
  EXPECT_EQ(s.get(), "hi!");
}

TEST(ThreadPool, MovesArgumentsIn) {
  bobbin::ThreadPool pool({.max_threads = 1});
  auto owned = std::make_unique<int>(5);
  auto p = pool.run([](std::unique_ptr<int> v) { return *v + 1; }, std::move(owned));
  EXPECT_EQ(p.get(), 6);
  EXPECT_EQ(owned, nullptr);
}

TEST(ThreadPool, AsyncTaskResolvesRun) {  // simple-test: a promise result resolves run
  bobbin::ThreadPool pool({.max_threads = 1});
  auto p = pool.run([]() -> bobbin::Async<int> {
    co_await bobbin::sleep(1ms);
    co_return 42;
  });
  EXPECT_EQ(p.get(), 42);
  auto v = pool.run([]() -> bobbin::Async<void> { co_return; });
  v.get();
}

TEST(ThreadPool, ThrowingTaskRejectsAndPoolStaysHealthy) {  // post-task: handler throws
  bobbin::ThreadPool pool({.max_threads = 1});
  auto bad = pool.run([]() -> int { throw std::runtime_error("boom"); });
  try {
    bad.get();
    FAIL() << "expected a rejection";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  auto bad_async = pool.run([]() -> bobbin::Async<int> {
    throw std::runtime_error("async boom");
    co_return 1;
  });
  EXPECT_TRUE(rejects_with<std::runtime_error>(bad_async));
  EXPECT_EQ(pool.run([] { return 1; }).get(), 1);
  EXPECT_EQ(pool.completed(), 3u);
}

TEST(ThreadPool, PostRunsAndReportsErrorsToTheHandler) {
  bobbin::ThreadPool pool({.max_threads = 2});
  std::promise<std::string> seen;
  pool.on_error([&seen](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      seen.set_value(x.what());
    }
  });
  std::atomic<int> ran{0};
  std::latch done(100);
  for (int i = 0; i < 100; ++i) {
    pool.post([&] {
      ran.fetch_add(1);
      done.count_down();
    });
  }
  done.wait();
  EXPECT_EQ(ran.load(), 100);
  pool.post([] { throw std::runtime_error("posted boom"); });
  EXPECT_EQ(seen.get_future().get(), "posted boom");
  EXPECT_EQ(pool.run([] { return 2; }).get(), 2);
}

TEST(ThreadPool, PoolSizeRulesOfTheBook) {  // RpcWorkerPool size rules
  EXPECT_EQ(bobbin::pool_size(0, 8), 8u);
  EXPECT_EQ(bobbin::pool_size(-2, 8), 6u);
  EXPECT_EQ(bobbin::pool_size(-8, 8), 1u);
  EXPECT_EQ(bobbin::pool_size(-100, 8), 1u);
  EXPECT_EQ(bobbin::pool_size(3, 8), 3u);
  bobbin::ThreadPool pool({.min_threads = 0});
  EXPECT_EQ(pool.max_threads(), bobbin::pool_size(0));
  bobbin::ThreadPool minus({.min_threads = 0, .max_threads = -1});
  EXPECT_EQ(minus.max_threads(), bobbin::pool_size(-1));
}

TEST(ThreadPool, OptionValidation) {  // thread-count: min > max conflicts
  EXPECT_THROW(bobbin::ThreadPool({.min_threads = 16, .max_threads = 8}), bobbin::RangeError);
  EXPECT_THROW(bobbin::ThreadPool({.max_threads = 2, .concurrent_tasks_per_worker = 0}),
               bobbin::RangeError);
  EXPECT_THROW(bobbin::ThreadPool({.max_threads = 2, .idle_timeout = -1ms}), bobbin::RangeError);
}

TEST(ThreadPool, AutoQueueIsMaxThreadsSquared) {  // option-validation: 'auto' with max 2 gives 4
  bobbin::ThreadPool pool({.max_threads = 2, .max_queue = bobbin::auto_queue});
  EXPECT_EQ(pool.max_queue(), 4u);
  bobbin::ThreadPool unbounded({.max_threads = 2});
  EXPECT_EQ(unbounded.max_queue(), bobbin::unbounded_queue);
}

TEST(ThreadPool, ThreadsGrowFromMinToMax) {  // thread-count: 2, 2, 3, 4, 4
  bobbin::ThreadPool pool({.min_threads = 2, .max_threads = 4});
  EXPECT_EQ(pool.threads(), 2u);
  Gate gate;
  std::vector<bobbin::Promise<void>> ps;
  std::vector<std::size_t> seen;
  for (int i = 0; i < 5; ++i) {
    ps.push_back(pool.run([&gate] { gate.wait(); }));
    seen.push_back(pool.threads());
  }
  EXPECT_EQ(seen, (std::vector<std::size_t>{2, 2, 3, 4, 4}));
  gate.open();
  for (auto& p : ps) p.get();
  pool.destroy().get();
}

TEST(ThreadPool, QueueSizeCountsTasksBeyondCapacity) {  // task-queue: 0, 0, 0, 1
  bobbin::ThreadPool pool({.min_threads = 2, .max_threads = 3});
  Gate gate;
  std::vector<bobbin::Promise<void>> ps;
  std::vector<std::size_t> sizes, threads;
  for (int i = 0; i < 4; ++i) {
    ps.push_back(pool.run([&gate] { gate.wait(); }));
    sizes.push_back(pool.queue_size());
    threads.push_back(pool.threads());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{0, 0, 0, 1}));
  EXPECT_EQ(threads, (std::vector<std::size_t>{2, 2, 3, 3}));
  gate.open();
  for (auto& p : ps) p.get();
  EXPECT_EQ(pool.queue_size(), 0u);
}

TEST(ThreadPool, FullQueueRejectsWithQueueFullError) {  // task-queue: maxQueue 2, fourth rejects
  bobbin::ThreadPool pool({.min_threads = 0, .max_threads = 1, .max_queue = 2});
  Gate gate;
  std::vector<bobbin::Promise<int>> ps;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    ps.push_back(pool.run([&gate, i] {
      gate.wait();
      return i;
    }));
    sizes.push_back(pool.queue_size());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_TRUE(pool.queue_size() >= pool.max_queue());
  auto rejected = pool.run([] { return 99; });
  EXPECT_TRUE(rejects_with<bobbin::QueueFullError>(rejected));
  EXPECT_THROW(pool.post([] {}), bobbin::QueueFullError);
  gate.open();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ps[static_cast<std::size_t>(i)].get(), i);
  EXPECT_EQ(pool.run([] { return 5; }).get(), 5);  // room again
}

TEST(ThreadPool, MaxQueueZeroAcceptsOnlyWhenASlotIsFree) {  // task-queue: maxQueue 0
  bobbin::ThreadPool pool({.min_threads = 0, .max_threads = 1, .max_queue = 0});
  Gate gate;
  auto first = pool.run([&gate] { gate.wait(); });
  auto second = pool.run([] {});
  EXPECT_TRUE(rejects_with<bobbin::QueueFullError>(second));
  gate.open();
  first.get();
}

TEST(ThreadPool, ConcurrentAsyncTasksShareOneThread) {  // task-queue: concurrentTasksPerWorker 2
  bobbin::ThreadPool pool(
      {.min_threads = 1, .max_threads = 1, .max_queue = 0, .concurrent_tasks_per_worker = 2});
  auto [go, go_r] = bobbin::Promise<void>::with_resolvers();
  std::latch both(2);
  auto task = [&both, go = go]() -> bobbin::Async<int> {
    both.count_down();
    co_await go;
    co_return *bobbin::ThreadPool::current_worker_index();
  };
  auto a = pool.run(task);
  auto b = pool.run(task);
  both.wait();  // both started on the one thread before either finished
  EXPECT_EQ(pool.queue_size(), 0u);
  go_r.resolve();
  EXPECT_EQ(a.get(), 0);
  EXPECT_EQ(b.get(), 0);
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(ThreadPool, NeedsDrainAndDrainEvents) {  // post-task: needsDrain, then 'drain'
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1, .max_queue = 3});
  Gate gate;
  std::promise<bool> needs_drain_inside;
  std::atomic<int> drains{0};
  pool.on_drain([&] {
    if (drains.fetch_add(1) == 0) needs_drain_inside.set_value(pool.needs_drain());
  });
  EXPECT_FALSE(pool.needs_drain());
  pool.drain().get();  // settles at once when nothing waits
  std::vector<bobbin::Promise<void>> ps;
  for (int i = 0; i < 4; ++i) ps.push_back(pool.run([&gate] { gate.wait(); }));
  EXPECT_TRUE(pool.needs_drain());
  auto drained = pool.drain();
  EXPECT_TRUE(drained.pending());
  gate.open();
  drained.get();
  EXPECT_EQ(pool.queue_size(), 0u);
  EXPECT_FALSE(needs_drain_inside.get_future().get());
  for (auto& p : ps) p.get();
  EXPECT_EQ(drains.load(), 1);
}

TEST(ThreadPool, AlreadyAbortedSignalRejectsAndRunsNothing) {  // abort-task: already aborted
  bobbin::ThreadPool pool({.max_threads = 1});
  bobbin::AbortController c;
  c.abort();
  std::atomic<bool> ran{false};
  std::string arg = "kept";
  auto p = pool.run(
      bobbin::RunOptions{.signal = c.signal()}, [&ran](std::string) { ran = true; },
      std::move(arg));
  EXPECT_TRUE(rejects_with<bobbin::AbortError>(p));
  EXPECT_EQ(arg, "kept");  // not consumed
  pool.close().get();
  EXPECT_FALSE(ran.load());
}

TEST(ThreadPool, AbortWhileQueuedRemovesTheTask) {  // abort-task: max 1, task 2 aborted queued
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::atomic<bool> ran2{false};
  auto first = pool.run([&gate] {
    gate.wait();
    return 1;
  });
  bobbin::AbortController c;
  auto second = pool.run({.signal = c.signal()}, [&ran2] { ran2 = true; });
  auto third = pool.run([] { return 3; });
  EXPECT_EQ(pool.queue_size(), 2u);
  c.abort();
  EXPECT_TRUE(rejects_with<bobbin::AbortError>(second));  // at once, while first still runs
  EXPECT_EQ(pool.queue_size(), 1u);
  gate.open();
  EXPECT_EQ(first.get(), 1);
  EXPECT_EQ(third.get(), 3);
  EXPECT_FALSE(ran2.load());
}

TEST(ThreadPool, AbortedQueuedTasksDoNotStallTheQueue) {  // pool.test #805
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  auto blocker = pool.run([&gate] { gate.wait(); });
  bobbin::AbortController a, b, c;
  auto pa = pool.run({.signal = a.signal()}, [] { return 1; });
  auto pb = pool.run({.signal = b.signal()}, [] { return 2; });
  auto pc = pool.run({.signal = c.signal()}, [] { return 3; });
  a.abort();
  b.abort(std::make_exception_ptr(std::runtime_error("custom reason")));
  gate.open();
  EXPECT_EQ(pc.get(), 3);
  EXPECT_TRUE(rejects_with<bobbin::AbortError>(pa));
  EXPECT_TRUE(rejects_with<std::runtime_error>(pb));  // the signal's reason
  blocker.get();
}

TEST(ThreadPool, AbortWhileRunningFiresTheStopToken) {  // abort-task: running task aborted
  bobbin::ThreadPool pool({.max_threads = 1});
  bobbin::AbortController c;
  std::latch started(1);
  Gate may_return;
  std::atomic<bool> saw_stop{false};
  auto p = pool.run({.signal = c.signal()}, [&](std::stop_token st) {
    started.count_down();
    while (!st.stop_requested()) std::this_thread::yield();
    saw_stop = true;
    may_return.wait();
    return 7;
  });
  started.wait();
  c.abort();
  EXPECT_TRUE(rejects_with<bobbin::AbortError>(p));  // before the task returned
  may_return.open();
  pool.close().get();
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(pool.completed(), 1u);
}

TEST(ThreadPool, AbortWhileRunningFiresTheAbortSignalParameter) {
  bobbin::ThreadPool pool({.max_threads = 1});
  bobbin::AbortController c;
  std::latch started(1);
  auto p = pool.run(
      {.signal = c.signal()},
      [&](bobbin::AbortSignal s, int x) {
        started.count_down();
        while (!s.aborted()) std::this_thread::yield();
        return x;
      },
      1);
  started.wait();
  c.abort();
  EXPECT_TRUE(rejects_with<bobbin::AbortError>(p));
  pool.close().get();
}

TEST(ThreadPool, StopTokenTaskWithoutAbortRunsNormally) {
  bobbin::ThreadPool pool({.max_threads = 1});
  EXPECT_EQ(
      pool.run([](std::stop_token st, int v) { return st.stop_requested() ? -1 : v; }, 4).get(), 4);
}

TEST(ThreadPool, TimeoutRejectsARunningTask) {
  bobbin::ThreadPool pool({.max_threads = 1});
  auto p = pool.run({.timeout = 5ms}, [](std::stop_token st) {
    while (!st.stop_requested()) std::this_thread::yield();
    return 1;
  });
  EXPECT_TRUE(rejects_with<bobbin::TimeoutError>(p));
  pool.close().get();
}

TEST(ThreadPool, TimeoutRejectsAQueuedTask) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::atomic<bool> ran{false};
  auto blocker = pool.run([&gate] { gate.wait(); });
  auto p = pool.run({.timeout = 1ms}, [&ran] { ran = true; });
  EXPECT_TRUE(rejects_with<bobbin::TimeoutError>(p));
  EXPECT_EQ(pool.queue_size(), 0u);
  gate.open();
  blocker.get();
  pool.close().get();
  EXPECT_FALSE(ran.load());
}

TEST(ThreadPool, TimeoutThatDoesNotFireLeavesTheResult) {
  bobbin::ThreadPool pool({.max_threads = 1});
  EXPECT_EQ(pool.run({.timeout = 10s}, [] { return 9; }).get(), 9);
}

TEST(ThreadPool, CloseFinishesQueuedWorkAndRejectsNewRuns) {  // pool-close
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::vector<bobbin::Promise<int>> ps;
  for (int i = 0; i < 3; ++i) {
    ps.push_back(pool.run([&gate, i] {
      gate.wait();
      return i;
    }));
  }
  auto closed = pool.close();
  auto late = pool.run([] { return 0; });
  EXPECT_TRUE(rejects_with<bobbin::ClosedError>(late));
  EXPECT_THROW(pool.post([] {}), bobbin::ClosedError);
  EXPECT_TRUE(closed.pending());
  gate.open();
  closed.get();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ps[static_cast<std::size_t>(i)].get(), i);
  EXPECT_EQ(pool.completed(), 3u);
  pool.close().get();  // again: settled
}

TEST(ThreadPool, CloseWithNothingToDoResolves) {  // pool-close: no tasks, also minThreads 0
  bobbin::ThreadPool a({.max_threads = 2});
  a.close().get();
  bobbin::ThreadPool b({.min_threads = 0, .max_threads = 2});
  b.close().get();
  EXPECT_EQ(b.threads(), 0u);
}

TEST(ThreadPool, DestroyRejectsWhatHasNotStarted) {  // pool-destroy / task-queue: destroy
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::latch started(1);
  auto running = pool.run([&] {
    started.count_down();
    gate.wait();
    return 1;
  });
  std::atomic<int> ran{0};
  std::vector<bobbin::Promise<void>> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(pool.run([&ran] { ran.fetch_add(1); }));
  started.wait();
  auto destroyed = pool.destroy();
  for (auto& q : queued) EXPECT_TRUE(rejects_with<bobbin::TerminatedError>(q));
  EXPECT_EQ(pool.queue_size(), 0u);
  gate.open();
  EXPECT_EQ(running.get(), 1);
  destroyed.get();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_TRUE(rejects_with<bobbin::ClosedError>(pool.run([] {})));
}

// Many queued tasks (task blocks recycled through the caches and the depot): destroy() finds
// every one of them.
TEST(ThreadPool, DestroyRejectsEveryOneOfManyQueuedTasks) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::latch started(1);
  auto running = pool.run([&] {
    started.count_down();
    gate.wait();
    return 1;
  });
  std::atomic<int> ran{0};
  std::vector<bobbin::Promise<void>> queued;
  for (int i = 0; i < 1000; ++i) queued.push_back(pool.run([&ran] { ran.fetch_add(1); }));
  started.wait();
  EXPECT_EQ(pool.queue_size(), 1000u);
  auto destroyed = pool.destroy();
  for (auto& q : queued) EXPECT_TRUE(rejects_with<bobbin::TerminatedError>(q));
  EXPECT_EQ(pool.queue_size(), 0u);
  gate.open();
  EXPECT_EQ(running.get(), 1);
  destroyed.get();
  EXPECT_EQ(ran.load(), 0);
}

// destroy() also drops queued post() tasks, and tasks that only destroy() can cancel (claimed
// by the queue itself when taken) sit next to tasks a signal can cancel: nothing queued runs,
// every one is counted out exactly once (a later abort changes nothing).
TEST(ThreadPool, DestroyDropsQueuedPostAndSignalTasksAlike) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::latch started(1);
  auto running = pool.run([&] {
    started.count_down();
    gate.wait();
    return 1;
  });
  std::atomic<int> ran{0};
  bobbin::AbortController c;
  std::vector<bobbin::Promise<void>> with_signal, plain;
  for (int i = 0; i < 50; ++i) {
    pool.post([&ran] { ran.fetch_add(1); });
    with_signal.push_back(pool.run({.signal = c.signal()}, [&ran] { ran.fetch_add(1); }));
    plain.push_back(pool.run([&ran] { ran.fetch_add(1); }));
  }
  started.wait();
  EXPECT_EQ(pool.queue_size(), 150u);
  auto destroyed = pool.destroy();
  for (auto& q : with_signal) EXPECT_TRUE(rejects_with<bobbin::TerminatedError>(q));
  for (auto& q : plain) EXPECT_TRUE(rejects_with<bobbin::TerminatedError>(q));
  EXPECT_EQ(pool.queue_size(), 0u);
  c.abort();  // every listener was dropped or finds the task cancelled already
  EXPECT_EQ(pool.queue_size(), 0u);
  gate.open();
  EXPECT_EQ(running.get(), 1);
  destroyed.get();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.completed(), 1u);
}

// One thread takes many queued tasks in submission order; tasks aborted while queued are
// skipped wherever they sit.
TEST(ThreadPool, OneThreadRunsManyQueuedTasksInOrder) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  Gate gate;
  std::latch started(1);
  pool.post([&] {
    started.count_down();
    gate.wait();
  });
  started.wait();
  std::vector<int> order;  // written by the one pool thread only
  std::vector<bobbin::Promise<void>> done;
  bobbin::AbortController abort;
  constexpr int kTasks = 700;
  for (int i = 0; i < kTasks; ++i) {
    const bool aborted = i % 50 == 7;
    auto task = [&order, i] { order.push_back(i); };
    done.push_back(aborted ? pool.run({.signal = abort.signal()}, task) : pool.run(task));
  }
  abort.abort();
  gate.open();
  std::vector<int> expected;
  for (int i = 0; i < kTasks; ++i) {
    if (i % 50 == 7) {
      EXPECT_TRUE(rejects_with<bobbin::AbortError>(done[static_cast<std::size_t>(i)]));
    } else {
      done[static_cast<std::size_t>(i)].get();
      expected.push_back(i);
    }
  }
  EXPECT_EQ(order, expected);
  pool.close().get();
  EXPECT_EQ(pool.completed(), static_cast<std::uint64_t>(expected.size()) + 1);
}

TEST(ThreadPool, IdleThreadsExitAfterIdleTimeout) {  // idle-timeout
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 2, .idle_timeout = 20ms});
  auto two_at_once = [&pool] {
    Gate gate;
    std::latch both(2);
    std::set<int> ids;
    auto a = pool.run([&] {
      both.count_down();
      gate.wait();
      return thread_serial();
    });
    auto b = pool.run([&] {
      both.count_down();
      gate.wait();
      return thread_serial();
    });
    both.wait();
    EXPECT_EQ(pool.threads(), 2u);
    gate.open();
    ids.insert(a.get());
    ids.insert(b.get());
    return ids;
  };
  auto first = two_at_once();
  EXPECT_EQ(first.size(), 2u);
  EXPECT_TRUE(eventually([&] { return pool.threads() == 1; }));
  auto second = two_at_once();
  EXPECT_EQ(second.size(), 2u);
  std::set<int> all(first);
  all.insert(second.begin(), second.end());
  EXPECT_EQ(all.size(), 3u);  // one thread stayed, one left, one new
}

TEST(ThreadPool, MetricsCountAndSummarize) {  // simple-test: utilization; histogram
  bobbin::ThreadPool pool({.max_threads = 2});
  EXPECT_EQ(pool.utilization(), 0.0);
  EXPECT_EQ(pool.completed(), 0u);
  auto p = pool.run([&pool] { return pool.completed(); });
  EXPECT_EQ(p.get(), 0u);
  EXPECT_EQ(pool.completed(), 1u);  // counted before the promise settled
  std::vector<bobbin::Promise<int>> ps;
  for (int i = 0; i < 200; ++i) {
    ps.push_back(pool.run([i] {
      volatile int x = 0;
      for (int k = 0; k < 1000; ++k) x = x + k;
      return i;
    }));
  }
  for (auto& q : ps) q.get();
  EXPECT_EQ(pool.completed(), 201u);
  for (const bobbin::Histogram& h : {pool.run_time(), pool.wait_time()}) {
    EXPECT_EQ(h.count, 201u);
    EXPECT_LE(h.p50, h.p95);
    EXPECT_LE(h.p95, h.p99);
    EXPECT_LE(h.p99, h.max);
    EXPECT_LE(h.mean, h.max);
  }
  EXPECT_GT(pool.run_time().max.count(), 0);
  const double u = pool.utilization();
  EXPECT_GT(u, 0.0);
  EXPECT_LE(u, 1.0);
}

TEST(ThreadPool, NestedWaitOnTheSamePoolDoesNotDeadlock) {
  bobbin::ThreadPool pool({.min_threads = 1, .max_threads = 1});
  auto outer = pool.run([&pool] {
    auto inner = pool.run([] { return 20; });
    return inner.get() + 1;
  });
  EXPECT_EQ(outer.get(), 21);

  // Recursive fan-out on one thread: every level waits on the next.
  struct Fib {
    bobbin::ThreadPool* pool;
    int operator()(int n) const {
      if (n < 2) return n;
      auto a = pool->run(*this, n - 1);
      auto b = pool->run(*this, n - 2);
      return a.get() + b.get();
    }
  };
  EXPECT_EQ(pool.run(Fib{&pool}, 12).get(), 144);
}

TEST(ThreadPool, ContinuationsAttachedInATaskRun) {
  bobbin::ThreadPool pool({.max_threads = 1});
  std::promise<int> seen;
  auto [p, r] = bobbin::Promise<int>::with_resolvers();
  pool.run([&seen, p = p] { p.then([&seen](int v) { seen.set_value(v); }); }).get();
  r.resolve(11);
  EXPECT_EQ(seen.get_future().get(), 11);
}

TEST(ThreadPool, CurrentWorkerIndex) {
  EXPECT_FALSE(bobbin::ThreadPool::current_worker_index().has_value());
  bobbin::ThreadPool pool({.max_threads = 1});
  EXPECT_EQ(pool.run([] { return bobbin::ThreadPool::current_worker_index(); }).get(), 0u);
}

TEST(ThreadPool, RoundRobinCyclesThroughTheThreads) {  // RpcWorkerPool roundrobin
  bobbin::ThreadPool pool({.max_threads = 3, .dispatch = bobbin::Dispatch::round_robin});
  EXPECT_EQ(pool.threads(), 3u);
  std::vector<bobbin::Promise<std::size_t>> ps;
  for (int i = 0; i < 9; ++i) {
    ps.push_back(pool.run([] { return *bobbin::ThreadPool::current_worker_index(); }));
  }
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(ps[i].get(), i % 3);
}

TEST(ThreadPool, LeastBusyPicksTheLowestIndexAmongTies) {  // RpcWorkerPool leastbusy
  bobbin::ThreadPool pool({.max_threads = 3, .dispatch = bobbin::Dispatch::least_busy});
  auto index = [] { return *bobbin::ThreadPool::current_worker_index(); };
  EXPECT_EQ(pool.run(index).get(), 0u);  // all idle: index 0
  Gate g0, g1, g2;
  auto a = pool.run([&] {
    g0.wait();
    return index();
  });
  auto b = pool.run([&] {
    g1.wait();
    return index();
  });
  auto c = pool.run([&] {
    g2.wait();
    return index();
  });
  g1.open();
  EXPECT_EQ(b.get(), 1u);
  EXPECT_TRUE(eventually([&] { return pool.queue_size() == 0 && pool.completed() == 2; }));
  // Loads are now 1, 0, 1: the next task goes to 1.
  auto d = pool.run(index);
  EXPECT_EQ(d.get(), 1u);
  g0.open();
  g2.open();
  EXPECT_EQ(a.get(), 0u);
  EXPECT_EQ(c.get(), 2u);
}

TEST(ThreadPool, RandomDispatchStaysInRange) {  // RpcWorkerPool random
  bobbin::ThreadPool pool({.max_threads = 3, .dispatch = bobbin::Dispatch::random});
  std::vector<bobbin::Promise<std::size_t>> ps;
  for (int i = 0; i < 60; ++i) {
    ps.push_back(pool.run([] { return *bobbin::ThreadPool::current_worker_index(); }));
  }
  std::set<std::size_t> seen;
  for (auto& p : ps) seen.insert(p.get());
  for (std::size_t i : seen) EXPECT_LT(i, 3u);
  EXPECT_GE(seen.size(), 2u);  // 60 draws over 3 workers
}

TEST(ThreadPool, DestructorWaitsForAcceptedWork) {
  std::atomic<int> ran{0};
  {
    bobbin::ThreadPool pool({.max_threads = 2});
    for (int i = 0; i < 1000; ++i) pool.post([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace
