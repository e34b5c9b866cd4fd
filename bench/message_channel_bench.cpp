// bench/message_channel_bench.cpp — bobbin::MessageChannel: round trips, one-way throughput and
// large payloads posted as a clone, a transfer or a shared handle (bench/node/message_channel.js
// runs the same workloads with Node's MessageChannel between the main thread and a worker).
//
//   BM_MessageChannel_RoundTrip<V>   the benchmark thread posts an int and waits for the reply
//       from a helper thread that echoes it; time per round trip.
//         Bobbin              both threads block in MessagePort::receive()
//         BobbinLoop          the helper serves its port with on_message on its event loop
//                             (what a worker does); the benchmark thread blocks in receive()
//         MoodycamelBlocking  two moodycamel::BlockingConcurrentQueue<int> (a peer, when found)
//   BM_MessageChannel_OneWay<V>      the benchmark thread posts a batch of small messages, a
//       helper receives them all and acknowledges the batch; items_per_second is the rate.
//         Bobbin              the helper blocks in receive()
//         BobbinLoop          the helper's listener on its event loop
//         MoodycamelBlocking  moodycamel::BlockingConcurrentQueue<int> (a peer, when found)
//   BM_MessageChannel_Payload<V>/bytes:N   a payload of N bytes posted to a helper, which
//       acknowledges it; time per payload, bytes_per_second the payload rate.
//         Clone       post_message(buf): one allocation and one copy of N bytes; ack an int
//         Transfer    post_message(std::move(buf)); the helper transfers it back as the ack
//                     (two transfers per iteration, no copy)
//         Share       a SharedArrayBuffer handle (a reference count); ack an int
//         Memcpy      the baseline for Clone: one std::memcpy of N bytes into a buffer
//                     allocated once, on the benchmark thread, no messaging
//         CloneAlone  a diagnostic for Clone: the clone's allocate-and-copy alone (copy an
//                     ArrayBuffer, drop the copy), on the benchmark thread, no messaging
#include <bobbin/array_buffer.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/shared_array_buffer.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "bench_support.hpp"

#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
#include <blockingconcurrentqueue.h>
#endif

namespace {

constexpr int kStop = -1;
constexpr std::int64_t kOneWayBatch = 1 << 14;  // messages per iteration of OneWay

// ---------------------------------------------------------------------------------------------
// Round trip.

struct Bobbin {};
struct BobbinLoop {};
struct MoodycamelBlocking {};

template <class V>
void BM_MessageChannel_RoundTrip(benchmark::State& state);

// The timed side of the bobbin round trips: `port` posts v and blocks for the echo's answer;
// kStop then ends `echo`.
template <class Port>
void time_round_trips(benchmark::State& state, Port& port, std::thread& echo) {
  int v = 0;
  for (auto _ : state) {
    port.post_message(v);
    v = *port.receive();
  }
  port.post_message(kStop);
  echo.join();
  benchmark::DoNotOptimize(v);
  state.SetItemsProcessed(state.iterations());
}

template <>
void BM_MessageChannel_RoundTrip<Bobbin>(benchmark::State& state) {
  bobbin::MessageChannel<int> ch;
  std::thread echo([p = std::move(ch.port2)]() mutable {
    while (auto v = p.receive()) {
      if (*v == kStop) return;
      p.post_message(*v + 1);
    }
  });
  time_round_trips(state, ch.port1, echo);
}

template <>
void BM_MessageChannel_RoundTrip<BobbinLoop>(benchmark::State& state) {
  bobbin::MessageChannel<int> ch;
  std::thread echo([p = std::move(ch.port2)]() mutable {
    p.on_message([&](int v) {
      if (v == kStop) {
        p.close();
      } else {
        p.post_message(v + 1);
      }
    });
    bobbin::run();
  });
  time_round_trips(state, ch.port1, echo);
}

#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
template <>
void BM_MessageChannel_RoundTrip<MoodycamelBlocking>(benchmark::State& state) {
  using Queue = moodycamel::BlockingConcurrentQueue<int>;
  const bobbin_bench::HeapPair<Queue> queues;
  Queue* const there = queues.there();
  Queue* const back = queues.back();
  std::thread echo([there, back] {
    for (;;) {
      int v = 0;
      there->wait_dequeue(v);
      if (v == kStop) return;
      back->enqueue(v + 1);
    }
  });
  int v = 0;
  for (auto _ : state) {
    there->enqueue(v);
    back->wait_dequeue(v);
  }
  there->enqueue(kStop);
  echo.join();
  benchmark::DoNotOptimize(v);
  state.SetItemsProcessed(state.iterations());
}
#endif

BENCHMARK_TEMPLATE(BM_MessageChannel_RoundTrip, Bobbin)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
BENCHMARK_TEMPLATE(BM_MessageChannel_RoundTrip, BobbinLoop)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
BENCHMARK_TEMPLATE(BM_MessageChannel_RoundTrip, MoodycamelBlocking)
    ->UseRealTime()
    ->Apply(bobbin_bench::with_min_max);
#endif

// ---------------------------------------------------------------------------------------------
// One-way throughput of small messages, acknowledged per batch.

template <class V>
void BM_MessageChannel_OneWay(benchmark::State& state);

// The timed side of the bobbin one-way runs: `port` posts kOneWayBatch messages and waits for
// the sink's one ack; kStop then ends `sink`.
template <class Port>
void time_one_way_batches(benchmark::State& state, Port& port, std::thread& sink) {
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kOneWayBatch; ++i) port.post_message(static_cast<int>(i));
    benchmark::DoNotOptimize(port.receive());
  }
  port.post_message(kStop);
  sink.join();
  state.SetItemsProcessed(state.iterations() * kOneWayBatch);
}

