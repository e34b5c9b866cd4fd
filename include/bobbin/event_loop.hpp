// bobbin/event_loop.hpp — one event loop per thread, with Node's order of callbacks.
//
// Notes for code built on this header (kept stable; changes are listed here first):
//   - v1: the API below. `post` returns false (and destroys the task) once the loop is closed
//     (its thread has exited). `EventLoop::current()` loops are shared-owned:
//     `loop.shared_from_this()` keeps one alive for cross-thread posting.
//   - v2: `EventLoop::current_if_any()` (null if this thread has no loop yet, or it has gone);
//     `run_once()` does not wait when the ticks/microtasks it drained first ran something.
//   - v3: file-descriptor watchers `watch_readable(fd, fn)` / `watch_writable(fd, fn)` ->
//     `FdWatch` (epoll on Linux, poll() on other POSIX systems).
//   - v4: `run_until_interrupted()`: run() that returns false instead of throwing when the
//     loop itself notices an interrupt (a terminated worker idle in its loop ends without an
//     exception to unwind).
//
// An `EventLoop` runs callbacks on its own thread, in the order Node.js runs them:
//
//   EventLoop& loop = EventLoop::current();    // this thread's loop, created on first use
//   loop.post(fn);                             // from any thread: a task for the posted phase
//   loop.queue_microtask(fn);                  // loop thread: a microtask (promise reactions)
//   loop.next_tick(fn);                        // loop thread: runs before any microtask
//   Timer t = loop.set_timeout(fn, 10ms);      // also set_interval; Immediate set_immediate(fn)
//   loop.add_ref(); loop.release_ref();        // keep-alive count (any thread, see below)
//   loop.run();  loop.run_once();  loop.stop();
//   bobbin::run(), bobbin::set_timeout(fn, d), ...   // the same on the current thread's loop
//
// Order of callbacks:
//   - After every callback (a "macrotask": a timer, a posted task, an immediate) and once at
//     the start of run(), the loop drains the next_tick queue completely, then the microtask
//     queue completely, and repeats until both are empty (Node's processTicksAndRejections:
//     a tick queued by a microtask runs after the microtasks already queued).
//   - One turn of the loop runs, in this order: (1) the timers phase: every timer whose
//     deadline has passed when the phase starts, by deadline and, on equal deadlines, in the
//     order they were scheduled; (2) the posted phase: the tasks `post`ed before the phase
//     started (tasks posted while it runs wait for the next turn); (3) the check phase: the
//     immediates queued before the phase started (ones queued while it runs wait for the next
//     turn); then (4) the loop sleeps until the earliest timer or a post, unless something is
//     ready. Every phase runs a bounded batch, so a callback that keeps re-posting or
//     re-queuing itself never starves the others. (The tick and microtask queues are drained
//     to empty, as in Node: a tick or microtask that re-queues itself forever starves the
//     loop there too.)
//   - Consequences, as in Node: inside a posted task or a timer callback, `set_immediate` runs
//     before `set_timeout(0)`; `next_tick` runs before `queue_microtask`. Unlike Node, where
//     `setTimeout(0)` vs `setImmediate` from the main module is a race with the 1 ms clock,
//     here a timeout of zero scheduled before run() is due when the first turn starts, so it
//     runs first. `set_timeout(fn, 0)` means "in the next timers phase" (Node turns 0 into
//     1 ms; bobbin keeps 0).
//
// Timers:
//   - Never early: deadlines are on std::chrono::steady_clock, computed from the clock when the
//     timer is scheduled (not from a cached loop time); a delay is rounded up to the clock's
//     tick; negative or NaN delays mean zero.
//   - Intervals keep their period: the next deadline is the previous deadline plus the period,
//     rescheduled before the callback runs (so `clear()` inside the callback works). When the
//     loop fell behind by more than a period, the missed ticks are skipped, not bursted: the
//     next deadline is the first point of the grid `start + k * period` after now. A period of
//     zero or less becomes 1 ms, as in Node.
//   - `refresh()` restarts a timer's full delay from now (one-shot or interval), re-arming a
//     timer that already fired, like Node's `timeout.refresh()`.
//
// Lifetime of the loop: `run()` returns when nothing ref'd is left — no ref'd timer, no ref'd
// immediate, a keep-alive count of zero, no posted task, no tick or microtask — or after
// `stop()`. Unref'd timers and immediates run while something else keeps the loop alive and are
// dropped when nothing does (Node's `unref`).
//
// Keep-alive count: `add_ref()` / `release_ref()` (thread-safe) keep `run()` from returning
// while the count is above zero: a pending promise with continuations, a running worker, an
// open port. Call `add_ref()` on the loop's thread, or from a thread that holds a reference
// already (otherwise `run()` may have returned just before). A `release_ref()` that brings the
// count to zero wakes the loop so that `run()` can return.
//
// Sleeping: the loop parks in the parking lot (key: the loop's signal word), so it spins
// briefly before a kernel sleep, and `post`/`stop`/the last `release_ref` from another thread
// unpark it; when the loop is not parked they cost one atomic increment and one load. If the
// loop's thread is interrupted (`parking_lot::interrupt`, what `Worker::terminate` does), run()
// and run_once() throw `bobbin::TerminatedError` (checked when parking and once per turn);
// `run_until_interrupted()` returns false there instead (no exception to unwind: a worker idle
// in its loop ends without one).
//
// Uncaught exceptions: a callback that throws is reported to the handler set with
// `on_uncaught_exception(fn)` (Node's `process.on('uncaughtException')`), and the loop goes on.
// Without a handler, run()/run_once() rethrow the exception to their caller; the loop is left
// consistent (the throwing callback is consumed, everything else still queued) and a later
// run() continues where it stopped. An exception thrown by the handler itself propagates the
// same way.
//
// File descriptors (POSIX): `watch_readable(fd, fn)` / `watch_writable(fd, fn)` return an
// `FdWatch` (`clear()`, `ref()`, `unref()`, `has_ref()`, `pending()`); `fn` runs in the posted
// (I/O) phase of every turn in which the descriptor is ready (level-triggered: read or write
// until it would block, or the callback runs again next turn). Hang-up and error count as
// ready for both kinds. One watcher of each kind per descriptor (a second one throws
// `TypeError`; a negative fd `RangeError`). Clear a watcher before closing its descriptor. A ref'd
// watcher keeps run() alive. Backends: epoll on Linux, poll() on other POSIX systems (and on
// Linux with BOBBIN_EVENT_LOOP_FORCE_POLL). While a loop has watchers it sleeps in
// epoll_wait/poll instead of the parking lot (posts then also write to an eventfd or a
// self-pipe); that sleep has millisecond resolution (rounded up: timers are still never early,
// but may be up to 1 ms late), and `parking_lot::interrupt` is noticed at the next wake-up, not
// during that sleep. Elsewhere the watch functions throw `TypeError`.
//
// Re-entrancy: a callback may call run_once() (or run()) of its own loop; the nested call runs
// further turns with the same queues (what a blocking `get()` on the loop thread does).
//
// Thread safety: `post`, `stop`, `add_ref`, `release_ref` and `shared_from_this` may be used
// from any thread. Everything else — running, ticks, microtasks, timers, immediates and their
// handles (`Timer`, `Immediate`, which are copyable and not thread-safe) — belongs to the loop's
// thread. A handle must not outlive the loop it came from (the loop lives until its thread
// exits).
//
// Allocation: `post` appends to a vector under a small lock; the loop swaps the vector out
// whole, so in a steady state posting allocates nothing. Callables up to 48 bytes that are
// nothrow-movable are stored inline (no std::function allocation). A timer or an immediate
// allocates one record.
//
// Memory ordering: everything a thread did before `post(fn)` happens-before `fn` runs (the
// inbox lock's release in post pairs with its acquire when the loop swaps the inbox out).
// Everything done before `stop()` or a `release_ref()` that reaches zero happens-before run()
// returns because of it. Wake-ups follow the parking lot's store-buffering rule: the signal
// word is bumped with a seq_cst increment before `unpark`, and the loop re-reads it with a
// seq_cst load in its park validation, so a post racing the loop going to sleep is never lost.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

