// tests/fuzz/atomics_fuzz.cpp — libFuzzer target for bobbin::atomics argument validation and
// results (label fuzz).
//
// Decodes the input into a sequence of atomics calls (load, store, add, sub, and, or, xor,
// exchange, compare_exchange, wait with a zero timeout, notify with integer, negative and NaN
// counts) on integer views of every width over one buffer — a SharedArrayBuffer (fixed or
// growable) or an ArrayBuffer (fixed or resizable, which the input may shrink, grow or detach
// by transferring it). Each call is checked against the documented result: TypeError for a
// detached or out-of-bounds view (and for wait on a non-shared buffer), RangeError for an index
// at or past the length, else the value computed on a std::vector<std::uint8_t> model with
// modular wrap-around; wait returns not-equal or (zero timeout) timed-out; notify returns 0
// (nobody waits; always 0 on a non-shared buffer). A mismatch traps.
#include <bobbin/array_buffer.hpp>
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "support/fuzz_check.hpp"

namespace {

namespace atomics = bobbin::atomics;

using bobbin_fuzz::check;
using bobbin_fuzz::Outcome;
using bobbin_fuzz::outcome_of;

struct Model {
  std::vector<std::uint8_t> bytes;
  bool detached = false;
  bool shared = false;
};

template <class T>
struct View {
  std::unique_ptr<bobbin::TypedArray<T>> array;  // never moved (a move would transfer)
  std::size_t offset = 0;
  std::optional<std::size_t> length;  // nullopt: tracks the buffer's length
};

using AnyView =
    std::variant<View<std::int8_t>, View<std::uint8_t>, View<std::int16_t>, View<std::uint16_t>,
                 View<std::int32_t>, View<std::uint32_t>, View<std::int64_t>, View<std::uint64_t>>;

// Modular arithmetic on the model, in the unsigned type (no signed overflow).
template <class T>
using U = std::make_unsigned_t<T>;
template <class T, class W>
T wrap(W w) {
  return static_cast<T>(static_cast<U<T>>(w));
}

template <class T>
std::optional<std::size_t> model_length(const View<T>& v, const Model& m) {
  if (m.detached) return std::nullopt;
  const std::size_t blen = m.bytes.size();
  if (!v.length) {
    if (v.offset > blen) return std::nullopt;
    return (blen - v.offset) / sizeof(T);
  }
  if (v.offset + *v.length * sizeof(T) > blen) return std::nullopt;
  return *v.length;
}

class Fuzz {
 public:
  explicit Fuzz(FuzzedDataProvider& in) : in_(in) {}

  void run() {
    const int kind = in_.ConsumeIntegralInRange<int>(0, 3);
    const std::size_t length = in_.ConsumeIntegralInRange<std::size_t>(0, 64);
    resizable_ = kind % 2 == 1;
    max_ = resizable_ ? length + in_.ConsumeIntegralInRange<std::size_t>(0, 64) : length;
    model_.bytes.assign(length, 0);
    model_.shared = kind >= 2;
    if (model_.shared) {
      sab_ = resizable_ ? std::make_unique<bobbin::SharedArrayBuffer>(
                              length, bobbin::SharedArrayBufferOptions{.max_byte_length = max_})
                        : std::make_unique<bobbin::SharedArrayBuffer>(length);
    } else {
      ab_ = resizable_ ? std::make_unique<bobbin::ArrayBuffer>(
                             length, bobbin::ArrayBufferOptions{.max_byte_length = max_})
                       : std::make_unique<bobbin::ArrayBuffer>(length);
    }
    while (in_.remaining_bytes() > 0 && steps_++ < 512) {
      switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
        case 0:
          add_view();
          break;
        case 1:
          change_buffer();
          break;
        default:
          if (!views_.empty()) {
            std::visit([&](auto& v) { operate(v); },
                       views_[in_.ConsumeIntegralInRange<std::size_t>(0, views_.size() - 1)]);
          }
          break;
      }
    }
  }

