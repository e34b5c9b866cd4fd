// bench/wait_notify_bench.cpp — bobbin::atomics::wait/notify beside the other ways to block on
// one 32-bit word, in the same binary and the same run.
//
//   BM_WaitNotify_PingPong<V>      two threads hand one word back and forth; time per round
//                                  trip, items_per_second = round trips per second
//   BM_WaitNotify_NotifyNobody<V>  one wake call with nobody waiting; time per call
//   BM_WaitNotify_Sleeper<V>       a timed wait nobody ends (1 ms, 50 ms); counter cpu_us is
//                                  the waiting thread's CPU time per wait
//
// Variants V: Bobbin (atomics::wait/notify on an Int32Array over a SharedArrayBuffer), Futex
// (the raw Linux system call, FUTEX_WAIT_PRIVATE/FUTEX_WAKE_PRIVATE), StdAtomic
// (std::atomic<int>::wait/notify_one), CondVar (std::mutex + std::condition_variable) and Spin
// (a pure spin with a pause hint). Every atomic variant uses sequentially consistent loads and
// stores, as bobbin's atomics (JavaScript's) must.
//
// Ping-pong protocol, the same for every variant: the benchmark thread (ping) writes turn = 1
// and wakes; a helper thread (pong) waits for turn != 0, writes turn = 0 and wakes; ping waits
// for turn == 0. Waiting is JavaScript's idiom: re-read the word, and wait only while it still
// holds the value just read. The helper is started in the benchmark body (Google Benchmark's
// ->Threads() starts threads that all run the same loop, which does not fit a ping-pong) and
// stopped by a guard: it writes turn = kStop and joins, and the helper also checks a stop flag
// after each of its writes, so it cannot overwrite kStop and sleep forever.
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "bench_support.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>
#endif

namespace {

namespace atomics = bobbin::atomics;
using std::chrono::steady_clock;

constexpr std::int32_t kStop = 2;  // the guard's last write: the helper returns

// ---------------------------------------------------------------------------------------------
// The variants. Each is a "channel" on one 32-bit word:
//   int32_t await(done)      returns the word's value once done(value) holds, blocking between
//   void publish(value)      writes the value and wakes the other side
//   void wake_one()          only the wake half of publish (for NotifyNobody)
//   bool sleep_for(v, t)     a timed wait while the word holds v; true if it timed out

// bobbin: atomics on element 0 of an Int32Array over a SharedArrayBuffer.
struct Bobbin {
  bobbin::Int32Array cell{bobbin::SharedArrayBuffer(64), 0, 1};

  template <class Done>
  std::int32_t await(Done done) {
    std::int32_t current = atomics::load(cell, 0);
    while (!done(current)) {
      atomics::wait(cell, 0, current);
      current = atomics::load(cell, 0);
    }
    return current;
  }
  void publish(std::int32_t value) {
    atomics::store(cell, 0, value);
    wake_one();
  }
  void wake_one() { static_cast<void>(atomics::notify(cell, 0, 1)); }
  bool sleep_for(std::int32_t value, std::chrono::microseconds timeout) {
    return atomics::wait(cell, 0, value, timeout) == atomics::WaitResult::timed_out;
  }
};

#if defined(__linux__)
long futex(const void* word, int op, std::int32_t value, const timespec* timeout) noexcept {
  return ::syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

// The raw system call on a std::atomic<int32_t>: a wake is a system call every time (nothing
// tracks whether anyone sleeps), and a sleep has no spinning phase.
struct Futex {
  alignas(64) std::atomic<std::int32_t> word{0};

  template <class Done>
  std::int32_t await(Done done) {
    std::int32_t current = word.load();
    while (!done(current)) {
      futex(&word, FUTEX_WAIT_PRIVATE, current, nullptr);
      current = word.load();
    }
    return current;
  }
  void publish(std::int32_t value) {
    word.store(value);
    wake_one();
  }
  void wake_one() { futex(&word, FUTEX_WAKE_PRIVATE, 1, nullptr); }
  bool sleep_for(std::int32_t value, std::chrono::microseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (word.load() == value) {
      const auto left = deadline - steady_clock::now();
      if (left <= left.zero()) return true;
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(secs.count());
      ts.tv_nsec = static_cast<long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count());
      futex(&word, FUTEX_WAIT_PRIVATE, value, &ts);  // relative timeout; loops on early returns
    }
    return false;
  }
};
#endif

// std::atomic<int32_t>::wait / notify_one (C++20).
struct StdAtomic {
  alignas(64) std::atomic<std::int32_t> word{0};

  template <class Done>
  std::int32_t await(Done done) {
    std::int32_t current = word.load();
    while (!done(current)) {
      word.wait(current);
      current = word.load();
    }
    return current;
  }
  void publish(std::int32_t value) {
    word.store(value);
    wake_one();
  }
  void wake_one() { word.notify_one(); }
};

// std::mutex + std::condition_variable guarding a plain int (notify after unlocking).
struct CondVar {
  std::mutex mutex;
  std::condition_variable cv;
  std::int32_t turn = 0;

  template <class Done>
  std::int32_t await(Done done) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return done(turn); });
    return turn;
  }
  void publish(std::int32_t value) {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      turn = value;
    }
    wake_one();
  }
  void wake_one() { cv.notify_one(); }
  bool sleep_for(std::int32_t value, std::chrono::microseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex);
    return !cv.wait_for(lock, timeout, [&] { return turn != value; });
  }
};