// File-descriptor backends: epoll on Linux, poll() on other POSIX systems (or on Linux with
// BOBBIN_EVENT_LOOP_FORCE_POLL defined, so tests cover it), none elsewhere.
#if defined(__linux__) && !defined(BOBBIN_EVENT_LOOP_FORCE_POLL)
#define BOBBIN_EVENT_LOOP_IO_ 1
#define BOBBIN_EVENT_LOOP_EPOLL_ 1
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#elif defined(__unix__) || defined(__APPLE__)
#define BOBBIN_EVENT_LOOP_IO_ 1
#define BOBBIN_EVENT_LOOP_EPOLL_ 0
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#else
#define BOBBIN_EVENT_LOOP_IO_ 0
#define BOBBIN_EVENT_LOOP_EPOLL_ 0
#endif
#if BOBBIN_EVENT_LOOP_IO_
#include <climits>
#endif

#include "detail/platform.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "parking_lot.hpp"

namespace bobbin {

class EventLoop;
class Timer;
class Immediate;

namespace detail {

// A move-only `void()` callable. Callables up to kInline bytes that are nothrow-movable live
// inside the object; larger ones on the heap.
class LoopCallback {
 public:
  static constexpr std::size_t kInline = 48;

  LoopCallback() noexcept = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, LoopCallback> && std::is_invocable_v<D&>>>
  LoopCallback(F&& f) {  // NOLINT: implicit, so lambdas convert
    if constexpr (fits_inline<D>()) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      D* p = new D(std::forward<F>(f));
      ::new (static_cast<void*>(buf_)) D*(p);
      ops_ = &kHeapOps<D>;
    }
  }

  LoopCallback(LoopCallback&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(buf_, other.buf_);
      other.ops_ = nullptr;
    }
  }

  LoopCallback& operator=(LoopCallback&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(buf_, other.buf_);
        ops_ = other.ops_;
        other.ops_ = nullptr;
      }
    }
    return *this;
  }

  LoopCallback(const LoopCallback&) = delete;
  LoopCallback& operator=(const LoopCallback&) = delete;
  ~LoopCallback() { reset(); }

  void reset() noexcept {
    if (ops_ != nullptr) {
      const Ops* ops = ops_;
      ops_ = nullptr;
      ops->destroy(buf_);
    }
  }

  [[nodiscard]] explicit operator bool() const noexcept { return ops_ != nullptr; }

  // Calls the callable; it stays stored (an interval calls it again).
  void operator()() { ops_->invoke(buf_); }

 private:
  struct Ops {
    void (*invoke)(void*);
    void (*move)(void* dst, void* src) noexcept;  // move-constructs into dst, destroys src
    void (*destroy)(void*) noexcept;
  };

  template <class D>
  static constexpr bool fits_inline() {
    return sizeof(D) <= kInline && alignof(D) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<D>;
  }

  template <class D>
  static constexpr Ops kInlineOps{
      [](void* p) { (*std::launder(static_cast<D*>(p)))(); },
      [](void* dst, void* src) noexcept {
        D* s = std::launder(static_cast<D*>(src));
        ::new (dst) D(std::move(*s));
        s->~D();
      },
      [](void* p) noexcept { std::launder(static_cast<D*>(p))->~D(); }};

  template <class D>
  static constexpr Ops kHeapOps{
      [](void* p) { (**std::launder(static_cast<D**>(p)))(); },
      [](void* dst, void* src) noexcept { ::new (dst) D*(*std::launder(static_cast<D**>(src))); },
      [](void* p) noexcept { delete *std::launder(static_cast<D**>(p)); }};

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const Ops* ops_ = nullptr;
};

