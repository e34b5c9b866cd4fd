// bobbin/atomics.hpp — bobbin::atomics: JavaScript's Atomics over TypedArray views.
//
// Sequentially consistent operations on one element of an integer view, and the futex-like
// wait/notify of JavaScript, with the ECMAScript argument checks:
//
//   namespace atomics = bobbin::atomics;
//   bobbin::SharedArrayBuffer sab(16);
//   bobbin::Int32Array cells(sab);
//   atomics::store(cells, 0, 1);                        // returns the value given (1)
//   atomics::add(cells, 0, 2);                          // returns the old value (1)
//   atomics::compare_exchange(cells, 0, 3, 4);          // returns the old value (3); now 4
//   atomics::WaitResult r = atomics::wait(cells, 1, 0, 10ms);   // timed_out: nobody notified
//   std::size_t woken = atomics::notify(cells, 1);      // wakes all waiters, FIFO; returns count
//
// Operations: load, store, add, sub, bit_and, bit_or, bit_xor, exchange, compare_exchange,
// is_lock_free, pause, wait, wait_until, notify.
//
// Rules, as in JavaScript (ECMAScript's ValidateIntegerTypedArray / ValidateAtomicAccess):
//   - Element types: the read-modify-write operations, load and store take integer views only
//     (Int8Array … BigUint64Array); wait and notify take Int32Array and BigInt64Array only.
//     Other types are a compile error with a message (JavaScript throws TypeError).
//   - A view whose buffer is detached or out of bounds: TypeError. Then the index: RangeError
//     when `index >= length()`. Values are converted to the element type with modular
//     wrap-around (`store(i8, 0, 300)` stores 44 and returns 300; `compare_exchange` converts
//     both operands first, so expected -1 matches a stored 255 in a Uint8Array).
//   - The operations work on views of non-shared ArrayBuffers too (as plain memory operations).
//   - `wait` on a view of a non-shared buffer throws TypeError; `notify` on one returns 0 after
//     checking the index.
//   - `wait` returns `ok` only when a notify woke it — never because the value changed — and
//     `not_equal` when the element differed from `expected` at the call, `timed_out` when the
//     timeout passed first. It never returns early or spuriously. A timeout of zero or less
//     still queues the waiter, then times out. Floating-point timeouts follow JavaScript: NaN
//     and +infinity wait forever, -infinity is 0.
//   - `notify(view, i)` wakes all waiters on that element; `notify(view, i, count)` wakes at
//     most `count` (negative or NaN counts wake none, +infinity all), oldest first, and returns
//     how many woke. Waiters are keyed by memory location: two views naming the same bytes of
//     the same buffer share them; other elements and other buffers never do.
//   - A notify racing a waiter's timeout gives exactly one outcome: if the notify counted the
//     waiter, the waiter returns `ok`.
//   - A thread marked with `set_can_block(false)` (an event-loop thread that must not block)
//     gets TypeError from `wait`, as JavaScript's main thread does.
//   - A thread interrupted while it waits (a worker being terminated) gets TerminatedError.
//
// Memory ordering: every operation is a sequentially consistent atomic access of the element
// (std::atomic_ref, memory_order_seq_cst). Everything a thread did before `notify` happens-before
// everything a waiter it woke does after `wait` returns `ok`.
//
// Mixed-size access (an Int8Array and an Int32Array over the same bytes) is legal in JavaScript
// and works on mainstream hardware, but ISO C++ gives overlapping atomic_refs of different sizes
// no guarantees.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string_view>
#include <type_traits>

#include "errors.hpp"
#include "parking_lot.hpp"
#include "typed_array.hpp"

