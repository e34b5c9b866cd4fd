// bench/promise_bench.cpp — bobbin::Promise: settle → continuation latency, on one loop and
// across threads.
//
//   BM_Promise_SameLoop<V>     one thread: make a promise, attach a continuation, settle it,
//                              run the loop until the continuation ran; time per promise
//   BM_Promise_CrossThread<V>  the benchmark thread makes a promise and posts its settlement
//                              to a helper thread's loop, then waits for the result; time per
//                              round trip (post → settle on the helper → back)
//
// Variants of SameLoop: Bobbin (with_resolvers + then + resolve + run), Microtask (the floor:
// one queue_microtask + run, no promise at all).
// Variants of CrossThread: BobbinThen (the continuation runs on the benchmark thread's loop:
// the settle posts it there, run() wakes for it), BobbinGet (get() parks on the promise until
// the helper settles it), StdFuture (std::promise::set_value on the helper, future::get()
// here: the mutex+condvar baseline). The helper is an event loop served by its own thread,
// reached with EventLoop::post in every variant.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <benchmark/benchmark.h>

#include <future>
#include <memory>
#include <thread>

#include "bench_support.hpp"

namespace {

struct Bobbin {};
struct Microtask {};
struct BobbinThen {};
struct BobbinGet {};
struct StdFuture {};

template <class V>
void BM_Promise_SameLoop(benchmark::State& state) {
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  int count = 0;
  for (auto _ : state) {
    if constexpr (std::is_same_v<V, Bobbin>) {
      auto [p, r] = bobbin::Promise<int>::with_resolvers();
      p.then([&count](int v) { count += v; });
      r.resolve(1);
    } else {
      loop.queue_microtask([&count] { count += 1; });
    }
    loop.run();
  }
  benchmark::DoNotOptimize(count);
  if (count != static_cast<int>(state.iterations())) state.SkipWithError("lost continuations");
  state.SetItemsProcessed(state.iterations());
}

// A thread serving its own loop until stopped.
class Helper {
 public:
  Helper() {
    std::promise<std::shared_ptr<bobbin::EventLoop>> ready;
    auto got = ready.get_future();
    thread_ = std::thread([&ready] {
      bobbin::EventLoop& loop = bobbin::EventLoop::current();
      loop.add_ref();  // serve until the destructor releases it
      ready.set_value(loop.shared_from_this());
      loop.run();
    });
    loop_ = got.get();
  }
  ~Helper() {
    loop_->post([loop = loop_.get()] { loop->release_ref(); });
    thread_.join();
  }
  bobbin::EventLoop& loop() { return *loop_; }

 private:
  std::shared_ptr<bobbin::EventLoop> loop_;
  std::thread thread_;
};

template <class V>
void BM_Promise_CrossThread(benchmark::State& state) {
  Helper helper;
  bobbin::EventLoop& here = bobbin::EventLoop::current();
  long long total = 0;
  for (auto _ : state) {
    if constexpr (std::is_same_v<V, BobbinThen>) {
      auto [p, r] = bobbin::Promise<int>::with_resolvers();
      p.then([&total](int v) { total += v; });
      helper.loop().post([r = r] { r.resolve(1); });
      here.run();  // returns once the continuation ran here
    } else if constexpr (std::is_same_v<V, BobbinGet>) {
      auto [p, r] = bobbin::Promise<int>::with_resolvers();
      helper.loop().post([r = r] { r.resolve(1); });
      total += p.get();
    } else {
      auto sp = std::make_shared<std::promise<int>>();
      auto f = sp->get_future();
      helper.loop().post([sp] { sp->set_value(1); });
      total += f.get();
    }
  }
  if (total != static_cast<long long>(state.iterations())) state.SkipWithError("lost results");
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_TEMPLATE(BM_Promise_SameLoop, Bobbin)->UseRealTime()->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Promise_SameLoop, Microtask)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Promise_CrossThread, BobbinThen)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Promise_CrossThread, BobbinGet)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Promise_CrossThread, StdFuture)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);

}  // namespace
