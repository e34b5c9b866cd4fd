// Tests of bobbin/wait_async.hpp: atomics::wait_async (test262's waitAsync cases, §2.8 of the
// research notes, numbered 46-53 there), and FIFO order shared with synchronous waiters.
//
// Blocked threads are detected with parking_lot::parked on the element's address.
#include <bobbin/bobbin.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

namespace {

namespace atomics = bobbin::atomics;
using atomics::WaitResult;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

void await_parked(const void* key, std::size_t n) {
  while (bobbin::parking_lot::parked(key) < n) std::this_thread::yield();
}

// 46
TEST(WaitAsync, NotEqualIsSynchronous) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  auto [async, value] = atomics::wait_async(i32, 0, 1);
  EXPECT_FALSE(async);
  EXPECT_TRUE(value.fulfilled());
  EXPECT_EQ(value.get(), WaitResult::not_equal);
  EXPECT_EQ(bobbin::parking_lot::parked(i32.element(0)), 0u);
}

// 47 (and the false/null/negative timeouts of 2.3, which are 0)
TEST(WaitAsync, ZeroTimeoutIsSynchronousTimedOut) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  for (auto timeout : {Ms(0), Ms(-1), Ms(-std::numeric_limits<double>::infinity())}) {
    auto [async, value] = atomics::wait_async(i32, 0, 0, timeout);
    EXPECT_FALSE(async);
    EXPECT_EQ(value.get(), WaitResult::timed_out);
  }
  // The value check comes first.
  auto [async, value] = atomics::wait_async(i32, 0, 5, 0ms);
  EXPECT_FALSE(async);
  EXPECT_EQ(value.get(), WaitResult::not_equal);
}

// 48
TEST(WaitAsync, NotifyFromAnotherThreadResolvesOk) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  auto [async, value] = atomics::wait_async(i32, 0, 0, 10s);
  ASSERT_TRUE(async);
  EXPECT_TRUE(value.pending());
  std::size_t woken = 0;
  std::thread notifier([&, i32 = i32] {
    atomics::add(i32, 0, 1);
    woken = atomics::notify(i32, 0, 1);
  });
  const auto self = std::this_thread::get_id();
  std::thread::id ran_on;
  WaitResult seen = WaitResult::not_equal;
  value.then([&](WaitResult r) {
    seen = r;
    ran_on = std::this_thread::get_id();
  });
  bobbin::run();
  notifier.join();
  EXPECT_EQ(woken, 1u);
  EXPECT_EQ(seen, WaitResult::ok);
  EXPECT_EQ(ran_on, self);  // on the waiter's own loop
}

// 49
TEST(WaitAsync, TimesOutAfterTheDeadlineNeverEarly) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  for (auto timeout : {1ms, 10ms}) {
    const auto start = Clock::now();
    auto [async, value] = atomics::wait_async(i32, 0, 0, timeout);
    ASSERT_TRUE(async);
    EXPECT_EQ(value.get(), WaitResult::timed_out);
    EXPECT_GE(Clock::now() - start, timeout);
  }
  EXPECT_EQ(atomics::notify(i32, 0), 0u);  // timed-out waiters are gone
}

// 50
TEST(WaitAsync, NoTimeoutMeansForever) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  auto [async, value] = atomics::wait_async(i32, 0, 0);
  ASSERT_TRUE(async);
  auto [async2, value2] = atomics::wait_async(i32, 0, 0, Ms(std::numeric_limits<double>::quiet_NaN()));
  ASSERT_TRUE(async2);
  EXPECT_EQ(bobbin::parking_lot::parked(i32.element(0)), 2u);  // queued before returning
  EXPECT_EQ(atomics::notify(i32, 0), 2u);
  EXPECT_EQ(value.get(), WaitResult::ok);
  EXPECT_EQ(value2.get(), WaitResult::ok);
}

// 51: a timeout of `true` is 1 ms.
TEST(WaitAsync, TrueTimeoutIsOneMillisecond) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  std::vector<bobbin::Promise<WaitResult>> all;
  for (int i = 0; i < 3; ++i) {
    auto r = atomics::wait_async(i32, 0, 0, Ms(1.0));
    ASSERT_TRUE(r.async);
    all.push_back(r.value);
  }
  for (auto result : bobbin::all(all).get()) EXPECT_EQ(result, WaitResult::timed_out);
}

// 52
TEST(WaitAsync, GoodViewsSeeNotEqual) {
  bobbin::SharedArrayBuffer sab(64);
  bobbin::Int32Array i32(sab, 8);
  bobbin::BigInt64Array i64(sab, 16);
  for (std::size_t idx : {std::size_t{0}, std::size_t{1}}) {
    atomics::store(i32, idx, 37);
    EXPECT_EQ(atomics::wait_async(i32, idx, 0).value.get(), WaitResult::not_equal);
    atomics::store(i64, idx, 37);
    EXPECT_EQ(atomics::wait_async(i64, idx, 0).value.get(), WaitResult::not_equal);
  }
}

