// bobbin/parking_lot.hpp — the waiting core: per-address FIFO queues of parked threads.
//
// Every blocking operation in bobbin (`atomics::wait`, mutexes, queues, the event loop, pools)
// parks here and nowhere else. A thread parks on a *key* (any address) after a validation
// callback, run under the key's bucket lock, confirms it should sleep; another thread unparks
// the key's waiters in FIFO order and learns how many it woke.
//
//   ParkResult park(key, validate);                    // until unparked (or interrupted)
//   ParkResult park_for(key, validate, 10ms);          // ... or until the timeout
//   ParkResult park_until(key, validate, deadline);    // ... or until the deadline
//   ParkResult park_until(key, validate, before_sleep, deadline);
//   std::size_t unpark_one(key), unpark_all(key), unpark(key, n);
//   std::size_t unpark_one(key, callback);             // callback(UnparkResult) under the lock
//   std::size_t parked(key);                           // how many are parked (a snapshot)
//   bool park_async(key, validate, waiter);  cancel_async(waiter);  // waiters without a thread
//   ThreadHandle this_thread();  bool interrupt(handle);  // wake a thread parked anywhere
//
// Usage rules:
//   - `validate()` runs with the bucket lock held, after the thread is queued: it must be short,
//     must not park or unpark, and returns true to sleep. If it returns false, `park` returns
//     `ParkResult::invalid` at once. If it throws, the thread is dequeued and the exception
//     propagates.
//   - `before_sleep()` runs after the bucket lock is released and before the thread waits (a
//     condition variable releases its mutex there).
//   - The result is decided by whoever removes the thread from its queue, under the bucket lock:
//     an unpark (`unparked`), the thread's own deadline (`timed_out`) or an interrupt
//     (`interrupted`). There is exactly one outcome; a thread never returns early from a
//     deadline and never returns spuriously.
//   - Deadlines are measured on `std::chrono::steady_clock`; a timeout of zero or less still
//     queues the thread (so a racing unpark may win) and then times out. Other clocks are
//     converted once, on entry.
//   - Waiting first spins on the waiter's own queue node (BOBBIN_SPIN_US, default 2 µs, with a
//     CPU pause hint), then yields its time slice (BOBBIN_YIELD_US, default 20 µs, so that a
//     thread sharing its core can run and unpark it), then sleeps on a futex (Linux) or the
//     portable fallback. A waiter nobody wakes soon burns no CPU after those microseconds.
//   - `interrupt(handle)` marks the thread: its current park (if any) returns `interrupted` at
//     once, and so does every later park until the thread calls `clear_interrupt()`. This is how
//     a worker being terminated is woken and unwound from any blocking call in bobbin.
//
// Lifetime: the table is static and never freed; a parked thread's queue node lives on its own
// stack. Keys are compared by address only; a key need not outlive the calls that use it.
//
// Memory ordering: everything an unparking thread did before `unpark*` happens-before the
// unparked thread's return from `park*` with `unparked` (the hand-off is a release exchange on
// the waiter's node paired with its acquire load). `unpark*` skips the bucket lock when the
// bucket is empty; that fast path is correct when the state change that makes `validate()` fail
// is a sequentially consistent atomic write that precedes `unpark*`, and `validate()` reads it
// with a sequentially consistent load (the store-buffering argument: a waiter registers with a
// seq_cst increment before it validates, so either the unparker sees the waiter or the waiter
// sees the new state). All of bobbin's callers follow that rule.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <thread>
#include <utility>

#include "detail/platform.hpp"

#ifndef BOBBIN_SPIN_US
#define BOBBIN_SPIN_US 2
#endif
#ifndef BOBBIN_YIELD_US
#define BOBBIN_YIELD_US 20
#endif
#include "detail/word_lock.hpp"

