// tests/fuzz/ring_buffer_fuzz.cpp — libFuzzer target for bobbin::RingBuffer (label fuzz).
//
// Decodes the input into a single-threaded sequence of operations on a small ring — try_push,
// try_pop, bulk write and read (wrapping around the end of the slots), zero-timeout timed
// calls, close, size/empty — played through up to four RingBuffer objects attached to the same
// buffer (so stale per-object index caches are exercised), and checks every result against a
// std::deque model. Both a byte ring (RingBuffer<std::byte>, the book's byte stream) and a typed
// ring of a 3-byte struct run. A mismatch traps.
#include <bobbin/ring_buffer.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "support/fuzz_check.hpp"

namespace {

struct Rgb {
  std::uint8_t r, g, b;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

template <class T>
T make(std::uint8_t seed) {
  if constexpr (std::is_same_v<T, std::byte>) {
    return std::byte{seed};
  } else {
    return Rgb{seed, static_cast<std::uint8_t>(seed * 7), static_cast<std::uint8_t>(~seed)};
  }
}

using bobbin_fuzz::check;

template <class T>
void run(FuzzedDataProvider& in) {
  const std::size_t capacity = in.ConsumeIntegralInRange<std::size_t>(1, 17);
  bobbin::RingBuffer<T> first(capacity);
  std::vector<bobbin::RingBuffer<T>> rings{first};
  std::deque<T> model;
  bool closed = false;
  std::uint8_t next = 0;
  std::vector<T> scratch;

  while (in.remaining_bytes() > 0) {
    auto& rb = rings[in.ConsumeIntegralInRange<std::size_t>(0, rings.size() - 1)];
    switch (in.ConsumeIntegralInRange<int>(0, 10)) {
      case 0: {  // try_push
        const T v = make<T>(next);
        const bool expect = !closed && model.size() < capacity;
        check(rb.try_push(v) == expect);
        if (expect) model.push_back(v), ++next;
        break;
      }
      case 1: {  // try_pop
        const std::optional<T> got = rb.try_pop();
        check(got.has_value() == !model.empty());
        if (got) {
          check(*got == model.front());
          model.pop_front();
        }
        break;
      }
      case 2: {  // write, possibly wrapping and partial
        const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, capacity + 3);
        scratch.clear();
        for (std::size_t i = 0; i < n; ++i)
          scratch.push_back(make<T>(static_cast<std::uint8_t>(next + i)));
        const std::size_t expect = closed ? 0 : std::min(n, capacity - model.size());
        check(rb.write(std::span<const T>(scratch)) == expect);
        for (std::size_t i = 0; i < expect; ++i) model.push_back(scratch[i]);
        next = static_cast<std::uint8_t>(next + expect);
        break;
      }
      case 3: {  // read
        const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, capacity + 3);
        scratch.assign(n, make<T>(0));
        const std::size_t expect = std::min(n, model.size());
        check(rb.read(std::span<T>(scratch)) == expect);
        for (std::size_t i = 0; i < expect; ++i) {
          check(scratch[i] == model.front());
          model.pop_front();
        }
        break;
      }
      case 4: {  // timed push with a zero timeout: one attempt, never blocks for long
        const T v = make<T>(next);
        const bool expect = !closed && model.size() < capacity;
        check(rb.try_push_for(v, std::chrono::nanoseconds(0)) == expect);
        if (expect) model.push_back(v), ++next;
        break;
      }
      case 5: {  // timed pop with a zero timeout
        const std::optional<T> got = rb.try_pop_for(std::chrono::nanoseconds(0));
        check(got.has_value() == !model.empty());
        if (got) {
          check(*got == model.front());
          model.pop_front();
        }
        break;
      }
      case 6:  // a blocking call that cannot block: push into room, pop from a non-empty ring,
               // or anything once closed
        if (closed || model.size() < capacity) {
          const T v = make<T>(next);
          check(rb.push(v) == !closed);
          if (!closed) model.push_back(v), ++next;
        } else {
          const std::optional<T> got = rb.pop();
          check(got.has_value() && *got == model.front());
          model.pop_front();
        }
        break;
      case 7:
        if (in.ConsumeBool()) {
          rb.close();
          closed = true;
        }
        check(rb.closed() == closed);
        break;
      case 8:  // attach another object to the same buffer, or copy one (its caches too)
        if (rings.size() < 4) {
          if (in.ConsumeBool()) {
            rings.emplace_back(rb.buffer());
          } else {
            rings.push_back(rb);
          }
        }
        break;
      default:
        check(rb.size() == model.size());
        check(rb.empty() == model.empty());
        check(rb.capacity() == capacity);
        break;
    }
  }
  // Drain: everything left comes out in order, then nothing.
  for (const T& v : model) {
    const std::optional<T> got = rings.front().try_pop();
    check(got.has_value() && *got == v);
  }
  check(!rings.back().try_pop().has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    run<std::byte>(in);
  } else {
    run<Rgb>(in);
  }
  return 0;
}