// A FIFO of callbacks on one thread: a growable ring.
class CallbackQueue {
 public:
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void push(LoopCallback&& cb) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(cb);
    ++size_;
  }

  LoopCallback pop() noexcept {
    LoopCallback cb = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return cb;
  }

  void clear() noexcept {
    while (!empty()) pop();
  }

 private:
  [[gnu::noinline]] void grow() {
    std::vector<LoopCallback> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<LoopCallback> slots_;  // size is zero or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

inline constexpr std::size_t kNotInHeap = static_cast<std::size_t>(-1);

// The shared state of a timer: owned by its handles, by the loop's heap while scheduled, and by
// the loop while its callback runs. Loop-thread only, so the count is a plain integer.
struct TimerRecord {
  std::uint32_t refs = 0;
  bool refed = true;
  EventLoop* loop = nullptr;
  Deadline deadline{};
  std::uint64_t seq = 0;                // scheduling order, for ties and for phase bounds
  SteadyClock::duration delay{};        // for refresh()
  SteadyClock::duration period{};       // zero: one-shot
  std::size_t heap_index = kNotInHeap;  // position in the loop's heap
  LoopCallback fn;
};

struct ImmediateRecord {
  std::uint32_t refs = 0;
  bool refed = true;
  bool queued = false;
  EventLoop* loop = nullptr;
  std::uint64_t seq = 0;
  ImmediateRecord* prev = nullptr;
  ImmediateRecord* next = nullptr;
  LoopCallback fn;
};

struct FdRecord {
  std::uint32_t refs = 0;
  bool refed = true;
  bool active = false;
  bool writable = false;
  int fd = -1;
  EventLoop* loop = nullptr;
  LoopCallback fn;
};

inline void retain(FdRecord* r) noexcept { ++r->refs; }
// Out of line: GCC's -Wuse-after-free cannot see that a handle still holds a reference.
[[gnu::noinline]] inline void release(FdRecord* r) noexcept {
  if (--r->refs == 0) delete r;
}
inline void retain(TimerRecord* r) noexcept { ++r->refs; }
inline void release(TimerRecord* r) noexcept {
  if (--r->refs == 0) delete r;
}
inline void retain(ImmediateRecord* r) noexcept { ++r->refs; }
inline void release(ImmediateRecord* r) noexcept {
  if (--r->refs == 0) delete r;
}

// A delay as a steady_clock duration: never shorter than asked (rounded up), zero for negative
// or NaN, at most about 146 years (so now + delay never overflows).
template <class Rep, class Period>
SteadyClock::duration to_delay(std::chrono::duration<Rep, Period> d) noexcept {
  using LongNs = std::chrono::duration<long double, std::nano>;
  constexpr SteadyClock::duration kMax = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::nanoseconds(std::int64_t{1} << 62));
  if constexpr (std::is_floating_point_v<Rep>) {
    const long double ns = LongNs(d).count();
    if (!(ns > 0)) return SteadyClock::duration::zero();  // also NaN
    if (!(ns < static_cast<long double>(std::chrono::nanoseconds(kMax).count()))) return kMax;
    return std::chrono::ceil<SteadyClock::duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(ns))));
  } else {
    if (d <= d.zero()) return SteadyClock::duration::zero();
    if (LongNs(d).count() >= static_cast<long double>(std::chrono::nanoseconds(kMax).count())) {
      return kMax;
    }
    return std::chrono::ceil<SteadyClock::duration>(d);
  }
}

}  // namespace detail

namespace detail {

// What Timer, Immediate and FdWatch share: a counted reference to one of the loop's records.
// Copies share the record; the last handle (or the loop's own reference) frees it.
template <class Record>
class RecordHandle {
 public:
  RecordHandle() noexcept = default;  // refers to nothing; every operation is a no-op
  RecordHandle(const RecordHandle& other) noexcept : rec_(other.rec_) {
    if (rec_) retain(rec_);
  }
  RecordHandle(RecordHandle&& other) noexcept : rec_(std::exchange(other.rec_, nullptr)) {}
  RecordHandle& operator=(RecordHandle other) noexcept {
    std::swap(rec_, other.rec_);
    return *this;
  }
  ~RecordHandle() {
    if (rec_) release(rec_);
  }

  // Whether the handle keeps its loop's run() alive (true by default).
  [[nodiscard]] bool has_ref() const noexcept { return rec_ != nullptr && rec_->refed; }
  [[nodiscard]] explicit operator bool() const noexcept { return rec_ != nullptr; }

 protected:
  explicit RecordHandle(Record* rec) noexcept : rec_(rec) { retain(rec_); }
  Record* rec_ = nullptr;
};

}  // namespace detail

// A handle on a timer (Node's Timeout object). Copies share the timer. Loop-thread only.
class Timer : public detail::RecordHandle<detail::TimerRecord> {
 public:
  Timer() noexcept = default;  // refers to no timer; every operation is a no-op

  // Cancels the timer (an interval too, also from inside its own callback). Idempotent.
  inline void clear() noexcept;
  // Restarts the full delay from now; re-arms a timer that fired or was cleared.
  inline Timer& refresh();
  // Whether the timer keeps its loop's run() alive (true by default).
  inline Timer& ref() noexcept;
  inline Timer& unref() noexcept;
  // Whether the timer is scheduled (not fired, for a one-shot; not cleared).
  [[nodiscard]] bool pending() const noexcept {
    return rec_ != nullptr && rec_->heap_index != detail::kNotInHeap;
  }

 private:
  friend class EventLoop;
  explicit Timer(detail::TimerRecord* rec) noexcept : RecordHandle(rec) {}
};

// A handle on an immediate (Node's Immediate object). Copies share it. Loop-thread only.
class Immediate : public detail::RecordHandle<detail::ImmediateRecord> {
 public:
  Immediate() noexcept = default;

  // Cancels the immediate if it has not run yet. Idempotent.
  inline void clear() noexcept;
  inline Immediate& ref() noexcept;
  inline Immediate& unref() noexcept;
  [[nodiscard]] bool pending() const noexcept { return rec_ != nullptr && rec_->queued; }

