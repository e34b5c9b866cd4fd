// bobbin/bounded_queue.hpp — BoundedQueue<T>: a fixed-capacity FIFO for many producers and many
// consumers that spins briefly, then parks, and can be closed.
//
//   BoundedQueue<Job> q(1024);             // room for exactly 1024 elements, allocated once
//   bool ok = q.push(job);                 // blocks while full; false once closed
//   std::optional<Job> j = q.pop();        // blocks while empty; nullopt once closed and drained
//   bool ok = q.try_push(std::move(job));  // never blocks; on failure `job` is left untouched
//   std::optional<Job> j = q.try_pop();    // never blocks
//   q.try_push_for(job, 10ms);  q.try_push_until(job, deadline);  // timed; kept on failure
//   q.try_pop_for(10ms);        q.try_pop_until(deadline);
//   q.emplace(args...);  q.try_emplace(args...);                   // construct in the slot
//   q.close();  q.closed();  q.capacity();  q.size();  q.empty();
//   q.waiting_producers();  q.waiting_consumers();                  // parked threads, a snapshot
//
// Usage rules:
//   - `T` may be any movable type whose destructor does not throw, move-only ones included
//     (`std::unique_ptr`). The queue owns one array of `capacity` slots, allocated by the
//     constructor; no operation allocates.
//   - A capacity of 0, or more than `max_capacity()`, throws `bobbin::RangeError`.
//   - `close()` is final and idempotent. After it, every push (blocking, try or timed) returns
//     false; pops go on returning what is left, then `nullopt` (a blocking `pop` no longer
//     blocks). Every thread blocked in the queue wakes. An element whose push returned true is
//     delivered to exactly one pop, even when the push raced with `close()`.
//   - A failed `try_push`/`try_emplace`/timed push never touches its arguments: an element is
//     constructed only once a slot is reserved.
//   - Timed operations never give up before their deadline (on `steady_clock`; other clocks are
//     converted once). A timeout of zero or less, or a deadline in the past, makes one attempt.
//   - A blocking or timed call that must wait is interrupted by `parking_lot::interrupt()` (a
//     worker being terminated): it throws `bobbin::TerminatedError`, having changed nothing.
//   - `size()`, `empty()` and the `waiting_*()` counts are snapshots, stale as soon as they
//     return: use them for monitoring, never to decide whether a later `try_pop` succeeds.
//   - If constructing `T` in a slot throws, the exception propagates and the slot is left as a
//     hole that consumers skip. If moving `T` out in a pop throws, that element is destroyed and
//     the exception propagates. (Neither can happen for a `T` whose moves are `noexcept`.)
//
// Design: Vyukov's bounded MPMC array queue. Producers take tickets from `tail_`, consumers from
// `head_` (each on its own cache line); slot `i` carries a sequence number saying whose turn it
// is: `2 * pos` (free for the producer with ticket `pos`), `2 * pos + 1` (full, for the
// consumer with ticket `pos`), then `2 * (pos + capacity)` (free for the next lap). Doubling
// keeps "full" and "free for the next lap" apart even at capacity 1. The top bit of `tail_` is
// the closed flag, so `close()` and a producer's ticket CAS are ordered on one word: no ticket
// is taken after close, and a consumer that sees the flag knows the final tail. Blocking is a
// thin layer: a side that finds the queue full (empty) spins a little, then announces itself in
// `push_waiters_` (`pop_waiters_`) and parks on that counter's address; the other side looks at
// the counter after every operation (one load) and unparks one waiter when it is non-zero.
// Slots are padded to a cache line, so neighbouring producers and consumers do not share one.
//
// Lifetime: the destructor destroys the elements still queued. It must not run while any other
// thread is inside a member function (as for any object).
//
// Thread safety: every member function may be called from any number of threads at once.
//
// Memory ordering: a push happens-before the pop that returns its element (release store of
// the slot's sequence number, acquire load in the pop). `close()` orders nothing else: it only
// sets the closed bit, and whoever reports closure has read that bit. No wake-up is lost, by
// the store-buffering argument: a waiter increments its counter (seq_cst) and then, inside the
// parking lot's `validate`, re-reads `head_` and `tail_` (seq_cst); the other side moves
// `tail_`/`head_` with a seq_cst CAS and then reads the counter (seq_cst). In the single total
// order of those four operations either the waiter's re-read sees the new ticket (it does not
// sleep) or the counter read sees the waiter (it is unparked). `close()` pairs the same way
// with the parking lot's own count of parked threads (seq_cst `fetch_or`, then `unpark_all`).
// A woken waiter always retries before it gives up, so a wake-up is used or passed on by a
// state change, never dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "errors.hpp"
#include "parking_lot.hpp"

