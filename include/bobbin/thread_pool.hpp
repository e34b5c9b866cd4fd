// bobbin/thread_pool.hpp — ThreadPool, the Piscina of C++: a growing and shrinking pool of
// threads that runs callables and gives their results back as promises.
//
//   bobbin::ThreadPool pool({.max_threads = 4, .max_queue = bobbin::auto_queue});
//   bobbin::Promise<double> root = pool.run([](double x) { return std::sqrt(x); }, 9.0);
//   double r = root.get();                                   // 3; no loop needed
//   pool.run({.signal = controller.signal(), .timeout = 50ms}, [](std::stop_token st) { ... });
//   pool.post([] { log("fire and forget"); });               // no promise
//   pool.run([]() -> bobbin::Async<int> { co_await bobbin::sleep(1ms); co_return 1; });
//   pool.close().get();                                      // queued work finishes first
//
// Options (`PoolOptions`, fields in this order):
//   - `min_threads` (default 1; 0 allowed): started at construction, never retired.
//   - `max_threads`: the book's size rule: 0 (default) = the number of cores, negative n =
//     cores + n, and at least 1. `min_threads > max_threads` throws RangeError.
//   - `max_queue`: tasks allowed to wait beyond the pool's capacity (`max_threads ×
//     concurrent_tasks_per_worker` running tasks); unbounded by default, `bobbin::auto_queue`
//     = max_threads². 0 means "no queue": a task is accepted only if a slot is free.
//   - `idle_timeout` (default 1 s; Piscina's is 0): a thread above `min_threads` with nothing to
//     do for this long exits. `std::chrono::nanoseconds::max()` keeps threads forever.
//   - `concurrent_tasks_per_worker` (default 1): how many `Async<T>` tasks one thread may have
//     in flight (a suspended coroutine frees its thread for the next one).
//   - `name`: the pool threads' name (shown by debuggers; Linux keeps 15 characters).
//   - `dispatch`: `Dispatch::shared_queue` (default, like Piscina: one FIFO queue, any free
//     thread takes the next task) or the book's RpcWorkerPool strategies `round_robin` (cycles
//     0..n-1), `random`, `least_busy` (fewest unfinished tasks, ties to the lowest index): each
//     thread then has its own FIFO queue and the task is assigned at submission; such a pool has
//     exactly `max_threads` threads for its whole life (no growth, no idle exit).
//
// Rules:
//   - `run(fn, args...)` / `run(RunOptions{signal, timeout}, fn, args...)` return `Promise<R>`,
//     R being what `fn(args...)` returns, or U if it returns `Async<U>`/`Promise<U>`. Arguments
//     are copied or moved into the task (copy = clone, move = transfer) and moved into `fn`.
//     A task whose first parameter is `std::stop_token` or `bobbin::AbortSignal` receives one
//     that fires when its run is aborted or times out.
//   - A task that throws rejects its promise; the pool stays healthy. `post(fn)` has no promise:
//     an exception goes to the handler set with `on_error(fn)` (default: one line on stderr).
//     `post` throws QueueFullError/ClosedError itself where `run` would reject.
//   - `Async<T>` tasks start on the pool thread and resume on that thread's event loop; one
//     thread keeps up to `concurrent_tasks_per_worker` of them in flight. A pool thread also
//     runs the continuations its tasks attached there (`then` inside a task works).
//   - Growth: a submission that finds every slot busy starts a thread (up to max_threads).
//   - Back-pressure: `queue_size()` = unfinished tasks beyond capacity (never negative);
//     `run` rejects with QueueFullError exactly when `queue_size() >= max_queue()` (for
//     max_queue 0: when no slot is free). `needs_drain()` is true once the queue is at its limit
//     (for an unbounded queue: once any task waits); `on_drain(fn)` runs fn (on the thread that
//     finished the task) each time the queue empties after `needs_drain()` was seen true;
//     `drain()` settles when `queue_size() == 0`, at once if it already is.
//   - Abort: a signal already aborted rejects at once with its reason, and nothing runs (the
//     arguments are not consumed); aborted while queued, the task is removed (its promise
//     rejects with the reason, queue_size() drops, later tasks still run); aborted while
//     running, its stop_token/AbortSignal fires and the promise rejects at once with the reason
//     (an AbortError by default). The task itself runs on until it returns (C++ threads cannot be
//     killed); its result is dropped.
//   - `timeout` counts from submission, like `AbortSignal::timeout`: when it passes first the
//     promise rejects with TimeoutError, in whichever state the task is (queued or running).
//   - `close()` rejects new work with ClosedError, lets queued work finish; `destroy()` also
//     rejects every task that has not started with TerminatedError. Both return a promise that
//     settles when no accepted task is left (every promise settled, every post error reported).
//     The destructor closes and waits for all work.
//   - Nested waits: `get()` on any promise from a pool thread runs this pool's queued tasks
//     while it waits, so a task that waits for tasks of its own pool never deadlocks it, even
//     with one thread (helping nests on the waiting thread's stack). Once the queue is empty it
//     parks until the promise settles (tasks queued later go to other threads or new ones). A
//     pool thread whose loop has work (Async tasks in flight) runs that loop instead.
//   - Metrics: `completed()` counts every task that ran to its end (returned or threw), before
//     its promise settles; `run_time()`, `wait_time()` (submission to start) are Histograms with
//     nearest-rank percentiles over log-linear buckets (1/16 relative resolution, exact `count`,
//     `mean` and `max`); `utilization()` = total run time / (age × max_threads), in [0, 1].
//     Tasks are timed with the CPU's tick counter on x86 (converted at the rate measured since
//     the pool was made), steady_clock elsewhere.
//   - `ThreadPool::current_worker_index()` tells a task which thread of its pool runs it.
//
// How it works: one FIFO (a queue per thread in the dispatch modes): submitters append to an
// intrusive lock-free list (Vyukov's multi-producer queue: one exchange and one store per task)
// and pool threads take from it under a small spin lock of their own, the two sides on separate
// cache lines. A task, its promise state and its arguments are one allocation, recycled
// through per-thread block caches that overflow into a process-wide depot, so blocks freed by
// pool threads (post() tasks) come back to the submitter without the allocator. An idle thread
// watches its queue for about BOBBIN_POOL_SPIN_US (50 µs) without telling anyone, then registers
// as a sleeper and parks in the parking lot; a submitter unparks only when a sleeper is
// registered, so a busy pool costs no wake-up per task. Per task the pool reads the tick counter
// once at submission and once at the end (the start is the previous task's end when a thread
// goes straight on to the next one), which keeps the histograms exact.
//
// Lifetime: the pool must outlive every call on it; the destructor waits for accepted tasks. A
// task must not destroy its own pool. A task with a timeout keeps its record (its arguments
// and result) until the deadline passes, even when it finished earlier.
//
// Thread safety: every member may be called from any thread, including from pool tasks.
//
// Memory ordering: everything the submitter did before `run`/`post` happens-before the task
// runs (push links the task with a release store, which the pool thread's acquire load of that
// link pairs with; the consumer lock hands the list's head between pool threads, and the
// exchange of the list's tail is acq_rel between producers); everything the task did
// happens-before a `get()` or continuation that sees its result (promise.hpp). The counters
// `submitted_`, the per-thread `completed` counts, `cancelled_`, `closing_`, `armed_`, the
// queue's `pushed` count (incremented after the link; `popped` is a relaxed hint, TaskQueue::
// empty() says why that is sound) and sleeper counts are seq_cst where two sides must not both
// miss each other (store-buffering pairs, named at each use). Task blocks pass between threads
// through the depot: a batch is pushed with a release CAS and taken (all batches at once, so no
// ABA) with an acquire exchange, so a block's last use happens-before its reuse.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>  // std::lock_guard
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "abort.hpp"
#include "detail/platform.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "parking_lot.hpp"
#include "promise.hpp"

// How long an idle pool thread watches its queue before it parks (microseconds).
#ifndef BOBBIN_POOL_SPIN_US
#define BOBBIN_POOL_SPIN_US 50
#endif

namespace bobbin {

// PoolOptions::max_queue values.
inline constexpr std::size_t unbounded_queue = std::numeric_limits<std::size_t>::max();
inline constexpr std::size_t auto_queue = std::numeric_limits<std::size_t>::max() - 1;

// How a ThreadPool hands tasks to its threads (see the header comment).
enum class Dispatch { shared_queue, round_robin, random, least_busy };

struct PoolOptions {
  std::size_t min_threads = 1;
  int max_threads = 0;  // 0 = cores, negative = cores + n, at least 1
  std::size_t max_queue = unbounded_queue;
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(1);
  std::size_t concurrent_tasks_per_worker = 1;
  std::string name = "bobbin-pool";
  Dispatch dispatch = Dispatch::shared_queue;
};

struct RunOptions {
  AbortSignal signal{};
  std::optional<std::chrono::nanoseconds> timeout{};  // from submission; none by default
};

// A summary of durations: exact count, mean and max; nearest-rank percentiles.
struct Histogram {
  std::size_t count = 0;
  std::chrono::nanoseconds mean{0};
  std::chrono::nanoseconds p50{0};
  std::chrono::nanoseconds p95{0};
  std::chrono::nanoseconds p99{0};
  std::chrono::nanoseconds max{0};
};

// The book's pool size rule: 0 = cores, negative n = cores + n, at least 1.
[[nodiscard]] inline std::size_t pool_size(int n,
                                           unsigned cores = std::thread::hardware_concurrency()) {
  const long c = cores == 0 ? 1 : static_cast<long>(cores);
  const long s = n == 0 ? c : (n < 0 ? c + n : n);
  return static_cast<std::size_t>(std::max(s, 1L));
}

class ThreadPool;

namespace detail::pool {

using Clock = std::chrono::steady_clock;

// Task timing reads a cheap tick counter (the TSC on x86, where a steady_clock read can cost
// 20-100 ns in a VM; nanoseconds elsewhere). Ticks become nanoseconds when a histogram is read,
// at the rate measured between the pool's birth and that moment.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
#endif
}
inline std::uint64_t elapsed(std::uint64_t from, std::uint64_t to) noexcept {
  return to > from ? to - from : 0;  // TSCs of two cores may differ by a few ticks
}

inline constexpr std::uint32_t kQueued = 0;
inline constexpr std::uint32_t kRunning = 1;
inline constexpr std::uint32_t kCancelled = 2;
inline constexpr std::uint32_t kDone = 3;

// A log-linear histogram of nanoseconds with one writer (its pool thread) and any readers.
class Recorder {
 public:
  static constexpr std::size_t kBuckets = 976;

