// bobbin/detail/platform.hpp — the one platform seam: futex-style waiting and large pages.
//
// All of bobbin's operating-system code is here; everything else is standard C++.
//
// 1. Sleeping. Everything in bobbin that puts a thread to sleep ends here, through the parking
//    lot:
//
//   futex_wait(word, expected, deadline)  sleeps while `word == expected`, until a wake, the
//                                         deadline, or a spurious return (callers loop);
//   futex_wake(address, count)            wakes up to `count` sleepers on `address`.
//
// Two backends, chosen here and nowhere else:
//   - Linux: the futex system call (private futexes, absolute CLOCK_MONOTONIC deadlines, which
//     is what std::chrono::steady_clock reads on Linux).
//   - Elsewhere, or with BOBBIN_FORCE_PORTABLE_FUTEX defined: an emulation over a fixed table
//     of std::mutex + std::condition_variable shards hashed by address (what the standard
//     libraries do for std::atomic::wait on platforms without a native wait).
//
// `futex_wake` may be given the address of a word that no longer exists (a waiter's stack
// frame that has returned). Both backends only hash or compare the address and never touch
// the memory, so such a late wake is at worst a spurious wake-up of whoever sleeps there now,
// and every sleeper in bobbin re-checks its condition in a loop.
//
// 2. Large buffers. map_pages(n) returns n zeroed bytes straight from the kernel, lazily
//    committed, and asks for transparent huge pages on Linux (one fault per 2 MiB instead of
//    per 4 KiB: a 64 MiB clone runs about four times faster); unmap_pages gives them back.
//    Elsewhere they are calloc and free.
//
// 3. An asymmetric fence (Linux x86, membarrier(2); BOBBIN_NO_MEMBARRIER turns it off):
//    heavy_barrier() makes every running thread of the process execute a full memory barrier,
//    so a hot path may publish with a release store where the store-buffering pattern would
//    otherwise need a seq_cst store (see below). Its caller must issue it only when it is
//    really about to sleep (after its own spin), never on a hand-off that spinning covers:
//    a system call per park made a blocking ring ping-pong go from 0.24 to 0.97 µs.
//
// 4. Threads (for workers). `NativeThread(stack_size, fn)` starts a joinable thread that runs
//    `fn` with a stack of at least `stack_size` bytes (0: the system default); pthreads on
//    POSIX, std::thread (which cannot choose a stack size) elsewhere. `set_current_thread_name`
//    names the calling thread for the OS (debuggers, `top -H`, /proc/<pid>/task/*/comm; Linux
//    keeps the first 15 bytes), `current_thread_name()` reads it back ("" where unsupported).
//
// Memory ordering: none of its own. The caller publishes its state change with an atomic store
// before calling futex_wake, and the sleeper re-reads that state with an acquire load after
// futex_wait returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#if defined(__linux__) && !defined(BOBBIN_FORCE_PORTABLE_FUTEX)
#define BOBBIN_FUTEX_LINUX_ 1
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/mman.h>

#include <cerrno>
#include <ctime>
#else
#include <cstdlib>
#define BOBBIN_FUTEX_LINUX_ 0
#include <condition_variable>
#include <mutex>
#endif

#if defined(__unix__) || defined(__APPLE__)
#define BOBBIN_PTHREADS_ 1
#include <pthread.h>
#include <climits>
#include <unistd.h>
#else
#define BOBBIN_PTHREADS_ 0
#endif
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__)) && \
    !defined(BOBBIN_NO_MEMBARRIER)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#define BOBBIN_MEMBARRIER_ 1
#else
#define BOBBIN_MEMBARRIER_ 0
#endif