namespace bobbin::parking_lot {

// How a park ended.
enum class ParkResult {
  unparked,     // an unpark removed the thread from the queue
  invalid,      // validate() returned false; the thread never slept
  timed_out,    // the deadline passed first
  interrupted,  // interrupt() was called for this thread (now or before the park)
};

// What `unpark_one(key, callback)` tells its callback, under the bucket lock.
struct UnparkResult {
  bool did_unpark = false;     // a thread was removed from the key's queue
  bool may_have_more = false;  // threads are still queued on the key
};

namespace detail {

using bobbin::detail::Deadline;
using bobbin::detail::kNoDeadline;
using bobbin::detail::SteadyClock;

// States of a queue node. Only the thread that removes a node from its queue (under the
// bucket lock) moves it to kUnparked or kInterrupted; the owner moves it kQueued -> kSleeping.
inline constexpr std::uint32_t kQueued = 0;       // queued, owner spinning
inline constexpr std::uint32_t kSleeping = 1;     // queued, owner asleep on the futex
inline constexpr std::uint32_t kUnparked = 2;     // removed by an unpark
inline constexpr std::uint32_t kInterrupted = 3;  // removed by an interrupt

struct ThreadData;

using AsyncUnpark = void (*)(void* context) noexcept;

struct ParkNode {
  const void* key = nullptr;
  const ThreadData* owner = nullptr;  // the parked thread (interrupt() looks for it)
  ParkNode* prev = nullptr;
  ParkNode* next = nullptr;
  std::atomic<std::uint32_t> state{kQueued};  // the futex word the owner sleeps on
  AsyncUnpark on_unpark = nullptr;  // set for an async waiter (no thread): called when unparked
  void* context = nullptr;          // on_unpark's argument
};

// One bucket of the table: a lock and a FIFO list of every node whose key hashes here.
struct alignas(64) Bucket {
  bobbin::detail::WordLock lock;
  // Nodes in the list. Written under `lock`; read without it by unpark's fast path.
  std::atomic<std::uint32_t> parked{0};
  ParkNode* head = nullptr;
  ParkNode* tail = nullptr;

  void append(ParkNode* node) noexcept {
    node->prev = tail;
    node->next = nullptr;
    (tail ? tail->next : head) = node;
    tail = node;
    // seq_cst: the registration half of the store-buffering pair described in the header.
    parked.fetch_add(1, std::memory_order_seq_cst);
  }