 private:
  friend class EventLoop;
  explicit Immediate(detail::ImmediateRecord* rec) noexcept : RecordHandle(rec) {}
};

// A handle on a file-descriptor watcher. Copies share it. Loop-thread only.
class FdWatch : public detail::RecordHandle<detail::FdRecord> {
 public:
  FdWatch() noexcept = default;

  // Stops watching (also from inside the callback). Idempotent.
  inline void clear() noexcept;
  inline FdWatch& ref() noexcept;
  inline FdWatch& unref() noexcept;
  [[nodiscard]] bool pending() const noexcept { return rec_ != nullptr && rec_->active; }

 private:
  friend class EventLoop;
  explicit FdWatch(detail::FdRecord* rec) noexcept : RecordHandle(rec) {}
};

class EventLoop : public std::enable_shared_from_this<EventLoop> {
 public:
  using Callback = detail::LoopCallback;

  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop() {
    close();
#if BOBBIN_EVENT_LOOP_IO_
    // Closed here, not in close(): a late post() on another thread may still write to them.
    if (wake_write_fd_ >= 0 && wake_write_fd_ != wake_read_fd_) ::close(wake_write_fd_);
    if (wake_read_fd_ >= 0) ::close(wake_read_fd_);
    if (io_fd_ >= 0) ::close(io_fd_);
#endif
  }

  // The calling thread's loop, created on first use and closed when the thread exits.
  static EventLoop& current() {
    struct Holder {
      std::shared_ptr<EventLoop> loop = std::make_shared<EventLoop>();
      Holder() { current_slot() = loop.get(); }
      ~Holder() {
        current_slot() = nullptr;
        loop->close();
      }
    };
    thread_local Holder holder;
    return *holder.loop;
  }

  // The calling thread's loop if it has one (never creates it), else null.
  [[nodiscard]] static EventLoop* current_if_any() noexcept { return current_slot(); }

  // Queues `fn` for the posted phase. Thread-safe. Returns false (and destroys `fn`) if the
  // loop is closed. Wakes the loop if it sleeps. The loop must stay alive until post()
  // returns, even if `fn` ends the loop's thread: hold `shared_from_this()` when posting to
  // another thread's `current()` loop.
  bool post(Callback fn) {
    inbox_lock_.lock();
    if (closed_) {
      inbox_lock_.unlock();
      return false;
    }
    try {
      inbox_.push_back(std::move(fn));
    } catch (...) {
      inbox_lock_.unlock();
      throw;
    }
    inbox_lock_.unlock();
    wake();
    return true;
  }

  // Loop thread: a microtask (runs after the next_tick queue is drained).
  void queue_microtask(Callback fn) { microtasks_.push(std::move(fn)); }
  // Loop thread: runs before any microtask.
  void next_tick(Callback fn) { ticks_.push(std::move(fn)); }

  template <class F, class Rep, class Period>
  Timer set_timeout(F&& fn, std::chrono::duration<Rep, Period> delay) {
    return schedule_timer(Callback(std::forward<F>(fn)), detail::to_delay(delay), false);
  }

  template <class F, class Rep, class Period>
  Timer set_interval(F&& fn, std::chrono::duration<Rep, Period> period) {
    return schedule_timer(Callback(std::forward<F>(fn)), detail::to_delay(period), true);
  }

  template <class F>
  Immediate set_immediate(F&& fn) {
    auto* rec = new detail::ImmediateRecord;
    try {
      rec->fn = Callback(std::forward<F>(fn));
    } catch (...) {
      delete rec;
      throw;
    }
    rec->loop = this;
    rec->seq = next_immediate_seq_++;
    rec->queued = true;
    detail::retain(rec);  // the queue's reference
    rec->prev = imm_tail_;
    (imm_tail_ ? imm_tail_->next : imm_head_) = rec;
    imm_tail_ = rec;
    ++refed_immediates_;
    return Immediate(rec);
  }

  // Calls `fn` in the I/O phase of each turn in which `fd` is readable (see the contract).
  template <class F>
  FdWatch watch_readable(int fd, F&& fn) {
    return watch_fd(fd, false, Callback(std::forward<F>(fn)));
  }

  // Calls `fn` in the I/O phase of each turn in which `fd` is writable.
  template <class F>
  FdWatch watch_writable(int fd, F&& fn) {
    return watch_fd(fd, true, Callback(std::forward<F>(fn)));
  }

