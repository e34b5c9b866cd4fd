// bench/thread_pool_bench.cpp — bobbin::ThreadPool: many tiny tasks, and the latency of one.
//
//   BM_Pool_Tiny<V>     submit N empty-ish tasks (N = the argument, 1,000,000 by default), then
//                       wait for all of them; items = tasks, so items/s is the pool's throughput.
//                       Two pool threads everywhere (the machine the figures come from has 2
//                       cores).
//   BM_Pool_Latency<V>  light load: one task at a time, submit → start and submit → result
//                       (the caller holds the value), reported as p50/p99 counters in ns.
//
// Variants of Tiny: BobbinPost (post(fn); the last task settles a promise the caller waits
// on; the tasks refer to its resolver, as AsioPost's refer to its std::promise, rather than each
// holding a copy: a copy is a shared count bumped by the submitter and dropped by the pool
// threads, a cost of the bench, not of the pool), BobbinRun (run(fn) → Promise each, then get()
// on every promise in order), TbbTaskGroup (tbb::task_group::run + wait, baseline), AsioPost
// (boost::asio::post on a boost::asio::thread_pool, last task sets a std::promise), RvaserSubmit
// (rvaser's thread_pool::ThreadPool::Submit → std::future each, then get() on every future).
// Variants of Latency: BobbinRun, AsioPost.
#include <bobbin/thread_pool.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <vector>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_TBB)
#include <tbb/global_control.h>
#include <tbb/task_group.h>
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#endif
#if defined(BOBBIN_BENCH_HAS_THREAD_POOL)
#include <thread_pool/thread_pool.hpp>
#endif

namespace {

constexpr int kThreads = 2;

struct BobbinPost {};
struct BobbinRun {};
struct TbbTaskGroup {};
struct AsioPost {};
struct RvaserSubmit {};

bobbin::PoolOptions two_threads() {
  return bobbin::PoolOptions{.min_threads = kThreads, .max_threads = kThreads};
}

template <class V>
void BM_Pool_Tiny(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::atomic<std::size_t> sum{0};
  if constexpr (std::is_same_v<V, BobbinPost> || std::is_same_v<V, BobbinRun>) {
    bobbin::ThreadPool pool(two_threads());
    std::vector<bobbin::Promise<std::size_t>> promises;
    promises.reserve(n);
    for (auto _ : state) {
      if constexpr (std::is_same_v<V, BobbinPost>) {
        std::atomic<std::size_t> left{n};
        auto made = bobbin::Promise<void>::with_resolvers();
        bobbin::Resolver<void>& resolver = made.resolver;
        for (std::size_t i = 0; i < n; ++i) {
          pool.post([&left, &sum, &resolver, i] {
            sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: a checksum
            // acq_rel: the last task sees every other task's work. It settles through a copy of
            // the resolver, which keeps the promise state alive while the waiter wakes and
            // destroys the original.
            if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
              bobbin::Resolver<void> last = resolver;
              last.resolve();
            }
          });
        }
        made.promise.get();
      } else {
        for (std::size_t i = 0; i < n; ++i) promises.push_back(pool.run([i] { return i; }));
        std::size_t s = 0;
        for (auto& p : promises) s += p.get();
        sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: a checksum
        promises.clear();
      }
    }
#if defined(BOBBIN_BENCH_HAS_TBB)
  } else if constexpr (std::is_same_v<V, TbbTaskGroup>) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, kThreads);
    for (auto _ : state) {
      tbb::task_group group;
      for (std::size_t i = 0; i < n; ++i) {
        group.run(
            [&sum, i] { sum.fetch_add(i, std::memory_order_relaxed); });  // relaxed: a checksum
      }
      group.wait();
    }
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
  } else if constexpr (std::is_same_v<V, AsioPost>) {
    boost::asio::thread_pool pool(kThreads);
    for (auto _ : state) {
      std::atomic<std::size_t> left{n};
      std::promise<void> done;
      for (std::size_t i = 0; i < n; ++i) {
        boost::asio::post(pool, [&left, &sum, &done, i] {
          sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: a checksum
          // acq_rel: the last task sees every other task's work.
          if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) done.set_value();
        });
      }
      done.get_future().get();
    }
    pool.join();
#endif
#if defined(BOBBIN_BENCH_HAS_THREAD_POOL)
  } else if constexpr (std::is_same_v<V, RvaserSubmit>) {
    thread_pool::ThreadPool pool(kThreads);
    std::vector<std::future<std::size_t>> futures;
    futures.reserve(n);
    for (auto _ : state) {
      for (std::size_t i = 0; i < n; ++i) futures.push_back(pool.Submit([i] { return i; }));
      std::size_t s = 0;
      for (auto& f : futures) s += f.get();
      sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: a checksum
      futures.clear();
    }
#endif
  }
  const std::size_t expected = static_cast<std::size_t>(state.iterations()) * (n * (n - 1) / 2);
  if (sum.load() != expected) state.SkipWithError("lost tasks");
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * static_cast<std::int64_t>(n)));
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

template <class V>
void BM_Pool_Latency(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> to_start, to_result;
  auto ns = [](Clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  };
  if constexpr (std::is_same_v<V, BobbinRun>) {
    bobbin::ThreadPool pool(two_threads());
    for (auto _ : state) {
      const auto t0 = Clock::now();
      auto started = pool.run([] { return Clock::now(); }).get();
      const auto t1 = Clock::now();
      to_start.push_back(ns(started - t0));
      to_result.push_back(ns(t1 - t0));
    }
#if defined(BOBBIN_BENCH_HAS_BOOST)
  } else if constexpr (std::is_same_v<V, AsioPost>) {
    boost::asio::thread_pool pool(kThreads);
    for (auto _ : state) {
      std::promise<Clock::time_point> done;
      const auto t0 = Clock::now();
      boost::asio::post(pool, [&done] { done.set_value(Clock::now()); });
      auto started = done.get_future().get();
      const auto t1 = Clock::now();
      to_start.push_back(ns(started - t0));
      to_result.push_back(ns(t1 - t0));
    }
    pool.join();
#endif
  }
  state.counters["start_p50_ns"] = percentile(to_start, 50);
  state.counters["start_p99_ns"] = percentile(to_start, 99);
  state.counters["result_p50_ns"] = percentile(to_result, 50);
  state.counters["result_p99_ns"] = percentile(to_result, 99);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

#define BOBBIN_POOL_TINY(V) \
  BENCHMARK_TEMPLATE(BM_Pool_Tiny, V)->Arg(1000000)->UseRealTime()->Unit(benchmark::kMillisecond)
BOBBIN_POOL_TINY(BobbinPost);
BOBBIN_POOL_TINY(BobbinRun);
#if defined(BOBBIN_BENCH_HAS_TBB)
BOBBIN_POOL_TINY(TbbTaskGroup);
#endif
#if defined(BOBBIN_BENCH_HAS_BOOST)
BOBBIN_POOL_TINY(AsioPost);
#endif
#if defined(BOBBIN_BENCH_HAS_THREAD_POOL)
BOBBIN_POOL_TINY(RvaserSubmit);
#endif

BENCHMARK_TEMPLATE(BM_Pool_Latency, BobbinRun)->UseRealTime();
#if defined(BOBBIN_BENCH_HAS_BOOST)
BENCHMARK_TEMPLATE(BM_Pool_Latency, AsioPost)->UseRealTime();
#endif