namespace bobbin {

template <class T>
class BoundedQueue {
  static_assert(std::is_move_constructible_v<T>, "BoundedQueue<T> needs a movable T");
  static_assert(std::is_nothrow_destructible_v<T>,
                "BoundedQueue<T> needs a T whose destructor does not throw");
  static_assert(!std::is_reference_v<T> && !std::is_array_v<T> && std::is_object_v<T>,
                "BoundedQueue<T> holds objects");

  static constexpr std::size_t kLine = 64;  // cache-line size assumed for padding

  struct alignas(kLine) Slot {
    std::atomic<std::uint64_t> seq{0};
    bool hole = false;  // construction threw: consumers skip this slot (see try_push_impl)
    alignas(T) unsigned char storage[sizeof(T)];
    T* get() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

 public:
  using value_type = T;

  // The largest capacity a queue accepts (bounded so positions never overflow and the slot
  // array's size is representable).
  [[nodiscard]] static constexpr std::size_t max_capacity() noexcept {
    constexpr std::size_t by_size =
        static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(Slot);
    constexpr std::size_t by_design = std::size_t{1} << 32;
    return by_size < by_design ? by_size : by_design;
  }

  // A queue with room for exactly `capacity` elements. Throws RangeError if `capacity` is 0 or
  // above max_capacity(); std::bad_alloc if the slots cannot be allocated.
  explicit BoundedQueue(std::size_t capacity)
      : capacity_(checked(capacity)),
        mask_((capacity & (capacity - 1)) == 0 ? capacity - 1 : 0),
        slots_(new Slot[capacity]) {
    for (std::size_t i = 0; i < capacity; ++i) {
      // relaxed: published to other threads by whatever shares the queue with them.
      slots_[i].seq.store(2 * i, std::memory_order_relaxed);
    }
  }

  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  ~BoundedQueue() {
    // relaxed: no other thread is inside the queue (see Lifetime).
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed) & ~kClosed;
    for (std::uint64_t pos = head_.load(std::memory_order_relaxed); pos != tail; ++pos) {
      Slot& slot = slot_at(pos);
      if (!slot.hole) slot.get()->~T();
    }
  }

  // ---- producers -------------------------------------------------------------------------

  // Blocks while the queue is full; false (and `value` dropped) once the queue is closed.
  bool push(T value) { return emplace(std::move(value)); }

  template <class... Args>
  bool emplace(Args&&... args) {
    const Status s = try_push_impl(std::forward<Args>(args)...);
    if (s == Status::ok) [[likely]]
      return true;
    if (s == Status::closed) return false;
    return push_slow(no_deadline(), std::forward<Args>(args)...);
  }

  // Never blocks. False if the queue is full or closed; then `value` is untouched.
  [[nodiscard]] bool try_push(T&& value) { return try_emplace(std::move(value)); }
  [[nodiscard]] bool try_push(const T& value) { return try_emplace(value); }

  template <class... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) {
    return try_push_impl(std::forward<Args>(args)...) == Status::ok;
  }

  // Waits up to `timeout` (until `deadline`) for room. False on timeout or closure; then
  // `value` is untouched.
  template <class Rep, class Period>
  [[nodiscard]] bool try_push_for(T&& value, std::chrono::duration<Rep, Period> timeout) {
    return timed_push(parking_lot::detail::deadline_after(timeout), std::move(value));
  }
  template <class Rep, class Period>
  [[nodiscard]] bool try_push_for(const T& value, std::chrono::duration<Rep, Period> timeout) {
    return timed_push(parking_lot::detail::deadline_after(timeout), value);
  }
  template <class Clock, class Duration>
  [[nodiscard]] bool try_push_until(T&& value, std::chrono::time_point<Clock, Duration> deadline) {
    return timed_push(parking_lot::detail::to_deadline(deadline), std::move(value));
  }
  template <class Clock, class Duration>
  [[nodiscard]] bool try_push_until(const T& value,
                                    std::chrono::time_point<Clock, Duration> deadline) {
    return timed_push(parking_lot::detail::to_deadline(deadline), value);
  }

  // ---- consumers -------------------------------------------------------------------------

  // Blocks while the queue is empty and open; nullopt once it is closed and drained.
  std::optional<T> pop() {
    std::optional<T> out;
    if (try_pop_impl(out)) [[likely]]
      return out;
    return pop_slow(no_deadline());
  }