  // Keep-alive count. Thread-safe; see the header comment for when add_ref may be called.
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_seq_cst); }
  void release_ref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_seq_cst) == 1) wake();
  }

  // Like run(), but when the loop notices an interrupt of its thread (while it waits, or
  // between callbacks) it returns false instead of throwing TerminatedError; true when it
  // ended as run() does. A blocking call inside a callback still throws from that callback.
  bool run_until_interrupted() {
    RunScope scope(*this);
    drain();
    while (!stop_requested() && alive()) {
      if (parking_lot::interrupt_requested()) [[unlikely]] return false;
      run_phases();
      if (stop_requested()) break;
      if (!wait_for_work_or_interrupt()) return false;
    }
    return true;
  }

  // Runs the loop until nothing ref'd is left or stop() is called.
  void run() {
    if (!run_until_interrupted()) throw TerminatedError("the event loop's thread was interrupted");
  }

  // One turn: runs what is ready; if nothing was, waits for something (a timer, a post) and
  // runs that. Returns whether anything ref'd is left.
  bool run_once() {
    RunScope scope(*this);
    bool ran = drain();
    ran |= turn();
    if (!ran && !stop_requested() && alive()) {
      wait_for_work();
      turn();
    }
    return alive();
  }

  // Makes the running (or the next) run() return after the callback in progress. Thread-safe.
  void stop() noexcept {
    stop_.store(true, std::memory_order_seq_cst);
    wake();
  }

  // Sets the handler of exceptions escaping callbacks (empty: rethrow out of run()).
  void on_uncaught_exception(std::function<void(std::exception_ptr)> handler) {
    uncaught_handler_ = std::move(handler);
  }

  // Whether run() would keep going: anything ref'd is left. Loop thread.
  [[nodiscard]] bool alive() const noexcept {
    if (refs_.load(std::memory_order_seq_cst) > 0 || refed_timers_ > 0 ||
        refed_immediates_ > 0 || refed_watchers_ > 0 || !ticks_.empty() || !microtasks_.empty() ||
        batch_pos_ < batch_.size()) {
      return true;
    }
    inbox_lock_.lock();
    const bool posted = !inbox_.empty();
    inbox_lock_.unlock();
    return posted;
  }

  // For tests: the key the loop parks on (`parking_lot::parked(loop.park_key())`).
  [[nodiscard]] const void* park_key() const noexcept { return &signals_; }

  // Closes the loop: later posts return false; everything queued is destroyed without running.
  // Called when the owning thread exits. Loop thread.
  void close() noexcept {
    std::vector<Callback> dropped;
    inbox_lock_.lock();
    closed_ = true;
    dropped.swap(inbox_);
    inbox_lock_.unlock();
    dropped.clear();
    batch_.clear();
    batch_pos_ = 0;
    ticks_.clear();
    microtasks_.clear();
    while (!heap_.empty()) {
      detail::TimerRecord* r = heap_.back().rec;
      heap_.pop_back();
      r->heap_index = detail::kNotInHeap;
      detail::release(r);
    }
    refed_timers_ = 0;
    while (imm_head_ != nullptr) {
      detail::ImmediateRecord* r = imm_head_;
      unlink(r);
      detail::release(r);
    }
    refed_immediates_ = 0;
    while (!fds_.empty()) {
      FdSlot& slot = fds_.begin()->second;
      unwatch(slot.read != nullptr ? slot.read : slot.write);
    }
  }

 private:
  friend class Timer;
  friend class Immediate;
  friend class FdWatch;

  struct FdSlot {
    detail::FdRecord* read = nullptr;
    detail::FdRecord* write = nullptr;
  };

  struct HeapEntry {
    detail::Deadline deadline;
    std::uint64_t seq;
    detail::TimerRecord* rec;
    [[nodiscard]] bool before(const HeapEntry& o) const noexcept {
      return deadline < o.deadline || (deadline == o.deadline && seq < o.seq);
    }
  };

  struct RunScope {
    EventLoop& loop;
    explicit RunScope(EventLoop& l) noexcept : loop(l) { ++loop.depth_; }
    ~RunScope() {
      if (--loop.depth_ == 0) loop.stop_.store(false, std::memory_order_seq_cst);
    }
  };

  static EventLoop*& current_slot() noexcept {
    thread_local EventLoop* loop = nullptr;
    return loop;
  }

  void wake() noexcept {
    signals_.fetch_add(1, std::memory_order_seq_cst);
#if BOBBIN_EVENT_LOOP_IO_
    // seq_cst: pairs with the store of in_io_wait_ before the loop re-reads signals_ and sleeps.
    if (in_io_wait_.load(std::memory_order_seq_cst)) signal_io_wake();
#endif
    parking_lot::unpark_one(&signals_);
  }

  [[nodiscard]] bool stop_requested() const noexcept {
    return stop_.load(std::memory_order_seq_cst);
  }

  // Calls a callback, routing an exception to the handler (or out of run()), then drains.
  void invoke(Callback& fn) {
    try {
      fn();
    } catch (...) {
      report(std::current_exception());
    }
    drain();
  }

  void report(std::exception_ptr e) {
    if (uncaught_handler_) {
      uncaught_handler_(std::move(e));
    } else {
      std::rethrow_exception(std::move(e));
    }
  }

  // The next_tick queue, then the microtasks, until both are empty. Returns whether any ran.
  bool drain() {
    bool ran = false;
    while (!ticks_.empty() || !microtasks_.empty()) {
      ran = true;
      while (!ticks_.empty()) call_queued(ticks_);
      while (!microtasks_.empty()) call_queued(microtasks_);
    }
    return ran;
  }

  void call_queued(detail::CallbackQueue& q) {
    Callback cb = q.pop();
    try {
      cb();
    } catch (...) {
      report(std::current_exception());
    }
  }

  // One turn: timers, posted tasks, immediates. Returns whether any callback ran.
  bool turn() {
    if (parking_lot::interrupt_requested()) [[unlikely]] {
      throw TerminatedError("the event loop's thread was interrupted");
    }
    return run_phases();
  }

  bool run_phases() {
    bool ran = run_timers();
    if (!stop_requested()) ran |= run_posted();
    if (!stop_requested() && !fds_.empty()) ran |= poll_io(0);
    if (!stop_requested()) ran |= run_immediates();
    return ran;
  }

  bool run_timers() {
    if (heap_.empty()) return false;
    const detail::Deadline now = detail::SteadyClock::now();
    const std::uint64_t limit = next_timer_seq_;
    bool ran = false;
    while (!heap_.empty() && heap_[0].deadline <= now && heap_[0].seq < limit) {
      detail::TimerRecord* r = heap_[0].rec;
      heap_remove(0);
      if (r->period > detail::SteadyClock::duration::zero()) {
        // Next point of the grid deadline + k * period after now; the heap keeps its reference.
        detail::Deadline next = r->deadline + r->period;
        if (next <= now) next += r->period * ((now - next) / r->period + 1);
        r->deadline = next;
        r->seq = next_timer_seq_++;
        heap_push(r);
        detail::retain(r);  // the running reference
      } else if (r->refed) {
        --refed_timers_;  // the heap's reference becomes the running one
      }
      struct Release {
        detail::TimerRecord* r;
        ~Release() { detail::release(r); }
      } release{r};
      ran = true;
      invoke(r->fn);
      if (stop_requested()) break;
    }
    return ran;
  }

  bool run_posted() {
    if (batch_pos_ >= batch_.size()) {
      batch_.clear();
      batch_pos_ = 0;
      inbox_lock_.lock();
      batch_.swap(inbox_);
      inbox_lock_.unlock();
      if (batch_.empty()) return false;
    }
    while (batch_pos_ < batch_.size()) {
      Callback cb = std::move(batch_[batch_pos_++]);
      invoke(cb);
      if (stop_requested()) break;
    }
    return true;
  }

  bool run_immediates() {
    const std::uint64_t limit = next_immediate_seq_;
    bool ran = false;
    while (imm_head_ != nullptr && imm_head_->seq < limit) {
      detail::ImmediateRecord* r = imm_head_;
      unlink(r);  // the queue's reference becomes the running one
      if (r->refed) --refed_immediates_;
      struct Release {
        detail::ImmediateRecord* r;
        ~Release() { detail::release(r); }
      } release{r};
      ran = true;
      invoke(r->fn);
      if (stop_requested()) break;
    }
    return ran;
  }

  void wait_for_work() {
    if (!wait_for_work_or_interrupt()) {
      throw TerminatedError("the event loop's thread was interrupted");
    }
  }

  // Waits until there may be work; false if the thread was interrupted while parked.
  [[nodiscard, gnu::noinline]] bool wait_for_work_or_interrupt() {
    const std::uint64_t seen = signals_.load(std::memory_order_seq_cst);
    if (stop_requested() || !ticks_.empty() || !microtasks_.empty() ||
        batch_pos_ < batch_.size() || imm_head_ != nullptr || !alive()) {
      return true;
    }
    inbox_lock_.lock();
    const bool posted = !inbox_.empty();
    inbox_lock_.unlock();
    if (posted) return true;
    detail::Deadline deadline = detail::kNoDeadline;
    if (!heap_.empty()) {
      deadline = heap_[0].deadline;
      if (deadline <= detail::SteadyClock::now()) return true;
    }
#if BOBBIN_EVENT_LOOP_IO_
    if (!fds_.empty()) {
      io_sleep(seen, deadline);
      return true;
    }
#endif
    const parking_lot::ParkResult result = parking_lot::park_until(
        &signals_, [&] { return signals_.load(std::memory_order_seq_cst) == seen; },
        parking_lot::detail::NoOp{}, deadline);
    return result != parking_lot::ParkResult::interrupted;
  }

