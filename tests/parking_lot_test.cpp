// Tests of bobbin/parking_lot.hpp: the waiting core.
//
// Threads are known to be parked by polling parking_lot::parked(key), never by sleeping.
// The same file is compiled a second time as parking_lot_portable_test.cpp with
// BOBBIN_FORCE_PORTABLE_FUTEX, so the portable futex emulation passes the same contract.
#include <bobbin/parking_lot.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Waits (by yielding) until `n` threads are parked on `key`.
void await_parked(const void* key, std::size_t n) {
  while (pl::parked(key) < n) std::this_thread::yield();
}

constexpr auto kLong = 30s;  // a timeout that must never fire in a passing run

TEST(ParkingLot, ValidateFalseReturnsInvalidWithoutSleeping) {
  int key = 0;
  const auto start = Clock::now();
  EXPECT_EQ(pl::park_for(&key, [] { return false; }, kLong), pl::ParkResult::invalid);
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(pl::parked(&key), 0u);
}

TEST(ParkingLot, TimesOutNoEarlierThanTheTimeout) {
  int key = 0;
  for (auto timeout : {1ms, 20ms}) {
    const auto start = Clock::now();
    EXPECT_EQ(pl::park_for(&key, [] { return true; }, timeout), pl::ParkResult::timed_out);
    EXPECT_GE(Clock::now() - start, timeout);
  }
  EXPECT_EQ(pl::parked(&key), 0u);
}

TEST(ParkingLot, ZeroAndNegativeTimeoutsTimeOutAtOnce) {
  int key = 0;
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, 0ms), pl::ParkResult::timed_out);
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, -5s), pl::ParkResult::timed_out);
  EXPECT_EQ(pl::park_until(&key, [] { return true; }, Clock::now() - 1h),
            pl::ParkResult::timed_out);
  EXPECT_EQ(pl::parked(&key), 0u);
}

TEST(ParkingLot, FloatingPointTimeoutsFollowJavaScript) {
  int key = 0;
  using Ms = std::chrono::duration<double, std::milli>;
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, Ms(-1.0 / 0.0)), pl::ParkResult::timed_out);
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, Ms(-3.5)), pl::ParkResult::timed_out);
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, Ms(1.5)), pl::ParkResult::timed_out);
  // NaN and +infinity wait forever: only an unpark ends them.
  for (double forever : {0.0 / 0.0, 1.0 / 0.0, 1e300}) {
    pl::ParkResult result{};
    std::thread waiter([&] { result = pl::park_for(&key, [] { return true; }, Ms(forever)); });
    await_parked(&key, 1);
    EXPECT_EQ(pl::unpark_one(&key), 1u);
    waiter.join();
    EXPECT_EQ(result, pl::ParkResult::unparked);
  }
}

TEST(ParkingLot, DeadlinesOnOtherClocksAreConverted) {
  int key = 0;
  const auto start = Clock::now();
  EXPECT_EQ(pl::park_until(&key, [] { return true; }, std::chrono::system_clock::now() + 10ms),
            pl::ParkResult::timed_out);
  EXPECT_GE(Clock::now() - start, 9ms);  // system_clock may step; allow its granularity
}

TEST(ParkingLot, UnparkWithNobodyParkedReturnsZero) {
  int key = 0;
  EXPECT_EQ(pl::unpark_one(&key), 0u);
  EXPECT_EQ(pl::unpark_all(&key), 0u);
  EXPECT_EQ(pl::unpark(&key, 3), 0u);
}

TEST(ParkingLot, UnparkOneWakesOneParkedThread) {
  int key = 0;
  pl::ParkResult result{};
  std::thread waiter([&] { result = pl::park_for(&key, [] { return true; }, kLong); });
  await_parked(&key, 1);
  EXPECT_EQ(pl::unpark_one(&key), 1u);
  waiter.join();
  EXPECT_EQ(result, pl::ParkResult::unparked);
  EXPECT_EQ(pl::unpark_one(&key), 0u);  // a second unpark finds nobody
}

TEST(ParkingLot, UnparkPublishesWritesMadeBeforeIt) {
  int key = 0;
  int payload = 0;  // plain memory: ThreadSanitizer checks the happens-before edge
  int seen = -1;
  std::thread waiter([&] {
    if (pl::park(&key, [] { return true; }) == pl::ParkResult::unparked) seen = payload;
  });
  await_parked(&key, 1);
  payload = 42;
  EXPECT_EQ(pl::unpark_one(&key), 1u);
  waiter.join();
  EXPECT_EQ(seen, 42);
}