namespace bobbin::atomics {

// The result of `wait`.
enum class WaitResult {
  ok,         // a notify woke the waiter
  not_equal,  // the element did not hold the expected value
  timed_out,  // the timeout passed first
};

// "ok", "not-equal" or "timed-out", as JavaScript spells them.
[[nodiscard]] constexpr std::string_view to_string(WaitResult result) noexcept {
  switch (result) {
    case WaitResult::ok:
      return "ok";
    case WaitResult::not_equal:
      return "not-equal";
    case WaitResult::timed_out:
      return "timed-out";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& out, WaitResult result) {
  return out << to_string(result);
}

namespace detail {

template <class T>
inline constexpr bool is_integer_element_v =
    bobbin::detail::is_element_type_v<T> && std::is_integral_v<T>;

template <class T>
inline constexpr bool is_waitable_element_v =
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>;

#define BOBBIN_ATOMICS_REQUIRE_INTEGER_(T)                                                    \
  static_assert(::bobbin::atomics::detail::is_integer_element_v<T>,                           \
                "bobbin::atomics needs an integer view (Int8Array, Uint8Array, Int16Array, "  \
                "Uint16Array, Int32Array, Uint32Array, BigInt64Array or BigUint64Array); "    \
                "Float32Array and Float64Array are not allowed, as in JavaScript")
#define BOBBIN_ATOMICS_REQUIRE_WAITABLE_(T)                                                   \
  static_assert(::bobbin::atomics::detail::is_waitable_element_v<T>,                          \
                "atomics::wait and atomics::notify work on Int32Array and BigInt64Array "     \
                "only, as in JavaScript")

inline bool& can_block_flag() noexcept {
  thread_local bool can_block = true;
  return can_block;
}

template <class T>
std::atomic_ref<T> cell(const TypedArray<T>& view, std::size_t index) {
  return std::atomic_ref<T>(*view.element(index));
}

// The shared part of wait/wait_until once the deadline is known.
template <class T, class V>
WaitResult wait_until_deadline(const TypedArray<T>& view, std::size_t index, V expected_value,
                               parking_lot::detail::Deadline deadline) {
  // Order of checks as in ECMAScript's DoWait: type (at compile time), detached, shared,
  // index, then whether this thread may block.
  if (view.out_of_bounds()) {
    throw TypeError("Atomics.wait: the view's buffer is detached or out of bounds");
  }
  if (!view.shared()) throw TypeError("Atomics.wait needs a view of a SharedArrayBuffer");
  T* const address = view.element(index);
  if (!can_block_flag()) throw TypeError("Atomics.wait cannot be called on this thread");
  const T expected = static_cast<T>(expected_value);
  const auto result = parking_lot::park_until(
      address,
      // seq_cst: the validating half of the store-buffering pair in parking_lot.hpp.
      [&] { return std::atomic_ref<T>(*address).load(std::memory_order_seq_cst) == expected; },
      parking_lot::detail::NoOp{}, deadline);
  switch (result) {
    case parking_lot::ParkResult::unparked:
      return WaitResult::ok;
    case parking_lot::ParkResult::invalid:
      return WaitResult::not_equal;
    case parking_lot::ParkResult::timed_out:
      return WaitResult::timed_out;
    case parking_lot::ParkResult::interrupted:
      break;
  }
  throw TerminatedError("Atomics.wait: the thread was interrupted (terminated)");
}

}  // namespace detail

// The element's value.
template <class T>
[[nodiscard]] T load(const TypedArray<T>& view, std::size_t index) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).load(std::memory_order_seq_cst);
}

// Stores `value` (wrapped to the element type) and returns `value` as given.
template <class T, std::integral V>
V store(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  detail::cell(view, index).store(static_cast<T>(value), std::memory_order_seq_cst);
  return value;
}

// The read-modify-write operations: each returns the element's old value.
template <class T, std::integral V>
T add(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).fetch_add(static_cast<T>(value), std::memory_order_seq_cst);
}

template <class T, std::integral V>
T sub(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).fetch_sub(static_cast<T>(value), std::memory_order_seq_cst);
}

template <class T, std::integral V>
T bit_and(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).fetch_and(static_cast<T>(value), std::memory_order_seq_cst);
}

template <class T, std::integral V>
T bit_or(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).fetch_or(static_cast<T>(value), std::memory_order_seq_cst);
}

template <class T, std::integral V>
T bit_xor(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).fetch_xor(static_cast<T>(value), std::memory_order_seq_cst);
}

template <class T, std::integral V>
T exchange(const TypedArray<T>& view, std::size_t index, V value) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  return detail::cell(view, index).exchange(static_cast<T>(value), std::memory_order_seq_cst);
}