#if BOBBIN_EVENT_LOOP_IO_
  struct Ready {
    int fd;
    bool readable;
    bool writable;
  };
  static constexpr int kMaxReady = 64;

  void ensure_io() {
    if (io_ready_) return;
#if BOBBIN_EVENT_LOOP_EPOLL_
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throw Error("event loop: epoll_create1 failed");
    const int wfd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wfd < 0) {
      ::close(ep);
      throw Error("event loop: eventfd failed");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wfd;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, wfd, &ev) != 0) {
      ::close(wfd);
      ::close(ep);
      throw Error("event loop: epoll_ctl failed");
    }
    io_fd_ = ep;
    wake_read_fd_ = wake_write_fd_ = wfd;
#else
    int p[2];
    if (::pipe(p) != 0) throw Error("event loop: pipe failed");
    for (const int fd : p) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    wake_read_fd_ = p[0];
    wake_write_fd_ = p[1];
#endif
    // The wake descriptors are published to other threads by the seq_cst store of in_io_wait_.
    io_ready_ = true;
  }

  // Registers the slot's combined interest (or removes it). Returns false on failure.
  bool update_interest([[maybe_unused]] int fd, [[maybe_unused]] const FdSlot& slot,
                       [[maybe_unused]] bool registered) noexcept {
#if BOBBIN_EVENT_LOOP_EPOLL_
    const std::uint32_t mask = (slot.read != nullptr ? std::uint32_t{EPOLLIN} : 0u) |
                               (slot.write != nullptr ? std::uint32_t{EPOLLOUT} : 0u);
    if (mask == 0) {
      ::epoll_ctl(io_fd_, EPOLL_CTL_DEL, fd, nullptr);  // the fd may be closed already
      return true;
    }
    epoll_event ev{};
    ev.events = mask;
    ev.data.fd = fd;
    if (::epoll_ctl(io_fd_, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0) {
      return true;
    }
    // Registration state out of sync (the fd was closed and reused): try the other way.
    return ::epoll_ctl(io_fd_, registered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
#else
    return true;  // poll() reads fds_ at every wait
#endif
  }

  void signal_io_wake() noexcept {
#if BOBBIN_EVENT_LOOP_EPOLL_
    const std::uint64_t one = 1;
#else
    const char one = 1;
#endif
    [[maybe_unused]] const auto n = ::write(wake_write_fd_, &one, sizeof one);
  }

  void drain_wake_fd() noexcept {
    char buf[64];
    while (::read(wake_read_fd_, buf, sizeof buf) > 0) {
    }
  }

  // Waits up to timeout_ms (-1: no limit) for ready descriptors; fills `out`, drains wake-ups.
  int io_wait(int timeout_ms, Ready* out) {
    int count = 0;
#if BOBBIN_EVENT_LOOP_EPOLL_
    epoll_event events[kMaxReady];
    const int n = ::epoll_wait(io_fd_, events, kMaxReady, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_read_fd_) {
        drain_wake_fd();
        continue;
      }
      const std::uint32_t ev = events[i].events;
      out[count++] = Ready{fd, (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0,
                           (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0};
    }
#else
    poll_fds_.clear();
    poll_fds_.push_back(pollfd{wake_read_fd_, POLLIN, 0});
    for (const auto& [fd, slot] : fds_) {
      const short ev = static_cast<short>((slot.read != nullptr ? POLLIN : 0) |
                                          (slot.write != nullptr ? POLLOUT : 0));
      poll_fds_.push_back(pollfd{fd, ev, 0});
    }
    const int n = ::poll(poll_fds_.data(), static_cast<nfds_t>(poll_fds_.size()), timeout_ms);
    if (n <= 0) return 0;
    if (poll_fds_[0].revents != 0) drain_wake_fd();
    for (std::size_t i = 1; i < poll_fds_.size() && count < kMaxReady; ++i) {
      const short re = poll_fds_[i].revents;
      if (re == 0) continue;
      out[count++] = Ready{poll_fds_[i].fd, (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0,
                           (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) != 0};
    }
#endif
    return count;
  }

  FdWatch watch_fd(int fd, bool writable, Callback fn) {
    if (fd < 0) throw RangeError("watch: negative file descriptor");
    ensure_io();
    auto* rec = new detail::FdRecord;
    rec->fn = std::move(fn);
    rec->fd = fd;
    rec->writable = writable;
    rec->loop = this;
    FdWatch handle(rec);
    auto [it, inserted] = fds_.try_emplace(fd);
    FdSlot& slot = it->second;
    detail::FdRecord*& place = writable ? slot.write : slot.read;
    if (place != nullptr) {
      throw TypeError("watch: the descriptor already has a watcher of that kind");
    }
    place = rec;
    if (!update_interest(fd, slot, !inserted)) {
      place = nullptr;
      if (inserted) fds_.erase(it);
      throw TypeError("watch: the descriptor cannot be watched (epoll_ctl failed)");
    }
    rec->active = true;
    detail::retain(rec);  // the loop's reference
    ++refed_watchers_;
    return handle;
  }

  void unwatch(detail::FdRecord* r) noexcept {
    if (!r->active) return;
    auto it = fds_.find(r->fd);
    FdSlot& slot = it->second;
    (r->writable ? slot.write : slot.read) = nullptr;
    update_interest(r->fd, slot, true);
    if (slot.read == nullptr && slot.write == nullptr) fds_.erase(it);
    r->active = false;
    if (r->refed) --refed_watchers_;
    detail::release(r);
  }

  // Runs the callbacks of the descriptors that are ready (waiting at most timeout_ms).
  bool poll_io(int timeout_ms) {
    Ready ready[kMaxReady];
    const int n = io_wait(timeout_ms, ready);
    bool ran = false;
    for (int i = 0; i < n; ++i) {
      if (ready[i].readable) ran |= fire_watcher(ready[i].fd, false);
      if (stop_requested()) break;
      if (ready[i].writable) ran |= fire_watcher(ready[i].fd, true);
      if (stop_requested()) break;
    }
    return ran;
  }

  bool fire_watcher(int fd, bool writable) {
    auto it = fds_.find(fd);  // looked up again: an earlier callback may have cleared it
    if (it == fds_.end()) return false;
    detail::FdRecord* r = writable ? it->second.write : it->second.read;
    if (r == nullptr) return false;
    detail::retain(r);
    struct Release {
      detail::FdRecord* r;
      ~Release() { detail::release(r); }
    } release{r};
    invoke(r->fn);
    return true;
  }

  // Sleeps in epoll_wait/poll until a descriptor is ready, the deadline, or a wake().
  void io_sleep(std::uint64_t seen, detail::Deadline deadline) {
    int timeout_ms = -1;
    if (deadline != detail::kNoDeadline) {
      const auto left = deadline - detail::SteadyClock::now();
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout_ms = ms <= 0 ? 0 : (ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
    }
    // seq_cst: pairs with wake()'s load of in_io_wait_ after its increment of signals_.
    in_io_wait_.store(true, std::memory_order_seq_cst);
    if (signals_.load(std::memory_order_seq_cst) == seen && !parking_lot::interrupt_requested()) {
      Ready ready[kMaxReady];
      // Ready descriptors are level-triggered: the next turn's poll_io(0) runs their callbacks.
      (void)io_wait(timeout_ms, ready);
    }
    in_io_wait_.store(false, std::memory_order_seq_cst);
  }
#else
  FdWatch watch_fd(int, bool, Callback) {
    throw TypeError("watch_readable/watch_writable: not supported on this system");
  }
  void unwatch(detail::FdRecord*) noexcept {}
  bool poll_io(int) { return false; }
#endif

  Timer schedule_timer(Callback fn, detail::SteadyClock::duration delay, bool repeat) {
    if (repeat && delay <= detail::SteadyClock::duration::zero()) {
      delay = std::chrono::milliseconds(1);  // Node's clamp for intervals
    }
    auto* rec = new detail::TimerRecord;
    rec->fn = std::move(fn);
    rec->loop = this;
    rec->delay = delay;
    rec->period = repeat ? delay : detail::SteadyClock::duration::zero();
    Timer handle(rec);
    arm(rec);
    return handle;
  }

  // (Re)schedules a timer delay-from-now.
  void arm(detail::TimerRecord* r) {
    r->deadline = detail::SteadyClock::now() + r->delay;
    r->seq = next_timer_seq_++;
    if (r->heap_index != detail::kNotInHeap) {
      heap_remove(r->heap_index);
      heap_push(r);
      return;
    }
    if (heap_.size() == heap_.capacity()) {  // grow here, so push_back below cannot throw
      heap_.reserve(heap_.empty() ? 16 : 2 * heap_.size());
    }
    detail::retain(r);                // the heap's reference
    if (r->refed) ++refed_timers_;
    heap_push(r);
  }

  void disarm(detail::TimerRecord* r) noexcept {
    if (r->heap_index == detail::kNotInHeap) return;
    heap_remove(r->heap_index);
    if (r->refed) --refed_timers_;
    detail::release(r);
  }

  // The timer heap: a binary min-heap on (deadline, seq); each record knows its index.
  void heap_push(detail::TimerRecord* r) {
    heap_.push_back(HeapEntry{r->deadline, r->seq, r});
    sift_up(heap_.size() - 1);
  }

  // Removes the entry at i (the record keeps its references; the caller adjusts them).
  void heap_remove(std::size_t i) noexcept {
    heap_[i].rec->heap_index = detail::kNotInHeap;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = heap_[last];
      heap_[i].rec->heap_index = i;
      heap_.pop_back();
      if (i > 0 && heap_[i].before(heap_[(i - 1) / 2])) {
        sift_up(i);
      } else {
        sift_down(i);
      }
    } else {
      heap_.pop_back();
    }
  }

  void sift_up(std::size_t i) noexcept {
    const HeapEntry e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!e.before(heap_[parent])) break;
      heap_[i] = heap_[parent];
      heap_[i].rec->heap_index = i;
      i = parent;
    }
    heap_[i] = e;
    e.rec->heap_index = i;
  }

  void sift_down(std::size_t i) noexcept {
    const HeapEntry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].before(heap_[child])) ++child;
      if (!heap_[child].before(e)) break;
      heap_[i] = heap_[child];
      heap_[i].rec->heap_index = i;
      i = child;
    }
    heap_[i] = e;
    e.rec->heap_index = i;
  }

  void unlink(detail::ImmediateRecord* r) noexcept {
    (r->prev ? r->prev->next : imm_head_) = r->next;
    (r->next ? r->next->prev : imm_tail_) = r->prev;
    r->prev = r->next = nullptr;
    r->queued = false;
  }

  // Cross-thread state.
  alignas(64) std::atomic<std::uint64_t> signals_{0};  // bumped by post/stop/last release_ref
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> refs_{0};
  alignas(64) mutable detail::WordLock inbox_lock_;
  std::vector<Callback> inbox_;  // guarded by inbox_lock_
  bool closed_ = false;          // guarded by inbox_lock_

  // Loop-thread state.
  alignas(64) std::vector<Callback> batch_;  // the posted tasks being run
  std::size_t batch_pos_ = 0;
  detail::CallbackQueue ticks_;
  detail::CallbackQueue microtasks_;
  std::vector<HeapEntry> heap_;
  std::uint64_t next_timer_seq_ = 0;
  std::size_t refed_timers_ = 0;
  detail::ImmediateRecord* imm_head_ = nullptr;
  detail::ImmediateRecord* imm_tail_ = nullptr;
  std::uint64_t next_immediate_seq_ = 0;
  std::size_t refed_immediates_ = 0;
  int depth_ = 0;
  std::unordered_map<int, FdSlot> fds_;  // watched descriptors
  std::size_t refed_watchers_ = 0;
  bool io_ready_ = false;               // the descriptors below exist
  int io_fd_ = -1;                      // epoll instance (epoll backend)
  int wake_read_fd_ = -1;               // eventfd (epoll) or self-pipe (poll) for wake()
  int wake_write_fd_ = -1;
  std::atomic<bool> in_io_wait_{false};  // the loop sleeps (or is about to) in epoll/poll
