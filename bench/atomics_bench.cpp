// bench/atomics_bench.cpp — bobbin::atomics on an Int32Array element beside std::atomic<int32_t>.
//
//   BM_Atomics_Load<V>            load                       single thread, time per op
//   BM_Atomics_Store<V>           store                      single thread
//   BM_Atomics_Add<V>             add / fetch_add            single thread
//   BM_Atomics_CompareExchange<V> a successful CAS each time single thread (a dependent chain)
//   BM_Atomics_AddContended<V>    add / fetch_add on one element by 2 threads; time per op
//                                 is wall time over both threads' operations
//
// Variants V: Bobbin (bobbin::atomics on element 0 of an Int32Array over a SharedArrayBuffer,
// which checks the view and the index on every call, as JavaScript does) and Std
// (std::atomic<int32_t>). Both are sequentially consistent, bobbin's by definition.
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

#include "bench_support.hpp"

namespace {

namespace atomics = bobbin::atomics;

// x + 1 with wrap-around (no signed overflow however long the benchmark runs).
std::int32_t next(std::int32_t x) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) + 1u);
}

struct Bobbin {
  bobbin::Int32Array cells{bobbin::SharedArrayBuffer(64)};

  std::int32_t load() const { return atomics::load(cells, 0); }
  void store(std::int32_t value) { atomics::store(cells, 0, value); }
  std::int32_t add(std::int32_t value) { return atomics::add(cells, 0, value); }
  // Returns the old value (JavaScript's Atomics.compareExchange).
  std::int32_t compare_exchange(std::int32_t expected, std::int32_t replacement) {
    return atomics::compare_exchange(cells, 0, expected, replacement);
  }
};

struct Std {
  alignas(64) std::atomic<std::int32_t> word{0};

  std::int32_t load() const { return word.load(); }
  void store(std::int32_t value) { word.store(value); }
  std::int32_t add(std::int32_t value) { return word.fetch_add(value); }
  std::int32_t compare_exchange(std::int32_t expected, std::int32_t replacement) {
    word.compare_exchange_strong(expected, replacement);
    return expected;  // the old value, either way
  }
};

// The element must escape: a compiler may delete atomic operations on a local object that no
// other thread can see (Clang removes such a store loop entirely).
template <class Ops>
void escape(Ops& ops) {
  Ops* address = &ops;
  benchmark::DoNotOptimize(address);
}

template <class Ops>
void BM_Atomics_Load(benchmark::State& state) {
  Ops ops;
  escape(ops);
  for (auto _ : state) benchmark::DoNotOptimize(ops.load());
  state.SetItemsProcessed(state.iterations());
}

template <class Ops>
void BM_Atomics_Store(benchmark::State& state) {
  Ops ops;
  escape(ops);
  std::int32_t value = 0;
  for (auto _ : state) {
    ops.store(value);
    value = next(value);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Ops>
void BM_Atomics_Add(benchmark::State& state) {
  Ops ops;
  escape(ops);
  for (auto _ : state) benchmark::DoNotOptimize(ops.add(1));
  state.SetItemsProcessed(state.iterations());
}

template <class Ops>
void BM_Atomics_CompareExchange(benchmark::State& state) {
  Ops ops;
  escape(ops);
  std::int32_t expected = 0;
  for (auto _ : state) {
    // Always succeeds: the element holds `expected`, and becomes expected + 1.
    expected = next(ops.compare_exchange(expected, next(expected)));
    benchmark::DoNotOptimize(expected);
  }
  if (ops.load() != expected) state.SkipWithError("a compare_exchange failed");
  state.SetItemsProcessed(state.iterations());
}

template <class Ops>
void BM_Atomics_AddContended(benchmark::State& state) {
  static Ops ops;  // one element for all the benchmark's threads (thread-safe initialisation)
  escape(ops);
  for (auto _ : state) benchmark::DoNotOptimize(ops.add(1));
  state.SetItemsProcessed(state.iterations());
}

#define BOBBIN_ATOMICS_BENCH_(F, V) \
  BENCHMARK_TEMPLATE(F, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_ATOMICS_BENCH_(BM_Atomics_Load, Bobbin);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_Load, Std);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_Store, Bobbin);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_Store, Std);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_Add, Bobbin);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_Add, Std);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_CompareExchange, Bobbin);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_CompareExchange, Std);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_AddContended, Bobbin)->Threads(2);
BOBBIN_ATOMICS_BENCH_(BM_Atomics_AddContended, Std)->Threads(2);

}  // namespace