template <>
void BM_MessageChannel_OneWay<Bobbin>(benchmark::State& state) {
  bobbin::MessageChannel<int> ch;
  std::thread sink([p = std::move(ch.port2)]() mutable {
    std::int64_t n = 0;
    while (auto v = p.receive()) {
      if (*v == kStop) return;
      if (++n == kOneWayBatch) {
        n = 0;
        p.post_message(0);  // ack
      }
    }
  });
  time_one_way_batches(state, ch.port1, sink);
}

template <>
void BM_MessageChannel_OneWay<BobbinLoop>(benchmark::State& state) {
  bobbin::MessageChannel<int> ch;
  std::thread sink([p = std::move(ch.port2)]() mutable {
    std::int64_t n = 0;
    p.on_message([&](int v) {
      if (v == kStop) {
        p.close();
      } else if (++n == kOneWayBatch) {
        n = 0;
        p.post_message(0);  // ack
      }
    });
    bobbin::run();
  });
  time_one_way_batches(state, ch.port1, sink);
}

#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
template <>
void BM_MessageChannel_OneWay<MoodycamelBlocking>(benchmark::State& state) {
  using Queue = moodycamel::BlockingConcurrentQueue<int>;
  const bobbin_bench::HeapPair<Queue> queues;
  Queue* const there = queues.there();
  Queue* const back = queues.back();
  std::thread sink([there, back] {
    std::int64_t n = 0;
    for (;;) {
      int v = 0;
      there->wait_dequeue(v);
      if (v == kStop) return;
      if (++n == kOneWayBatch) {
        n = 0;
        back->enqueue(0);
      }
    }
  });
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kOneWayBatch; ++i) there->enqueue(static_cast<int>(i));
    int ack = 0;
    back->wait_dequeue(ack);
    benchmark::DoNotOptimize(ack);
  }
  there->enqueue(kStop);
  sink.join();
  state.SetItemsProcessed(state.iterations() * kOneWayBatch);
}
#endif

#define BOBBIN_BENCH_ONEWAY_(V)                   \
  BENCHMARK_TEMPLATE(BM_MessageChannel_OneWay, V) \
      ->UseRealTime()                             \
      ->Unit(benchmark::kMicrosecond)             \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_BENCH_ONEWAY_(Bobbin);