// A pure spin: never sleeps, never yields; publishing is a store.
struct Spin {
  alignas(64) std::atomic<std::int32_t> word{0};

  template <class Done>
  std::int32_t await(Done done) {
    std::int32_t current = word.load();
    while (!done(current)) {
      bobbin_bench::cpu_pause();
      current = word.load();
    }
    return current;
  }
  void publish(std::int32_t value) { word.store(value); }
};

// ---------------------------------------------------------------------------------------------
// Ping-pong

// The pong side: a helper thread, started by the constructor and stopped by the destructor.
template <class Channel>
class Ponger {
 public:
  explicit Ponger(Channel& channel) : channel_(channel), thread_([this] { run(); }) {}
  Ponger(const Ponger&) = delete;
  Ponger& operator=(const Ponger&) = delete;

  // Safe wherever ping stopped in the protocol: if the helper is waiting it wakes to kStop; if
  // it is about to write 0 over kStop, it sees `stopping_` right after that write and returns.
  ~Ponger() {
    stopping_.store(true);  // seq_cst, before the kStop write
    channel_.publish(kStop);
    thread_.join();
  }

 private:
  void run() {
    for (;;) {
      if (channel_.await([](std::int32_t turn) { return turn != 0; }) == kStop) return;
      channel_.publish(0);
      if (stopping_.load()) return;  // seq_cst, after the write of 0
    }
  }

  Channel& channel_;
  alignas(64) std::atomic<bool> stopping_{false};  // its own cache line, away from the word
  std::thread thread_;                             // last: starts once the rest is built
};

template <class Channel>
void BM_WaitNotify_PingPong(benchmark::State& state) {
  Channel channel;
  Ponger<Channel> pong(channel);
  auto round_trip = [&channel] {
    channel.publish(1);
    channel.await([](std::int32_t turn) { return turn == 0; });
  };
  // Untimed warm-up: the helper thread is scheduled and both sides are in their loops.
  for (int i = 0; i < 100; ++i) round_trip();
  for (auto _ : state) round_trip();
  state.SetItemsProcessed(state.iterations());
}

#define BOBBIN_PING_PONG_(V) \
  BENCHMARK_TEMPLATE(BM_WaitNotify_PingPong, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_PING_PONG_(Bobbin);
#if defined(__linux__)
BOBBIN_PING_PONG_(Futex);
#endif
BOBBIN_PING_PONG_(StdAtomic);
BOBBIN_PING_PONG_(CondVar);
BOBBIN_PING_PONG_(Spin);

// ---------------------------------------------------------------------------------------------
// A wake with nobody waiting: the cost a notifier pays on every hand-off when the other side
// is busy. (Each call contains an atomic access or a system call, so none can be optimised out.)

template <class Channel>
void BM_WaitNotify_NotifyNobody(benchmark::State& state) {
  Channel channel;
  Channel* address = &channel;
  benchmark::DoNotOptimize(address);  // as if another thread could wait on it
  for (auto _ : state) channel.wake_one();
  state.SetItemsProcessed(state.iterations());
}

#define BOBBIN_NOTIFY_NOBODY_(V)                    \
  BENCHMARK_TEMPLATE(BM_WaitNotify_NotifyNobody, V) \
      ->UseRealTime()                               \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_NOTIFY_NOBODY_(Bobbin);
BOBBIN_NOTIFY_NOBODY_(StdAtomic);
#if defined(__linux__)
BOBBIN_NOTIFY_NOBODY_(Futex);
#endif
BOBBIN_NOTIFY_NOBODY_(CondVar);

// ---------------------------------------------------------------------------------------------
// A sleeper nobody wakes: after its bounded spin a waiter must sleep in the kernel and burn no
// CPU, so cpu_us (the waiting thread's user + system time per wait) should be about the same
// for 1 ms and 50 ms. The wall time per iteration shows how late the timeout fires.

#if defined(__linux__) && defined(RUSAGE_THREAD)
std::int64_t thread_cpu_us() noexcept {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return (std::int64_t{usage.ru_utime.tv_sec} + std::int64_t{usage.ru_stime.tv_sec}) * 1'000'000 +
         std::int64_t{usage.ru_utime.tv_usec} + std::int64_t{usage.ru_stime.tv_usec};
}

template <class Channel>
void BM_WaitNotify_Sleeper(benchmark::State& state) {
  const std::chrono::milliseconds timeout(state.range(0));
  Channel channel;
  std::int64_t cpu_us = 0;
  for (auto _ : state) {
    const std::int64_t before = thread_cpu_us();
    const bool timed_out = channel.sleep_for(0, timeout);
    cpu_us += thread_cpu_us() - before;
    if (!timed_out) {
      state.SkipWithError("the sleeper returned before its timeout");
      break;
    }
  }
  state.counters["cpu_us"] =
      benchmark::Counter(static_cast<double>(cpu_us), benchmark::Counter::kAvgIterations);
}

#define BOBBIN_SLEEPER_(V)                     \
  BENCHMARK_TEMPLATE(BM_WaitNotify_Sleeper, V) \
      ->ArgName("timeout_ms")                  \
      ->Arg(1)                                 \
      ->Arg(50)                                \
      ->Unit(benchmark::kMicrosecond)          \
      ->UseRealTime()                          \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_SLEEPER_(Bobbin);
BOBBIN_SLEEPER_(Futex);
BOBBIN_SLEEPER_(CondVar);
#endif

}  // namespace
