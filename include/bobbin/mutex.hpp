// bobbin/mutex.hpp — Mutex and ConditionVariable, each living in one Int32Array cell.
//
// The book's mutex (Multithreaded JavaScript, chapter 6): the lock *is* one 32-bit cell of a
// SharedArrayBuffer, so threads that share the buffer share the lock. Every Mutex object over
// the same cell is the same lock; a worker gets it by building its own Mutex over its copy of
// the buffer. The same goes for ConditionVariable.
//
//   bobbin::SharedArrayBuffer sab(16);
//   bobbin::Int32Array cells(sab);
//   bobbin::Mutex mutex(cells, 0);                  // cell 0 holds the lock
//   bobbin::ConditionVariable ready(cells, 1);      // cell 1 holds the condition variable
//   {
//     std::unique_lock lock(mutex);                 // or std::lock_guard, std::scoped_lock
//     ready.wait(lock, [&] { return cells[2] != 0; });
//   }
//   int product = mutex.exec([&] { return cells[3] * 2; });  // fn under the lock
//
//   bobbin::Mutex local;                            // a cell of its own (like std::mutex)
//
// Mutex: lock, [[nodiscard]] try_lock, try_lock_for, try_lock_until, unlock, exec(fn), and
// locked() (a snapshot, for tests and diagnostics). It meets Lockable and TimedLockable.
// ConditionVariable: wait(lock[, pred]), wait_for, wait_until (with and without a predicate,
// returning std::cv_status / bool like std::condition_variable_any), notify_one, notify_all.
// Its `wait` takes any BasicLockable lock; std::unique_lock<Mutex> is the intended one.
//
// How it works: the mutex is the classic three-state futex mutex over the parking lot (the
// states are documented on the field): one CAS to lock and one exchange to unlock when
// uncontended, with no parking-lot call; a contended locker marks the cell "locked with
// waiters" and parks while it holds that; an unlock that finds the mark wakes one thread. The
// condition variable's cell is a notification counter: a waiter reads it under the lock and
// parks only while it is unchanged, so a notify after that read is never lost. Both protocols
// are model-checked with spin (tests/models/mutex.pml, condition_variable.pml).
//
// Rules:
//   - The view must be a view of a SharedArrayBuffer (TypeError otherwise: a copy of a view of
//     an ArrayBuffer is a clone, so a Mutex over one could not be shared); a detached view is a
//     TypeError and `index >= view.length()` a RangeError, as for atomics. The cell must hold 0
//     when the first Mutex or ConditionVariable over it is used (a new SharedArrayBuffer is
//     zeroed), and nothing but bobbin may write it afterwards.
//   - The mutex is not recursive: locking it again from the thread that holds it deadlocks
//     (or, for a timed lock, times out), as std::mutex may. It does not record an owner: like
//     the book's, any thread may unlock it, which is what lets a worker release a lock that
//     another worker's code took over the same cell.
//   - Unlocking a mutex that is not locked throws TypeError ("the mutex was not acquired", the
//     book's error) and leaves it unlocked. A cell holding a value that is not a mutex state
//     (someone else wrote it) makes lock, unlock and the timed locks throw TypeError rather
//     than hang; try_lock simply fails.
//   - Waiting first spins briefly on the cell, then parks in bobbin's parking lot (which spins
//     and yields a few microseconds more before it sleeps). A blocking call whose thread is
//     interrupted (a worker being terminated) throws TerminatedError. An uncontended lock never
//     blocks, so it never sees an interrupt.
//   - Timed locks and waits never return early: false / cv_status::timeout only once the
//     deadline has passed. Deadlines on clocks other than steady_clock are converted once.
//   - ConditionVariable::wait without a predicate may return without a notify (a "spurious"
//     wake-up, as std allows) when another notify raced the call; with a predicate it returns
//     only once the predicate holds. A notify_one that finds no waiter does nothing and is not
//     remembered, as in std.
//   - If a wait is interrupted, it reacquires the lock before throwing TerminatedError when the
//     mutex is free; when it is contended it cannot block again (an interrupted thread's parks
//     all fail) and throws with the lock not held (`lock.owns_lock()` is false).
//
// Lifetime: a Mutex or ConditionVariable over a view keeps the buffer alive. The state lives in
// the cell, not the object, so objects over a shared cell come and go independently: a worker
// may destroy its Mutex while others keep using the lock. Destroying an object while a thread
// is inside one of its calls, or reusing the cell for something else while it is locked or
// waited on, is a bug (as destroying a locked std::mutex is). There is no robust-mutex
// recovery: a thread that ends without unlocking leaves the cell locked for every worker
// (TerminatedError unwinds through std::lock_guard and exec, which do unlock).
//
// Thread safety: every member may be called from any thread. The objects are neither copyable
// nor movable (like std::mutex); share the buffer, not the object.
//
// Memory ordering: everything a thread did before unlock() happens-before everything the next
// thread to lock the mutex does after lock()/try_lock*() returns true (a release exchange paired
// with an acquire CAS/exchange). A notify is sequentially consistent: a waiter that was parked
// when notify_*() ran and is woken by it sees everything done before the notify, and a
// notify_*() made after the notifier changed the predicate under the mutex cannot be lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "errors.hpp"
#include "parking_lot.hpp"
#include "shared_array_buffer.hpp"
#include "typed_array.hpp"