  void remove(ParkNode* node) noexcept {
    (node->prev ? node->prev->next : head) = node->next;
    (node->next ? node->next->prev : tail) = node->prev;
    // relaxed, and a plain store rather than an RMW: every write happens under `lock`, and a
    // stale non-zero only sends unpark down the locked path.
    parked.store(parked.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
};

inline constexpr std::size_t kBucketCount = 256;

inline Bucket& bucket_for(const void* key) noexcept {
  static Bucket table[kBucketCount];
  const auto bits = reinterpret_cast<std::uintptr_t>(key);
  // Fibonacci hashing of the address, ignoring the two low bits: neighbouring 32-bit cells
  // land in different buckets.
  return table[((bits >> 2) * 0x9E3779B97F4A7C15ull) >> 56];
}

// Per-thread state an interrupter needs. Shared-owned so a ThreadHandle stays valid after the
// thread has exited.
struct ThreadData {
  std::atomic<bool> interrupt_requested{false};
  std::atomic<const void*> parked_key{nullptr};  // the key of the latest park (never cleared)
};

inline const std::shared_ptr<ThreadData>& this_thread_data() {
  thread_local const std::shared_ptr<ThreadData> data = std::make_shared<ThreadData>();
  return data;
}

// How a waiter spins on its own node before it sleeps. A kernel sleep/wake hand-off costs
// several microseconds; an unpark that arrives while the waiter still spins is picked up in
// tens of nanoseconds. The waiter first spins with a CPU pause hint for `kSpinFor`, then yields
// its time slice for up to `kYieldFor` (so a thread that would unpark it, and shares its core,
// can run), then sleeps.
inline constexpr auto kSpinFor = std::chrono::microseconds(BOBBIN_SPIN_US);
inline constexpr auto kYieldFor = std::chrono::microseconds(BOBBIN_YIELD_US);

inline ParkResult result_of(std::uint32_t state) noexcept {
  return state == kInterrupted ? ParkResult::interrupted : ParkResult::unparked;
}

// The waiting half of park: spin, then sleep, then (at the deadline) remove ourselves.
[[gnu::noinline]] inline ParkResult wait_for_unpark(Bucket& bucket, ParkNode& node,
                                                    Deadline deadline) noexcept {
  std::uint32_t state = kQueued;
  auto now = SteadyClock::now();
  if (now < deadline) {
    const Deadline spin_end = now + kSpinFor < deadline ? now + kSpinFor : deadline;
    for (unsigned i = 1;; ++i) {
      // acquire: pairs with the release exchange in unpark()/interrupt().
      state = node.state.load(std::memory_order_acquire);
      if (state != kQueued) return result_of(state);
      if (i % 16 == 0 && SteadyClock::now() >= spin_end) break;
      bobbin::detail::cpu_relax();
    }
    const Deadline yield_end = now + kSpinFor + kYieldFor < deadline ? now + kSpinFor + kYieldFor : deadline;
    while (SteadyClock::now() < yield_end) {
      std::this_thread::yield();
      state = node.state.load(std::memory_order_acquire);  // acquire: as above
      if (state != kQueued) return result_of(state);
    }
    // Announce that we sleep, so an unpark knows to make the wake system call.
    // acquire on failure: pairs with the release exchange that removed us.
    if (!node.state.compare_exchange_strong(state, kSleeping, std::memory_order_acquire,
                                            std::memory_order_acquire)) {
      return result_of(state);
    }
    while ((now = SteadyClock::now()) < deadline) {
      bobbin::detail::futex_wait(node.state, kSleeping, deadline);
      state = node.state.load(std::memory_order_acquire);  // acquire: as above
      if (state != kSleeping) return result_of(state);
    }
  }
  // The deadline has passed. Whoever removes the node decides the outcome.
  bucket.lock.lock();
  state = node.state.load(std::memory_order_relaxed);  // relaxed: changed only under the lock
  if (state == kQueued || state == kSleeping) {
    bucket.remove(&node);
    bucket.lock.unlock();
    return ParkResult::timed_out;
  }
  bucket.lock.unlock();
  return result_of(state);
}

struct NoOp {
  template <class... Args>
  void operator()(Args&&...) const noexcept {}
};

// Durations as long double nanoseconds: any std::chrono duration converts to it without
// overflow (64 bits of mantissa keep whole nanoseconds of any steady or system clock reading).
using LongNanoseconds = std::chrono::duration<long double, std::nano>;

// A relative timeout as a deadline: zero, negative or -infinity means "now"; NaN, +infinity
// (JavaScript's "forever") or one that would overflow the clock means "never". Never earlier
// than the timeout: fractions of a nanosecond round up.
template <class Rep, class Period>
Deadline deadline_after(std::chrono::duration<Rep, Period> timeout) noexcept {
  const auto now = SteadyClock::now();
  const long double ns = LongNanoseconds(timeout).count();
  if (ns != ns) return kNoDeadline;  // NaN
  if (!(ns > 0)) return now;
  const auto room = static_cast<long double>((kNoDeadline - now).count());
  if (!(ns < room - 1)) return kNoDeadline;  // also +infinity
  if constexpr (std::is_floating_point_v<Rep>) {
    return now + SteadyClock::duration(static_cast<SteadyClock::rep>(std::ceil(ns)));
  } else {
    // Fits, since ns < room; ceil, so a finer unit (picoseconds) never ends a wait early.
    return now + std::chrono::ceil<SteadyClock::duration>(timeout);
  }
}

inline Deadline to_deadline(Deadline deadline) noexcept { return deadline; }

// A deadline on any clock as a steady_clock deadline: `max()` stays "never"; other values are
// converted once, through the time left until them, computed without overflow (so `min()` is
// simply in the past).
template <class Clock, class Duration>
Deadline to_deadline(std::chrono::time_point<Clock, Duration> tp) noexcept {
  if (tp == std::chrono::time_point<Clock, Duration>::max()) return kNoDeadline;
  const long double left = LongNanoseconds(tp.time_since_epoch()).count() -
                           LongNanoseconds(Clock::now().time_since_epoch()).count();
  return deadline_after(LongNanoseconds(left));
}

}  // namespace detail

// A handle on a thread, for `interrupt()`. Cheap to copy; stays valid after the thread exits.
class ThreadHandle {
 public:
  ThreadHandle() = default;  // refers to no thread
  [[nodiscard]] explicit operator bool() const noexcept { return data_ != nullptr; }
  friend bool operator==(const ThreadHandle&, const ThreadHandle&) = default;