  static std::size_t bucket_of(std::uint64_t v) noexcept {
    if (v < 16) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    return static_cast<std::size_t>((msb - 3) * 16) + ((v >> (msb - 4)) & 15u);
  }
  static std::uint64_t upper_of(std::size_t i) noexcept {
    if (i < 15) return i;
    if (i + 1 >= kBuckets) return std::numeric_limits<std::uint64_t>::max();
    const std::size_t n = i + 1;  // the next bucket's lower bound, minus one
    if (n < 16) return n - 1;
    const int msb = static_cast<int>(n / 16) + 3;
    return ((16u + (n % 16)) << (msb - 4)) - 1;
  }

  // Single writer: plain load + store (relaxed: readers only need a recent snapshot).
  void record(std::uint64_t ns) noexcept {
    bump(buckets_[bucket_of(ns)], 1);
    bump(count_, 1);
    bump(sum_, ns);
    if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
  }

  struct Totals {
    std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(kBuckets, 0);
    std::uint64_t count = 0, sum = 0, max = 0;
  };
  void add_to(Totals& t) const noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) {
      t.buckets[i] += buckets_[i].load(std::memory_order_relaxed);  // relaxed: a snapshot
    }
    t.count += count_.load(std::memory_order_relaxed);              // relaxed: a snapshot
    t.sum += sum_.load(std::memory_order_relaxed);                  // relaxed: a snapshot
    t.max = std::max(t.max, max_.load(std::memory_order_relaxed));  // relaxed: a snapshot
  }
  [[nodiscard]] std::uint64_t sum() const noexcept {
    return sum_.load(std::memory_order_relaxed);  // relaxed: a snapshot (utilization)
  }

  // `scale`: nanoseconds per recorded unit.
  static Histogram summarize(const Totals& t, double scale) {
    auto ns = [scale](std::uint64_t v) {
      return std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(v) * scale));
    };
    Histogram h;
    h.count = static_cast<std::size_t>(t.count);
    if (t.count == 0) return h;
    h.mean = ns(t.sum / t.count);
    h.max = ns(t.max);
    auto rank = [&](unsigned pct) {
      const std::uint64_t r = (t.count * pct + 99) / 100;  // nearest rank: ceil(p/100 * n)
      std::uint64_t seen = 0;
      for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += t.buckets[i];
        if (seen >= r && t.buckets[i] != 0) return ns(std::min(upper_of(i), t.max));
      }
      return h.max;
    };
    h.p50 = rank(50);
    h.p95 = rank(95);
    h.p99 = rank(99);
    return h;
  }

 private:
  static void bump(std::atomic<std::uint64_t>& a, std::uint64_t by) noexcept {
    // relaxed: single writer; readers take snapshots.
    a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> buckets_[kBuckets] = {};
  std::atomic<std::uint64_t> count_{0}, sum_{0}, max_{0};
};

struct Slot;

// Task blocks (a task, its promise state and the shared_ptr control block, one allocation) are
// recycled through per-thread caches of fixed-size blocks (two size classes): a thread that frees
// many (the one that drops the promises) allocates the next ones without the allocator. A thread
// whose cache is full (a pool thread freeing post() tasks it never allocates) hands the surplus
// in batches to a process-wide depot, from which a thread with an empty cache (the submitter)
// takes every batch at once: blocks flow back from the freeing threads to the allocating one
// without the allocator (a cross-thread free costs glibc a locked arena per block). Every block
// comes from ::operator new, so it may be freed on any thread; each cache and the depot are
// bounded; a cache is emptied when its thread exits.
inline constexpr std::size_t kCacheLimit = 1u << 12;  // blocks a thread keeps for itself
inline constexpr std::size_t kBatch = 256;            // blocks per depot batch
inline constexpr std::size_t kDepotLimit = 1u << 15;  // blocks the depot keeps (per size class)

// Trivially destructible, so it stays usable while other thread_locals are destroyed; the
// Reaper empties it at thread exit and later frees bypass it.
template <std::size_t Size>
struct BlockCache {
  struct Free {
    Free* next;
    Free* batch_tail;  // the first block of a depot batch: its last block
    Free* next_batch;  // the first block of a depot batch: the next batch
    std::size_t batch_size;
  };
  static_assert(sizeof(Free) <= Size);

  // Batches pushed one at a time and taken all at once (exchange), so no ABA.
  struct Depot {
    std::atomic<Free*> top{nullptr};
    std::atomic<std::size_t> blocks{0};  // a bound, approximate under races
  };
  static inline Depot depot{};

  Free* head;  // this thread's blocks
  std::size_t size;
  Free* spill;  // the batch being filled for the depot (once head holds kCacheLimit)
  Free* spill_tail;
  std::size_t spill_size;
  bool closed;

  struct Reaper {
    BlockCache* cache;
    explicit Reaper(BlockCache* c) noexcept : cache(c) {}
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;
    ~Reaper() {
      cache->closed = true;
      while (cache->head != nullptr) {
        ::operator delete(std::exchange(cache->head, cache->head->next));
      }
      while (cache->spill != nullptr) {
        ::operator delete(std::exchange(cache->spill, cache->spill->next));
      }
      cache->size = 0;
      cache->spill_tail = nullptr;
      cache->spill_size = 0;
    }
  };

  static BlockCache& mine() noexcept {
    thread_local BlockCache cache{nullptr, 0, nullptr, nullptr, 0, false};
    thread_local Reaper reaper{&cache};
    return cache;
  }
  void* take() {
    if (head == nullptr) [[unlikely]] {
      refill();
      if (head == nullptr) return ::operator new(Size);
    }
    --size;
    return std::exchange(head, head->next);
  }
  void give(void* p) noexcept {
    if (closed) [[unlikely]] {
      ::operator delete(p);
      return;
    }
    if (size < kCacheLimit) [[likely]] {
      head = ::new (p) Free{head, nullptr, nullptr, 0};
      ++size;
      return;
    }
    spill = ::new (p) Free{spill, nullptr, nullptr, 0};
    if (spill_tail == nullptr) spill_tail = spill;
    if (++spill_size == kBatch) hand_over();
  }

 private:
  [[gnu::noinline]] void refill() noexcept {
    if (spill != nullptr) {  // our own batch in the making
      head = std::exchange(spill, nullptr);
      size = std::exchange(spill_size, 0);
      spill_tail = nullptr;
      return;
    }
    if (depot.top.load(std::memory_order_relaxed) == nullptr) return;  // relaxed: a hint
    // acquire: pairs with hand_over()'s release CAS (the batch's links, and the blocks' last
    // use on the freeing thread, happen-before we reuse them).
    Free* b = depot.top.exchange(nullptr, std::memory_order_acquire);
    std::size_t n = 0;
    Free* last = nullptr;
    while (b != nullptr) {
      Free* const next = b->next_batch;
      n += b->batch_size;
      if (last == nullptr) {
        head = b;
      } else {
        last->next = b;
      }
      last = b->batch_tail;
      b = next;
    }
    if (last != nullptr) last->next = nullptr;
    size = n;
    depot.blocks.fetch_sub(n, std::memory_order_relaxed);  // relaxed: a bound, no data
  }
  // A full batch: to the depot while it has room, else to the allocator.
  [[gnu::noinline]] void hand_over() noexcept {
    Free* const first = std::exchange(spill, nullptr);
    Free* const last = std::exchange(spill_tail, nullptr);  // the first block spilled
    const std::size_t n = std::exchange(spill_size, 0);
    // relaxed: a bound, no data (a race may overshoot it by a few batches).
    if (depot.blocks.load(std::memory_order_relaxed) >= kDepotLimit) {
      for (Free* f = first; f != nullptr;) ::operator delete(std::exchange(f, f->next));
      return;
    }
    depot.blocks.fetch_add(n, std::memory_order_relaxed);  // relaxed: as above
    first->batch_tail = last;
    first->batch_size = n;
    Free* top = depot.top.load(std::memory_order_relaxed);  // relaxed: the CAS decides
    do {
      first->next_batch = top;
      // release: pairs with refill()'s acquire exchange.
    } while (!depot.top.compare_exchange_weak(top, first, std::memory_order_release,
                                              std::memory_order_relaxed));
  }
};