namespace bobbin {

namespace detail {

// The address of cell `index` of a shared view, checked as the constructors above promise.
inline std::int32_t* shared_cell(const Int32Array& view, std::size_t index, const char* who) {
  if (view.out_of_bounds()) {
    throw TypeError(std::string(who) + ": the view's buffer is detached or out of bounds");
  }
  if (!view.shared()) throw TypeError(std::string(who) + " needs a view of a SharedArrayBuffer");
  return view.element(index);  // RangeError past the end
}

}  // namespace detail

class Mutex {
 public:
  // The lock in cell `index` of `view` (a view of a SharedArrayBuffer).
  Mutex(const Int32Array& view, std::size_t index)
      : cell_(detail::shared_cell(view, index, "Mutex")), view_(view) {}
  // A lock with a cell of its own, unlocked.
  Mutex() noexcept : cell_(&own_) {}

  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex() = default;

  // Blocks until the lock is ours.
  void lock() {
    std::int32_t expected = kUnlocked;
    // acquire: pairs with the seq_cst (release) exchange in unlock().
    if (!state().compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed)) [[unlikely]] {
      static_cast<void>(lock_slow(parking_lot::detail::kNoDeadline));
    }
  }

  // Takes the lock if it is free; never blocks.
  [[nodiscard]] bool try_lock() noexcept {
    std::int32_t expected = kUnlocked;
    // acquire: pairs with the seq_cst (release) exchange in unlock().
    return state().compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                           std::memory_order_relaxed);
  }

  // Blocks until the lock is ours (true) or `timeout` has passed (false).
  template <class Rep, class Period>
  [[nodiscard]] bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return try_lock() || lock_slow(parking_lot::detail::deadline_after(timeout));
  }

  // Blocks until the lock is ours (true) or `deadline` has passed (false).
  template <class Clock, class Duration>
  [[nodiscard]] bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    return try_lock() || lock_slow(parking_lot::detail::to_deadline(deadline));
  }

  // Releases the lock and wakes one parked thread if the state says some may be parked.
  // TypeError if the mutex is not locked.
  void unlock() {
    // seq_cst: a release for the next owner's acquire, and the write half of the parking lot's
    // store-buffering pair (unpark_one's fast path may then skip the bucket lock).
    const std::int32_t old = state().exchange(kUnlocked, std::memory_order_seq_cst);
    if (old != kLocked) [[unlikely]]
      unlock_slow(old);
  }

  // Runs `fn()` under the lock and returns its result; the lock is released even if fn throws.
  template <class Fn>
  decltype(auto) exec(Fn&& fn) {
    std::lock_guard<Mutex> guard(*this);
    return std::invoke(std::forward<Fn>(fn));
  }

  // Whether the lock is held by anyone right now (a snapshot, for tests and diagnostics).
  [[nodiscard]] bool locked() const noexcept {
    return state().load(std::memory_order_relaxed) != kUnlocked;  // relaxed: a snapshot
  }

 private:
  // The cell's states (the book uses 0 and 1; 2 is the classic futex mutex's third state):
  static constexpr std::int32_t kUnlocked = 0;  // free
  static constexpr std::int32_t kLocked = 1;    // held; no thread is parked on the cell
  // Held; threads may be parked on the cell (conservative: it may stay set after the last
  // waiter left, which costs one unpark call that finds nobody). Unlock wakes one thread only
  // when it finds this state; a thread sets it before it parks and parks only while it holds.
  static constexpr std::int32_t kLockedWithWaiters = 2;
  // Spins (with a pause hint) on a held lock before parking: covers short critical sections.
  static constexpr int kSpinLimit = 100;

  std::atomic_ref<std::int32_t> state() const noexcept {
    return std::atomic_ref<std::int32_t>(*cell_);
  }

  [[noreturn]] static void bad_state(std::int32_t value) {
    throw TypeError("Mutex: the cell holds " + std::to_string(value) +
                    ", which is not a mutex state (0, 1 or 2)");
  }

  // Contended lock: spin, then park until unlocked. True once the lock is ours, false at the
  // deadline.
  [[gnu::noinline]] bool lock_slow(parking_lot::detail::Deadline deadline) {
    for (int spin = 0; spin < kSpinLimit; ++spin) {
      std::int32_t current = state().load(std::memory_order_relaxed);  // relaxed: CAS decides
      if (current == kUnlocked) {
        // acquire: pairs with the seq_cst (release) exchange in unlock().
        if (state().compare_exchange_weak(current, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
          return true;
        }
      } else if (current != kLocked) {
        break;  // threads are already parked (or the cell is bad): do not compete by spinning
      }
      bobbin::detail::cpu_relax();
    }
    for (;;) {
      std::int32_t current = state().load(std::memory_order_relaxed);  // relaxed: a check only
      if (current < kUnlocked || current > kLockedWithWaiters) bad_state(current);
      if (current != kLockedWithWaiters) {
        // seq_cst: acquire for the lock (pairs with unlock()'s exchange); announcing waiters
        // before parking. Taking the lock this way leaves it marked "with waiters", which is
        // conservative: others may still be parked.
        current = state().exchange(kLockedWithWaiters, std::memory_order_seq_cst);
        if (current == kUnlocked) return true;
      }
      const auto result = parking_lot::park_until(
          cell_,
          // seq_cst: the validating half of the store-buffering pair in parking_lot.hpp.
          [this] { return state().load(std::memory_order_seq_cst) == kLockedWithWaiters; },
          parking_lot::detail::NoOp{}, deadline);
      if (result == parking_lot::ParkResult::timed_out) return false;
      if (result == parking_lot::ParkResult::interrupted) {
        throw TerminatedError("Mutex::lock: the thread was interrupted (terminated)");
      }
      // unparked or invalid (the state changed before we slept): try again.
    }
  }

  [[gnu::noinline]] void unlock_slow(std::int32_t old) {
    if (old == kLockedWithWaiters) {
      parking_lot::unpark_one(cell_);
      return;
    }
    if (old == kUnlocked) throw TypeError("Mutex::unlock: the mutex was not acquired");
    bad_state(old);
  }

  // The lock word: kUnlocked, kLocked or kLockedWithWaiters (above); parked threads use its
  // address as their parking-lot key.
  std::int32_t* cell_;
  // The cell of a default-constructed object.
  alignas(std::atomic_ref<std::int32_t>::required_alignment) std::int32_t own_ = 0;
  std::optional<Int32Array> view_;  // keeps a shared cell's buffer alive
};

