// bench/ring_buffer_bench.cpp — bobbin::RingBuffer beside the single-producer, single-consumer
// queues users compare it with, in the same binary and the same run.
//
//   BM_RingBuffer_Spsc<V>/capacity   the benchmark thread pushes 64-bit integers, a helper
//                                    thread pops them; items_per_second = pushes per second
//                                    (capacity 1024 and 65536)
//   BM_RingBuffer_PingPong<V>        the benchmark thread pushes into ring A, the helper pops
//                                    it and pushes it into ring B, the benchmark thread pops
//                                    B; time per round trip
//   BM_RingBuffer_PingPongPaired<V>  the same, V and SpinRing taking turns in blocks on the same
//                                    two threads; counter vs_spin = V's time / SpinRing's
//
// Variants V:
//   BobbinBlocking   RingBuffer push/pop (spin briefly, then park)
//   BobbinTry        RingBuffer try_push/try_pop in a spin loop with a pause hint
//   SpinRing         a minimal spin-only ring (cached indices, padded counters, power-of-two
//                    mask): the ceiling of what a ring that never sleeps reaches
//   ReaderWriterQueue           moodycamel's try_enqueue/try_dequeue, spinning (growth off);
//                               note that ReaderWriterQueue(1024) builds 4 blocks of 512 and
//                               holds up to 2044 items (65536: 130 blocks, 66,430 items)
//   BlockingRWCircularBuffer    moodycamel's BlockingReaderWriterCircularBuffer, wait_*
//   BoostSpsc        boost::lockfree::spsc_queue push/pop, spinning
//   CondVar          std::deque under std::mutex + std::condition_variable (the baseline)
//
// The helper thread is started in the benchmark body and stopped after the timed loop: the
// benchmark thread pushes kStop, which the helper passes on (ping-pong) and returns.
#include <bobbin/ring_buffer.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_READERWRITERQUEUE)
#if __has_include(<readerwriterqueue/readerwriterqueue.h>)
#include <readerwriterqueue/readerwriterqueue.h>
#else
#include <readerwriterqueue.h>
#endif
#if __has_include(<readerwriterqueue/readerwritercircularbuffer.h>)
#include <readerwriterqueue/readerwritercircularbuffer.h>
#define BOBBIN_BENCH_HAS_RWCB 1
#elif __has_include(<readerwritercircularbuffer.h>)
#include <readerwritercircularbuffer.h>
#define BOBBIN_BENCH_HAS_RWCB 1
#endif
#endif

#if defined(BOBBIN_BENCH_HAS_BOOST)
#include <boost/lockfree/spsc_queue.hpp>
#endif