TEST(ParkingLot, WakesInFifoOrder) {
  int key = 0;
  constexpr int kThreads = 5;
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      EXPECT_EQ(pl::park_for(&key, [] { return true; }, kLong), pl::ParkResult::unparked);
      std::lock_guard lock(mutex);
      order.push_back(id);
    });
    await_parked(&key, static_cast<std::size_t>(id) + 1);  // admit them one at a time
  }
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(pl::unpark_one(&key), 1u);
    // Wait for the woken one to record itself before waking the next.
    for (;;) {
      std::lock_guard lock(mutex);
      if (order.size() == static_cast<std::size_t>(i) + 1) break;
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(ParkingLot, UnparkCountsAndUnparkAll) {
  int key = 0;
  std::atomic<int> unparked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&] {
      if (pl::park_for(&key, [] { return true; }, kLong) == pl::ParkResult::unparked) ++unparked;
    });
  }
  await_parked(&key, 5);
  EXPECT_EQ(pl::unpark(&key, 0), 0u);
  EXPECT_EQ(pl::unpark(&key, 2), 2u);
  EXPECT_EQ(pl::parked(&key), 3u);
  EXPECT_EQ(pl::unpark_all(&key), 3u);
  for (auto& t : threads) t.join();
  EXPECT_EQ(unparked.load(), 5);
}

// Finds two distinct keys that share a bucket of the table.
std::pair<const void*, const void*> colliding_keys(const std::vector<int>& storage) {
  for (std::size_t i = 1; i < storage.size(); ++i) {
    if (&pl::detail::bucket_for(&storage[0]) == &pl::detail::bucket_for(&storage[i])) {
      return {&storage[0], &storage[i]};
    }
  }
  return {nullptr, nullptr};
}

TEST(ParkingLot, KeysSharingABucketStayIndependent) {
  const std::vector<int> storage(4096);
  auto [a, b] = colliding_keys(storage);
  ASSERT_NE(a, nullptr) << "no two keys collided in 4096 addresses";
  pl::ParkResult ra{}, rb{};
  // Both wait with kLong: a short timeout on a's waiter could expire before this thread saw it
  // parked (under load), and await_parked(a, 1) would then spin forever.
  std::thread ta([&, a = a] { ra = pl::park_for(a, [] { return true; }, kLong); });
  std::thread tb([&, b = b] { rb = pl::park_for(b, [] { return true; }, kLong); });
  await_parked(a, 1);
  await_parked(b, 1);
  EXPECT_EQ(pl::unpark_all(b), 1u);  // wakes b's waiter only
  tb.join();
  EXPECT_EQ(rb, pl::ParkResult::unparked);
  EXPECT_EQ(pl::parked(a), 1u);  // a's waiter is still queued (an unpark dequeues at once)
  EXPECT_EQ(pl::parked(b), 0u);
  EXPECT_EQ(pl::unpark_all(a), 1u);
  ta.join();
  EXPECT_EQ(ra, pl::ParkResult::unparked);
}

TEST(ParkingLot, ValidateRunsAfterQueueingAndCanThrow) {
  int key = 0;
  EXPECT_THROW(pl::park_for(&key,
                            []() -> bool { throw std::runtime_error("validate failed"); }, kLong),
               std::runtime_error);
  EXPECT_EQ(pl::parked(&key), 0u);  // the thread left the queue
}

TEST(ParkingLot, BeforeSleepRunsWithoutTheBucketLock) {
  int key = 0;
  std::size_t seen_parked = 0;
  std::atomic<bool> before_sleep_ran{false};
  std::thread waiter([&] {
    // parked() takes the bucket lock: it would deadlock if before_sleep ran under it. The
    // thread is already queued when before_sleep runs, so it counts itself.
    pl::park_until(&key, [] { return true; },
                   [&] {
                     seen_parked = pl::parked(&key);
                     before_sleep_ran.store(true);
                   },
                   Clock::now() + kLong);
  });
  while (!before_sleep_ran.load()) std::this_thread::yield();  // unpark only after it ran
  EXPECT_EQ(pl::unpark_one(&key), 1u);
  waiter.join();
  EXPECT_EQ(seen_parked, 1u);
}