// 53: two agents, pending on indices 0 and 2; notifies on 1, 3, 2, 0 wake 0, 0, 1, 1.
TEST(WaitAsync, WaitersAreKeyedByIndexedPosition) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  std::atomic<int> ready{0};
  std::vector<WaitResult> results(2, WaitResult::not_equal);
  std::vector<std::thread> agents;
  for (std::size_t a = 0; a < 2; ++a) {
    agents.emplace_back([&, a, i32 = i32] {
      auto r = atomics::wait_async(i32, a * 2, 0);
      EXPECT_TRUE(r.async);
      r.value.then([&, a](WaitResult w) { results[a] = w; });
      ready.fetch_add(1);
      bobbin::run();  // kept alive by the continuation
    });
  }
  while (ready.load() < 2) std::this_thread::yield();
  EXPECT_EQ(atomics::notify(i32, 1), 0u);
  EXPECT_EQ(atomics::notify(i32, 3), 0u);
  EXPECT_EQ(atomics::notify(i32, 2), 1u);
  EXPECT_EQ(atomics::notify(i32, 0), 1u);
  for (auto& t : agents) t.join();
  EXPECT_EQ(results, (std::vector<WaitResult>{WaitResult::ok, WaitResult::ok}));
}

TEST(WaitAsync, SharesOneFifoWithSynchronousWaiters) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  const void* key = i32.element(0);
  std::atomic<bool> first_done{false}, last_done{false};
  std::thread first([&, i32 = i32] {
    EXPECT_EQ(atomics::wait(i32, 0, 0), WaitResult::ok);
    first_done = true;
  });
  await_parked(key, 1);
  auto [async, value] = atomics::wait_async(i32, 0, 0);  // second in line
  ASSERT_TRUE(async);
  std::thread last([&, i32 = i32] {
    EXPECT_EQ(atomics::wait(i32, 0, 0), WaitResult::ok);
    last_done = true;
  });
  await_parked(key, 3);

  EXPECT_EQ(atomics::notify(i32, 0, 1), 1u);
  first.join();
  EXPECT_TRUE(first_done);
  EXPECT_EQ(bobbin::parking_lot::parked(key), 2u);
  EXPECT_TRUE(value.pending());

  EXPECT_EQ(atomics::notify(i32, 0, 1), 1u);
  EXPECT_EQ(value.get(), WaitResult::ok);
  EXPECT_FALSE(last_done);
  EXPECT_EQ(bobbin::parking_lot::parked(key), 1u);

  EXPECT_EQ(atomics::notify(i32, 0, 1), 1u);
  last.join();
  EXPECT_TRUE(last_done);
}

TEST(WaitAsync, ValidatesLikeWaitButAllowsThreadsThatCannotBlock) {
  bobbin::ArrayBuffer plain(16);
  bobbin::Int32Array not_shared(plain);
  EXPECT_THROW(atomics::wait_async(not_shared, 0, 0), bobbin::TypeError);
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  EXPECT_THROW(atomics::wait_async(i32, 4, 0), bobbin::RangeError);
  bobbin::ArrayBuffer gone(16);
  bobbin::Int32Array detached(gone);
  bobbin::ArrayBuffer taken = std::move(gone);
  EXPECT_THROW(atomics::wait_async(detached, 0, 0), bobbin::TypeError);

  atomics::set_can_block(false);
  auto r = atomics::wait_async(i32, 0, 0, 1ms);
  atomics::set_can_block(true);
  EXPECT_TRUE(r.async);
  EXPECT_EQ(r.value.get(), WaitResult::timed_out);
}

TEST(WaitAsync, APendingWaitKeepsTheLoopAliveAndResolvesOnIt) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  auto [async, value] = atomics::wait_async(i32, 0, 0);
  ASSERT_TRUE(async);
  std::thread notifier([i32 = i32] {
    await_parked(i32.element(0), 1);
    EXPECT_EQ(atomics::notify(i32, 0), 1u);
  });
  bobbin::run();  // no continuation attached: the wait itself keeps the loop alive
  EXPECT_TRUE(value.fulfilled());  // resolved by a task of this loop
  notifier.join();
  EXPECT_EQ(value.get(), WaitResult::ok);
}

TEST(WaitAsync, ManyPendingWaitersAllWake) {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array i32(sab);
  std::vector<bobbin::Promise<WaitResult>> pending;
  for (int i = 0; i < 16; ++i) pending.push_back(atomics::wait_async(i32, 0, 0).value);
  EXPECT_EQ(atomics::notify(i32, 0, 10), 10u);
  EXPECT_EQ(atomics::notify(i32, 0), 6u);
  for (auto result : bobbin::all(pending).get()) EXPECT_EQ(result, WaitResult::ok);
}

}  // namespace
