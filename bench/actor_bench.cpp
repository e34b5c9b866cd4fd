// bench/actor_bench.cpp — bobbin's actors beside CAF 0.17 (the C++ Actor Framework), in the
// same binary and the same run, each with two scheduler threads.
//
//   BM_Actor_PingPong<V>   two actors bounce a counter kHops times (each hop is one message
//       from one actor to the other); items_per_second is messages per second.
//   BM_Actor_FanIn<V>      two plain threads each tell one actor kEach messages; the actor
//       counts them; items_per_second is messages per second into the one mailbox.
//   BM_Actor_AskRoundTrip<V>   the benchmark thread (not an actor) asks an echo actor and
//       blocks for the answer; time per round trip (request, schedule, reply, wake-up).
//
// Variants V:
//   Bobbin   bobbin::ActorSystem(2), unbounded mailboxes, fire-and-forget tell.
//   Caf      caf::actor_system with scheduler.max-threads = 2, event-based actors, send /
//            anon_send; the round trip is a caf::scoped_actor's request(...).receive(...).
//
// Each iteration ends when the last message has been handled (the actor settles a promise
// that the benchmark thread waits on), so queued-but-unhandled messages never count.
#include <bobbin/actor.hpp>
#include <bobbin/promise.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_CAF)
#include <caf/all.hpp>
#endif

namespace {

constexpr int kHops = 100000;
constexpr int kEach = 200000;

struct Bobbin {};
struct Caf {};

template <class V>
void BM_Actor_PingPong(benchmark::State& state);

template <class V>
void BM_Actor_FanIn(benchmark::State& state);

template <class V>
void BM_Actor_AskRoundTrip(benchmark::State& state);

// ---- bobbin ---------------------------------------------------------------------------------

template <>
void BM_Actor_PingPong<Bobbin>(benchmark::State& state) {
  struct Shared {
    bobbin::ActorRef<int, void> ping;
    bobbin::ActorRef<int, void> pong;
    bobbin::Resolver<void> done;  // written before the first hop of an iteration
  };
  Shared shared;
  bobbin::ActorSystem actors(2);
  shared.pong = actors.spawn<int>([&shared](int n) { shared.ping.tell(n + 1); });
  shared.ping = actors.spawn<int>([&shared](int n) {
    if (n >= kHops) {
      shared.done.resolve();
    } else {
      shared.pong.tell(n + 1);
    }
  });
  for (auto _ : state) {
    auto [promise, resolver] = bobbin::Promise<void>::with_resolvers();
    shared.done = resolver;
    shared.ping.tell(0);
    promise.get();
  }
  state.SetItemsProcessed(state.iterations() * kHops);
  actors.stop().get();
}

template <>
void BM_Actor_FanIn<Bobbin>(benchmark::State& state) {
  struct Shared {
    std::int64_t count = 0;  // the actor's
    bobbin::Resolver<void> done;
  };
  Shared shared;
  bobbin::ActorSystem actors(2);
  auto sink = actors.spawn<int>([&shared](int) {
    if (++shared.count == 2 * kEach) {
      shared.count = 0;
      shared.done.resolve();
    }
  });
  for (auto _ : state) {
    auto [promise, resolver] = bobbin::Promise<void>::with_resolvers();
    shared.done = resolver;
    std::thread a([&] {
      for (int i = 0; i < kEach; ++i) sink.tell(i);
    });
    std::thread b([&] {
      for (int i = 0; i < kEach; ++i) sink.tell(i);
    });
    a.join();
    b.join();
    promise.get();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kEach);
  actors.stop().get();
}

template <>
void BM_Actor_AskRoundTrip<Bobbin>(benchmark::State& state) {
  bobbin::ActorSystem actors(2);
  auto echo = actors.spawn<int>([](int n) { return n + 1; });
  int n = 0;
  for (auto _ : state) {
    n = echo.ask(n).get();
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(state.iterations());
  actors.stop().get();
}

// ---- CAF 0.17 -------------------------------------------------------------------------------

#if defined(BOBBIN_BENCH_HAS_CAF)

struct CafRun {
  int target = 0;
  std::promise<void> done;
};

caf::behavior caf_pong(caf::event_based_actor* self) {
  return {
      [self](int n) { self->send(caf::actor_cast<caf::actor>(self->current_sender()), n + 1); },
  };
}

caf::behavior caf_ping(caf::event_based_actor* self, caf::actor pong,
                       std::shared_ptr<CafRun*> run) {
  return {
      [self, pong, run](int n) {
        if (n >= (*run)->target) {
          (*run)->done.set_value();
        } else {
          self->send(pong, n + 1);
        }
      },
  };
}

caf::behavior caf_sink(caf::event_based_actor*, std::shared_ptr<CafRun*> run) {
  auto count = std::make_shared<std::int64_t>(0);
  return {
      [run, count](int) {
        if (++*count == (*run)->target) {
          *count = 0;
          (*run)->done.set_value();
        }
      },
  };
}

void configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
}

template <>
void BM_Actor_PingPong<Caf>(benchmark::State& state) {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system system{cfg};
  auto run = std::make_shared<CafRun*>(nullptr);
  auto pong = system.spawn(caf_pong);
  auto ping = system.spawn(caf_ping, pong, run);
  for (auto _ : state) {
    CafRun current;
    current.target = kHops;
    std::future<void> finished = current.done.get_future();
    *run = &current;  // published to the actors by the send below
    caf::anon_send(ping, 0);
    finished.wait();
  }
  state.SetItemsProcessed(state.iterations() * kHops);
  caf::anon_send_exit(ping, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
}

template <>
void BM_Actor_FanIn<Caf>(benchmark::State& state) {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system system{cfg};
  auto run = std::make_shared<CafRun*>(nullptr);
  auto sink = system.spawn(caf_sink, run);
  for (auto _ : state) {
    CafRun current;
    current.target = 2 * kEach;
    std::future<void> finished = current.done.get_future();
    *run = &current;
    std::thread a([&] {
      for (int i = 0; i < kEach; ++i) caf::anon_send(sink, i);
    });
    std::thread b([&] {
      for (int i = 0; i < kEach; ++i) caf::anon_send(sink, i);
    });
    a.join();
    b.join();
    finished.wait();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kEach);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}

template <>
void BM_Actor_AskRoundTrip<Caf>(benchmark::State& state) {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system system{cfg};
  auto echo = system.spawn([]() -> caf::behavior { return {[](int n) { return n + 1; }}; });
  int n = 0;
  {
    caf::scoped_actor self{system};
    for (auto _ : state) {
      self->request(echo, caf::infinite, n)
          .receive([&](int r) { n = r; },
                   [&](const caf::error&) { state.SkipWithError("CAF request failed"); });
    }
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(state.iterations());
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
}

#endif  // BOBBIN_BENCH_HAS_CAF

}  // namespace

BENCHMARK_TEMPLATE(BM_Actor_PingPong, Bobbin)->UseRealTime()->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Actor_FanIn, Bobbin)->UseRealTime()->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Actor_AskRoundTrip, Bobbin)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
#if defined(BOBBIN_BENCH_HAS_CAF)
BENCHMARK_TEMPLATE(BM_Actor_PingPong, Caf)->UseRealTime()->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Actor_FanIn, Caf)->UseRealTime()->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_Actor_AskRoundTrip, Caf)->UseRealTime()->Apply(bobbin_bench::with_min_max);
#endif