TEST(ParkingLot, UnparkOneCallbackReportsWhatHappened) {
  int key = 0;
  pl::UnparkResult seen{true, true};
  EXPECT_EQ(pl::unpark_one(&key, [&](pl::UnparkResult r) { seen = r; }), 0u);
  EXPECT_FALSE(seen.did_unpark);
  EXPECT_FALSE(seen.may_have_more);

  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] { pl::park_for(&key, [] { return true; }, kLong); });
  }
  await_parked(&key, 2);
  EXPECT_EQ(pl::unpark_one(&key, [&](pl::UnparkResult r) { seen = r; }), 1u);
  EXPECT_TRUE(seen.did_unpark);
  EXPECT_TRUE(seen.may_have_more);
  EXPECT_EQ(pl::unpark_one(&key, [&](pl::UnparkResult r) { seen = r; }), 1u);
  EXPECT_TRUE(seen.did_unpark);
  EXPECT_FALSE(seen.may_have_more);
  for (auto& t : threads) t.join();
}

TEST(ParkingLot, InterruptWakesAParkedThreadAndSticks) {
  int key = 0;
  std::atomic<bool> published{false};
  pl::ThreadHandle handle;
  pl::ParkResult first{}, second{}, after_clear{};
  std::thread worker([&] {
    handle = pl::this_thread();
    published.store(true);
    first = pl::park_for(&key, [] { return true; }, kLong);
    second = pl::park_for(&key, [] { return true; }, kLong);  // still interrupted
    EXPECT_TRUE(pl::interrupt_requested());
    pl::clear_interrupt();
    EXPECT_FALSE(pl::interrupt_requested());
    after_clear = pl::park_for(&key, [] { return true; }, 1ms);
  });
  while (!published.load()) std::this_thread::yield();
  await_parked(&key, 1);
  EXPECT_TRUE(pl::interrupt(handle));
  worker.join();
  EXPECT_EQ(first, pl::ParkResult::interrupted);
  EXPECT_EQ(second, pl::ParkResult::interrupted);
  EXPECT_EQ(after_clear, pl::ParkResult::timed_out);
  EXPECT_EQ(pl::parked(&key), 0u);
}

TEST(ParkingLot, InterruptBeforeParkingMakesTheNextParkReturnAtOnce) {
  int key = 0;
  pl::interrupt(pl::this_thread());
  EXPECT_EQ(pl::park_for(&key, [] { return true; }, kLong), pl::ParkResult::interrupted);
  pl::clear_interrupt();
  EXPECT_EQ(pl::park_for(&key, [] { return false; }, kLong), pl::ParkResult::invalid);
}

TEST(ParkingLot, InterruptOfNoThreadOrAnIdleThreadIsHarmless) {
  EXPECT_FALSE(pl::interrupt(pl::ThreadHandle{}));
  EXPECT_FALSE(static_cast<bool>(pl::ThreadHandle{}));
  pl::ThreadHandle gone;
  std::thread([&] { gone = pl::this_thread(); }).join();
  EXPECT_TRUE(static_cast<bool>(gone));
  EXPECT_FALSE(pl::interrupt(gone));  // the thread has exited: nothing to wake
  EXPECT_EQ(pl::this_thread(), pl::this_thread());
  EXPECT_NE(pl::this_thread(), gone);
}

TEST(ParkingLot, InterruptOnlyTouchesItsThread) {
  int key = 0;
  std::atomic<int> published{0};
  pl::ThreadHandle handles[2];
  pl::ParkResult results[2]{};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      handles[i] = pl::this_thread();
      published.fetch_add(1);
      results[i] = pl::park_for(&key, [] { return true; }, kLong);
    });
  }
  while (published.load() < 2) std::this_thread::yield();
  await_parked(&key, 2);
  EXPECT_TRUE(pl::interrupt(handles[1]));
  threads[1].join();
  EXPECT_EQ(results[1], pl::ParkResult::interrupted);
  EXPECT_EQ(pl::parked(&key), 1u);
  EXPECT_EQ(pl::unpark_all(&key), 1u);
  threads[0].join();
  EXPECT_EQ(results[0], pl::ParkResult::unparked);
}

// A timeout racing an unpark has exactly one outcome: every unpark that reported a wake-up
// matches a waiter that returned `unparked`, and no waiter is lost.
TEST(ParkingLot, TimeoutRacingUnparkHasExactlyOneOutcome) {
  int key = 0;
  constexpr int kRounds = 300;
  std::atomic<int> unparked_results{0};
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    for (int i = 0; i < kRounds; ++i) {
      const auto r = pl::park_for(&key, [] { return true; }, std::chrono::microseconds(i % 50));
      if (r == pl::ParkResult::unparked) unparked_results.fetch_add(1);
    }
    done.store(true);
  });
  std::size_t reported = 0;
  while (!done.load()) reported += pl::unpark_one(&key);
  waiter.join();
  reported += pl::unpark_one(&key);  // nobody is left: adds 0
  EXPECT_EQ(reported, static_cast<std::size_t>(unparked_results.load()));
  EXPECT_EQ(pl::parked(&key), 0u);
}

