// bench/bench_support.hpp — small helpers shared by the benchmark sources in bench/.
//
// Naming: every benchmark is `BM_<Area>_<Family><Variant>` (a BENCHMARK_TEMPLATE over a variant
// tag), so bench/report.py can group the variants of a family into one table and compare each
// with a baseline variant. Names must be unique across the whole `bobbin_bench` binary.
//
// Repetitions are left to the command line (`--benchmark_repetitions=5
// --benchmark_report_aggregates_only=true`): a `->Repetitions(n)` in the code would override
// the flag. `with_min_max` adds min and max to the aggregates, because one trial of a
// hand-off benchmark can land in a different regime than the next.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace bobbin_bench {

// A spin-wait hint to the CPU, for the spinning baselines (independent of bobbin's own).
inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield");
#endif
}

inline double min_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

inline double max_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
}

// Adds "min" and "max" to the statistics reported over repetitions: `->Apply(with_min_max)`.
inline void with_min_max(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("min", min_of)->ComputeStatistics("max", max_of);
}

// Two queues for a ping-pong between the benchmark thread and a helper: on the heap, for the
// helper to take by address. On the benchmark thread's stack, or reached through a lambda that
// captures that thread's locals by reference, they would share cache lines with whatever that
// thread spills or calls there, and the helper would read its frame on every round: one more
// cache line per round trip for the variants whose calls write it.
//   const bobbin_bench::HeapPair<V> queues(1024);
//   std::thread echo([there = queues.there(), back = queues.back()] { ... });
template <class Q>
class HeapPair {
 public:
  template <class... Args>
  explicit HeapPair(const Args&... args)
      : there_(std::make_unique<Q>(args...)), back_(std::make_unique<Q>(args...)) {}
  [[nodiscard]] Q* there() const noexcept { return there_.get(); }
  [[nodiscard]] Q* back() const noexcept { return back_.get(); }

 private:
  std::unique_ptr<Q> there_;
  std::unique_ptr<Q> back_;
};

}  // namespace bobbin_bench
