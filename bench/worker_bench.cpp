// bench/worker_bench.cpp — the life of a bobbin::Worker beside a bare std::thread.
//
//   BM_Worker_StartToOnline<V>    from the constructor call to the parent's `on_online` (Bobbin:
//                                 a thread with its own loop, its ParentPort and the online
//                                 event delivered on the parent's loop; StdThread: from the
//                                 std::thread constructor until the new thread has signalled
//                                 that it runs). The teardown is not timed.
//   BM_Worker_TerminateToExit<V>  from terminate() to the parent's `on_exit` for a worker
//                                 blocked in receive() (Bobbin: the interrupt, the unwinding,
//                                 the teardown of the worker's loop and port, the exit event
//                                 delivered on the parent's loop; the Worker's destructor, which
//                                 joins the thread after the exit, runs untimed, as the start
//                                 does. StdThread: set a stop word, wake the thread waiting on
//                                 it, join (a bare thread's end is only seen by joining it).
//                                 BobbinIdle: the worker idles in its event loop (a listener
//                                 on its port, as in the Node script) and sleeps in the kernel.
//                                 StdThreadAsleep: the floor for that case, no library: a bare
//                                 thread asleep in the kernel on a stop word is woken, and the
//                                 timer stops when it acknowledges, seen by a caller that stays
//                                 awake (spins, then yields): one wake-up of a sleeping thread,
//                                 no teardown, no join.
//   BM_Worker_CreateJoin<V>       a whole life: start, an entry that returns at once, the exit
//                                 delivered (Bobbin) / std::thread create + join (StdThread),
//                                 the baseline row.
//
// bench/node/worker.js measures the same in Node (new Worker -> 'online', terminate() ->
// 'exit').
#include <bobbin/worker.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "bench_support.hpp"

namespace {

struct Bobbin {};
struct BobbinIdle {};  // TerminateToExit only: the worker asleep in its event loop, as in Node
struct StdThread {};
struct StdThreadAsleep {};  // TerminateToExit only: one wake-up of a sleeping bare thread

// Set-up of the idle variants, untimed: the caller stays awake for 200 µs, long past the other
// thread's spin and yield (the parking lot's ~2 µs and ~20 µs, libstdc++'s atomic wait's spin),
// so the other thread is asleep in the kernel when the timer starts.
void let_it_fall_asleep() {
  const auto from = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - from < std::chrono::microseconds(200)) {
    bobbin_bench::cpu_pause();
  }
}

// A worker blocked in receive() until it is terminated.
bobbin::Worker<int> blocked_worker(bool& online) {
  bobbin::Worker<int> w([](bobbin::ParentPort<int>& parent) {
    while (parent.receive()) {
    }
  });
  w.on_online([&online] { online = true; });
  return w;
}