// An async waiter (no thread) that counts its wake-ups.
struct CountingWaiter : pl::AsyncWaiter {
  std::atomic<int> unparked{0};
  std::thread::id unparked_on{};
  void on_unpark() noexcept override {
    unparked_on = std::this_thread::get_id();
    unparked.fetch_add(1);
  }
};

TEST(ParkingLotAsync, ValidateFalseQueuesNothing) {
  int key = 0;
  CountingWaiter waiter;
  EXPECT_FALSE(pl::park_async(&key, [] { return false; }, waiter));
  EXPECT_EQ(pl::parked(&key), 0u);
  EXPECT_EQ(pl::unpark_all(&key), 0u);
  EXPECT_EQ(waiter.unparked.load(), 0);
}

TEST(ParkingLotAsync, UnparkCountsAndCallsTheWaiterOnce) {
  int key = 0;
  CountingWaiter waiter;
  ASSERT_TRUE(pl::park_async(&key, [] { return true; }, waiter));
  EXPECT_EQ(pl::parked(&key), 1u);
  std::size_t woken = 0;
  std::thread notifier([&] { woken = pl::unpark_all(&key); });
  const auto notifier_id = notifier.get_id();
  notifier.join();
  EXPECT_EQ(woken, 1u);
  EXPECT_EQ(waiter.unparked.load(), 1);
  EXPECT_EQ(waiter.unparked_on, notifier_id);  // called on the unparking thread
  EXPECT_FALSE(pl::cancel_async(waiter));      // too late: the unpark won
  EXPECT_EQ(pl::unpark_all(&key), 0u);
}

TEST(ParkingLotAsync, CancelBeforeAnyUnparkWins) {
  int key = 0;
  CountingWaiter waiter;
  ASSERT_TRUE(pl::park_async(&key, [] { return true; }, waiter));
  EXPECT_TRUE(pl::cancel_async(waiter));
  EXPECT_EQ(pl::parked(&key), 0u);
  EXPECT_EQ(pl::unpark_all(&key), 0u);
  EXPECT_EQ(waiter.unparked.load(), 0);
  // The waiter can be queued again after a cancel.
  ASSERT_TRUE(pl::park_async(&key, [] { return true; }, waiter));
  EXPECT_EQ(pl::unpark_one(&key), 1u);
  EXPECT_EQ(waiter.unparked.load(), 1);
}

TEST(ParkingLotAsync, SharesOneFifoQueueWithThreads) {
  int key = 0;
  CountingWaiter first, last;
  ASSERT_TRUE(pl::park_async(&key, [] { return true; }, first));
  pl::ParkResult thread_result{};
  std::thread parked([&] { thread_result = pl::park_for(&key, [] { return true; }, kLong); });
  await_parked(&key, 2);
  ASSERT_TRUE(pl::park_async(&key, [] { return true; }, last));
  EXPECT_EQ(pl::parked(&key), 3u);
  EXPECT_EQ(pl::unpark_one(&key), 1u);  // the oldest: the first async waiter
  EXPECT_EQ(first.unparked.load(), 1);
  EXPECT_EQ(pl::unpark_one(&key), 1u);  // then the thread
  parked.join();
  EXPECT_EQ(thread_result, pl::ParkResult::unparked);
  EXPECT_EQ(last.unparked.load(), 0);
  EXPECT_EQ(pl::unpark(&key, 5), 1u);  // then the last
  EXPECT_EQ(last.unparked.load(), 1);
}

TEST(ParkingLotAsync, CancelRacingUnparkHasExactlyOneOutcome) {
  int key = 0;
  constexpr int kRounds = 2000;
  std::atomic<int> round{0};
  std::atomic<bool> done{false};
  std::size_t reported = 0;
  std::thread notifier([&] {
    while (!done.load()) reported += pl::unpark_one(&key);
  });
  int cancelled = 0;
  int called = 0;
  for (int i = 0; i < kRounds; ++i) {
    CountingWaiter waiter;
    ASSERT_TRUE(pl::park_async(&key, [] { return true; }, waiter));
    if (pl::cancel_async(waiter)) {
      ++cancelled;
    } else {
      while (waiter.unparked.load() == 0) std::this_thread::yield();  // on_unpark is on its way
    }
    called += waiter.unparked.load();
    round.fetch_add(1);
  }
  done.store(true);
  notifier.join();
  EXPECT_EQ(cancelled + called, kRounds);
  EXPECT_EQ(reported, static_cast<std::size_t>(called));
  EXPECT_EQ(pl::parked(&key), 0u);
}

}  // namespace