  // Never blocks; nullopt if the queue is empty (or closed and drained).
  [[nodiscard]] std::optional<T> try_pop() {
    std::optional<T> out;
    try_pop_impl(out);
    return out;
  }

  // Waits up to `timeout` (until `deadline`) for an element; nullopt on timeout, or once the
  // queue is closed and drained.
  template <class Rep, class Period>
  [[nodiscard]] std::optional<T> try_pop_for(std::chrono::duration<Rep, Period> timeout) {
    return timed_pop(parking_lot::detail::deadline_after(timeout));
  }
  template <class Clock, class Duration>
  [[nodiscard]] std::optional<T> try_pop_until(std::chrono::time_point<Clock, Duration> deadline) {
    return timed_pop(parking_lot::detail::to_deadline(deadline));
  }

  // ---- state -----------------------------------------------------------------------------

  // Closes the queue (idempotent) and wakes every thread blocked in it.
  void close() noexcept {
    // seq_cst: the close half of the store-buffering pair with the waiters' validate().
    tail_.fetch_or(kClosed, std::memory_order_seq_cst);
    parking_lot::unpark_all(&push_waiters_);
    parking_lot::unpark_all(&pop_waiters_);
  }

  [[nodiscard]] bool closed() const noexcept {
    return (tail_.load(std::memory_order_seq_cst) & kClosed) != 0;
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // How many elements are queued (reserved slots included): a snapshot in [0, capacity()].
  [[nodiscard]] std::size_t size() const noexcept {
    const std::uint64_t head = head_.load(std::memory_order_seq_cst);
    const std::uint64_t tail = tail_.load(std::memory_order_seq_cst) & ~kClosed;
    if (tail <= head) return 0;
    const std::uint64_t n = tail - head;
    return n < capacity_ ? static_cast<std::size_t>(n) : capacity_;
  }

  // Whether size() == 0: a snapshot.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  // How many threads are parked in a push (a pop) right now: a snapshot, for tests and
  // monitoring. Threads still in their brief spin are not counted.
  [[nodiscard]] std::size_t waiting_producers() const noexcept {
    return parking_lot::parked(&push_waiters_);
  }
  [[nodiscard]] std::size_t waiting_consumers() const noexcept {
    return parking_lot::parked(&pop_waiters_);
  }

 private:
  enum class Status { ok, full, closed };

  static constexpr std::uint64_t kClosed = std::uint64_t{1} << 63;  // in tail_
  // Whether constructing a T from these arguments cannot throw (then no slot becomes a hole).
  template <class... Args>
  static constexpr bool kNothrow = std::is_nothrow_constructible_v<T, Args&&...>;

  // Spin iterations (each a failed attempt plus a pause hint) before announcing a wait.
  static constexpr unsigned kSpins = 64;

  static bobbin::detail::Deadline no_deadline() noexcept { return bobbin::detail::kNoDeadline; }

  static std::size_t checked(std::size_t capacity) {
    if (capacity == 0 || capacity > max_capacity()) {
      throw RangeError("BoundedQueue: capacity must be in [1, " + std::to_string(max_capacity()) +
                       "], got " + std::to_string(capacity));
    }
    return capacity;
  }

  Slot& slot_at(std::uint64_t pos) const noexcept {
    return slots_[mask_ != 0 || capacity_ == 1 ? static_cast<std::size_t>(pos & mask_)
                                               : static_cast<std::size_t>(pos % capacity_)];
  }

  // The lock-free core. A slot is reserved by the ticket CAS, then filled, then published.
  template <class... Args>
  Status try_push_impl(Args&&... args) {
    // relaxed: only a hint; the CAS below decides.
    std::uint64_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (pos & kClosed) return Status::closed;
      Slot& slot = slot_at(pos);
      // acquire: pairs with the release store in try_pop_impl() that freed the slot.
      const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      const auto dif = static_cast<std::int64_t>(seq - 2 * pos);
      if (dif == 0) {
        // seq_cst: the publishing half of the store-buffering pair with pop waiters' validate()
        // (and fails if close() set the flag: no ticket after close).
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {  // relaxed: retried
          fill(slot, pos, std::forward<Args>(args)...);
          wake_a_consumer();
          return Status::ok;
        }
      } else if (dif < 0) {
        // The slot still holds the element of the previous lap: full (or a consumer is
        // mid-pop). Re-read tail: it may have been closed meanwhile.
        const std::uint64_t now = tail_.load(std::memory_order_relaxed);  // relaxed: a hint
        if (now == pos) return Status::full;
        pos = now;
      } else {
        pos = tail_.load(std::memory_order_relaxed);  // relaxed: another producer won; retry
      }
    }
  }