void start_to_online(benchmark::State& state, Bobbin) {
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  // The teardown (terminate, the exit event and the destructor's join) runs while the timer is
  // paused, the join included: it waits for the end of the previous worker's thread.
  std::optional<bobbin::Worker<int>> w;
  for (auto _ : state) {
    bool online = false;
    w.emplace(blocked_worker(online));
    while (!online) loop.run_once();
    state.PauseTiming();
    bool exited = false;
    w->on_exit([&exited](int) { exited = true; });
    w->terminate();
    while (!exited) loop.run_once();
    w.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}

void start_to_online(benchmark::State& state, StdThread) {
  for (auto _ : state) {
    std::atomic<int> word{0};
    std::thread t([&word] {
      word.store(1);
      word.notify_one();
      word.wait(1);  // until told to stop
    });
    word.wait(0);
    state.PauseTiming();
    word.store(2);
    word.notify_one();
    t.join();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}

void terminate_to_exit(benchmark::State& state, Bobbin) {
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  // The previous iteration's worker is destroyed (its thread joined) while the timer is paused:
  // the exit event comes before the join, which is the destructor's business, not terminate's.
  std::optional<bobbin::Worker<int>> w;
  bool online = false, exited = false;
  for (auto _ : state) {
    state.PauseTiming();
    w.reset();
    online = false;
    exited = false;
    w.emplace(blocked_worker(online));
    w->on_exit([&exited](int) { exited = true; });
    while (!online) loop.run_once();
    state.ResumeTiming();
    w->terminate();
    while (!exited) loop.run_once();
  }
  w.reset();
  state.SetItemsProcessed(state.iterations());
}

// The worker idles in its event loop (a listener on its parent port, like the Node script's
// worker) and has had time to go to sleep in the kernel (the parking lot spins ~2 us and
// yields ~20 us first): terminate() has to wake a sleeping thread.
void terminate_to_exit(benchmark::State& state, BobbinIdle) {
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  std::optional<bobbin::Worker<int>> w;
  bool online = false, exited = false;
  for (auto _ : state) {
    state.PauseTiming();
    w.reset();
    online = false;
    exited = false;
    w.emplace([](bobbin::ParentPort<int>& parent) { parent.on_message([](int) {}); });
    w->on_online([&online] { online = true; });
    w->on_exit([&exited](int) { exited = true; });
    while (!online) loop.run_once();
    let_it_fall_asleep();
    state.ResumeTiming();
    w->terminate();
    while (!exited) loop.run_once();
  }
  w.reset();
  state.SetItemsProcessed(state.iterations());
}

void terminate_to_exit(benchmark::State& state, StdThread) {
  for (auto _ : state) {
    state.PauseTiming();
    std::atomic<int> word{0};
    std::thread t([&word] {
      word.store(1);
      word.notify_one();
      word.wait(1);
    });
    word.wait(0);
    state.ResumeTiming();
    word.store(2);
    word.notify_one();
    t.join();
  }
  state.SetItemsProcessed(state.iterations());
}

void terminate_to_exit(benchmark::State& state, StdThreadAsleep) {
  for (auto _ : state) {
    state.PauseTiming();
    std::atomic<int> word{0};
    std::atomic<bool> acknowledged{false};
    std::thread t([&] {
      word.store(1);
      word.notify_one();
      word.wait(1);  // asleep in the kernel by the time the stop word comes
      acknowledged.store(true);
    });
    word.wait(0);
    let_it_fall_asleep();
    state.ResumeTiming();
    word.store(2);
    word.notify_one();
    // Spin briefly, then yield: the woken thread may need this core.
    for (int spins = 0; !acknowledged.load(); ++spins) {
      if (spins < 64) {
        bobbin_bench::cpu_pause();
      } else {
        std::this_thread::yield();
      }
    }
    state.PauseTiming();
    t.join();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}

void create_join(benchmark::State& state, Bobbin) {
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  for (auto _ : state) {
    bool exited = false;
    bobbin::Worker<int> w([] {});
    w.on_exit([&exited](int) { exited = true; });
    while (!exited) loop.run_once();
  }
  state.SetItemsProcessed(state.iterations());
}

void create_join(benchmark::State& state, StdThread) {
  for (auto _ : state) {
    std::thread t([] {});
    t.join();
  }
  state.SetItemsProcessed(state.iterations());
}

template <class V>
void BM_Worker_StartToOnline(benchmark::State& state) {
  start_to_online(state, V{});
}
template <class V>
void BM_Worker_TerminateToExit(benchmark::State& state) {
  terminate_to_exit(state, V{});
}
template <class V>
void BM_Worker_CreateJoin(benchmark::State& state) {
  create_join(state, V{});
}

}  // namespace

#define BOBBIN_WORKER_BENCHES_(V)                  \
  BENCHMARK_TEMPLATE(BM_Worker_StartToOnline, V)   \
      ->UseRealTime()                              \
      ->Apply(bobbin_bench::with_min_max);         \
  BENCHMARK_TEMPLATE(BM_Worker_TerminateToExit, V) \
      ->UseRealTime()                              \
      ->Apply(bobbin_bench::with_min_max);         \
  BENCHMARK_TEMPLATE(BM_Worker_CreateJoin, V)->UseRealTime()->Apply(bobbin_bench::with_min_max)

BOBBIN_WORKER_BENCHES_(Bobbin);
BOBBIN_WORKER_BENCHES_(StdThread);

BENCHMARK_TEMPLATE(BM_Worker_TerminateToExit, BobbinIdle)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Worker_TerminateToExit, StdThreadAsleep)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);

#undef BOBBIN_WORKER_BENCHES_
