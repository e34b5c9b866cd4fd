// Tests of bobbin/mutex.hpp: Mutex and ConditionVariable in an Int32Array cell.
//
// Threads are known to be parked by polling parking_lot::parked(cell), never by sleeping.
#include <bobbin/mutex.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace {

namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using bobbin::ConditionVariable;
using bobbin::Int32Array;
using bobbin::Mutex;
using bobbin::SharedArrayBuffer;

constexpr auto kLong = 30s;  // a timeout that must never fire in a passing run

// Waits (by yielding) until `n` threads are parked on `key`.
void await_parked(const void* key, std::size_t n) {
  while (pl::parked(key) < n) std::this_thread::yield();
}

Int32Array cells(std::size_t n = 4) { return Int32Array(SharedArrayBuffer(n * 4)); }

static_assert(!std::is_copy_constructible_v<Mutex> && !std::is_move_constructible_v<Mutex>);
static_assert(!std::is_copy_constructible_v<ConditionVariable>);

TEST(Mutex, LockUnlockWritesTheBooksStatesToTheCell) {
  Int32Array c = cells();
  Mutex m(c, 1);
  EXPECT_EQ(c[1], 0);
  m.lock();
  EXPECT_EQ(c[1], 1);
  EXPECT_TRUE(m.locked());
  m.unlock();
  EXPECT_EQ(c[1], 0);
  EXPECT_FALSE(m.locked());
  EXPECT_EQ(c[0], 0);  // neighbours untouched
  EXPECT_EQ(c[2], 0);
}

TEST(Mutex, DefaultConstructedHasItsOwnCell) {
  Mutex a, b;
  a.lock();
  EXPECT_TRUE(b.try_lock());  // a different lock
  b.unlock();
  a.unlock();
}

TEST(Mutex, TryLockFailsWhileHeldByAnotherThread) {
  Int32Array c = cells();
  Mutex m(c, 0);
  m.lock();
  bool got = true;
  std::thread other([&] { got = m.try_lock(); });
  other.join();
  EXPECT_FALSE(got);
  m.unlock();
  std::thread again([&] {
    got = m.try_lock();
    if (got) m.unlock();
  });
  again.join();
  EXPECT_TRUE(got);
}

TEST(Mutex, IsNotRecursive) {
  Mutex m;
  m.lock();
  EXPECT_FALSE(m.try_lock());
  EXPECT_FALSE(m.try_lock_for(1ms));
  m.unlock();
}

TEST(Mutex, TwoObjectsOverTheSameCellAreOneLock) {
  SharedArrayBuffer sab(16);
  Mutex a(Int32Array(sab), 2);
  Mutex b(Int32Array(sab, 8), 0);  // the same bytes through another view
  a.lock();
  EXPECT_FALSE(b.try_lock());
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    b.lock();
    entered = true;
    b.unlock();
  });
  await_parked(Int32Array(sab).element(2), 1);
  EXPECT_FALSE(entered.load());
  EXPECT_EQ(Int32Array(sab)[2], 2);  // locked with waiters
  a.unlock();
  waiter.join();
  EXPECT_TRUE(entered.load());
  EXPECT_FALSE(a.locked());
}

TEST(Mutex, TimedLockTimesOutNeverEarly) {
  Int32Array c = cells();
  Mutex m(c, 0);
  m.lock();
  std::thread other([&] {
    for (auto timeout : {0ms, 1ms, 20ms}) {
      const auto start = Clock::now();
      EXPECT_FALSE(m.try_lock_for(timeout));
      EXPECT_GE(Clock::now() - start, timeout);
    }
    const auto deadline = Clock::now() + 15ms;
    EXPECT_FALSE(m.try_lock_until(deadline));
    EXPECT_GE(Clock::now(), deadline);
    EXPECT_FALSE(m.try_lock_until(std::chrono::system_clock::now() - 1h));
  });
  other.join();
  EXPECT_EQ(pl::parked(c.element(0)), 0u);
  m.unlock();  // wakes nobody (the state may say "waiters"; nobody is parked)
  EXPECT_FALSE(m.locked());
}

TEST(Mutex, TimedLockSucceedsWhenReleased) {
  Int32Array c = cells();
  Mutex m(c, 0);
  m.lock();
  bool got = false;
  std::thread other([&] {
    got = m.try_lock_for(kLong);
    if (got) m.unlock();
  });
  await_parked(c.element(0), 1);
  m.unlock();
  other.join();
  EXPECT_TRUE(got);
  EXPECT_TRUE(m.try_lock_until(Clock::now() + kLong));
  m.unlock();
}

