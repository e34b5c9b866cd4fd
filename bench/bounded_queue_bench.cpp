// bench/bounded_queue_bench.cpp — bobbin::BoundedQueue beside the bounded MPMC queues C++ users
// reach for, in the same binary and the same run.
//
//   BM_BoundedQueue_Throughput<V>/producers:P/consumers:C   P producer and C consumer threads
//       move a batch of items through one queue of capacity 1024; items_per_second is the rate.
//       2 producers / 2 consumers oversubscribe a 2-core machine: that is where blocking pays.
//   BM_BoundedQueue_PingPong<V>   a blocking round trip through two queues (the benchmark thread
//       pushes to one, a helper pops it and pushes it back on the other); time per round trip.
//
// Variants V:
//   Bobbin        bobbin::BoundedQueue: lock-free slots, spins briefly, then parks.
//   Moodycamel    moodycamel::BlockingConcurrentQueue (unbounded) bounded the usual way: a
//                 LightweightSemaphore of 1024 free slots that producers take and consumers give
//                 back. The ping-pong uses it unbounded, as-is.
//   Tbb           tbb::concurrent_bounded_queue with set_capacity(1024).
//   BoostSpin     boost::lockfree::queue with 1024 nodes (fixed size), spinning with a pause
//                 hint on failure: a non-blocking queue, for reference.
//   CondVar       a std::deque guarded by std::mutex with two std::condition_variables.
//   Spin          bobbin::BoundedQueue's try_push/try_pop spinning with a pause hint (the
//                 ping-pong's spin-only reference: the same ring, never parking).
//
// The threads are started in the benchmark body (per iteration, one batch each), so 2P/2C
// really runs four threads besides the idle benchmark thread.
#include <bobbin/bounded_queue.hpp>

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
#include <blockingconcurrentqueue.h>
#endif
#if defined(BOBBIN_BENCH_HAS_TBB)
#include <tbb/concurrent_queue.h>
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
#include <boost/lockfree/queue.hpp>
#endif

namespace {

constexpr std::size_t kCapacity = 1024;
constexpr std::int64_t kBatch = 1 << 16;  // items per iteration of the throughput benchmark
constexpr std::uint64_t kStop = ~std::uint64_t{0};

// ---------------------------------------------------------------------------------------------
// The variants: void push(uint64_t) and uint64_t pop(), both blocking.

struct Bobbin {
  bobbin::BoundedQueue<std::uint64_t> q{kCapacity};
  void push(std::uint64_t v) { static_cast<void>(q.push(v)); }
  std::uint64_t pop() { return *q.pop(); }
};

struct Spin {
  bobbin::BoundedQueue<std::uint64_t> q{kCapacity};
  void push(std::uint64_t v) {
    while (!q.try_push(v)) bobbin_bench::cpu_pause();
  }
  std::uint64_t pop() {
    for (;;) {
      if (auto v = q.try_pop()) return *v;
      bobbin_bench::cpu_pause();
    }
  }
};

struct CondVar {
  std::mutex mutex;
  std::condition_variable not_full, not_empty;
  std::deque<std::uint64_t> items;
  void push(std::uint64_t v) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      not_full.wait(lock, [&] { return items.size() < kCapacity; });
      items.push_back(v);
    }
    not_empty.notify_one();
  }
  std::uint64_t pop() {
    std::uint64_t v;
    {
      std::unique_lock<std::mutex> lock(mutex);
      not_empty.wait(lock, [&] { return !items.empty(); });
      v = items.front();
      items.pop_front();
    }
    not_full.notify_one();
    return v;
  }
};

#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
struct Moodycamel {
  moodycamel::BlockingConcurrentQueue<std::uint64_t> q;
  moodycamel::LightweightSemaphore free_slots{
      static_cast<moodycamel::LightweightSemaphore::ssize_t>(kCapacity)};
  void push(std::uint64_t v) {
    free_slots.wait();
    q.enqueue(v);
  }
  std::uint64_t pop() {
    std::uint64_t v;
    q.wait_dequeue(v);
    free_slots.signal();
    return v;
  }
};

// The unbounded queue as-is, for the ping-pong (which never holds more than one item).
struct MoodycamelUnbounded {
  moodycamel::BlockingConcurrentQueue<std::uint64_t> q;
  void push(std::uint64_t v) { q.enqueue(v); }
  std::uint64_t pop() {
    std::uint64_t v;
    q.wait_dequeue(v);
    return v;
  }
};
#endif

