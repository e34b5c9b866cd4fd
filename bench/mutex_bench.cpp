// bench/mutex_bench.cpp — bobbin::Mutex beside other locks, in the same binary and run.
//
//   BM_Mutex_Uncontended<V>  one thread: lock + unlock; time per pair
//   BM_Mutex_Contended<V>    two threads (->Threads(2)) each: lock, a short critical section
//                            (increment a shared counter), unlock; time per pair and thread,
//                            items_per_second = critical sections per second (all threads)
//
// Variants V: Bobbin (bobbin::Mutex over an Int32Array cell of a SharedArrayBuffer), Std
// (std::mutex), Spin (a test-and-test-and-set spinlock with a pause hint; uncontended only:
// a pure spinlock on an oversubscribed machine measures the scheduler) and Absl (absl::Mutex,
// when BOBBIN_BENCH_HAS_ABSL; its deadlock detection, on by default in debug builds of the
// library, is turned off so it is measured as used in production).
#include <bobbin/mutex.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <mutex>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_ABSL)
#include <absl/synchronization/mutex.h>
#endif

namespace {

// bobbin: the book's layout, the lock in cell 0 of a shared buffer.
struct Bobbin {
  bobbin::SharedArrayBuffer sab{64};
  bobbin::Mutex mutex{bobbin::Int32Array(sab), 0};
  void lock() { mutex.lock(); }
  void unlock() { mutex.unlock(); }
};

struct Std {
  std::mutex mutex;
  void lock() { mutex.lock(); }
  void unlock() { mutex.unlock(); }
};

// Test-and-test-and-set: spin on a plain load, then exchange.
struct Spin {
  std::atomic<bool> held{false};
  void lock() {
    // acquire: pairs with the release store in unlock().
    while (held.exchange(true, std::memory_order_acquire)) {
      // relaxed: only a hint to retry the exchange.
      while (held.load(std::memory_order_relaxed)) bobbin_bench::cpu_pause();
    }
  }
  void unlock() { held.store(false, std::memory_order_release); }  // release: see lock()
};

#if defined(BOBBIN_BENCH_HAS_ABSL)
struct Absl {
  Absl() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }
  absl::Mutex mutex;
  void lock() { mutex.Lock(); }
  void unlock() { mutex.Unlock(); }
};
#endif

template <class Lock>
void BM_Mutex_Uncontended(benchmark::State& state) {
  Lock lock;
  Lock* address = &lock;
  benchmark::DoNotOptimize(address);  // as if another thread could take it
  for (auto _ : state) {
    lock.lock();
    lock.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

#define BOBBIN_UNCONTENDED_(V) \
  BENCHMARK_TEMPLATE(BM_Mutex_Uncontended, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_UNCONTENDED_(Bobbin);
BOBBIN_UNCONTENDED_(Std);
BOBBIN_UNCONTENDED_(Spin);
#if defined(BOBBIN_BENCH_HAS_ABSL)
BOBBIN_UNCONTENDED_(Absl);
#endif

// One lock and one counter shared by the benchmark's threads, on separate cache lines.
template <class Lock>
struct Shared {
  alignas(64) Lock lock;
  alignas(64) std::int64_t counter = 0;  // guarded by lock
};

template <class Lock>
void BM_Mutex_Contended(benchmark::State& state) {
  static Shared<Lock>* shared = nullptr;
  if (state.thread_index() == 0) shared = new Shared<Lock>;
  // Google Benchmark starts the timed loop of all threads together, after this setup.
  for (auto _ : state) {
    shared->lock.lock();
    benchmark::DoNotOptimize(++shared->counter);
    shared->lock.unlock();
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every thread has left its loop once thread 0 is past the barrier that ends timing.
    delete shared;
    shared = nullptr;
  }
}

#define BOBBIN_CONTENDED_(V)                \
  BENCHMARK_TEMPLATE(BM_Mutex_Contended, V) \
      ->Threads(2)                          \
      ->UseRealTime()                       \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_CONTENDED_(Bobbin);
BOBBIN_CONTENDED_(Std);
#if defined(BOBBIN_BENCH_HAS_ABSL)
BOBBIN_CONTENDED_(Absl);
#endif

}  // namespace