class ConditionVariable {
 public:
  // The condition variable in cell `index` of `view` (a view of a SharedArrayBuffer).
  ConditionVariable(const Int32Array& view, std::size_t index)
      : cell_(detail::shared_cell(view, index, "ConditionVariable")), view_(view) {}
  // A condition variable with a cell of its own.
  ConditionVariable() noexcept : cell_(&own_) {}

  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;
  ~ConditionVariable() = default;

  // Wakes the oldest waiter, if any.
  void notify_one() noexcept {
    sequence().fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see notify_all
    parking_lot::unpark_one(cell_);
  }

  // Wakes every waiter.
  void notify_all() noexcept {
    // seq_cst: the write half of the parking lot's store-buffering pair; a waiter that read the
    // old sequence and has not parked yet fails its validation instead of sleeping.
    sequence().fetch_add(1, std::memory_order_seq_cst);
    parking_lot::unpark_all(cell_);
  }

  // Releases `lock`, waits for a notify, reacquires `lock`. May return spuriously.
  template <class Lock>
  void wait(Lock& lock) {
    static_cast<void>(wait_deadline(lock, parking_lot::detail::kNoDeadline));
  }

  // Waits until `pred()` holds (checked under the lock).
  template <class Lock, class Predicate>
  void wait(Lock& lock, Predicate pred) {
    while (!pred()) wait(lock);
  }