namespace bobbin::detail {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

// A deadline that never comes.
inline constexpr Deadline kNoDeadline = Deadline::max();

#if BOBBIN_FUTEX_LINUX_

inline void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       Deadline deadline) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
                "the futex word must be a plain 32-bit integer");
  if (deadline == kNoDeadline) {
    ::syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
    return;
  }
  const auto since_epoch = deadline.time_since_epoch();
  if (since_epoch.count() < 0) return;  // a deadline before the clock's epoch has passed
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
  // FUTEX_WAIT_BITSET takes an absolute deadline on CLOCK_MONOTONIC (steady_clock's clock).
  ::syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, expected, &ts, nullptr,
            FUTEX_BITSET_MATCH_ANY);
}

inline void futex_wake(const void* address, int count) noexcept {
  ::syscall(SYS_futex, address, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

#else  // the portable emulation

struct FutexShard {
  std::mutex mutex;
  std::condition_variable cv;
};

inline FutexShard& futex_shard(const void* address) noexcept {
  static FutexShard shards[64];
  const auto bits = reinterpret_cast<std::uintptr_t>(address);
  return shards[(bits >> 2) * 0x9E3779B97F4A7C15ull >> 58];
}

inline void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                       Deadline deadline) noexcept {
  FutexShard& shard = futex_shard(&word);
  std::unique_lock lock(shard.mutex);
  // Checked under the shard's mutex, which futex_wake takes too: a wake that follows the
  // caller's store cannot slip in between this check and the sleep.
  if (word.load(std::memory_order_acquire) != expected) return;
  if (deadline == kNoDeadline) {
    shard.cv.wait(lock);
  } else {
    shard.cv.wait_until(lock, deadline);
  }
}

inline void futex_wake(const void* address, int /*count*/) noexcept {
  FutexShard& shard = futex_shard(address);
  { std::lock_guard lock(shard.mutex); }
  // Sleepers of several addresses share a shard, so wake them all; each re-checks its word.
  shard.cv.notify_all();
}

#endif

#if BOBBIN_FUTEX_LINUX_

// `bytes` zeroed bytes from the kernel (null on failure), huge pages requested.
inline void* map_pages(std::size_t bytes) noexcept {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
#if defined(MADV_HUGEPAGE)
  ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint: ignored where huge pages are off
#endif
  return p;
}

inline void unmap_pages(void* p, std::size_t bytes) noexcept { ::munmap(p, bytes); }

#else

inline void* map_pages(std::size_t bytes) noexcept { return std::calloc(bytes, 1); }
inline void unmap_pages(void* p, std::size_t /*bytes*/) noexcept { std::free(p); }

#endif

// An asymmetric store-buffering fence (Linux, x86). The frequent side publishes with a release
// store followed by a compiler-only barrier; the rare side (a thread about to sleep) calls
// heavy_barrier(), which makes every running thread of the process execute a full memory
// barrier before it returns (membarrier(2), private expedited). Either the frequent side's
// next load comes after its barrier and sees everything the rare side did before the call, or
// its earlier store was drained by that barrier and is visible to the rare side's loads after
// the call. On x86 this replaces an xchg per operation by a system call per sleep. Where
// membarrier is unavailable `asymmetric_fence_available()` is false and callers use seq_cst
// stores (on ARM a seq_cst store is already as cheap as a release store).
inline bool asymmetric_fence_available() noexcept {
#if BOBBIN_MEMBARRIER_
  static const bool available = [] {
    const long commands = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return commands >= 0 && (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
           syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  }();
  return available;
#else
  return false;
#endif
}

inline void heavy_barrier() noexcept {
#if BOBBIN_MEMBARRIER_
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) return;
#endif
  // Not reached once membarrier is available; a full barrier of our own (an RMW, which
  // ThreadSanitizer understands, unlike a fence) at least orders this thread.
  static std::atomic<int> word{0};
  word.fetch_add(0, std::memory_order_seq_cst);
}

// A CPU hint for spin-wait loops (x86 `pause`, ARM `yield`).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// A joinable thread with a chosen stack size. Move-only; it must be joined before it is
// destroyed or assigned to (as std::thread, except that a violation is a join, not terminate).
class NativeThread {
 public:
  NativeThread() noexcept = default;

  // Starts `fn()` on a new thread whose stack holds at least `stack_size` bytes (0: the
  // default; too small a size is raised to the system minimum). Throws std::system_error if
  // the thread cannot be created; `fn` is then destroyed without running.
  template <class F>
  NativeThread(std::size_t stack_size, F&& fn) {
#if BOBBIN_PTHREADS_
    using Fn = std::decay_t<F>;
    auto owned = std::make_unique<Fn>(std::forward<F>(fn));
    pthread_attr_t attr;
    if (int rc = ::pthread_attr_init(&attr); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "pthread_attr_init");
    }
    if (stack_size != 0) {
      std::size_t size = stack_size;
#if defined(PTHREAD_STACK_MIN)
      const auto minimum = static_cast<std::size_t>(PTHREAD_STACK_MIN);
      if (size < minimum) size = minimum;
#endif
      const long page = ::sysconf(_SC_PAGESIZE);
      const std::size_t unit = page > 0 ? static_cast<std::size_t>(page) : 4096;
      size = (size + unit - 1) / unit * unit;
      ::pthread_attr_setstacksize(&attr, size);  // on failure: the default stack
    }
    const int rc = ::pthread_create(&handle_, &attr, &run<Fn>, owned.get());
    ::pthread_attr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "pthread_create");
    owned.release();  // the thread owns it now
    joinable_ = true;
#else
    (void)stack_size;
    thread_ = std::thread(std::forward<F>(fn));
#endif
  }

  NativeThread(NativeThread&& other) noexcept { swap(other); }
  NativeThread& operator=(NativeThread&& other) noexcept {
    if (this != &other) {
      join();
      swap(other);
    }
    return *this;
  }
  NativeThread(const NativeThread&) = delete;
  NativeThread& operator=(const NativeThread&) = delete;
  ~NativeThread() { join(); }

  [[nodiscard]] bool joinable() const noexcept {
#if BOBBIN_PTHREADS_
    return joinable_;
#else
    return thread_.joinable();
#endif
  }

  // Waits for the thread to end (no-op if not joinable). Not a parking-lot wait: it is not
  // interrupted by parking_lot::interrupt.
  void join() noexcept {
#if BOBBIN_PTHREADS_
    if (joinable_) {
      ::pthread_join(handle_, nullptr);
      joinable_ = false;
    }
#else
    if (thread_.joinable()) thread_.join();
#endif
  }

 private:
  void swap(NativeThread& other) noexcept {
#if BOBBIN_PTHREADS_
    std::swap(handle_, other.handle_);
    std::swap(joinable_, other.joinable_);
#else
    std::swap(thread_, other.thread_);
#endif
  }