TEST(Mutex, UnlockingAnUnlockedMutexThrowsTypeError) {
  Mutex m;
  EXPECT_THROW(m.unlock(), bobbin::TypeError);
  try {
    m.unlock();
  } catch (const bobbin::TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("not acquired"), std::string::npos);
  }
  m.lock();  // still usable
  m.unlock();
  EXPECT_THROW(m.unlock(), bobbin::TypeError);
}

TEST(Mutex, ACellHoldingGarbageIsReportedNotHung) {
  Int32Array c = cells();
  Mutex m(c, 0);
  c[0] = 7;
  EXPECT_FALSE(m.try_lock());
  EXPECT_THROW(m.lock(), bobbin::TypeError);
  EXPECT_THROW(static_cast<void>(m.try_lock_for(kLong)), bobbin::TypeError);
  EXPECT_THROW(m.unlock(), bobbin::TypeError);
  EXPECT_EQ(c[0], 0);  // unlock cleared it
}

TEST(Mutex, BadViewsAreRejected) {
  Int32Array c = cells(2);
  EXPECT_THROW(Mutex(c, 2), bobbin::RangeError);
  EXPECT_THROW(ConditionVariable(c, 5), bobbin::RangeError);
  Int32Array local(4);  // an ArrayBuffer: not shareable
  EXPECT_THROW(Mutex(local, 0), bobbin::TypeError);
  EXPECT_THROW(ConditionVariable(local, 0), bobbin::TypeError);
}

TEST(Mutex, ViewKeepsTheBufferAlive) {
  auto m = [] {
    Int32Array c = cells();
    return std::make_unique<Mutex>(c, 3);
  }();
  m->lock();
  m->unlock();
}

TEST(Mutex, ExecReturnsTheResultAndUnlocks) {
  Mutex m;
  const int result = m.exec([&] {
    EXPECT_TRUE(m.locked());
    return 42;
  });
  EXPECT_EQ(result, 42);
  EXPECT_FALSE(m.locked());
  int x = 0;
  int& r = m.exec([&]() -> int& { return x; });  // references pass through
  EXPECT_EQ(&r, &x);
  m.exec([] {});  // void
  EXPECT_FALSE(m.locked());
}

TEST(Mutex, ExecUnlocksOnException) {
  Mutex m;
  EXPECT_THROW(m.exec([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_FALSE(m.locked());
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(Mutex, WorksWithStdLockTypes) {
  Int32Array c = cells();
  Mutex a(c, 0), b(c, 1);
  {
    std::lock_guard guard(a);
    EXPECT_TRUE(a.locked());
  }
  {
    std::unique_lock lock(a, std::try_to_lock);
    EXPECT_TRUE(lock.owns_lock());
    lock.unlock();
    EXPECT_TRUE(lock.try_lock_for(1ms));
  }
  {
    std::scoped_lock both(a, b);
    EXPECT_TRUE(a.locked());
    EXPECT_TRUE(b.locked());
  }
  EXPECT_FALSE(a.locked());
  EXPECT_FALSE(b.locked());
  // std::scoped_lock with two of ours from two threads in opposite order: no deadlock.
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) std::scoped_lock both(b, a);
  });
  for (int i = 0; i < 1000; ++i) std::scoped_lock both(a, b);
  t.join();
  EXPECT_FALSE(a.locked());
  EXPECT_FALSE(b.locked());
}

TEST(Mutex, InterruptedLockThrowsTerminatedError) {
  Int32Array c = cells();
  Mutex m(c, 0);
  m.lock();
  pl::ThreadHandle handle;
  std::atomic<bool> ready{false};
  bool terminated = false;
  std::thread other([&] {
    handle = pl::this_thread();
    ready = true;
    try {
      m.lock();
    } catch (const bobbin::TerminatedError&) {
      terminated = true;
    }
    pl::clear_interrupt();
  });
  await_parked(c.element(0), 1);
  while (!ready) std::this_thread::yield();
  EXPECT_TRUE(pl::interrupt(handle));
  other.join();
  EXPECT_TRUE(terminated);
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(ConditionVariable, NotifyWithoutWaitersDoesNothing) {
  Int32Array c = cells();
  ConditionVariable cv(c, 0);
  cv.notify_one();
  cv.notify_all();
  EXPECT_EQ(c[0], 2);  // the notification counter
  ConditionVariable own;
  own.notify_one();
  Mutex m;
  std::unique_lock lock(m);
  EXPECT_EQ(own.wait_for(lock, 1ms), std::cv_status::timeout);  // not remembered
  EXPECT_TRUE(lock.owns_lock());
}

TEST(ConditionVariable, WaitReleasesAndReacquiresTheLock) {
  Int32Array c = cells();
  Mutex m(c, 0);
  ConditionVariable cv(c, 1);
  bool flag = false;  // guarded by m
  bool saw_lock_held = false;
  std::thread waiter([&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return flag; });
    saw_lock_held = lock.owns_lock() && m.locked();
  });
  await_parked(c.element(1), 1);
  {
    std::lock_guard guard(m);  // the waiter released it
    flag = true;
  }
  cv.notify_one();
  waiter.join();
  EXPECT_TRUE(saw_lock_held);
  EXPECT_FALSE(m.locked());
}