#if defined(BOBBIN_BENCH_HAS_TBB)
struct Tbb {
  tbb::concurrent_bounded_queue<std::uint64_t> q;
  Tbb() { q.set_capacity(static_cast<std::ptrdiff_t>(kCapacity)); }
  void push(std::uint64_t v) { q.push(v); }
  std::uint64_t pop() {
    std::uint64_t v;
    q.pop(v);
    return v;
  }
};
#endif

#if defined(BOBBIN_BENCH_HAS_BOOST)
struct BoostSpin {
  boost::lockfree::queue<std::uint64_t, boost::lockfree::capacity<kCapacity>> q;
  void push(std::uint64_t v) {
    while (!q.bounded_push(v)) bobbin_bench::cpu_pause();
  }
  std::uint64_t pop() {
    std::uint64_t v;
    while (!q.pop(v)) bobbin_bench::cpu_pause();
    return v;
  }
};
#endif

// ---------------------------------------------------------------------------------------------
// Throughput: state.range(0) producers and state.range(1) consumers move kBatch items.

template <class Queue>
void BM_BoundedQueue_Throughput(benchmark::State& state) {
  const auto producers = static_cast<int>(state.range(0));
  const auto consumers = static_cast<int>(state.range(1));
  const std::int64_t per_producer = kBatch / producers;
  const std::int64_t per_consumer = kBatch / consumers;
  Queue queue;
  std::uint64_t checksum = 0;
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(consumers));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(producers + consumers));
  for (auto _ : state) {
    threads.clear();
    for (int c = 0; c < consumers; ++c) {
      threads.emplace_back([&, c] {
        std::uint64_t sum = 0;
        for (std::int64_t i = 0; i < per_consumer; ++i) sum += queue.pop();
        sums[static_cast<std::size_t>(c)] = sum;
      });
    }
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&] {
        for (std::int64_t i = 0; i < per_producer; ++i) queue.push(static_cast<std::uint64_t>(i));
      });
    }
    for (auto& t : threads) t.join();
    for (std::uint64_t s : sums) checksum += s;
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

#define BOBBIN_BENCH_THROUGHPUT_(V)                 \
  BENCHMARK_TEMPLATE(BM_BoundedQueue_Throughput, V) \
      ->ArgNames({"producers", "consumers"})        \
      ->Args({1, 1})                                \
      ->Args({2, 2})                                \
      ->UseRealTime()                               \
      ->Unit(benchmark::kMillisecond)               \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_BENCH_THROUGHPUT_(Bobbin);
BOBBIN_BENCH_THROUGHPUT_(CondVar);
#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
BOBBIN_BENCH_THROUGHPUT_(Moodycamel);
#endif
#if defined(BOBBIN_BENCH_HAS_TBB)
BOBBIN_BENCH_THROUGHPUT_(Tbb);
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
BOBBIN_BENCH_THROUGHPUT_(BoostSpin);
#endif

// ---------------------------------------------------------------------------------------------
// Ping-pong: a blocking round trip through two queues.

template <class Queue>
void BM_BoundedQueue_PingPong(benchmark::State& state) {
  const bobbin_bench::HeapPair<Queue> queues;
  Queue* const there = queues.there();
  Queue* const back = queues.back();
  std::thread echo([there, back] {
    for (;;) {
      const std::uint64_t v = there->pop();
      if (v == kStop) return;
      back->push(v + 1);
    }
  });
  std::uint64_t v = 0;
  for (auto _ : state) {
    there->push(v);
    v = back->pop();
  }
  there->push(kStop);
  echo.join();
  benchmark::DoNotOptimize(v);
  state.SetItemsProcessed(state.iterations());
}

#define BOBBIN_BENCH_PINGPONG_(V) \
  BENCHMARK_TEMPLATE(BM_BoundedQueue_PingPong, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_BENCH_PINGPONG_(Bobbin);
BOBBIN_BENCH_PINGPONG_(Spin);
BOBBIN_BENCH_PINGPONG_(CondVar);
#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
BOBBIN_BENCH_PINGPONG_(MoodycamelUnbounded);
#endif

}  // namespace
