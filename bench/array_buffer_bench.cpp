// bench/array_buffer_bench.cpp — moving and copying an ArrayBuffer beside plain memory copies.
//
//   BM_ArrayBuffer_MoveOrCopy<V>/bytes:N   one operation on an N-byte buffer, N = 1 KiB … 64 MiB;
//                                    bytes_per_second counts N bytes per operation
//
// Variants V:
//   Move        ArrayBuffer move-construct, then move-assign back: a transfer, O(1)
//   Transfer    buffer = buffer.transfer(): JavaScript's ArrayBuffer.prototype.transfer, O(1)
//               (one small allocation for the new buffer's identity)
//   Clone       ArrayBuffer copy-construct (structured clone): allocate + copy + free
//   Memcpy      std::memcpy into a preallocated, already touched destination (the floor)
//   VectorCopy  std::vector<std::byte> copy-construct: allocate + copy + free, like Clone
//
// The 64 MiB runs take tens of milliseconds per operation, so Google Benchmark gives them few
// iterations on its own. Allocations that large are fresh mappings from the C library, so
// Clone and VectorCopy there include the page faults of the new memory.
#include <bobbin/array_buffer.hpp>
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "bench_support.hpp"

namespace {

// Some bytes that are not all zero, written once so every page is touched before timing.
void fill_pattern(std::byte* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::byte>(i * 131 + 7);
}

bobbin::ArrayBuffer make_source(std::size_t size) {
  bobbin::ArrayBuffer buffer(size);
  fill_pattern(buffer.data(), size);
  return buffer;
}

struct Move {
  bobbin::ArrayBuffer buffer;
  explicit Move(std::size_t size) : buffer(make_source(size)) {}
  void operator()() {
    bobbin::ArrayBuffer moved(std::move(buffer));
    buffer = std::move(moved);
    benchmark::DoNotOptimize(buffer.data());
  }
  [[nodiscard]] bool ok(std::size_t size) const { return buffer.byte_length() == size; }
};

struct Transfer {
  bobbin::ArrayBuffer buffer;
  explicit Transfer(std::size_t size) : buffer(make_source(size)) {}
  void operator()() {
    buffer = buffer.transfer();
    benchmark::DoNotOptimize(buffer.data());
  }
  [[nodiscard]] bool ok(std::size_t size) const { return buffer.byte_length() == size; }
};

struct Clone {
  bobbin::ArrayBuffer buffer;
  explicit Clone(std::size_t size) : buffer(make_source(size)) {}
  void operator()() {
    bobbin::ArrayBuffer copy(buffer);
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  [[nodiscard]] bool ok(std::size_t size) const { return buffer.byte_length() == size; }
};

struct Memcpy {
  std::vector<std::byte> source;
  std::vector<std::byte> destination;
  explicit Memcpy(std::size_t size) : source(size), destination(size) {
    fill_pattern(source.data(), size);
    fill_pattern(destination.data(), size);  // touch the destination's pages before timing
  }
  void operator()() {
    std::memcpy(destination.data(), source.data(), source.size());
    benchmark::DoNotOptimize(destination.data());
    benchmark::ClobberMemory();
  }
  [[nodiscard]] bool ok(std::size_t size) const { return destination.size() == size; }
};

struct VectorCopy {
  std::vector<std::byte> source;
  explicit VectorCopy(std::size_t size) : source(size) { fill_pattern(source.data(), size); }
  void operator()() {
    std::vector<std::byte> copy(source);
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  [[nodiscard]] bool ok(std::size_t size) const { return source.size() == size; }
};

template <class Op>
void BM_ArrayBuffer_MoveOrCopy(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Op op(size);
  for (auto _ : state) op();
  if (!op.ok(size)) state.SkipWithError("the buffer lost its bytes");
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("bytes");
  for (const std::int64_t size :
       {std::int64_t{1} << 10, std::int64_t{64} << 10, std::int64_t{1} << 20,
        std::int64_t{16} << 20, std::int64_t{64} << 20}) {
    b->Arg(size);
  }
  b->UseRealTime();
  bobbin_bench::with_min_max(b);
}

BENCHMARK_TEMPLATE(BM_ArrayBuffer_MoveOrCopy, Move)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_ArrayBuffer_MoveOrCopy, Transfer)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_ArrayBuffer_MoveOrCopy, Clone)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_ArrayBuffer_MoveOrCopy, Memcpy)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_ArrayBuffer_MoveOrCopy, VectorCopy)->Apply(sizes);

}  // namespace