template <class T>
struct BlockAllocator {
  using value_type = T;
  BlockAllocator() noexcept = default;
  template <class U>
  BlockAllocator(const BlockAllocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "over-aligned task");
    const std::size_t bytes = n * sizeof(T);
    if (bytes <= 128) return static_cast<T*>(BlockCache<128>::mine().take());
    if (bytes <= 192) return static_cast<T*>(BlockCache<192>::mine().take());
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes <= 128) {
      BlockCache<128>::mine().give(p);
    } else if (bytes <= 192) {
      BlockCache<192>::mine().give(p);
    } else {
      ::operator delete(p);
    }
  }
  template <class U>
  friend bool operator==(const BlockAllocator&, const BlockAllocator<U>&) noexcept {
    return true;
  }
};

// The queue's link: every Task is one, and so is the stub inside each queue.
struct QueueNode {
  std::atomic<QueueNode*> next{nullptr};  // written by the producer that linked after it
};

// One queued unit of work, owned through a shared_ptr (made with make_shared, together with
// the promise state for run()): `keep` is the queue's reference (the task owns itself while it is
// queued or running); an abort listener and a timeout entry hold one each (TaskRef).
struct Task : QueueNode {
  Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  virtual ~Task() = default;

  // Pool thread: runs the task and settles its promise (or arranges it for an Async task).
  virtual void run(Slot& slot, std::uint64_t start) = 0;
  // Any thread: rejects the task's promise (first settlement wins; no-op for post()).
  virtual void cancel_with(std::exception_ptr) noexcept {}
  // Any thread: fires the stop_token / AbortSignal a running task was given.
  virtual void request_stop(const std::exception_ptr&) noexcept {}

  // Drops the queue's reference (may destroy the task: touch nothing after).
  void release() noexcept { std::shared_ptr<void> last = std::move(keep); }

  std::atomic<std::uint32_t> state{kQueued};  // kQueued -> kRunning -> kDone, or -> kCancelled
  std::shared_ptr<void> keep;                 // the queue's reference (see above)
  std::uint64_t submitted = 0;                // ticks()
  ThreadPool* pool = nullptr;
  Slot* home = nullptr;        // dispatch modes: the slot it was assigned to
  AbortSignal user_signal;     // set when the caller passed one
  std::uint64_t listener = 0;  // its on_abort id (0: none)
};

// A counted reference to a task (copyable, for std::function listeners and the timer heap).
// Made while the task still holds `keep` (before it is queued, or under its queue's consumer
// lock, which no queued task leaves without).
class TaskRef {
 public:
  explicit TaskRef(Task* t) : hold_(t->keep), t_(t) {}
  [[nodiscard]] Task* get() const noexcept { return t_; }

 private:
  std::shared_ptr<void> hold_;
  Task* t_;
};

// The queue's consumer lock: held for a few pointer writes, so it spins (then yields) instead of
// sleeping; a sleeping lock turns a preempted holder into a convoy of futex waits.
class SpinLock {
 public:
  void lock() noexcept {
    // acquire: pairs with the release store in unlock().
    if (!busy_.exchange(true, std::memory_order_acquire)) [[likely]]
      return;
    lock_slow();
  }
  void unlock() noexcept {
    busy_.store(false, std::memory_order_release);
  }  // release: pairs with lock()

 private:
  [[gnu::noinline]] void lock_slow() noexcept {
    for (unsigned i = 1;; ++i) {
      if (!busy_.load(std::memory_order_relaxed) &&  // relaxed: the exchange below decides
          !busy_.exchange(true, std::memory_order_acquire)) {  // acquire: as in lock()
        return;
      }
      if (i % 32 == 0) {
        std::this_thread::yield();
      } else {
        bobbin::detail::cpu_relax();
      }
    }
  }
  std::atomic<bool> busy_{false};
};