#if BOBBIN_EVENT_LOOP_IO_ && !BOBBIN_EVENT_LOOP_EPOLL_
  std::vector<pollfd> poll_fds_;
#endif
  std::function<void(std::exception_ptr)> uncaught_handler_;
};

inline void Timer::clear() noexcept {
  if (rec_ != nullptr && rec_->heap_index != detail::kNotInHeap) rec_->loop->disarm(rec_);
}

inline Timer& Timer::refresh() {
  if (rec_ != nullptr && rec_->loop != nullptr) rec_->loop->arm(rec_);
  return *this;
}

inline Timer& Timer::ref() noexcept {
  if (rec_ != nullptr && !rec_->refed) {
    rec_->refed = true;
    if (rec_->heap_index != detail::kNotInHeap) ++rec_->loop->refed_timers_;
  }
  return *this;
}

inline Timer& Timer::unref() noexcept {
  if (rec_ != nullptr && rec_->refed) {
    rec_->refed = false;
    if (rec_->heap_index != detail::kNotInHeap) --rec_->loop->refed_timers_;
  }
  return *this;
}

inline void Immediate::clear() noexcept {
  if (rec_ == nullptr || !rec_->queued) return;
  EventLoop& loop = *rec_->loop;
  loop.unlink(rec_);
  if (rec_->refed) --loop.refed_immediates_;
  detail::release(rec_);  // the queue's reference; ours keeps it alive
}