TEST(ConditionVariable, NotifyOneWakesOneNotifyAllWakesAll) {
  Int32Array c = cells();
  Mutex m(c, 0);
  ConditionVariable cv(c, 1);
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      std::unique_lock lock(m);
      cv.wait(lock);  // may return spuriously only if another notify raced; none does here
      woken.fetch_add(1);
    });
  }
  await_parked(c.element(1), 3);
  cv.notify_one();
  while (woken.load() < 1) std::this_thread::yield();
  EXPECT_EQ(pl::parked(c.element(1)), 2u);
  EXPECT_EQ(woken.load(), 1);
  cv.notify_all();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 3);
}

TEST(ConditionVariable, TimedWaitsTimeOutNeverEarly) {
  ConditionVariable cv;
  Mutex m;
  std::unique_lock lock(m);
  for (auto timeout : {0ms, 1ms, 20ms}) {
    const auto start = Clock::now();
    EXPECT_EQ(cv.wait_for(lock, timeout), std::cv_status::timeout);
    EXPECT_GE(Clock::now() - start, timeout);
    EXPECT_TRUE(lock.owns_lock());
  }
  const auto deadline = Clock::now() + 10ms;
  EXPECT_EQ(cv.wait_until(lock, deadline), std::cv_status::timeout);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_FALSE(cv.wait_for(lock, 5ms, [] { return false; }));
  EXPECT_TRUE(cv.wait_for(lock, 5ms, [] { return true; }));
  EXPECT_FALSE(cv.wait_until(lock, std::chrono::system_clock::now() + 5ms, [] { return false; }));
  EXPECT_TRUE(lock.owns_lock());
}

TEST(ConditionVariable, TimedPredicateWaitSeesTheNotify) {
  Int32Array c = cells();
  Mutex m(c, 0);
  ConditionVariable cv(c, 1);
  int value = 0;  // guarded by m
  bool result = false;
  std::thread waiter([&] {
    std::unique_lock lock(m);
    result = cv.wait_for(lock, kLong, [&] { return value == 3; });
  });
  for (int i = 1; i <= 3; ++i) {
    await_parked(c.element(1), 1);
    {
      std::lock_guard guard(m);
      value = i;
    }
    cv.notify_all();
  }
  waiter.join();
  EXPECT_TRUE(result);
}

TEST(ConditionVariable, WorksBetweenObjectsOverTheSameCells) {
  SharedArrayBuffer sab(8);
  std::atomic<bool> done{false};
  std::thread waiter([sab, &done] {  // the worker's own handles over its copy of the buffer
    Int32Array c(sab);
    Mutex m(c, 0);
    ConditionVariable cv(c, 1);
    std::unique_lock lock(m);
    cv.wait(lock);
    done = true;
  });
  Int32Array c(sab);
  await_parked(c.element(1), 1);
  ConditionVariable(c, 1).notify_one();
  waiter.join();
  EXPECT_TRUE(done.load());
}

TEST(ConditionVariable, InterruptedWaitRelocksAndThrows) {
  Int32Array c = cells();
  Mutex m(c, 0);
  ConditionVariable cv(c, 1);
  pl::ThreadHandle handle;
  std::atomic<bool> ready{false};
  bool terminated = false, owned = false;
  std::thread waiter([&] {
    handle = pl::this_thread();
    ready = true;
    std::unique_lock lock(m);
    try {
      cv.wait(lock);
    } catch (const bobbin::TerminatedError&) {
      terminated = true;
      owned = lock.owns_lock();
    }
    pl::clear_interrupt();
  });
  await_parked(c.element(1), 1);
  while (!ready) std::this_thread::yield();
  EXPECT_TRUE(pl::interrupt(handle));
  waiter.join();
  EXPECT_TRUE(terminated);
  EXPECT_TRUE(owned);  // the mutex was free, so it was reacquired (and released by unique_lock)
  EXPECT_FALSE(m.locked());
}

}  // namespace