BOBBIN_BENCH_ONEWAY_(BobbinLoop);
#if defined(BOBBIN_BENCH_HAS_MOODYCAMEL)
BOBBIN_BENCH_ONEWAY_(MoodycamelBlocking);
#endif

// ---------------------------------------------------------------------------------------------
// Payloads: clone, transfer, share, and the memcpy baseline.

struct Clone {};
struct Transfer {};
struct Share {};
struct Memcpy {};
struct CloneAlone {};

void fill(std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>(i * 131);
}

template <class V>
void BM_MessageChannel_Payload(benchmark::State& state);

// One round trip per iteration: port1 posts a copy of `payload` (a clone for an ArrayBuffer,
// the same memory for a SharedArrayBuffer) and the sink answers with `ack(received)`. An empty
// buffer ends the sink.
template <class Buffer, class Ack>
void copy_round_trips(benchmark::State& state, const Buffer& payload, Ack ack) {
  bobbin::MessageChannel<Buffer, int> ch;
  std::thread sink([p = std::move(ch.port2), ack]() mutable {
    while (auto buf = p.receive()) {
      if (buf->byte_length() == 0) return;
      p.post_message(ack(*buf));
    }
  });
  for (auto _ : state) {
    ch.port1.post_message(payload);
    benchmark::DoNotOptimize(ch.port1.receive());
  }
  ch.port1.post_message(Buffer(0));
  sink.join();
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

template <>
void BM_MessageChannel_Payload<Clone>(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  bobbin::ArrayBuffer buf(bytes);
  fill(buf.data(), bytes);
  copy_round_trips(state, buf, [](const bobbin::ArrayBuffer& b) {
    return static_cast<int>(b.data()[b.byte_length() - 1]);
  });
}

template <>
void BM_MessageChannel_Payload<Transfer>(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  bobbin::MessageChannel<bobbin::ArrayBuffer> ch;
  std::thread sink([p = std::move(ch.port2)]() mutable {
    while (auto buf = p.receive()) {
      if (buf->byte_length() == 0) return;
      p.post_message(std::move(*buf));  // the ack transfers it back
    }
  });
  bobbin::ArrayBuffer buf(bytes);
  fill(buf.data(), bytes);
  for (auto _ : state) {
    ch.port1.post_message(std::move(buf));  // a transfer
    buf = *ch.port1.receive();
  }
  ch.port1.post_message(bobbin::ArrayBuffer(0));
  sink.join();
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

template <>
void BM_MessageChannel_Payload<Share>(benchmark::State& state) {
  const bobbin::SharedArrayBuffer sab(static_cast<std::size_t>(state.range(0)));
  copy_round_trips(state, sab, [](const bobbin::SharedArrayBuffer& b) {
    return static_cast<int>(b.byte_length() & 0xff);
  });
}

template <>
void BM_MessageChannel_Payload<Memcpy>(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> src(bytes);
  std::vector<std::byte> dst(bytes);
  fill(src.data(), bytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(dst.data());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

template <>
void BM_MessageChannel_Payload<CloneAlone>(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  bobbin::ArrayBuffer buf(bytes);
  fill(buf.data(), bytes);
  for (auto _ : state) {
    bobbin::ArrayBuffer copy(buf);
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

#define BOBBIN_BENCH_PAYLOAD_(V)                   \
  BENCHMARK_TEMPLATE(BM_MessageChannel_Payload, V) \
      ->ArgName("bytes")                           \
      ->Arg(1 << 10)                               \
      ->Arg(64 << 10)                              \
      ->Arg(1 << 20)                               \
      ->Arg(16 << 20)                              \
      ->Arg(64 << 20)                              \
      ->UseRealTime()                              \
      ->Unit(benchmark::kMicrosecond)              \
      ->Apply(bobbin_bench::with_min_max)

BOBBIN_BENCH_PAYLOAD_(Clone);
BOBBIN_BENCH_PAYLOAD_(Transfer);
BOBBIN_BENCH_PAYLOAD_(Share);
BOBBIN_BENCH_PAYLOAD_(Memcpy);
BOBBIN_BENCH_PAYLOAD_(CloneAlone);

}  // namespace