inline Immediate& Immediate::ref() noexcept {
  if (rec_ != nullptr && !rec_->refed) {
    rec_->refed = true;
    if (rec_->queued) ++rec_->loop->refed_immediates_;
  }
  return *this;
}

inline Immediate& Immediate::unref() noexcept {
  if (rec_ != nullptr && rec_->refed) {
    rec_->refed = false;
    if (rec_->queued) --rec_->loop->refed_immediates_;
  }
  return *this;
}

inline void FdWatch::clear() noexcept {
  if (rec_ != nullptr && rec_->active) rec_->loop->unwatch(rec_);
}

inline FdWatch& FdWatch::ref() noexcept {
  if (rec_ != nullptr && !rec_->refed) {
    rec_->refed = true;
    if (rec_->active) ++rec_->loop->refed_watchers_;
  }
  return *this;
}

inline FdWatch& FdWatch::unref() noexcept {
  if (rec_ != nullptr && rec_->refed) {
    rec_->refed = false;
    if (rec_->active) --rec_->loop->refed_watchers_;
  }
  return *this;
}

// The current thread's loop, like JavaScript's globals.
inline void run() { EventLoop::current().run(); }

inline void queue_microtask(EventLoop::Callback fn) {
  EventLoop::current().queue_microtask(std::move(fn));
}

inline void next_tick(EventLoop::Callback fn) { EventLoop::current().next_tick(std::move(fn)); }

template <class F, class Rep, class Period>
Timer set_timeout(F&& fn, std::chrono::duration<Rep, Period> delay) {
  return EventLoop::current().set_timeout(std::forward<F>(fn), delay);
}

template <class F, class Rep, class Period>
Timer set_interval(F&& fn, std::chrono::duration<Rep, Period> period) {
  return EventLoop::current().set_interval(std::forward<F>(fn), period);
}

template <class F>
Immediate set_immediate(F&& fn) {
  return EventLoop::current().set_immediate(std::forward<F>(fn));
}

}  // namespace bobbin