  // Unparks a consumer if one waits: the read of the waiter count after our ticket CAS.
  void wake_a_consumer() noexcept {
    // seq_cst: the observing half of the store-buffering pair (see Memory ordering).
    if (pop_waiters_.load(std::memory_order_seq_cst) != 0) [[unlikely]] {
      parking_lot::unpark_one(&pop_waiters_);
    }
  }

  template <class... Args>
  void fill(Slot& slot, std::uint64_t pos, Args&&... args) {
    if constexpr (kNothrow<Args...>) {
      ::new (static_cast<void*>(slot.storage)) T(std::forward<Args>(args)...);
      // release: pairs with the acquire load in try_pop_impl().
      slot.seq.store(2 * pos + 1, std::memory_order_release);
    } else {
      try {
        ::new (static_cast<void*>(slot.storage)) T(std::forward<Args>(args)...);
      } catch (...) {
        slot.hole = true;
        // release: pairs with the acquire load in try_pop_impl(), which skips the hole.
        slot.seq.store(2 * pos + 1, std::memory_order_release);
        wake_a_consumer();  // a consumer must come and pass the hole, or it blocks the ring
        throw;
      }
      // release: pairs with the acquire load in try_pop_impl().
      slot.seq.store(2 * pos + 1, std::memory_order_release);
    }
  }