namespace {

using Item = std::uint64_t;
constexpr Item kStop = ~Item{0};

// ---------------------------------------------------------------------------------------------
// The variants: `explicit V(std::size_t capacity)`, `void push(Item)`, `Item pop()`.

struct BobbinBlocking {
  bobbin::RingBuffer<Item> ring;
  explicit BobbinBlocking(std::size_t capacity) : ring(capacity) {}
  void push(Item v) { static_cast<void>(ring.push(v)); }
  Item pop() { return *ring.pop(); }
};

struct BobbinTry {
  bobbin::RingBuffer<Item> ring;
  explicit BobbinTry(std::size_t capacity) : ring(capacity) {}
  void push(Item v) {
    while (!ring.try_push(v)) bobbin_bench::cpu_pause();
  }
  Item pop() {
    for (;;) {
      if (auto v = ring.try_pop()) return *v;
      bobbin_bench::cpu_pause();
    }
  }
};

// A spin-only ring, as small as it gets: power-of-two slots, each side caching the other's
// counter, counters on their own cache lines. Never sleeps.
struct SpinRing {
  explicit SpinRing(std::size_t capacity) : mask(capacity - 1), slots(capacity) {}
  void push(Item v) {
    const std::size_t h = head.load(std::memory_order_relaxed);  // relaxed: ours
    while (h - cached_tail == mask + 1) {
      // acquire: pairs with the release in pop().
      cached_tail = tail.load(std::memory_order_acquire);
      if (h - cached_tail == mask + 1) bobbin_bench::cpu_pause();
    }
    slots[h & mask] = v;
    head.store(h + 1, std::memory_order_release);  // release: pairs with the acquire in pop()
  }
  Item pop() {
    const std::size_t t = tail.load(std::memory_order_relaxed);  // relaxed: ours
    while (t == cached_head) {
      // acquire: pairs with the release in push().
      cached_head = head.load(std::memory_order_acquire);
      if (t == cached_head) bobbin_bench::cpu_pause();
    }
    const Item v = slots[t & mask];
    tail.store(t + 1, std::memory_order_release);  // release: pairs with the acquire in push()
    return v;
  }
  const std::size_t mask;
  std::vector<Item> slots;
  alignas(64) std::atomic<std::size_t> head{0};
  alignas(64) std::size_t cached_tail = 0;
  alignas(64) std::atomic<std::size_t> tail{0};
  alignas(64) std::size_t cached_head = 0;
};

#if defined(BOBBIN_BENCH_HAS_READERWRITERQUEUE)
struct ReaderWriterQueue {
  moodycamel::ReaderWriterQueue<Item> queue;
  explicit ReaderWriterQueue(std::size_t capacity) : queue(capacity) {}
  void push(Item v) {
    while (!queue.try_enqueue(v)) bobbin_bench::cpu_pause();
  }
  Item pop() {
    Item v;
    while (!queue.try_dequeue(v)) bobbin_bench::cpu_pause();
    return v;
  }
};
#endif

#if defined(BOBBIN_BENCH_HAS_RWCB)
struct BlockingRWCircularBuffer {
  moodycamel::BlockingReaderWriterCircularBuffer<Item> queue;
  explicit BlockingRWCircularBuffer(std::size_t capacity) : queue(capacity) {}
  void push(Item v) { queue.wait_enqueue(v); }
  Item pop() {
    Item v;
    queue.wait_dequeue(v);
    return v;
  }
};
#endif

#if defined(BOBBIN_BENCH_HAS_BOOST)
struct BoostSpsc {
  boost::lockfree::spsc_queue<Item> queue;
  explicit BoostSpsc(std::size_t capacity) : queue(capacity) {}
  void push(Item v) {
    while (!queue.push(v)) bobbin_bench::cpu_pause();
  }
  Item pop() {
    Item v;
    while (!queue.pop(v)) bobbin_bench::cpu_pause();
    return v;
  }
};
#endif

struct CondVar {
  explicit CondVar(std::size_t capacity) : capacity(capacity) {}
  void push(Item v) {
    std::unique_lock lock(mutex);
    not_full.wait(lock, [&] { return items.size() < capacity; });
    items.push_back(v);
    lock.unlock();
    not_empty.notify_one();
  }
  Item pop() {
    std::unique_lock lock(mutex);
    not_empty.wait(lock, [&] { return !items.empty(); });
    const Item v = items.front();
    items.pop_front();
    lock.unlock();
    not_full.notify_one();
    return v;
  }
  const std::size_t capacity;
  std::mutex mutex;
  std::condition_variable not_full, not_empty;
  std::deque<Item> items;
};

// ---------------------------------------------------------------------------------------------

// The consumer keeps its total in a variable of its own and hands it over at the end. Adding
// into a variable of the benchmark thread's stack put a store of the consumer per item on the
// cache line holding `queue`, which a producer whose push may call out of line (a blocking
// one's slow path) reads back per push: that line then crossed between the cores per item,
// for the blocking variants only.
template <class V>
void BM_RingBuffer_Spsc(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  const auto queue = std::make_unique<V>(capacity);
  V* const q = queue.get();
  std::atomic<Item> total{0};
  std::thread consumer([q, &total] {
    Item sum = 0;
    for (Item v; (v = q->pop()) != kStop;) sum += v;
    total.store(sum, std::memory_order_relaxed);  // relaxed: join() synchronises
  });
  Item next = 0;
  for (auto _ : state) q->push(next++);
  q->push(kStop);
  consumer.join();
  const Item sum = total.load(std::memory_order_relaxed);  // relaxed: after join()
  if (sum != next * (next - 1) / 2) state.SkipWithError("items lost or duplicated");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <class V>
void BM_RingBuffer_PingPong(benchmark::State& state) {
  const bobbin_bench::HeapPair<V> rings(1024);
  V* const there = rings.there();
  V* const back = rings.back();
  std::thread echo([there, back] {
    for (;;) {
      const Item v = there->pop();
      back->push(v);
      if (v == kStop) return;
    }
  });
  Item next = 0;
  for (auto _ : state) {
    there->push(next);
    if (back->pop() != next) state.SkipWithError("wrong item echoed");
    ++next;
  }
  there->push(kStop);
  static_cast<void>(back->pop());
  echo.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The same ping-pong, the variant and SpinRing taking turns on one pair of threads: blocks of
// kPairedBlock round trips through SpinRing, then as many through V, over and over. The
// counters are V's and SpinRing's time per round trip and `vs_spin`, their ratio. On a VM the
// time of a round trip changes several-fold with where the host runs the two vCPUs, and one
// benchmark (or one repetition) can land in another placement than the next: separate runs
// compare placements more than rings. Blocks a few hundred microseconds long put both
// variants in the same placement, so the ratio compares the rings.
constexpr int kPairedBlock = 1000;

template <class V>
void BM_RingBuffer_PingPongPaired(benchmark::State& state) {
  const bobbin_bench::HeapPair<SpinRing> spin_rings(1024);
  const bobbin_bench::HeapPair<V> rings(1024);
  SpinRing* const spin_there = spin_rings.there();
  SpinRing* const spin_back = spin_rings.back();
  V* const there = rings.there();
  V* const back = rings.back();
  std::thread echo([spin_there, spin_back, there, back] {
    for (;;) {
      for (int i = 0; i < kPairedBlock; ++i) {
        const Item v = spin_there->pop();
        spin_back->push(v);
        if (v == kStop) return;
      }
      for (int i = 0; i < kPairedBlock; ++i) back->push(there->pop());
    }
  });
  using Clock = std::chrono::steady_clock;
  Clock::duration spin_time{}, variant_time{};
  Item next = 0;
  bool echoed = true;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (int i = 0; i < kPairedBlock; ++i, ++next) {
      spin_there->push(next);
      echoed &= spin_back->pop() == next;
    }
    const auto t1 = Clock::now();
    for (int i = 0; i < kPairedBlock; ++i, ++next) {
      there->push(next);
      echoed &= back->pop() == next;
    }
    const auto t2 = Clock::now();
    spin_time += t1 - t0;
    variant_time += t2 - t1;
  }
  spin_there->push(kStop);
  static_cast<void>(spin_back->pop());
  echo.join();
  if (!echoed) state.SkipWithError("wrong item echoed");
  const double trips = static_cast<double>(state.iterations()) * kPairedBlock;
  const auto ns = [trips](Clock::duration d) {
    return std::chrono::duration<double, std::nano>(d).count() / trips;
  };
  state.counters["variant_ns"] = ns(variant_time);
  state.counters["spin_ns"] = ns(spin_time);
  state.counters["vs_spin"] = ns(variant_time) / ns(spin_time);
  state.SetItemsProcessed(static_cast<std::int64_t>(trips));
}

#define BOBBIN_RING_BENCH(V)                \
  BENCHMARK_TEMPLATE(BM_RingBuffer_Spsc, V) \
      ->Arg(1024)                           \
      ->Arg(65536)                          \
      ->UseRealTime()                       \
      ->Apply(bobbin_bench::with_min_max);  \
  BENCHMARK_TEMPLATE(BM_RingBuffer_PingPong, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_RING_BENCH(BobbinBlocking);
BOBBIN_RING_BENCH(BobbinTry);
BOBBIN_RING_BENCH(SpinRing);
#if defined(BOBBIN_BENCH_HAS_READERWRITERQUEUE)
BOBBIN_RING_BENCH(ReaderWriterQueue);
#endif
#if defined(BOBBIN_BENCH_HAS_RWCB)
BOBBIN_RING_BENCH(BlockingRWCircularBuffer);
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
BOBBIN_RING_BENCH(BoostSpsc);
#endif
BOBBIN_RING_BENCH(CondVar);

#define BOBBIN_RING_PAIRED(V)                                                              \
  BENCHMARK_TEMPLATE(BM_RingBuffer_PingPongPaired, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)
BOBBIN_RING_PAIRED(BobbinBlocking);
BOBBIN_RING_PAIRED(BobbinTry);
#if defined(BOBBIN_BENCH_HAS_READERWRITERQUEUE)
BOBBIN_RING_PAIRED(ReaderWriterQueue);
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
BOBBIN_RING_PAIRED(BoostSpsc);
#endif

}  // namespace