 private:
  explicit ThreadHandle(std::shared_ptr<detail::ThreadData> data) : data_(std::move(data)) {}
  std::shared_ptr<detail::ThreadData> data_;
  friend ThreadHandle this_thread();
  friend bool interrupt(const ThreadHandle&);
};

// The calling thread's handle.
[[nodiscard]] inline ThreadHandle this_thread() { return ThreadHandle(detail::this_thread_data()); }

// Parks the calling thread on `key` until `deadline` (steady_clock), an unpark or an interrupt.
// See the header comment for `validate` and `before_sleep`.
template <class Validate, class BeforeSleep>
ParkResult park_until(const void* key, Validate&& validate, BeforeSleep&& before_sleep,
                      detail::Deadline deadline) {
  detail::ThreadData& self = *detail::this_thread_data();
  // relaxed: a cheap early exit; the decisive check below is seq_cst and under the lock.
  if (self.interrupt_requested.load(std::memory_order_relaxed)) return ParkResult::interrupted;
  detail::Bucket& bucket = detail::bucket_for(key);
  detail::ParkNode node;
  node.key = key;
  node.owner = &self;
  bucket.lock.lock();
  bucket.append(&node);
  // seq_cst: pairs with interrupt(), which stores interrupt_requested then loads parked_key.
  // A thread that parks on the same key again skips the store: an interrupter that reads that
  // key scans this bucket under its lock, so it either finds this node or its interrupt is
  // ordered before our lock and the seq_cst load below sees it.
  if (self.parked_key.load(std::memory_order_relaxed) != key) {
    self.parked_key.store(key, std::memory_order_seq_cst);
  }
  bool valid = false;
  try {
    valid = static_cast<bool>(validate());
  } catch (...) {
    bucket.remove(&node);
    bucket.lock.unlock();
    throw;
  }
  if (!valid || self.interrupt_requested.load(std::memory_order_seq_cst)) {
    bucket.remove(&node);
    bucket.lock.unlock();
    return valid ? ParkResult::interrupted : ParkResult::invalid;
  }
  bucket.lock.unlock();
  before_sleep();
  return detail::wait_for_unpark(bucket, node, deadline);
}

template <class Validate, class Clock, class Duration>
ParkResult park_until(const void* key, Validate&& validate,
                      std::chrono::time_point<Clock, Duration> deadline) {
  return park_until(key, std::forward<Validate>(validate), detail::NoOp{},
                    detail::to_deadline(deadline));
}

template <class Validate, class Rep, class Period>
ParkResult park_for(const void* key, Validate&& validate,
                    std::chrono::duration<Rep, Period> timeout) {
  return park_until(key, std::forward<Validate>(validate), detail::NoOp{},
                    detail::deadline_after(timeout));
}

template <class Validate>
ParkResult park(const void* key, Validate&& validate) {
  return park_until(key, std::forward<Validate>(validate), detail::NoOp{}, detail::kNoDeadline);
}

namespace detail {

// Removes up to `count` nodes queued on `key`, oldest first, and wakes their owners.
// `callback`, if not null, runs under the lock after the removal (unpark_one's contract).
template <class Callback>
std::size_t unpark_locked(Bucket& bucket, const void* key, std::size_t count, Callback* callback) {
  constexpr std::size_t kBatch = 16;
  const void* to_wake[kBatch];
  std::size_t pending = 0;
  std::size_t woken = 0;
  ParkNode* async_head = nullptr;  // removed async waiters, linked through `next`
  ParkNode** async_tail = &async_head;
  bucket.lock.lock();
  ParkNode* node = bucket.head;
  while (node != nullptr && woken < count) {
    ParkNode* const next = node->next;
    if (node->key == key) {
      bucket.remove(node);
      ++woken;
      if (callback != nullptr) {
        bool more = false;
        for (ParkNode* rest = next; rest != nullptr && !more; rest = rest->next) {
          more = rest->key == key;
        }
        (*callback)(UnparkResult{true, more});
      }
      if (node->on_unpark != nullptr) {
        // An async waiter: its owner keeps it alive until on_unpark has run (or a cancel won),
        // so it may be linked and called after the lock is released.
        node->state.store(kUnparked, std::memory_order_relaxed);  // relaxed: read under the lock
        node->next = nullptr;
        *async_tail = node;
        async_tail = &node->next;
        node = next;
        continue;
      }
      // release: pairs with the owner's acquire load in wait_for_unpark(). After this
      // exchange the node may be gone; only its address is used below.
      if (node->state.exchange(kUnparked, std::memory_order_release) == kSleeping) {
        if (pending < kBatch) {
          to_wake[pending++] = &node->state;
        } else {
          bobbin::detail::futex_wake(&node->state, 1);
        }
      }
    }
    node = next;
  }
  if (woken == 0 && callback != nullptr) (*callback)(UnparkResult{false, false});
  bucket.lock.unlock();
  for (std::size_t i = 0; i < pending; ++i) bobbin::detail::futex_wake(to_wake[i], 1);
  // In queue order, outside the lock (a callback may post to a loop, which may unpark).
  while (async_head != nullptr) {
    ParkNode* const node = async_head;
    async_head = node->next;
    node->on_unpark(node->context);  // may free the node
  }
  return woken;
}

}  // namespace detail

// Wakes up to `count` threads parked on `key`, in the order they parked; returns how many.
inline std::size_t unpark(const void* key, std::size_t count) noexcept {
  detail::Bucket& bucket = detail::bucket_for(key);
  // seq_cst: the observing half of the store-buffering pair described in the header.
  if (count == 0 || bucket.parked.load(std::memory_order_seq_cst) == 0) return 0;
  return detail::unpark_locked<detail::NoOp>(bucket, key, count, nullptr);
}

inline std::size_t unpark_one(const void* key) noexcept { return unpark(key, 1); }

inline std::size_t unpark_all(const void* key) noexcept {
  return unpark(key, static_cast<std::size_t>(-1));
}

// Wakes the oldest thread parked on `key`, if any, and runs `callback(UnparkResult)` under the
// bucket lock before that thread resumes: a lock built on the parking lot can clear its
// "has parked threads" bit there without racing a new parker. Always takes the bucket lock.
template <class Callback>
std::size_t unpark_one(const void* key, Callback&& callback) {
  return detail::unpark_locked(detail::bucket_for(key), key, 1, &callback);
}

// A waiter that is not a thread (JavaScript's Atomics.waitAsync): it takes a place in a key's
// FIFO queue like a parked thread, is counted by unpark like one, and is told through a
// callback instead of being woken.
//
//   struct Waiter : parking_lot::AsyncWaiter {
//     void on_unpark() noexcept override { /* post the result to the waiter's loop */ }
//   };
//   if (!parking_lot::park_async(key, validate, waiter)) { /* validate() said no */ }
//   ...
//   if (parking_lot::cancel_async(waiter)) { /* removed before any unpark: timed out */ }
//
// Rules: `on_unpark()` runs once, on the unparking thread, after the bucket lock is released,
// in queue order. Once park_async returned true, the waiter must stay alive until on_unpark has
// been called or cancel_async has returned true, whichever comes first; after cancel_async
// returned false, on_unpark is running or about to run. An AsyncWaiter is queued at most once
// at a time. Interrupts do not touch async waiters (no thread is parked).
class AsyncWaiter {
 public:
  AsyncWaiter() noexcept {
    node_.on_unpark = [](void* self) noexcept { static_cast<AsyncWaiter*>(self)->on_unpark(); };
    node_.context = this;
  }
  AsyncWaiter(const AsyncWaiter&) = delete;
  AsyncWaiter& operator=(const AsyncWaiter&) = delete;
  virtual ~AsyncWaiter() = default;

