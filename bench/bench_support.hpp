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

}  // namespace bobbin_bench
