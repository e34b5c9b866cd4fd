// tests/fuzz/bounded_queue_fuzz.cpp — libFuzzer target for bobbin::BoundedQueue (label fuzz).
//
// Decodes the input into a single-threaded sequence of operations on a small queue of a
// move-only element (std::unique_ptr<int>) — try_push (a failed push must leave its argument
// untouched), try_emplace, try_pop, zero-timeout timed calls, blocking calls that cannot
// block, close, size/empty — and checks every result against a std::deque<int> model. Also
// checks that a capacity of 0 or above max_capacity() throws RangeError. A mismatch traps.
#include <bobbin/bounded_queue.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "support/fuzz_check.hpp"

namespace {

using Item = std::unique_ptr<int>;

using bobbin_fuzz::check;

bool rejects_capacity(std::size_t capacity) {
  try {
    bobbin::BoundedQueue<Item> q(capacity);
  } catch (const bobbin::RangeError&) {
    return true;
  }
  return false;
}

void check_pop(const std::optional<Item>& got, std::deque<int>& model) {
  check(got.has_value() == !model.empty());
  if (got) {
    check(*got != nullptr && **got == model.front());
    model.pop_front();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  using Queue = bobbin::BoundedQueue<Item>;
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) {
    check(rejects_capacity(0));
    if (Queue::max_capacity() < std::numeric_limits<std::size_t>::max()) {
      check(rejects_capacity(Queue::max_capacity() + 1));
    }
  }
  const std::size_t capacity = in.ConsumeIntegralInRange<std::size_t>(1, 9);
  Queue q(capacity);
  std::deque<int> model;
  bool closed = false;
  int next = 0;

  while (in.remaining_bytes() > 0) {
    const bool room = !closed && model.size() < capacity;
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {  // try_push(T&&): on failure the argument is left untouched
        Item v = std::make_unique<int>(next);
        const bool ok = q.try_push(std::move(v));
        check(ok == room);
        check(ok ? v == nullptr : v != nullptr && *v == next);
        if (ok) model.push_back(next++);
        break;
      }
      case 1: {  // try_emplace constructs only once a slot is reserved: on failure the
                 // argument is left untouched
        Item v = std::make_unique<int>(next);
        const bool ok = q.try_emplace(std::move(v));
        check(ok == room);
        check(ok ? v == nullptr : v != nullptr && *v == next);
        if (ok) model.push_back(next++);
        break;
      }
      case 2:
        check_pop(q.try_pop(), model);
        break;
      case 3: {  // zero timeout: one attempt
        Item v = std::make_unique<int>(next);
        const bool ok = q.try_push_for(std::move(v), std::chrono::nanoseconds(0));
        check(ok == room);
        check(ok ? v == nullptr : v != nullptr && *v == next);
        if (ok) model.push_back(next++);
        break;
      }
      case 4:
        check_pop(q.try_pop_for(std::chrono::nanoseconds(0)), model);
        break;
      case 5:  // blocking calls only where they cannot block
        if (closed || model.size() < capacity) {
          const bool ok = q.push(std::make_unique<int>(next));
          check(ok == !closed);
          if (ok) model.push_back(next++);
        } else {
          check_pop(q.pop(), model);
        }
        break;
      case 6:
        if (closed || !model.empty()) check_pop(q.pop(), model);
        break;
      case 7:
        if (in.ConsumeBool()) {
          q.close();
          closed = true;
        }
        check(q.closed() == closed);
        break;
      default:
        check(q.size() == model.size());
        check(q.empty() == model.empty());
        check(q.capacity() == capacity);
        check(q.waiting_producers() == 0 && q.waiting_consumers() == 0);
        break;
    }
  }
  // What is left comes out in order, then nothing (closed or not).
  while (!model.empty()) check_pop(q.try_pop(), model);
  check(!q.try_pop().has_value());
  return 0;
}