  // Called once when an unpark removes this waiter from its queue.
  virtual void on_unpark() noexcept = 0;

 private:
  detail::ParkNode node_;
  template <class Validate>
  friend bool park_async(const void* key, Validate&& validate, AsyncWaiter& waiter);
  friend bool cancel_async(AsyncWaiter& waiter) noexcept;
};

// Queues `waiter` on `key` if `validate()` (run under the bucket lock, after queueing, as for
// park) returns true; returns whether it did.
template <class Validate>
bool park_async(const void* key, Validate&& validate, AsyncWaiter& waiter) {
  detail::ParkNode& node = waiter.node_;
  node.key = key;
  node.owner = nullptr;
  node.state.store(detail::kQueued, std::memory_order_relaxed);  // relaxed: published by the lock
  detail::Bucket& bucket = detail::bucket_for(key);
  bucket.lock.lock();
  bucket.append(&node);
  bool valid = false;
  try {
    valid = static_cast<bool>(validate());
  } catch (...) {
    bucket.remove(&node);
    bucket.lock.unlock();
    throw;
  }
  if (!valid) bucket.remove(&node);
  bucket.lock.unlock();
  return valid;
}

// Removes `waiter` from its queue if no unpark has taken it yet (its timeout won); returns
// whether it did. After `false`, on_unpark is running or about to run.
inline bool cancel_async(AsyncWaiter& waiter) noexcept {
  detail::ParkNode& node = waiter.node_;
  detail::Bucket& bucket = detail::bucket_for(node.key);
  bucket.lock.lock();
  // relaxed: the state is written under this lock.
  const bool queued = node.state.load(std::memory_order_relaxed) == detail::kQueued;
  if (queued) {
    bucket.remove(&node);
    node.state.store(detail::kUnparked, std::memory_order_relaxed);  // relaxed: as above
  }
  bucket.lock.unlock();
  return queued;
}

// How many threads are parked on `key` right now: a snapshot taken under the bucket lock, stale
// as soon as it returns. Meant for tests, diagnostics and back-pressure heuristics.
[[nodiscard]] inline std::size_t parked(const void* key) noexcept {
  detail::Bucket& bucket = detail::bucket_for(key);
  if (bucket.parked.load(std::memory_order_seq_cst) == 0) return 0;
  std::size_t count = 0;
  bucket.lock.lock();
  for (const detail::ParkNode* node = bucket.head; node != nullptr; node = node->next) {
    count += node->key == key ? 1 : 0;
  }
  bucket.lock.unlock();
  return count;
}

// Asks the thread to stop waiting: its current park returns `interrupted`, and so does every
// later one until it calls clear_interrupt(). Returns true if the thread was parked and this
// call woke it.
inline bool interrupt(const ThreadHandle& thread) {
  if (!thread.data_) return false;
  detail::ThreadData& target = *thread.data_;
  // seq_cst: pairs with park_until(), which stores parked_key then loads interrupt_requested.
  target.interrupt_requested.store(true, std::memory_order_seq_cst);
  const void* key = target.parked_key.load(std::memory_order_seq_cst);
  if (key == nullptr) return false;
  detail::Bucket& bucket = detail::bucket_for(key);
  const void* wake = nullptr;
  bool found = false;
  bucket.lock.lock();
  // A thread has at most one node queued; its owner field names the thread for sure (a node
  // address alone could be a later thread's reused stack).
  for (detail::ParkNode* node = bucket.head; node != nullptr; node = node->next) {
    if (node->owner != &target) continue;
    bucket.remove(node);
    found = true;
    // release: pairs with the owner's acquire load of its state.
    if (node->state.exchange(detail::kInterrupted, std::memory_order_release) ==
        detail::kSleeping) {
      wake = &node->state;
    }
    break;
  }
  bucket.lock.unlock();
  if (wake != nullptr) bobbin::detail::futex_wake(wake, 1);
  return found;
}

// Whether interrupt() was called for the calling thread (and not cleared since).
[[nodiscard]] inline bool interrupt_requested() noexcept {
  return detail::this_thread_data()->interrupt_requested.load(std::memory_order_seq_cst);
}

// Clears the calling thread's interrupt request.
inline void clear_interrupt() noexcept {
  detail::this_thread_data()->interrupt_requested.store(false, std::memory_order_seq_cst);
}

}  // namespace bobbin::parking_lot