 private:
  template <class T>
  void make_view() {
    View<T> v;
    // Only well-formed views here: construction itself is the array_buffer target's business.
    v.offset = in_.ConsumeIntegralInRange<std::size_t>(0, 8) * sizeof(T);
    const std::size_t blen = model_.bytes.size();
    if (model_.detached || v.offset > blen) return;
    if (resizable_ && in_.ConsumeBool()) {
      v.length = std::nullopt;
    } else {
      v.length = in_.ConsumeIntegralInRange<std::size_t>(0, (blen - v.offset) / sizeof(T));
    }
    if (model_.shared) {
      v.array = v.length ? std::make_unique<bobbin::TypedArray<T>>(*sab_, v.offset, *v.length)
                         : std::make_unique<bobbin::TypedArray<T>>(*sab_, v.offset);
    } else {
      v.array = v.length ? std::make_unique<bobbin::TypedArray<T>>(*ab_, v.offset, *v.length)
                         : std::make_unique<bobbin::TypedArray<T>>(*ab_, v.offset);
    }
    if (views_.size() < 6) views_.emplace_back(std::move(v));
  }

  void add_view() {
    switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
        make_view<std::int8_t>();
        break;
      case 1:
        make_view<std::uint8_t>();
        break;
      case 2:
        make_view<std::int16_t>();
        break;
      case 3:
        make_view<std::uint16_t>();
        break;
      case 4:
        make_view<std::int32_t>();
        break;
      case 5:
        make_view<std::uint32_t>();
        break;
      case 6:
        make_view<std::int64_t>();
        break;
      default:
        make_view<std::uint64_t>();
        break;
    }
  }

  // Grow the shared buffer; resize (shrink or grow) or detach the unshared one.
  void change_buffer() {
    if (model_.detached) return;
    const std::size_t n = in_.ConsumeIntegralInRange<std::size_t>(0, max_);
    if (model_.shared) {
      if (resizable_ && n >= model_.bytes.size()) {
        sab_->grow(n);
        model_.bytes.resize(n, 0);
      }
      return;
    }
    if (in_.ConsumeBool()) {
      bobbin::ArrayBuffer taken = ab_->transfer();  // views now see a detached buffer
      model_.detached = true;
      model_.bytes.clear();
    } else if (resizable_) {
      ab_->resize(n);
      model_.bytes.resize(n, 0);
    }
  }

  template <class T>
  T model_get(const View<T>& v, std::size_t i) const {
    T x;
    std::memcpy(&x, model_.bytes.data() + v.offset + i * sizeof(T), sizeof(T));
    return x;
  }
  template <class T>
  void model_set(const View<T>& v, std::size_t i, T x) {
    std::memcpy(model_.bytes.data() + v.offset + i * sizeof(T), &x, sizeof(T));
  }

  template <class T>
  void operate(View<T>& v) {
    const auto n = model_length(v, model_);
    const auto& a = *v.array;
    check(a.length() == n.value_or(0));
    std::size_t index = in_.ConsumeIntegralInRange<std::size_t>(0, 12);
    if (in_.ConsumeIntegralInRange<int>(0, 15) == 0)
      index = std::numeric_limits<std::size_t>::max();
    const auto value = in_.ConsumeIntegral<std::int64_t>();
    const auto other = in_.ConsumeIntegral<std::int64_t>();
    const Outcome expect = !n            ? Outcome::type_error
                           : index >= *n ? Outcome::range_error
                                         : Outcome::ok;
    const T old = expect == Outcome::ok ? model_get(v, index) : T{};
    const T x = static_cast<T>(value);  // modular conversion, as the operations do
    const int op = in_.ConsumeIntegralInRange<int>(0, 10);
    T got{};
    std::int64_t returned = 0;
    Outcome result = Outcome::ok;
    switch (op) {
      case 0:
        result = outcome_of([&] { got = atomics::load(a, index); });
        if (result == Outcome::ok) check(got == old);
        break;
      case 1:
        result = outcome_of([&] { returned = atomics::store(a, index, value); });
        if (result == Outcome::ok) {
          check(returned == value);  // store returns the value given, unconverted
          model_set(v, index, x);
        }
        break;
      case 2:
        result = outcome_of([&] { got = atomics::add(a, index, value); });
        if (result == Outcome::ok)
          model_set(v, index, wrap<T>(static_cast<U<T>>(old) + static_cast<U<T>>(x)));
        break;
      case 3:
        result = outcome_of([&] { got = atomics::sub(a, index, value); });
        if (result == Outcome::ok)
          model_set(v, index, wrap<T>(static_cast<U<T>>(old) - static_cast<U<T>>(x)));
        break;
      case 4:
        result = outcome_of([&] { got = atomics::bit_and(a, index, value); });
        if (result == Outcome::ok) model_set(v, index, static_cast<T>(old & x));
        break;
      case 5:
        result = outcome_of([&] { got = atomics::bit_or(a, index, value); });
        if (result == Outcome::ok) model_set(v, index, static_cast<T>(old | x));
        break;
      case 6:
        result = outcome_of([&] { got = atomics::bit_xor(a, index, value); });
        if (result == Outcome::ok) model_set(v, index, static_cast<T>(old ^ x));
        break;
      case 7:
        result = outcome_of([&] { got = atomics::exchange(a, index, value); });
        if (result == Outcome::ok) model_set(v, index, x);
        break;
      case 8: {
        // Half the time expect the current value (converted from a wider integer).
        const std::int64_t expected = in_.ConsumeBool() ? static_cast<std::int64_t>(old) : other;
        result = outcome_of([&] { got = atomics::compare_exchange(a, index, expected, value); });
        if (result == Outcome::ok && static_cast<T>(expected) == old) model_set(v, index, x);
        break;
      }
      default:
        if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
          wait_or_notify(v, op == 9, index, n, old, other);
        }
        return;
    }
    check(result == expect);
    if (result == Outcome::ok && op != 1) check(got == old);
    if (n && index < *n) check(atomics::load(a, index) == model_get(v, index));
  }

  template <class T>
  void wait_or_notify(View<T>& v, bool wait, std::size_t index, std::optional<std::size_t> n, T old,
                      std::int64_t other) {
    const auto& a = *v.array;
    if (wait) {
      // DoWait's order: detached/out of bounds, shared, index.
      Outcome expect = !n               ? Outcome::type_error
                       : !model_.shared ? Outcome::type_error
                       : index >= *n    ? Outcome::range_error
                                        : Outcome::ok;
      const std::int64_t expected = in_.ConsumeBool() ? static_cast<std::int64_t>(old) : other;
      atomics::WaitResult r{};
      check(outcome_of([&] {
              r = atomics::wait(a, index, expected, std::chrono::milliseconds(0));
            }) == expect);
      if (expect == Outcome::ok) {
        check(r == (static_cast<T>(expected) == old ? atomics::WaitResult::timed_out
                                                    : atomics::WaitResult::not_equal));
      }
      return;
    }
    // notify checks the index (and the view) first, then returns 0 on a non-shared buffer.
    const Outcome expect = !n            ? Outcome::type_error
                           : index >= *n ? Outcome::range_error
                                         : Outcome::ok;
    std::size_t woke = 1;
    Outcome result = Outcome::ok;
    switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        result = outcome_of([&] { woke = atomics::notify(a, index); });
        break;
      case 1:
        result = outcome_of([&] { woke = atomics::notify(a, index, -1); });
        break;
      case 2:
        result = outcome_of([&] { woke = atomics::notify(a, index, std::nan("")); });
        break;
      default:
        result = outcome_of(
            [&] { woke = atomics::notify(a, index, std::numeric_limits<double>::infinity()); });
        break;
    }
    check(result == expect);
    if (result == Outcome::ok) check(woke == 0);
  }

  FuzzedDataProvider& in_;
  Model model_;
  bool resizable_ = false;
  std::size_t max_ = 0;
  std::unique_ptr<bobbin::ArrayBuffer> ab_;
  std::unique_ptr<bobbin::SharedArrayBuffer> sab_;
  std::vector<AnyView> views_;
  int steps_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Fuzz(in).run();
  return 0;
}
