// bench/event_loop_bench.cpp — bobbin::EventLoop beside libuv (the loop Node.js runs on).
//
//   BM_EventLoop_PostRoundTrip<V>  two loops on two threads: loop A hands a task to loop B,
//                                  whose callback hands a reply back to A; time per round trip
//                                  (items_per_second = round trips per second)
//   BM_EventLoop_Timers<V>         1,000,000 one-shot timers (delays 0-3 ms, shuffled)
//                                  scheduled and fired on one loop; counter per_timer is the
//                                  time per timer from scheduling to the end of its callback
//
// Variants V: Bobbin (EventLoop::post / set_timeout) and, when CMake found libuv
// (BOBBIN_BENCH_HAS_LIBUV), Libuv: one uv_async_t per loop with uv_async_send for the round
// trip; for the timers a heap-allocated uv_timer_t per timer, uv_timer_init + uv_timer_start,
// and uv_close with a free() in its close callback (a one-shot timer's whole life).
//
// The peer thread of the round trip is started in the benchmark body and stopped by a guard.
#include <bobbin/event_loop.hpp>
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_LIBUV)
#include <uv.h>
#endif

namespace {

constexpr std::int64_t kTimers = 1'000'000;

// The delay of timer i, in milliseconds: 0 to 3, in a scrambled order.
inline unsigned delay_ms(std::int64_t i) {
  return static_cast<unsigned>((static_cast<std::uint64_t>(i) * 2654435761u) >> 7) % 4;
}

struct Bobbin {};
#if defined(BOBBIN_BENCH_HAS_LIBUV)
struct Libuv {};
#endif

// ---------------------------------------------------------------------------------------------
// Round trip.

// Loop A lives on the heap in both variants, and in libuv's so does B (whose loop runs on the
// peer thread): on the benchmark thread's stack, the state the other thread touches would share
// cache lines with whatever the benchmark thread spills or calls there.
void round_trip(benchmark::State& state, Bobbin) {
  const auto a_owner = std::make_unique<bobbin::EventLoop>();
  bobbin::EventLoop& a = *a_owner;
  std::atomic<bobbin::EventLoop*> b_ptr{nullptr};
  std::shared_ptr<bobbin::EventLoop> b_keep;  // alive until our last post() has returned
  std::thread peer([&] {
    bobbin::EventLoop& b = bobbin::EventLoop::current();
    b.add_ref();
    b_keep = b.shared_from_this();
    b_ptr.store(&b);
    b.run();
  });
  while (b_ptr.load() == nullptr) std::this_thread::yield();
  bobbin::EventLoop& b = *b_ptr.load();
  a.add_ref();  // run_once waits for the reply instead of returning
  bool replied = false;
  auto trip = [&] {
    b.post([&] { a.post([&] { replied = true; }); });
    while (!replied) a.run_once();
    replied = false;
  };
  for (int i = 0; i < 100; ++i) trip();  // untimed warm-up
  for (auto _ : state) trip();
  state.SetItemsProcessed(state.iterations());
  b.post([&] { b.release_ref(); });
  peer.join();
  a.release_ref();
}

#if defined(BOBBIN_BENCH_HAS_LIBUV)
struct UvSide {
  uv_loop_t loop{};
  uv_async_t async{};
  UvSide* other = nullptr;
  bool replied = false;
  std::atomic<bool> quit{false};
};

void round_trip(benchmark::State& state, Libuv) {
  const auto a_owner = std::make_unique<UvSide>();
  const auto b_owner = std::make_unique<UvSide>();
  UvSide& a = *a_owner;
  UvSide& b = *b_owner;
  uv_loop_init(&a.loop);
  a.async.data = &a;
  uv_async_init(&a.loop, &a.async, [](uv_async_t* h) { static_cast<UvSide*>(h->data)->replied = true; });
  std::atomic<bool> b_ready{false};
  std::thread peer([&] {
    uv_loop_init(&b.loop);
    b.async.data = &b;
    b.other = &a;
    uv_async_init(&b.loop, &b.async, [](uv_async_t* h) {
      auto* self = static_cast<UvSide*>(h->data);
      if (self->quit.load()) {
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
        return;
      }
      uv_async_send(&self->other->async);
    });
    b_ready.store(true);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
  });
  while (!b_ready.load()) std::this_thread::yield();
  auto trip = [&] {
    uv_async_send(&b.async);
    while (!a.replied) uv_run(&a.loop, UV_RUN_ONCE);
    a.replied = false;
  };
  for (int i = 0; i < 100; ++i) trip();
  for (auto _ : state) trip();
  state.SetItemsProcessed(state.iterations());
  b.quit.store(true);
  uv_async_send(&b.async);
  peer.join();
  uv_close(reinterpret_cast<uv_handle_t*>(&a.async), nullptr);
  uv_run(&a.loop, UV_RUN_DEFAULT);
  uv_loop_close(&a.loop);
}
#endif

template <class V>
void BM_EventLoop_PostRoundTrip(benchmark::State& state) {
  round_trip(state, V{});
}

// ---------------------------------------------------------------------------------------------
// One million one-shot timers.

void timers(benchmark::State& state, Bobbin) {
  bobbin::EventLoop loop;
  std::int64_t fired = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kTimers; ++i) {
      loop.set_timeout([&fired] { ++fired; }, std::chrono::milliseconds(delay_ms(i)));
    }
    loop.run();
  }
  if (fired != kTimers * state.iterations()) state.SkipWithError("a timer did not fire");
}

#if defined(BOBBIN_BENCH_HAS_LIBUV)
void timers(benchmark::State& state, Libuv) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::int64_t fired = 0;
  loop.data = &fired;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kTimers; ++i) {
      auto* timer = static_cast<uv_timer_t*>(std::malloc(sizeof(uv_timer_t)));
      uv_timer_init(&loop, timer);
      uv_timer_start(
          timer,
          [](uv_timer_t* t) {
            ++*static_cast<std::int64_t*>(t->loop->data);
            uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { std::free(h); });
          },
          delay_ms(i), 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  if (fired != kTimers * state.iterations()) state.SkipWithError("a timer did not fire");
}
#endif

template <class V>
void BM_EventLoop_Timers(benchmark::State& state) {
  timers(state, V{});
  state.SetItemsProcessed(state.iterations() * kTimers);
  state.counters["per_timer"] = benchmark::Counter(
      static_cast<double>(kTimers),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

#define BOBBIN_EVENT_LOOP_BENCH_(V)                                                  \
  BENCHMARK_TEMPLATE(BM_EventLoop_PostRoundTrip, V)                                 \
      ->UseRealTime()                                                               \
      ->Apply(bobbin_bench::with_min_max);                                          \
  BENCHMARK_TEMPLATE(BM_EventLoop_Timers, V)                                        \
      ->UseRealTime()                                                               \
      ->Unit(benchmark::kMillisecond)                                               \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_EVENT_LOOP_BENCH_(Bobbin);
#if defined(BOBBIN_BENCH_HAS_LIBUV)
BOBBIN_EVENT_LOOP_BENCH_(Libuv);
#endif

}  // namespace