  // Pops into `out`; false if the queue was empty.
  bool try_pop_impl(std::optional<T>& out) {
    // relaxed: only a hint; the CAS below decides.
    std::uint64_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slot_at(pos);
      // acquire: pairs with the release store in fill() that published the element.
      const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      const auto dif = static_cast<std::int64_t>(seq - (2 * pos + 1));
      if (dif == 0) {
        // seq_cst: the freeing half of the store-buffering pair with push waiters' validate().
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {  // relaxed: retried
          bool got = false;
          if (!slot.hole) [[likely]] {
            struct Release {  // frees the slot even if moving out throws
              BoundedQueue& q;
              Slot& slot;
              std::uint64_t pos;
              ~Release() {
                slot.get()->~T();
                // release: pairs with the acquire load in try_push_impl().
                slot.seq.store(2 * (pos + q.capacity_), std::memory_order_release);
                if (q.push_waiters_.load(std::memory_order_seq_cst) != 0) [[unlikely]] {
                  parking_lot::unpark_one(&q.push_waiters_);
                }
              }
            } release{*this, slot, pos};
            out.emplace(std::move(*slot.get()));
            got = true;
          } else {
            slot.hole = false;
            // release: pairs with the acquire load in try_push_impl().
            slot.seq.store(2 * (pos + capacity_), std::memory_order_release);
            if (push_waiters_.load(std::memory_order_seq_cst) != 0) {
              parking_lot::unpark_one(&push_waiters_);
            }
          }
          if (got) return true;
          pos = head_.load(std::memory_order_relaxed);  // relaxed: skipped a hole; go on
        }
      } else if (dif < 0) {
        const std::uint64_t now = head_.load(std::memory_order_relaxed);  // relaxed: a hint
        if (now == pos) return false;  // empty (or a producer is mid-push)
        pos = now;
      } else {
        pos = head_.load(std::memory_order_relaxed);  // relaxed: another consumer won; retry
      }
    }
  }

  // Sleep conditions, read under the parking lot's bucket lock after the waiter registered.
  bool full_and_open() const noexcept {
    // tail before head: both only grow, so a tail/head pair read in this order never
    // overstates how much room there is.
    const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
    if (tail & kClosed) return false;
    const std::uint64_t head = head_.load(std::memory_order_seq_cst);
    return tail - head >= capacity_;
  }
  bool empty_and_open() const noexcept {
    // head before tail, for the same reason.
    const std::uint64_t head = head_.load(std::memory_order_seq_cst);
    const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
    return (tail & kClosed) == 0 && tail <= head;
  }

  // Registers in `counter` for the duration of one park, and turns an interrupt into an error.
  template <class Validate>
  static parking_lot::ParkResult wait_on(std::atomic<std::uint32_t>& counter, Validate&& validate,
                                         bobbin::detail::Deadline deadline) {
    // seq_cst: the registering half of the store-buffering pair (see Memory ordering).
    counter.fetch_add(1, std::memory_order_seq_cst);
    struct Unregister {
      std::atomic<std::uint32_t>& counter;
      // relaxed: pairs with nothing; a stale non-zero only costs the other side one unpark
      // call that finds nobody.
      ~Unregister() { counter.fetch_sub(1, std::memory_order_relaxed); }
    } unregister{counter};
    const auto r = parking_lot::park_until(&counter, std::forward<Validate>(validate),
                                           parking_lot::detail::NoOp{}, deadline);
    if (r == parking_lot::ParkResult::interrupted) {
      throw TerminatedError("BoundedQueue: interrupted while waiting");
    }
    return r;
  }

  static void backoff(unsigned& spins) noexcept {
    if (spins < kSpins) {
      bobbin::detail::cpu_relax();
    } else {
      std::this_thread::yield();
    }
    ++spins;
  }

  template <class... Args>
  [[gnu::noinline]] bool push_slow(bobbin::detail::Deadline deadline, Args&&... args) {
    const bool timed = deadline != bobbin::detail::kNoDeadline;
    unsigned spins = 0;
    for (;;) {
      if (spins < kSpins) {
        backoff(spins);
      } else if (full_and_open()) {
        if (timed && bobbin::detail::SteadyClock::now() >= deadline) return false;
        const auto r = wait_on(
            push_waiters_, [this] { return full_and_open(); }, deadline);
        if (r == parking_lot::ParkResult::timed_out) {
          return try_push_impl(std::forward<Args>(args)...) == Status::ok;
        }
        spins = kSpins / 2;  // woken or invalid: spin a little before parking again
      } else {
        backoff(spins);  // room is reserved by a consumer still moving out: let it finish
      }
      const Status s = try_push_impl(std::forward<Args>(args)...);
      if (s == Status::ok) return true;
      if (s == Status::closed) return false;
      if (timed && bobbin::detail::SteadyClock::now() >= deadline) return false;
    }
  }

  template <class... Args>
  bool timed_push(bobbin::detail::Deadline deadline, Args&&... args) {
    const Status s = try_push_impl(std::forward<Args>(args)...);
    if (s == Status::ok) return true;
    if (s == Status::closed) return false;
    if (bobbin::detail::SteadyClock::now() >= deadline) return false;
    return push_slow(deadline, std::forward<Args>(args)...);
  }

  [[gnu::noinline]] std::optional<T> pop_slow(bobbin::detail::Deadline deadline) {
    const bool timed = deadline != bobbin::detail::kNoDeadline;
    std::optional<T> out;
    unsigned spins = 0;
    for (;;) {
      if (spins < kSpins) {
        backoff(spins);
      } else if (empty_and_open()) {
        if (timed && bobbin::detail::SteadyClock::now() >= deadline) return out;
        const auto r = wait_on(
            pop_waiters_, [this] { return empty_and_open(); }, deadline);
        if (r == parking_lot::ParkResult::timed_out) {
          try_pop_impl(out);
          return out;
        }
        spins = kSpins / 2;
      } else {
        // Closed, or an element is reserved but not yet published.
        const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
        if ((tail & kClosed) && (tail & ~kClosed) == head_.load(std::memory_order_seq_cst)) {
          return out;  // closed and drained: no ticket can be taken any more
        }
        backoff(spins);
      }
      if (try_pop_impl(out)) return out;
      if (timed && bobbin::detail::SteadyClock::now() >= deadline) return out;
    }
  }

  std::optional<T> timed_pop(bobbin::detail::Deadline deadline) {
    std::optional<T> out;
    if (try_pop_impl(out)) return out;
    if (bobbin::detail::SteadyClock::now() >= deadline) return out;
    return pop_slow(deadline);
  }

  // Read-mostly fields.
  const std::size_t capacity_;
  const std::size_t mask_;  // capacity - 1 if capacity is a power of two, else 0
  const std::unique_ptr<Slot[]> slots_;
  // Producers' tickets (top bit: closed), consumers' tickets, and the waiter counts that are
  // also the parking keys, each on its own cache line.
  alignas(kLine) std::atomic<std::uint64_t> tail_{0};
  alignas(kLine) std::atomic<std::uint64_t> head_{0};
  alignas(kLine) std::atomic<std::uint32_t> push_waiters_{0};  // producers waiting for room
  alignas(kLine) std::atomic<std::uint32_t> pop_waiters_{0};   // consumers waiting for elements
  char pad_[kLine - sizeof(std::atomic<std::uint32_t>)] = {};
};

}  // namespace bobbin