#if BOBBIN_PTHREADS_
  template <class Fn>
  static void* run(void* arg) noexcept {
    std::unique_ptr<Fn> fn(static_cast<Fn*>(arg));
    (*fn)();
    return nullptr;
  }

  pthread_t handle_{};
  bool joinable_ = false;
#else
  std::thread thread_;
#endif
};

// Names the calling thread for the OS, truncated to what the OS keeps (15 bytes on Linux).
inline void set_current_thread_name(std::string_view name) noexcept {
#if BOBBIN_PTHREADS_ && (defined(__linux__) || defined(__APPLE__))
  char buf[16] = {};
  std::size_t n = name.size() < 15 ? name.size() : 15;
  for (std::size_t i = 0; i < n; ++i) buf[i] = name[i];
#if defined(__APPLE__)
  ::pthread_setname_np(buf);
#else
  ::pthread_setname_np(::pthread_self(), buf);
#endif
#else
  (void)name;
#endif
}

// The calling thread's name as the OS knows it ("" where unsupported).
inline std::string current_thread_name() {
#if BOBBIN_PTHREADS_ && (defined(__linux__) || defined(__APPLE__))
  char buf[64] = {};
  if (::pthread_getname_np(::pthread_self(), buf, sizeof buf) != 0) return {};
  return std::string(buf);
#else
  return {};
#endif
}

}  // namespace bobbin::detail