// Backoff of a consumer that found the queue cut by a producer between its exchange and its
// link (see TaskQueue): a few pauses cover a running producer; then yield, so a preempted one
// (three threads on two cores) gets the core back instead of watching us spin.
inline void stall(unsigned n) noexcept {
  if (n < 8) {
    bobbin::detail::cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

// A FIFO of tasks with separate producer and consumer sides, each on its own cache line, so a
// submitter takes no lock and never writes the line the pool threads write.
//   - Producers (any thread, lock-free): an intrusive multi-producer list after Vyukov's MPSC
//     queue. push() exchanges `tail` for the task, links the previous tail to it (`next`, a
//     release store), then counts it in `pushed`. Between the exchange and the link the list
//     is cut: consumers see the elements before the cut, not the ones behind it, until that
//     producer links.
//   - Consumers (the pool threads, several): `lock` is the consumer lock, over `head` (the
//     oldest element not taken, or the stub) and `popped`. pop() takes the head element once it
//     has a successor; for the last one it re-pushes the stub (a node inside the queue) behind
//     it. A cut makes pop() fail with `blocked` set: its caller backs off (stall()) and retries
//     rather than waiting for a wake-up.
//   - Counts: `pushed - popped` (signed) is the size hint. An element may be popped before its
//     producer counts it, so the difference may dip below the truth (even below 0) for a
//     moment; empty() is still a sound park validation (see there).
struct TaskQueue {
  TaskQueue() noexcept : tail(&stub), head(&stub) {}
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void push(Task* t) noexcept {
    link(t);
    // seq_cst: after the link, so a count seen is a linked element. The submitting half of the
    // store-buffering pairs with a worker's sleepers increment (wake() then reads sleepers) and
    // with a retiring thread's threads_ CAS (maybe_grow() then reads threads_); both validate
    // with empty().
    pushed.fetch_add(1, std::memory_order_seq_cst);
  }

  // Takes the oldest linked task, or nullptr. `blocked`: nothing was taken because the list is
  // cut (a producer between its exchange and its link). No size-hint shortcut: the hint would
  // pull the producers' line into every pop (measured slower), and it may hide a task for a
  // moment (see empty()), which a caller about to sleep on something else (help_until) must
  // not miss. An empty queue costs the uncontended lock and one load.
  Task* pop() noexcept {
    bool blocked = false;
    return pop(blocked);
  }
  Task* pop(bool& blocked) noexcept {
    lock.lock();
    QueueNode* const h = head;
    // acquire: pairs with link()'s release store (the task's contents come with it).
    QueueNode* const next = h->next.load(std::memory_order_acquire);
    Task* t;
    if (h != &stub && next != nullptr) [[likely]] {
      head = next;
      count_pop();
      t = static_cast<Task*>(h);
    } else {
      t = pop_slow(blocked);
    }
    lock.unlock();
    return t;
  }

  // The size hint: linked-and-counted elements not taken yet (may be stale, or dip below the
  // truth as said above). Relaxed loads: a hint (idle watching); pop() decides under the lock.
  [[nodiscard]] std::int64_t size_hint() const noexcept {
    const std::uint64_t in = pushed.load(std::memory_order_relaxed);   // relaxed: a hint
    const std::uint64_t out = popped.load(std::memory_order_relaxed);  // relaxed: a hint
    return static_cast<std::int64_t>(in - out);
  }
  [[nodiscard]] bool has_work() const noexcept { return size_hint() > 0; }

  // The validation of a worker that registered (sleepers, loop_waiters_) or retired (threads_)
  // and is about to stop watching the queue. `pushed` is read seq_cst: the validating half of
  // the store-buffering pairs named in push(). Why `pushed <= popped` is sound although pops
  // and counts are not atomic together: if an element E that the read of `pushed` counted is
  // still queued, `popped` (any value read) counts at most pushed - 1 of the counted elements,
  // so if popped >= pushed it counts some element X that our read did not count; X's producer
  // counts X after our seq_cst load, so its following seq_cst read (sleepers, loop_waiters_ or
  // threads_) sees our registration and it wakes a sleeper (or spawns a thread), which takes E.
  // An element linked but not counted yet is covered the same way by its own producer. A stale
  // (smaller) `popped` only makes the queue look non-empty, and the caller watches again.
  [[nodiscard]] bool empty() const noexcept {
    const std::uint64_t in = pushed.load(std::memory_order_seq_cst);  // seq_cst: see above
    // relaxed: any value is sound (see above); nothing is published through it.
    const std::uint64_t out = popped.load(std::memory_order_relaxed);
    return static_cast<std::int64_t>(in - out) <= 0;
  }

  // Producers' line.
  alignas(64) std::atomic<QueueNode*> tail;  // the newest node (exchanged by each push)
  std::atomic<std::uint64_t> pushed{0};      // elements linked and counted
  // Consumers' line.
  alignas(64) SpinLock lock;             // the consumer lock: head, popped, and destroy()'s sweep
  QueueNode* head;                       // the oldest element not taken, or the stub
  std::atomic<std::uint64_t> popped{0};  // elements taken (written under the lock)
  // Written by the producer that links behind it and by the consumer that re-pushes it: a line
  // of its own, so neither side's line moves.
  alignas(64) QueueNode stub;
  alignas(64) std::atomic<std::uint32_t> sleepers{0};  // threads parked (or about to) on this queue

 private:
  // Appends n (a task, or the stub under the consumer lock).
  void link(QueueNode* n) noexcept {
    // relaxed: published by the release half of the exchange below (to the producer that
    // links behind n, which then writes n->next).
    n->next.store(nullptr, std::memory_order_relaxed);
    // acq_rel: release publishes n's reset link (above) to the next exchanger; acquire makes the
    // previous tail's reset link happen-before our store to it (so ours wins).
    QueueNode* const prev = tail.exchange(n, std::memory_order_acq_rel);
    // release: pairs with the acquire loads of `next` in pop()/pop_slow() and the sweep
    // (what the submitter wrote into the task, and n's reset link, come with n).
    prev->next.store(n, std::memory_order_release);
  }

  void count_pop() noexcept {
    // relaxed: one writer at a time (the consumer lock orders them); readers take hints (see
    // empty() for why any value is sound there).
    popped.store(popped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Under the lock: the head is the stub, or a task with no successor linked yet.
  // Returning nullptr at a cut loses nothing: the task of the producer that has not linked is
  // not counted in `pushed` yet (the count follows the link), so a worker that now validates
  // empty() and parks is woken by that producer (its count comes after the validation's seq_cst
  // load, so its read of `sleepers` sees the registration); counted tasks behind the cut keep
  // empty() false, so their consumers back off and retry instead of parking.
  [[gnu::noinline]] Task* pop_slow(bool& blocked) noexcept {
    QueueNode* h = head;
    // acquire: pairs with link()'s release store.
    QueueNode* next = h->next.load(std::memory_order_acquire);
    if (h == &stub) {
      if (next == nullptr) {
        // Empty, unless a producer took the stub as its predecessor and has not linked yet.
        // relaxed: only tells the caller to back off; a stale stub means retry via the hint.
        blocked = tail.load(std::memory_order_relaxed) != &stub;
        return nullptr;
      }
      head = h = next;                                 // step over the stub
      next = h->next.load(std::memory_order_acquire);  // acquire: as above
      if (next != nullptr) {
        head = next;
        count_pop();
        return static_cast<Task*>(h);
      }
    }
    // h is a task without a successor: the newest node, or the list is cut right after it.
    // relaxed: h's exchange happens-before (we reached h through acquire loads of links, or
    // the lock), so this reads h or a newer tail; the exchange in link() below decides.
    if (h != tail.load(std::memory_order_relaxed)) {
      blocked = true;  // a producer exchanged after h and has not linked yet
      return nullptr;
    }
    link(&stub);  // the stub is out of the list (h is the only element): it becomes h's successor
    next = h->next.load(std::memory_order_acquire);  // acquire: as above
    if (next == nullptr) {
      blocked = true;  // a producer exchanged between our tail read and our stub: not linked yet
      return nullptr;
    }
    head = next;
    count_pop();
    return static_cast<Task*>(h);
  }
};

// Status of a slot.
inline constexpr int kFree = 0;
inline constexpr int kLive = 1;
inline constexpr int kExited = 2;

// One thread of the pool (slots are allocated up front, max_threads of them, and reused).
struct Slot {
  std::size_t index = 0;
  std::thread thread;  // under the pool's spawn lock
  std::atomic<int> status{kFree};
  TaskQueue queue;                   // dispatch modes only
  std::atomic<std::size_t> load{0};  // dispatch modes: assigned, unfinished tasks
  Recorder run_time, wait_time;
  std::size_t inflight = 0;                 // Async tasks in flight (its thread only)
  std::atomic<std::uint64_t> completed{0};  // single writer: its thread
  std::atomic<std::uint64_t> settled{0};    // completed and its promise settled; same writer
  // Its thread only: the end of the task it just finished, when it went straight on to the
  // next one (that task's start, saving a clock read).
  std::uint64_t last_end = 0;
  bool chained = false;
  std::atomic<bool> in_loop_wait{false};
  bobbin::detail::WordLock loop_lock;
  std::shared_ptr<EventLoop> loop;  // under loop_lock
};

inline thread_local ThreadPool* tls_pool = nullptr;
inline thread_local Slot* tls_slot = nullptr;

template <class T>
struct is_promise : std::false_type {};
template <class T>
struct is_promise<Promise<T>> : std::true_type {};
template <class T>
struct is_promise<Async<T>> : std::true_type {};

// 0: fn(args...), 1: fn(std::stop_token, args...), 2: fn(AbortSignal, args...)
template <class Fn, class... Args>
constexpr int call_kind() {
  if constexpr (std::is_invocable_v<Fn, std::stop_token, Args...>) {
    return 1;
  } else if constexpr (std::is_invocable_v<Fn, AbortSignal, Args...>) {
    return 2;
  } else {
    static_assert(std::is_invocable_v<Fn, Args...>,
                  "ThreadPool::run(fn, args...): fn must be callable with the arguments "
                  "(moved in), optionally preceded by std::stop_token or bobbin::AbortSignal");
    return 0;
  }
}

template <int Kind, class Fn, class... Args>
struct raw_result;
template <class Fn, class... Args>
struct raw_result<0, Fn, Args...> {
  using type = std::invoke_result_t<Fn, Args...>;
};
template <class Fn, class... Args>
struct raw_result<1, Fn, Args...> {
  using type = std::invoke_result_t<Fn, std::stop_token, Args...>;
};
template <class Fn, class... Args>
struct raw_result<2, Fn, Args...> {
  using type = std::invoke_result_t<Fn, AbortSignal, Args...>;
};
template <class Fn, class... Args>
using raw_result_t = typename raw_result<call_kind<Fn, Args...>(), Fn, Args...>::type;

template <class Raw>
using task_result_t = typename bobbin::detail::unwrap<std::decay_t<Raw>>::type;

// Cancellation means a running task of this kind needs: a stop_source or an AbortController.
template <int Kind>
struct StopPart {};
template <>
struct StopPart<1> {
  std::stop_source source;
};
template <>
struct StopPart<2> {
  AbortController controller;
};

// The work of run()/post(): Fn and its arguments, the resolver (run only).
template <class R, bool HasPromise, class Fn, class... Args>
struct CallTask;

}  // namespace detail::pool

class ThreadPool {
 public:
  explicit ThreadPool(PoolOptions options = {});
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  // Runs fn(args...) on a pool thread; the promise settles with its result (see the header).
  template <class Fn, class... Args>
  requires(!std::is_same_v<std::remove_cvref_t<Fn>, RunOptions>) auto run(Fn&& fn, Args&&... args) {
    return run(RunOptions{}, std::forward<Fn>(fn), std::forward<Args>(args)...);
  }

  template <class Fn, class... Args>
  auto run(RunOptions options, Fn&& fn, Args&&... args) -> Promise<detail::pool::task_result_t<
      detail::pool::raw_result_t<std::decay_t<Fn>, std::decay_t<Args>...>>>;

  // Fire-and-forget: no promise; an exception goes to on_error's handler. Throws
  // QueueFullError / ClosedError where run() would reject.
  template <class Fn>
  void post(Fn&& fn);

  // The handler of exceptions from post() tasks (and uncaught ones from pool threads' loops).
  void on_error(std::function<void(std::exception_ptr)> handler) {
    std::lock_guard guard(events_mutex_);
    error_handler_ = std::move(handler);
  }

  // Back-pressure (see the header comment).
  [[nodiscard]] std::size_t queue_size() const noexcept {
    const std::size_t n = outstanding();
    return n > capacity_ ? n - capacity_ : 0;
  }
  [[nodiscard]] bool needs_drain() const noexcept { return outstanding() >= drain_threshold_; }
  void on_drain(std::function<void()> fn) {
    std::lock_guard guard(events_mutex_);
    drain_handler_ = std::move(fn);
    has_drain_handler_.store(static_cast<bool>(drain_handler_),
                             std::memory_order_relaxed);  // relaxed: a hint
  }
  Promise<void> drain();

  // Shutdown (see the header comment).
  Promise<void> close();
  Promise<void> destroy();

  // Metrics.
  [[nodiscard]] std::uint64_t completed() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < max_threads_; ++i) {
      n += slots_[i].completed.load(std::memory_order_relaxed);  // relaxed: a counter snapshot
    }
    return n;
  }
  [[nodiscard]] Histogram run_time() const { return summarize(&detail::pool::Slot::run_time); }
  [[nodiscard]] Histogram wait_time() const { return summarize(&detail::pool::Slot::wait_time); }
  [[nodiscard]] double utilization() const noexcept;
  [[nodiscard]] std::size_t threads() const noexcept {
    return threads_.load(std::memory_order_relaxed);  // relaxed: a snapshot
  }
  [[nodiscard]] std::size_t max_queue() const noexcept { return max_queue_; }
  [[nodiscard]] std::size_t max_threads() const noexcept { return max_threads_; }
  [[nodiscard]] std::size_t min_threads() const noexcept { return min_threads_; }
  [[nodiscard]] Dispatch dispatch() const noexcept { return dispatch_; }

  // The index (0..max_threads-1) of the pool thread running the caller, if it is one.
  [[nodiscard]] static std::optional<std::size_t> current_worker_index() noexcept {
    if (detail::pool::tls_slot == nullptr) return std::nullopt;
    return detail::pool::tls_slot->index;
  }

 private:
  template <class R, bool HasPromise, class Fn, class... Args>
  friend struct detail::pool::CallTask;
  using Task = detail::pool::Task;
  using Slot = detail::pool::Slot;
  using TaskQueue = detail::pool::TaskQueue;
  using Clock = detail::pool::Clock;

  struct Helper final : bobbin::detail::WaitHelper {
    ThreadPool* pool = nullptr;
    Slot* slot = nullptr;
    void help_until(bobbin::detail::StateBase& state) override;
  };

  // Admission: counts the task in; nullptr or the error to reject with.
  std::exception_ptr admit() noexcept;
  void unadmit() noexcept {
    submitted_.fetch_sub(1, std::memory_order_seq_cst);  // seq_cst: see check_armed()
    check_armed();
  }
  // Accepted tasks not finished or removed: submitted - completed - cancelled. Reads the
  // finished side first, so the result never counts a task as finished before submitted.
  [[nodiscard]] std::size_t outstanding() const noexcept {
    std::uint64_t done = cancelled_.load(std::memory_order_seq_cst);  // seq_cst: see check_armed()
    for (std::size_t i = 0; i < max_threads_; ++i) {
      done += slots_[i].completed.load(std::memory_order_seq_cst);  // seq_cst: see check_armed()
    }
    const std::uint64_t in = submitted_.load(std::memory_order_seq_cst);  // seq_cst: as above
    return in > done ? static_cast<std::size_t>(in - done) : 0;
  }
  // Accepted tasks whose promise has not settled yet (or whose error is still being reported):
  // close() settles only when this is zero, so nothing of the pool's runs after it.
  [[nodiscard]] std::size_t unsettled() const noexcept {
    std::uint64_t done = cancelled_.load(std::memory_order_seq_cst);  // seq_cst: see check_armed()
    for (std::size_t i = 0; i < max_threads_; ++i) {
      done += slots_[i].settled.load(std::memory_order_seq_cst);  // seq_cst: see check_armed()
    }
    const std::uint64_t in = submitted_.load(std::memory_order_seq_cst);  // seq_cst: as above
    return in > done ? static_cast<std::size_t>(in - done) : 0;
  }
  void submit(Task* t);
  void attach_cancellation(Task* t, const RunOptions& options);
  void spawn_slow();
  void maybe_grow() {
    // seq_cst: store-buffering with a retiring thread (threads_ CAS, then the queue count).
    const std::size_t n = threads_.load(std::memory_order_seq_cst);
    if (n >= max_threads_ || dispatch_ != Dispatch::shared_queue) return;
    if (n != 0 && outstanding() <= n * per_worker_) return;
    spawn_slow();
  }
  void wake(TaskQueue& q) {
    // seq_cst: the submitting half of the store-buffering pair with a worker's sleepers
    // increment and its seq_cst validation of the queue count.
    if (q.sleepers.load(std::memory_order_seq_cst) > 0) parking_lot::unpark_one(&q);
    if (loop_waiters_.load(std::memory_order_seq_cst) > 0) wake_loop_waiters();  // seq_cst: same
  }
  void wake_loop_waiters();
  Slot& pick_slot();

  void worker_main(Slot& slot);
  bool spin_for_work(const TaskQueue& q) const noexcept;
  void execute(Slot& slot, Task* t);
  void task_finished(Slot& slot, Task& t, std::uint64_t start);
  // After the promise of a finished task settled (or its error was reported).
  void task_settled(Slot& slot) noexcept {
    // Single writer (this thread): load + store. seq_cst store: see check_armed().
    slot.settled.store(slot.settled.load(std::memory_order_relaxed) + 1,
                       std::memory_order_seq_cst);
    check_armed();
  }
  // After a count changed: events (drain, close) wait for the queue to empty. seq_cst: the
  // counts are written seq_cst, then armed_ is read seq_cst; the arming side writes armed_,
  // then reads the counts (store-buffering: one of the two sees the other).
  void check_armed() noexcept {
    if (armed_.load(std::memory_order_seq_cst) &&
        (outstanding() <= capacity_ || unsettled() == 0)) {
      fire_events();
    }
  }
  void fire_events() noexcept;
  void arm_drain_edge();
  void cancel(Task* t, std::exception_ptr reason) noexcept;
  void cancel_queued(Task* t) noexcept;  // accounting of a task removed from its queue
  void drop_listener(Task& t) noexcept;
  void report_error(std::exception_ptr e) noexcept;
  void stop_threads() noexcept;
  Histogram summarize(detail::pool::Recorder Slot::*which) const;

  // Timeouts: a lazily started timer thread with a heap of deadlines.
  struct TimeoutEntry {
    Clock::time_point deadline;
    detail::pool::TaskRef task;
    bool operator<(const TimeoutEntry& o) const noexcept { return deadline > o.deadline; }
  };
  void add_timeout(Task* t, std::chrono::nanoseconds after);
  void timer_main();

  // Configuration.
  std::size_t min_threads_;
  std::size_t max_threads_;
  std::size_t per_worker_;
  std::size_t capacity_;
  std::size_t max_queue_;
  std::size_t limit_;            // reject when outstanding() >= limit_
  std::size_t drain_threshold_;  // needs_drain when outstanding() >= this
  std::chrono::nanoseconds idle_timeout_;
  std::string name_;
  Dispatch dispatch_;
  Clock::time_point born_ = Clock::now();
  std::uint64_t born_ticks_ = detail::pool::ticks();
  double ns_per_tick() const noexcept;

  std::unique_ptr<Slot[]> slots_;
  TaskQueue shared_;

  alignas(64) std::atomic<std::uint64_t> submitted_{0};  // accepted (written by submitters only)
  alignas(64) std::atomic<std::uint64_t> cancelled_{0};  // removed from a queue unstarted
  alignas(64) std::atomic<std::size_t> threads_{0};
  std::atomic<std::size_t> rr_{0};
  std::atomic<std::uint32_t> loop_waiters_{0};
  std::atomic<bool> closing_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> armed_{false};
  std::atomic<bool> has_drain_handler_{false};

  bobbin::detail::WordLock spawn_mutex_;  // thread creation and joins

  bobbin::detail::WordLock events_mutex_;  // the fields below
  std::atomic<bool> drain_edge_{false};    // written under the mutex
  std::function<void()> drain_handler_;
  std::function<void(std::exception_ptr)> error_handler_;
  std::vector<Resolver<void>> drain_waiters_;
  std::vector<Resolver<void>> close_waiters_;
  bool closed_ = false;  // close promises settled

  bobbin::detail::WordLock timer_mutex_;  // the fields below
  std::vector<TimeoutEntry> timeouts_;
  std::thread timer_thread_;
  bool timer_stop_ = false;
  std::atomic<std::uint32_t> timer_epoch_{0};
};

namespace detail::pool {

struct NoState {};
template <class R, bool HasPromise>
using StatePart = std::conditional_t<HasPromise, bobbin::detail::State<R>, NoState>;

template <class R, bool HasPromise, class Fn, class... Args>
struct CallTask final : StatePart<R, HasPromise>, Task, StopPart<call_kind<Fn, Args...>()> {
  static constexpr int kKind = call_kind<Fn, Args...>();
  using Raw = raw_result_t<Fn, Args...>;
  static constexpr bool kAsync = is_promise<std::decay_t<Raw>>::value;

  template <class F, class... A>
  explicit CallTask(F&& f, A&&... a) : fn(std::forward<F>(f)), args(std::forward<A>(a)...) {}

  Raw call() {
    return std::apply(
        [this](auto&&... a) -> Raw {
          if constexpr (kKind == 1) {
            return std::invoke(std::move(fn), this->source.get_token(), std::move(a)...);
          } else if constexpr (kKind == 2) {
            return std::invoke(std::move(fn), this->controller.signal(), std::move(a)...);
          } else {
            return std::invoke(std::move(fn), std::move(a)...);
          }
        },
        args);
  }

  void run(Slot& slot, std::uint64_t start) override {
    if constexpr (kAsync) {
      std::shared_ptr<bobbin::detail::State<R>> inner;
      try {
        inner = bobbin::detail::state_of(Promise<R>(call()));
      } catch (...) {
        pool->task_finished(slot, *this, start);
        settle_error(std::current_exception());
        pool->task_settled(slot);
        return;
      }
      ++slot.inflight;
      inner->attach(bobbin::detail::make_reaction(
          [ref = TaskRef(this), &slot, start](bobbin::detail::StateBase& b) noexcept {
            auto* self = static_cast<CallTask*>(ref.get());
            auto& s = static_cast<bobbin::detail::State<R>&>(b);
            --slot.inflight;
            self->pool->task_finished(slot, *self, start);
            if (s.load() == bobbin::detail::kRejected) {
              self->settle_error(s.error);
            } else if constexpr (HasPromise) {
              if constexpr (std::is_void_v<R>) {
                self->settle_value();
              } else {
                self->settle_value(*s.value);
              }
            }
            self->pool->task_settled(slot);
          }));
    } else {
      std::optional<bobbin::detail::stored_t<R>> value;
      std::exception_ptr error;
      try {
        if constexpr (std::is_void_v<R>) {
          call();
          value.emplace();
        } else {
          value.emplace(call());
        }
      } catch (...) {
        error = std::current_exception();
      }
      pool->task_finished(slot, *this, start);
      if (error) {
        settle_error(std::move(error));
      } else if constexpr (HasPromise) {
        if constexpr (std::is_void_v<R>) {
          settle_value();
        } else {
          settle_value(std::move(*value));
        }
      }
      pool->task_settled(slot);
    }
  }

  template <class... V>
  void settle_value(V&&... v) noexcept {
    try {
      static_cast<bobbin::detail::State<R>&>(*this).resolve(std::forward<V>(v)...);
    } catch (...) {
      // Only a continuation's post can throw (out of memory): nothing left to tell.
    }
  }

  void settle_error(std::exception_ptr e) noexcept {
    if constexpr (HasPromise) {
      cancel_with(std::move(e));
    } else {
      pool->report_error(std::move(e));
    }
  }

  void cancel_with(std::exception_ptr e) noexcept override {
    if constexpr (HasPromise) {
      try {
        static_cast<bobbin::detail::State<R>&>(*this).reject(std::move(e));
      } catch (...) {
        // As in settle_value.
      }
    }
  }

  void request_stop(const std::exception_ptr& reason) noexcept override {
    if constexpr (kKind == 1) {
      this->source.request_stop();
    } else if constexpr (kKind == 2) {
      try {
        this->controller.abort(reason);
      } catch (...) {
      }
    }
  }

  Fn fn;
  std::tuple<Args...> args;
};

}  // namespace detail::pool

// ---- ThreadPool: construction and shutdown ---------------------------------------------------

inline ThreadPool::ThreadPool(PoolOptions options)
    : min_threads_(options.min_threads),
      max_threads_(pool_size(options.max_threads)),
      per_worker_(options.concurrent_tasks_per_worker),
      idle_timeout_(options.idle_timeout),
      name_(std::move(options.name)),
      dispatch_(options.dispatch) {
  if (per_worker_ == 0)
    throw RangeError("ThreadPool: concurrent_tasks_per_worker must be at least 1");
  if (min_threads_ > max_threads_) {
    throw RangeError("ThreadPool: min_threads and max_threads must not conflict (min > max)");
  }
  if (dispatch_ != Dispatch::shared_queue) min_threads_ = max_threads_;
  if (idle_timeout_ < std::chrono::nanoseconds::zero()) {
    throw RangeError("ThreadPool: idle_timeout must not be negative");
  }
  capacity_ = max_threads_ * per_worker_;
  max_queue_ = options.max_queue == auto_queue ? max_threads_ * max_threads_ : options.max_queue;
  limit_ = max_queue_ > std::numeric_limits<std::size_t>::max() - capacity_
               ? std::numeric_limits<std::size_t>::max()
               : capacity_ + max_queue_;
  drain_threshold_ = max_queue_ == unbounded_queue ? capacity_ + 1 : capacity_ + max_queue_;
  slots_ = std::make_unique<Slot[]>(max_threads_);
  for (std::size_t i = 0; i < max_threads_; ++i) slots_[i].index = i;
  try {
    for (std::size_t i = 0; i < min_threads_; ++i) spawn_slow();
  } catch (...) {
    stop_threads();
    for (std::size_t i = 0; i < max_threads_; ++i) {
      if (slots_[i].thread.joinable()) slots_[i].thread.join();
    }
    throw;
  }
}

inline ThreadPool::~ThreadPool() {
  try {
    close().get();  // the last finishing task (or close() itself) settles it
  } catch (...) {
    // Interrupted while waiting: still stop and join below.
  }
  stop_threads();
  {
    std::lock_guard guard(spawn_mutex_);
    for (std::size_t i = 0; i < max_threads_; ++i) {
      if (slots_[i].thread.joinable()) slots_[i].thread.join();
    }
  }
  std::vector<TimeoutEntry> left;
  {
    std::lock_guard guard(timer_mutex_);
    timer_stop_ = true;
    left.swap(timeouts_);
  }
  timer_epoch_.fetch_add(1,
                         std::memory_order_seq_cst);  // seq_cst: pairs with timer_main's validation
  parking_lot::unpark_all(&timer_epoch_);
  if (timer_thread_.joinable()) timer_thread_.join();
  left.clear();
  // Tasks cancelled while queued may still sit in the queues: free them.
  auto free_all = [](TaskQueue& q) {
    while (Task* t = q.pop()) t->release();  // never cut: no submitter is left
  };
  free_all(shared_);
  for (std::size_t i = 0; i < max_threads_; ++i) free_all(slots_[i].queue);
}

inline void ThreadPool::stop_threads() noexcept {
  stopping_.store(true, std::memory_order_seq_cst);  // seq_cst: workers validate it before parking
  parking_lot::unpark_all(&shared_);
  for (std::size_t i = 0; i < max_threads_; ++i) parking_lot::unpark_all(&slots_[i].queue);
  wake_loop_waiters();
}

inline Promise<void> ThreadPool::close() {
  auto [p, r] = Promise<void>::with_resolvers();
  {
    std::lock_guard guard(events_mutex_);
    if (closed_) {
      r.resolve();
      return p;
    }
    close_waiters_.push_back(r);
    closing_.store(true, std::memory_order_seq_cst);  // seq_cst: store-buffering with admit()
    armed_.store(true, std::memory_order_seq_cst);    // seq_cst: store-buffering with check_armed()
  }
  if (outstanding() == 0) fire_events();  // seq_cst inside: as above
  return p;
}

inline Promise<void> ThreadPool::destroy() {
  Promise<void> p = close();
  // Reject every task that has not started, walking the queues under their consumer locks.
  auto sweep = [this](TaskQueue& q) {
    std::vector<detail::pool::TaskRef> cancelled;
    cancelled.reserve(static_cast<std::size_t>(std::max<std::int64_t>(q.size_hint(), 0)) + 16);
    q.lock.lock();
    // From head on, every node is still queued (taking one needs this lock), so alive. Walk the
    // linked part: skip the stub; stop at a missing link (a producer between its exchange and
    // its link: its task and those behind it are not swept and run, like a task submitted just
    // before close()). Each task swept is cancelled here or run by a worker, never both: the
    // state CAS below decides against execute()'s.
    for (detail::pool::QueueNode* n = q.head; n != nullptr;
         n = n->next.load(std::memory_order_acquire)) {  // acquire: pairs with link()'s release
      if (n == &q.stub) continue;
      Task* const t = static_cast<Task*>(n);
      std::uint32_t expected = detail::pool::kQueued;
      // acq_rel: decides against a worker's CAS to kRunning (exactly one wins).
      if (t->state.compare_exchange_strong(expected, detail::pool::kCancelled,
                                           std::memory_order_acq_rel)) {
        cancelled.emplace_back(t);  // still queued, so `keep` is alive: no allocation can fail
      }
    }
    q.lock.unlock();
    for (auto& ref : cancelled) {
      cancel_queued(ref.get());
      ref.get()->cancel_with(std::make_exception_ptr(
          TerminatedError("ThreadPool::destroy: terminating worker thread")));
    }
  };
  sweep(shared_);
  for (std::size_t i = 0; i < max_threads_; ++i) sweep(slots_[i].queue);
  return p;
}

inline Promise<void> ThreadPool::drain() {
  auto [p, r] = Promise<void>::with_resolvers();
  {
    std::lock_guard guard(events_mutex_);
    drain_waiters_.push_back(r);
    armed_.store(true, std::memory_order_seq_cst);  // seq_cst: store-buffering with check_armed()
  }
  if (queue_size() == 0) fire_events();
  return p;
}

[[gnu::noinline]] inline void ThreadPool::arm_drain_edge() {
  std::lock_guard guard(events_mutex_);
  drain_edge_.store(true, std::memory_order_relaxed);  // relaxed: under the mutex
  armed_.store(true, std::memory_order_seq_cst);  // seq_cst: store-buffering with check_armed()
}

[[gnu::noinline]] inline void ThreadPool::fire_events() noexcept {
  std::vector<Resolver<void>> drains, closes;
  std::function<void()> handler;
  {
    std::lock_guard guard(events_mutex_);
    const std::size_t n = outstanding();
    if (n <= capacity_) {
      drains.swap(drain_waiters_);
      // relaxed: drain_edge_ is written under the mutex.
      if (drain_edge_.load(std::memory_order_relaxed) && drain_handler_) handler = drain_handler_;
      drain_edge_.store(false, std::memory_order_relaxed);
    }
    if (n == 0 && unsettled() == 0 && closing_.load(std::memory_order_relaxed) &&
        !closed_) {  // relaxed: under the mutex
      closes.swap(close_waiters_);
      closed_ = true;
    }
    armed_.store(!drain_waiters_.empty() || drain_edge_.load(std::memory_order_relaxed) ||
                     (closing_.load(std::memory_order_relaxed) && !closed_),
                 std::memory_order_seq_cst);  // seq_cst: see check_armed()
  }
  if (handler) {
    try {
      handler();
    } catch (...) {
      report_error(std::current_exception());
    }
  }
  for (auto& r : drains) r.resolve();
  if (!closes.empty()) {
    stop_threads();
    for (auto& r : closes) r.resolve();
  }
}

inline void ThreadPool::report_error(std::exception_ptr e) noexcept {
  std::function<void(std::exception_ptr)> handler;
  {
    std::lock_guard guard(events_mutex_);
    handler = error_handler_;
  }
  try {
    if (handler) {
      handler(std::move(e));
    } else {
      std::rethrow_exception(std::move(e));
    }
  } catch (const std::exception& x) {
    if (!handler)
      std::fprintf(stderr, "bobbin::ThreadPool: uncaught exception in a task: %s\n", x.what());
  } catch (...) {
    if (!handler) std::fprintf(stderr, "bobbin::ThreadPool: uncaught exception in a task\n");
  }
}

// ---- Submission ------------------------------------------------------------------------------

inline std::exception_ptr ThreadPool::admit() noexcept {
  // seq_cst: store-buffering with close() (closing_, then the counts).
  submitted_.fetch_add(1, std::memory_order_seq_cst);
  if (closing_.load(std::memory_order_seq_cst)) {  // seq_cst: as above
    unadmit();
    return std::make_exception_ptr(ClosedError("ThreadPool: the pool is closed"));
  }
  // The unbounded pool without a drain listener never reads the finishing side here.
  const bool bounded = limit_ != std::numeric_limits<std::size_t>::max();
  // relaxed: hints; arm_drain_edge() decides under the mutex.
  const bool edge = has_drain_handler_.load(std::memory_order_relaxed) &&
                    !drain_edge_.load(std::memory_order_relaxed);
  if (bounded || edge) {
    const std::size_t now = outstanding();  // ours included
    if (bounded && now > limit_) {
      unadmit();
      return std::make_exception_ptr(QueueFullError(
          max_queue_ == 0 ? "ThreadPool: no task queue available and all threads are busy"
                          : "ThreadPool: task queue is at limit"));
    }
    if (edge && now >= drain_threshold_) arm_drain_edge();
  }
  return nullptr;
}

inline ThreadPool::Slot& ThreadPool::pick_slot() {
  const std::size_t n = max_threads_;
  switch (dispatch_) {
    case Dispatch::round_robin:
      return slots_[rr_.fetch_add(1, std::memory_order_relaxed) % n];  // relaxed: a ticket
    case Dispatch::random: {
      thread_local std::uint64_t x = 0x9E3779B97F4A7C15ull ^ reinterpret_cast<std::uintptr_t>(&x);
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return slots_[x % n];
    }
    default: {
      std::size_t best = 0;
      std::size_t best_load = slots_[0].load.load(std::memory_order_relaxed);  // relaxed: a hint
      for (std::size_t i = 1; i < n; ++i) {
        const std::size_t l = slots_[i].load.load(std::memory_order_relaxed);  // relaxed: a hint
        if (l < best_load) {
          best = i;
          best_load = l;
        }
      }
      return slots_[best];
    }
  }
}

inline void ThreadPool::submit(Task* t) {
  t->pool = this;
  t->submitted = detail::pool::ticks();
  if (dispatch_ == Dispatch::shared_queue) {
    shared_.push(t);
    wake(shared_);
    maybe_grow();
  } else {
    Slot& s = pick_slot();
    t->home = &s;
    s.load.fetch_add(1, std::memory_order_relaxed);  // relaxed: a balancing hint
    s.queue.push(t);
    wake(s.queue);
  }
}

inline void ThreadPool::attach_cancellation(Task* t, const RunOptions& options) {
  if (options.signal != AbortSignal()) {
    t->user_signal = options.signal;
    detail::pool::TaskRef ref(t);
    t->listener = options.signal.on_abort(
        [ref](const std::exception_ptr& reason) { ref.get()->pool->cancel(ref.get(), reason); });
  }
  if (options.timeout) add_timeout(t, *options.timeout);
}

template <class Fn, class... Args>
auto ThreadPool::run(RunOptions options, Fn&& fn, Args&&... args)
    -> Promise<detail::pool::task_result_t<
        detail::pool::raw_result_t<std::decay_t<Fn>, std::decay_t<Args>...>>> {
  using Raw = detail::pool::raw_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;
  using R = detail::pool::task_result_t<Raw>;
  using T = detail::pool::CallTask<R, true, std::decay_t<Fn>, std::decay_t<Args>...>;
  if (options.signal.aborted()) return Promise<R>::rejected(options.signal.reason());
  if (std::exception_ptr e = admit()) return Promise<R>::rejected(std::move(e));
  std::shared_ptr<T> made;
  try {
    made = std::allocate_shared<T>(detail::pool::BlockAllocator<T>(), std::forward<Fn>(fn),
                                   std::forward<Args>(args)...);
  } catch (...) {
    unadmit();
    throw;
  }
  T* t = made.get();
  t->pool = this;
  t->keep = made;
  Promise<R> p = bobbin::detail::promise_of<R>(std::move(made));
  if (options.signal != AbortSignal() || options.timeout) {
    try {
      attach_cancellation(t, options);
    } catch (...) {
      drop_listener(*t);
      std::uint32_t s = detail::pool::kQueued;
      // relaxed: not shared with a queue yet (a listener that ran has counted it out already).
      if (t->state.compare_exchange_strong(s, detail::pool::kCancelled,
                                           std::memory_order_relaxed)) {
        unadmit();
      }
      t->release();
      throw;
    }
  }
  submit(t);
  return p;
}

template <class Fn>
void ThreadPool::post(Fn&& fn) {
  using F = std::decay_t<Fn>;
  using Raw = detail::pool::raw_result_t<F>;
  using T = detail::pool::CallTask<detail::pool::task_result_t<Raw>, false, F>;
  if (std::exception_ptr e = admit()) std::rethrow_exception(std::move(e));
  std::shared_ptr<T> made;
  try {
    made = std::allocate_shared<T>(detail::pool::BlockAllocator<T>(), std::forward<Fn>(fn));
  } catch (...) {
    unadmit();
    throw;
  }
  T* t = made.get();
  t->pool = this;
  t->keep = std::move(made);
  submit(t);
}

// ---- Cancellation ----------------------------------------------------------------------------

inline void ThreadPool::drop_listener(Task& t) noexcept {
  if (t.listener != 0) {
    (void)t.user_signal.off_abort(t.listener);
    t.listener = 0;
  }
}

inline void ThreadPool::cancel_queued(Task* t) noexcept {
  drop_listener(*t);
  if (t->home != nullptr) t->home->load.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a hint
  cancelled_.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see check_armed()
  check_armed();
}

inline void ThreadPool::cancel(Task* t, std::exception_ptr reason) noexcept {
  std::uint32_t s = detail::pool::kQueued;
  // acq_rel: decides against execute()'s CAS to kRunning (exactly one wins).
  if (t->state.compare_exchange_strong(s, detail::pool::kCancelled, std::memory_order_acq_rel)) {
    cancel_queued(t);  // counted out first, so whoever sees the rejection sees the new counts
    t->cancel_with(reason);
    return;
  }
  if (s == detail::pool::kRunning) {
    t->cancel_with(reason);
    t->request_stop(reason);
  }
}

inline void ThreadPool::add_timeout(Task* t, std::chrono::nanoseconds after) {
  const auto deadline = Clock::now() + after;
  std::lock_guard guard(timer_mutex_);
  if (!timer_thread_.joinable()) timer_thread_ = std::thread([this] { timer_main(); });
  timeouts_.push_back(TimeoutEntry{deadline, detail::pool::TaskRef(t)});
  std::push_heap(timeouts_.begin(), timeouts_.end());
  if (timeouts_.front().task.get() == t) {
    timer_epoch_.fetch_add(
        1, std::memory_order_seq_cst);  // seq_cst: pairs with timer_main's validation
    parking_lot::unpark_all(&timer_epoch_);
  }
}

inline void ThreadPool::timer_main() {
  for (;;) {
    std::vector<detail::pool::TaskRef> due;
    Clock::time_point next = Clock::time_point::max();
    std::uint32_t epoch = 0;
    {
      std::lock_guard guard(timer_mutex_);
      if (timer_stop_) return;
      const auto now = Clock::now();
      while (!timeouts_.empty() && timeouts_.front().deadline <= now) {
        std::pop_heap(timeouts_.begin(), timeouts_.end());
        due.push_back(std::move(timeouts_.back().task));
        timeouts_.pop_back();
      }
      if (!timeouts_.empty()) next = timeouts_.front().deadline;
      epoch = timer_epoch_.load(std::memory_order_seq_cst);  // seq_cst: see add_timeout
    }
    for (auto& ref : due) {
      cancel(ref.get(), std::make_exception_ptr(TimeoutError("ThreadPool: the task timed out")));
    }
    if (!due.empty()) continue;
    (void)parking_lot::park_until(
        &timer_epoch_,
        [&] {
          return timer_epoch_.load(std::memory_order_seq_cst) == epoch;
        },  // seq_cst: see add_timeout
        next);
  }
}

// ---- Threads ---------------------------------------------------------------------------------

[[gnu::noinline]] inline void ThreadPool::spawn_slow() {
  std::lock_guard guard(spawn_mutex_);
  if (stopping_.load(std::memory_order_relaxed)) return;  // relaxed: a shutdown hint
  std::size_t n = threads_.load(
      std::memory_order_relaxed);  // relaxed: changed under the mutex or by retire's CAS
  if (n >= max_threads_) return;
  for (std::size_t i = 0; i < max_threads_; ++i) {
    Slot& s = slots_[i];
    const int st =
        s.status.load(std::memory_order_acquire);  // acquire: pairs with the exit release
    if (st == detail::pool::kLive) continue;
    if (st == detail::pool::kExited && s.thread.joinable()) s.thread.join();
    if (!threads_.compare_exchange_strong(n, n + 1, std::memory_order_relaxed))
      return;  // relaxed: a count
    s.status.store(detail::pool::kLive,
                   std::memory_order_relaxed);  // relaxed: the thread start publishes
    try {
      s.thread = std::thread([this, &s] { worker_main(s); });
    } catch (...) {
      s.status.store(detail::pool::kFree, std::memory_order_relaxed);  // relaxed: no thread saw it
      threads_.fetch_sub(1, std::memory_order_relaxed);                // relaxed: a count
      if (n == 0) throw;
    }
    return;
  }
}

[[gnu::noinline]] inline void ThreadPool::wake_loop_waiters() {
  for (std::size_t i = 0; i < max_threads_; ++i) {
    Slot& s = slots_[i];
    if (!s.in_loop_wait.load(std::memory_order_seq_cst)) continue;  // seq_cst: see wake()
    s.loop_lock.lock();
    std::shared_ptr<EventLoop> loop = s.loop;
    s.loop_lock.unlock();
    if (loop) loop->post([] {});
  }
}

inline void ThreadPool::execute(Slot& slot, Task* t) {
  std::uint32_t expected = detail::pool::kQueued;
  // acq_rel: decides against cancel()'s CAS to kCancelled (exactly one wins).
  if (!t->state.compare_exchange_strong(expected, detail::pool::kRunning,
                                        std::memory_order_acq_rel)) {
    t->release();  // cancelled while queued; already accounted for
    return;
  }
  const std::uint64_t start =
      slot.chained ? std::max(slot.last_end, t->submitted) : detail::pool::ticks();
  slot.chained = false;
  slot.wait_time.record(detail::pool::elapsed(t->submitted, start));
  t->run(slot, start);
  t->release();
}

inline void ThreadPool::task_finished(Slot& slot, Task& t, std::uint64_t start) {
  const std::uint64_t end = detail::pool::ticks();
  slot.run_time.record(detail::pool::elapsed(start, end));
  t.state.store(detail::pool::kDone, std::memory_order_release);  // release: read by cancel()'s CAS
  drop_listener(t);
  if (t.home != nullptr) t.home->load.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a hint
  slot.last_end = end;
  slot.chained = true;
  // Single writer (this thread): load + store. seq_cst store: see check_armed(). Counted before
  // the settle; the events (drain, close) are checked once it has settled, in task_settled().
  slot.completed.store(slot.completed.load(std::memory_order_relaxed) + 1,
                       std::memory_order_seq_cst);
}

inline void ThreadPool::Helper::help_until(bobbin::detail::StateBase& state) {
  TaskQueue& q = pool->dispatch_ == Dispatch::shared_queue ? pool->shared_ : slot->queue;
  unsigned stalls = 0;  // pops in a row that found the queue cut by a producer mid-push
  while (state.load() == bobbin::detail::kPending) {
    // pop() looks at the list itself (not the size hint, which may hide a task for a moment):
    // we are about to sleep on the promise, not on the queue, so no submitter would wake us.
    bool blocked = false;
    if (Task* t = q.pop(blocked)) {
      stalls = 0;
      pool->execute(*slot, t);
      continue;
    }
    if (blocked) {  // the task we wait for may be behind the cut: retry, do not park
      detail::pool::stall(++stalls);
      continue;
    }
    stalls = 0;
    slot->chained = false;
    const auto r = parking_lot::park(&state, [&state] {
      // seq_cst: the validating half of promise.hpp's store-buffering pair.
      return state.status.load(std::memory_order_seq_cst) == bobbin::detail::kPending;
    });
    if (r == parking_lot::ParkResult::interrupted) {
      throw TerminatedError("Promise::get: the thread was interrupted (terminated)");
    }
  }
}

inline bool ThreadPool::spin_for_work(const TaskQueue& q) const noexcept {
  // About BOBBIN_POOL_SPIN_US at 1 GHz of ticks (shorter on a faster counter).
  const std::uint64_t until = detail::pool::ticks() + std::uint64_t{BOBBIN_POOL_SPIN_US} * 1000;
  for (unsigned i = 1;; ++i) {
    if (q.has_work()) return true;                                // a hint; pop() decides
    if (stopping_.load(std::memory_order_relaxed)) return false;  // relaxed: re-checked seq_cst
    if (i % 64 == 0) {
      if (detail::pool::ticks() >= until) return false;
      std::this_thread::yield();
    } else {
      bobbin::detail::cpu_relax();
    }
  }
}

inline void ThreadPool::worker_main(Slot& slot) {
#if defined(__linux__)
  {
    std::string n = name_.substr(0, 15);
    pthread_setname_np(pthread_self(), n.c_str());
  }
#endif
  detail::pool::tls_pool = this;
  detail::pool::tls_slot = &slot;
  EventLoop& loop = EventLoop::current();
  loop.on_uncaught_exception([this](std::exception_ptr e) { report_error(std::move(e)); });
  slot.loop_lock.lock();
  slot.loop = loop.shared_from_this();
  slot.loop_lock.unlock();
  Helper helper;
  helper.pool = this;
  helper.slot = &slot;
  bobbin::detail::wait_helper = &helper;
  TaskQueue& q = dispatch_ == Dispatch::shared_queue ? shared_ : slot.queue;
  const bool can_retire = dispatch_ == Dispatch::shared_queue;
  bool retired_exit = false;
  unsigned stalls = 0;  // pops in a row that found the queue cut by a producer mid-push

  for (;;) {
    if (slot.inflight < per_worker_) {
      bool blocked = false;
      if (Task* t = q.pop(blocked)) {
        stalls = 0;
        execute(slot, t);
        continue;
      }
      // The size hint counts tasks behind the cut, so spin_for_work() would return at once:
      // back off here (pause, then yield): this loop never spins hot on a preempted producer.
      if (blocked) {
        detail::pool::stall(++stalls);
      } else {
        stalls = 0;
      }
    }
    slot.chained = false;
    if (loop.alive() && !stopping_.load(std::memory_order_seq_cst)) {  // seq_cst: see stop_threads
      // Tasks in flight on this loop: sleep in the loop; a submission posts to wake us.
      const bool want_tasks = slot.inflight < per_worker_;
      if (want_tasks) {
        slot.in_loop_wait.store(true, std::memory_order_seq_cst);  // seq_cst: see wake()
        loop_waiters_.fetch_add(1, std::memory_order_seq_cst);     // seq_cst: see wake()
      }
      if (!want_tasks || q.empty()) loop.run_once();
      if (want_tasks) {
        loop_waiters_.fetch_sub(1, std::memory_order_seq_cst);      // seq_cst: see wake()
        slot.in_loop_wait.store(false, std::memory_order_seq_cst);  // seq_cst: see wake()
      }
      continue;
    }
    // Idle: watch the queue for a while without registering as a sleeper (submitters then
    // pay nothing to wake us), yielding now and then so a submitter sharing our core runs;
    // then park on the queue.
    if (spin_for_work(q)) continue;
    if (stopping_.load(std::memory_order_seq_cst)) break;  // seq_cst: see stop_threads
    const bool may_retire =
        can_retire && idle_timeout_ != std::chrono::nanoseconds::max() &&
        threads_.load(std::memory_order_relaxed) > min_threads_;  // relaxed: re-checked by the CAS
    q.sleepers.fetch_add(1, std::memory_order_seq_cst);           // seq_cst: see wake()
    const auto deadline = may_retire ? Clock::now() + idle_timeout_ : Clock::time_point::max();
    const auto r = parking_lot::park_until(
        &q,
        [&] {
          // seq_cst: the validating half of the store-buffering pairs with push() and
          // stop_threads().
          return q.empty() && !stopping_.load(std::memory_order_seq_cst);
        },
        deadline);
    q.sleepers.fetch_sub(1, std::memory_order_seq_cst);  // seq_cst: see wake()
    if (r == parking_lot::ParkResult::timed_out && may_retire) {
      std::size_t n = threads_.load(std::memory_order_relaxed);  // relaxed: the CAS decides
      bool retired = false;
      while (n > min_threads_) {
        // seq_cst: store-buffering with a submitter's push (count, then threads_ in maybe_grow).
        if (threads_.compare_exchange_weak(n, n - 1, std::memory_order_seq_cst)) {
          retired = true;
          break;
        }
      }
      if (retired) {
        retired_exit = true;
        if (q.empty() || stopping_.load(std::memory_order_seq_cst)) break;  // seq_cst: as above
        // Work arrived as we left: come back if there is room, else the new thread takes it.
        std::size_t m = threads_.load(std::memory_order_relaxed);  // relaxed: the CAS decides
        bool back = false;
        while (m < max_threads_) {
          if (threads_.compare_exchange_weak(m, m + 1,
                                             std::memory_order_seq_cst)) {  // seq_cst: as above
            back = true;
            break;
          }
        }
        if (!back) break;
        retired_exit = false;
      }
    }
  }
  bobbin::detail::wait_helper = nullptr;
  detail::pool::tls_slot = nullptr;
  detail::pool::tls_pool = nullptr;
  slot.loop_lock.lock();
  slot.loop.reset();
  slot.loop_lock.unlock();
  if (!retired_exit) threads_.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a count
  slot.status.store(detail::pool::kExited,
                    std::memory_order_release);  // release: pairs with spawn's acquire
}

// ---- Metrics ---------------------------------------------------------------------------------

inline double ThreadPool::ns_per_tick() const noexcept {
#if defined(__x86_64__) || defined(__i386__)
  const std::uint64_t t = detail::pool::ticks();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - born_).count();
  const std::uint64_t dt = detail::pool::elapsed(born_ticks_, t);
  return dt == 0 || ns <= 0 ? 1.0 : static_cast<double>(ns) / static_cast<double>(dt);
#else
  return 1.0;
#endif
}

inline Histogram ThreadPool::summarize(detail::pool::Recorder Slot::*which) const {
  detail::pool::Recorder::Totals t;
  for (std::size_t i = 0; i < max_threads_; ++i) (slots_[i].*which).add_to(t);
  return detail::pool::Recorder::summarize(t, ns_per_tick());
}

inline double ThreadPool::utilization() const noexcept {
  std::uint64_t busy = 0;
  for (std::size_t i = 0; i < max_threads_; ++i) busy += slots_[i].run_time.sum();
  const std::uint64_t age = detail::pool::elapsed(born_ticks_, detail::pool::ticks());
  if (busy == 0 || age == 0) return 0.0;
  const double u =
      static_cast<double>(busy) / (static_cast<double>(age) * static_cast<double>(max_threads_));
  return std::clamp(u, 0.0, 1.0);
}

}  // namespace bobbin