// Stores `replacement` if the element equals `expected` (both wrapped to the element type
// first); returns the old value either way.
template <class T, std::integral E, std::integral R>
T compare_exchange(const TypedArray<T>& view, std::size_t index, E expected, R replacement) {
  BOBBIN_ATOMICS_REQUIRE_INTEGER_(T);
  T old = static_cast<T>(expected);
  detail::cell(view, index)
      .compare_exchange_strong(old, static_cast<T>(replacement), std::memory_order_seq_cst);
  return old;  // on failure compare_exchange_strong wrote the current value into `old`
}

// Whether atomic operations on `size`-byte elements are lock-free: always true for 4, the
// platform's answer for 1, 2 and 8, false for any other size.
[[nodiscard]] constexpr bool is_lock_free(std::int64_t size) noexcept {
  switch (size) {
    case 1:
      return std::atomic_ref<std::int8_t>::is_always_lock_free;
    case 2:
      return std::atomic_ref<std::int16_t>::is_always_lock_free;
    case 4:
      return true;
    case 8:
      return std::atomic_ref<std::int64_t>::is_always_lock_free;
    default:
      return false;
  }
}

// A spin-wait hint to the CPU (x86 `pause`, ARM `yield`); no other effect.
inline void pause() noexcept { bobbin::detail::cpu_relax(); }

// A longer hint for backoff loops: the wait grows with `iteration` (capped); never throws.
inline void pause(std::uint32_t iteration) noexcept {
  const std::uint32_t spins = iteration < 64 ? iteration + 1 : 64;
  for (std::uint32_t i = 0; i < spins; ++i) bobbin::detail::cpu_relax();
}

// Whether the calling thread may block in `wait` (true unless set otherwise). An event-loop
// thread that must stay responsive calls set_can_block(false), like a browser's main thread.
[[nodiscard]] inline bool can_block() noexcept { return detail::can_block_flag(); }
inline void set_can_block(bool allowed) noexcept { detail::can_block_flag() = allowed; }

// Waits until notified, if the element holds `expected`.
template <class T, std::integral V>
WaitResult wait(const TypedArray<T>& view, std::size_t index, V expected) {
  BOBBIN_ATOMICS_REQUIRE_WAITABLE_(T);
  return detail::wait_until_deadline(view, index, expected, parking_lot::detail::kNoDeadline);
}

// ... or until `timeout` passes.
template <class T, std::integral V, class Rep, class Period>
WaitResult wait(const TypedArray<T>& view, std::size_t index, V expected,
                std::chrono::duration<Rep, Period> timeout) {
  BOBBIN_ATOMICS_REQUIRE_WAITABLE_(T);
  return detail::wait_until_deadline(view, index, expected,
                                     parking_lot::detail::deadline_after(timeout));
}

// ... or until `deadline`.
template <class T, std::integral V, class Clock, class Duration>
WaitResult wait_until(const TypedArray<T>& view, std::size_t index, V expected,
                      std::chrono::time_point<Clock, Duration> deadline) {
  BOBBIN_ATOMICS_REQUIRE_WAITABLE_(T);
  return detail::wait_until_deadline(view, index, expected,
                                     parking_lot::detail::to_deadline(deadline));
}

// A count meaning "every waiter".
inline constexpr std::size_t all = std::numeric_limits<std::size_t>::max();

// Wakes up to `count` waiters on the element, oldest first; returns how many woke.
template <class T, class Count = std::size_t>
  requires std::is_arithmetic_v<Count>
std::size_t notify(const TypedArray<T>& view, std::size_t index, Count count = all) {
  BOBBIN_ATOMICS_REQUIRE_WAITABLE_(T);
  T* const address = view.element(index);
  std::size_t n = 0;
  if constexpr (std::is_floating_point_v<Count>) {
    // JavaScript's count: NaN and negatives wake none, +infinity wakes all, else truncated.
    if (count >= static_cast<Count>(std::numeric_limits<std::size_t>::max())) {
      n = all;
    } else if (count >= Count(1)) {
      n = static_cast<std::size_t>(count);
    }
  } else if constexpr (std::is_signed_v<Count>) {
    n = count > 0 ? static_cast<std::size_t>(count) : 0;
  } else {
    n = static_cast<std::size_t>(count);
  }
  if (!view.shared()) return 0;
  return parking_lot::unpark(address, n);
}

#undef BOBBIN_ATOMICS_REQUIRE_INTEGER_
#undef BOBBIN_ATOMICS_REQUIRE_WAITABLE_

}  // namespace bobbin::atomics