  template <class Lock, class Clock, class Duration>
  std::cv_status wait_until(Lock& lock, const std::chrono::time_point<Clock, Duration>& deadline) {
    return wait_deadline(lock, parking_lot::detail::to_deadline(deadline));
  }

  template <class Lock, class Rep, class Period>
  std::cv_status wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout) {
    return wait_deadline(lock, parking_lot::detail::deadline_after(timeout));
  }

  // The predicate's value when the wait ends: true if it held, false if the deadline passed
  // first.
  template <class Lock, class Clock, class Duration, class Predicate>
  bool wait_until(Lock& lock, const std::chrono::time_point<Clock, Duration>& deadline,
                  Predicate pred) {
    return wait_pred(lock, parking_lot::detail::to_deadline(deadline), pred);
  }

  template <class Lock, class Rep, class Period, class Predicate>
  bool wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& timeout, Predicate pred) {
    return wait_pred(lock, parking_lot::detail::deadline_after(timeout), pred);
  }

 private:
  std::atomic_ref<std::int32_t> sequence() const noexcept {
    return std::atomic_ref<std::int32_t>(*cell_);
  }

  template <class Lock, class Predicate>
  bool wait_pred(Lock& lock, parking_lot::detail::Deadline deadline, Predicate& pred) {
    while (!pred()) {
      if (wait_deadline(lock, deadline) == std::cv_status::timeout) return pred();
    }
    return true;
  }

  // The one wait: read the sequence while holding the lock, release it, park while the
  // sequence is unchanged, reacquire. A notify after the read changes the sequence, so the
  // waiter either is parked when the notify runs or does not park at all: no lost wake-up.
  template <class Lock>
  std::cv_status wait_deadline(Lock& lock, parking_lot::detail::Deadline deadline) {
    // seq_cst: read under the lock, before the unlock; see notify_all().
    const std::int32_t seen = sequence().load(std::memory_order_seq_cst);
    lock.unlock();
    const auto result = parking_lot::park_until(
        cell_,
        // seq_cst: the validating half of the store-buffering pair in parking_lot.hpp.
        [&] { return sequence().load(std::memory_order_seq_cst) == seen; },
        parking_lot::detail::NoOp{}, deadline);
    if (result == parking_lot::ParkResult::interrupted) {
      lock.lock();  // may itself throw TerminatedError when the mutex is contended
      throw TerminatedError("ConditionVariable::wait: the thread was interrupted (terminated)");
    }
    lock.lock();
    return result == parking_lot::ParkResult::timed_out ? std::cv_status::timeout
                                                        : std::cv_status::no_timeout;
  }

  // A notification counter (wrapping): each notify adds 1. Waiters park on its address while
  // it still holds the value they read under the lock.
  std::int32_t* cell_;
  // The cell of a default-constructed object.
  alignas(std::atomic_ref<std::int32_t>::required_alignment) std::int32_t own_ = 0;
  std::optional<Int32Array> view_;  // keeps a shared cell's buffer alive
};

}  // namespace bobbin
