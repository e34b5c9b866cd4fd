// tests/fuzz/array_buffer_fuzz.cpp — libFuzzer target for ArrayBuffer, SharedArrayBuffer and
// TypedArray (label fuzz).
//
// Decodes the input into a sequence of operations on up to four buffers (ArrayBuffer fixed or
// resizable; SharedArrayBuffer fixed or growable) and up to four views (Uint8Array,
// Int32Array; fixed-length or length-tracking): construct, write and read bytes, resize/grow,
// transfer (all four forms), clone, move, slice, element access through views. Every result —
// contents, lengths, detachment, views tracking the length or going out of bounds, and the
// error class each misuse must throw (TypeError, RangeError, DataCloneError) — is checked
// against a model of std::vector<std::uint8_t> per buffer. A mismatch traps.
#include <bobbin/array_buffer.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "support/fuzz_check.hpp"

namespace {

using bobbin_fuzz::check;
using bobbin_fuzz::Outcome;
using bobbin_fuzz::outcome_of;

struct Model {
  std::vector<std::uint8_t> bytes;
  bool detached = false;
  bool resizable = false;  // resizable ArrayBuffer / growable SharedArrayBuffer
  std::size_t max = 0;
};

struct Buffer {
  std::variant<bobbin::ArrayBuffer, bobbin::SharedArrayBuffer> handle;
  Model model;
  bool shared() const { return handle.index() == 1; }
};

// Views are held by pointer and never moved: moving a view of an ArrayBuffer transfers (detaches)
// the buffer, as documented.
struct View {
  std::variant<std::unique_ptr<bobbin::Uint8Array>, std::unique_ptr<bobbin::Int32Array>> array;
  std::size_t buffer;  // index into the buffers
  std::size_t offset;
  std::optional<std::size_t> length;  // nullopt: tracking, or "to the end" of a fixed buffer
};

// JavaScript's relative index: negative counts from the end, clamped to [0, length].
std::size_t relative(std::ptrdiff_t i, std::size_t length) {
  if (i < 0) {
    const auto back = static_cast<std::size_t>(-i);
    return back >= length ? 0 : length - back;
  }
  return std::min(static_cast<std::size_t>(i), length);
}

// The view's length per the rules, or nullopt when out of bounds.
std::optional<std::size_t> model_length(const View& v, const Model& m, std::size_t elem) {
  if (m.detached) return std::nullopt;
  const std::size_t blen = m.bytes.size();
  if (!v.length) {
    if (v.offset > blen) return std::nullopt;
    return (blen - v.offset) / elem;
  }
  if (v.offset + *v.length * elem > blen) return std::nullopt;
  return *v.length;
}

void check_contents(Buffer& b) {
  if (b.shared()) {
    auto& sab = std::get<1>(b.handle);
    check(sab.byte_length() == b.model.bytes.size());
    check(sab.max_byte_length() == b.model.max);
    check(sab.growable() == b.model.resizable);
    check(b.model.bytes.empty() ||
          std::memcmp(sab.data(), b.model.bytes.data(), b.model.bytes.size()) == 0);
    return;
  }
  auto& ab = std::get<0>(b.handle);
  check(ab.detached() == b.model.detached);
  check(ab.resizable() == b.model.resizable);
  if (b.model.detached) {
    check(ab.byte_length() == 0 && ab.max_byte_length() == 0 && ab.data() == nullptr);
    return;
  }
  check(ab.byte_length() == b.model.bytes.size());
  check(ab.max_byte_length() == b.model.max);
  check(b.model.bytes.empty() ||
        std::memcmp(ab.data(), b.model.bytes.data(), b.model.bytes.size()) == 0);
}

class Fuzz {
 public:
  explicit Fuzz(FuzzedDataProvider& in) : in_(in) {}

  void run() {
    // Never reallocated: moving an ArrayBuffer handle transfers it (its views would detach).
    buffers_.reserve(4);
    add_buffer();
    while (in_.remaining_bytes() > 0 && steps_++ < 256) {
      Buffer& b = buffers_[pick(buffers_.size())];
      switch (in_.ConsumeIntegralInRange<int>(0, 11)) {
        case 0:
          add_buffer();
          break;
        case 1:
          write_byte(b);
          break;
        case 2:
          resize(b);
          break;
        case 3:
          transfer(b);
          break;
        case 4:
          clone_or_move(b);
          break;
        case 5:
          slice(b);
          break;
        case 6:
          add_view();
          break;
        case 7:
          view_access();
          break;
        default:
          check_contents(b);
          break;
      }
    }
    for (auto& b : buffers_) check_contents(b);
    for (std::size_t i = 0; i < views_.size(); ++i) check_view(views_[i]);
  }

 private:
  std::size_t pick(std::size_t n) { return in_.ConsumeIntegralInRange<std::size_t>(0, n - 1); }
  std::size_t small(std::size_t max) { return in_.ConsumeIntegralInRange<std::size_t>(0, max); }

  void push(Buffer b) {
    if (buffers_.size() < 4) {
      buffers_.push_back(std::move(b));
    } else {
      // Replace the last one (its views now point at the new buffer: drop them).
      buffers_.back() = std::move(b);
      std::erase_if(views_, [&](const View& v) { return v.buffer == buffers_.size() - 1; });
    }
  }

  void add_buffer() {
    const std::size_t length = small(64);
    const int kind = in_.ConsumeIntegralInRange<int>(0, 3);
    Model m;
    m.bytes.assign(length, 0);
    if (kind == 0 || kind == 2) {
      m.max = length;
    } else {
      m.max = length + small(64);
      m.resizable = true;
    }
    if (kind < 2) {
      bobbin::ArrayBuffer ab =
          m.resizable
              ? bobbin::ArrayBuffer(length, bobbin::ArrayBufferOptions{.max_byte_length = m.max})
              : bobbin::ArrayBuffer(length);
      push(Buffer{std::move(ab), m});
    } else {
      bobbin::SharedArrayBuffer sab =
          m.resizable ? bobbin::SharedArrayBuffer(
                            length, bobbin::SharedArrayBufferOptions{.max_byte_length = m.max})
                      : bobbin::SharedArrayBuffer(length);
      push(Buffer{std::move(sab), m});
    }
    // A maximum below the length is a RangeError.
    if (length > 0 && kind == 1) {
      check(outcome_of([&] {
              bobbin::ArrayBuffer(length,
                                  bobbin::ArrayBufferOptions{.max_byte_length = length - 1});
            }) == Outcome::range_error);
    }
  }

  void write_byte(Buffer& b) {
    if (b.model.detached || b.model.bytes.empty()) return;
    const std::size_t i = pick(b.model.bytes.size());
    const auto v = in_.ConsumeIntegral<std::uint8_t>();
    std::byte* data = b.shared() ? std::get<1>(b.handle).data() : std::get<0>(b.handle).data();
    std::atomic_ref<std::byte>(data[i]).store(std::byte{v}, std::memory_order_relaxed);
    b.model.bytes[i] = v;
  }

  void resize(Buffer& b) {
    const std::size_t n = small(b.model.max + 8);
    Model& m = b.model;
    if (b.shared()) {
      auto& sab = std::get<1>(b.handle);
      Outcome expect = Outcome::ok;
      if (!m.resizable) {
        expect = Outcome::type_error;
      } else if (n < m.bytes.size() || n > m.max) {
        expect = Outcome::range_error;
      }
      check(outcome_of([&] { sab.grow(n); }) == expect);
      if (expect == Outcome::ok) m.bytes.resize(n, 0);
      return;
    }
    auto& ab = std::get<0>(b.handle);
    Outcome expect = Outcome::ok;
    if (!m.resizable || m.detached) {
      expect = Outcome::type_error;
    } else if (n > m.max) {
      expect = Outcome::range_error;
    }
    check(outcome_of([&] { ab.resize(n); }) == expect);
    if (expect == Outcome::ok) m.bytes.resize(n, 0);
  }

  void transfer(Buffer& b) {
    if (b.shared()) return;
    auto& ab = std::get<0>(b.handle);
    const int form = in_.ConsumeIntegralInRange<int>(0, 3);
    const bool to_fixed = form >= 2;
    const std::optional<std::size_t> n =
        form % 2 == 1 ? std::optional<std::size_t>(small(b.model.max + 8)) : std::nullopt;
    Model m = b.model;
    Outcome expect = Outcome::ok;
    const std::size_t length = n.value_or(m.bytes.size());
    if (m.detached) {
      expect = Outcome::type_error;
    } else if (m.resizable && !to_fixed && length > m.max) {
      expect = Outcome::range_error;
    }
    std::optional<bobbin::ArrayBuffer> result;
    check(outcome_of([&] {
            if (form == 0) result = ab.transfer();
            if (form == 1) result = ab.transfer(*n);
            if (form == 2) result = ab.transfer_to_fixed_length();
            if (form == 3) result = ab.transfer_to_fixed_length(*n);
          }) == expect);
    if (expect != Outcome::ok) return;
    b.model.detached = true;
    b.model.bytes.clear();
    m.bytes.resize(length, 0);
    m.resizable = m.resizable && !to_fixed;
    if (!m.resizable) m.max = length;
    push(Buffer{std::move(*result), m});
  }

  void clone_or_move(Buffer& b) {
    if (b.shared()) {  // a copy shares: the same memory, so the same model
      bobbin::SharedArrayBuffer copy = std::get<1>(b.handle);
      check(copy == std::get<1>(b.handle));
      return;
    }
    auto& ab = std::get<0>(b.handle);
    if (in_.ConsumeBool()) {
      std::optional<bobbin::ArrayBuffer> copy;
      check(outcome_of([&] { copy.emplace(ab); }) ==
            (b.model.detached ? Outcome::clone_error : Outcome::ok));
      if (copy) push(Buffer{std::move(*copy), b.model});
    } else {
      Model m = b.model;
      bobbin::ArrayBuffer moved = std::move(ab);
      check(ab.detached() && ab.resizable() == m.resizable);  // NOLINT: moved-from is specified
      b.model.detached = true;
      b.model.bytes.clear();
      push(Buffer{std::move(moved), m});
    }
  }

  void slice(Buffer& b) {
    const auto begin = in_.ConsumeIntegralInRange<std::ptrdiff_t>(-80, 80);
    const auto end = in_.ConsumeIntegralInRange<std::ptrdiff_t>(-80, 80);
    const std::size_t first = relative(begin, b.model.bytes.size());
    const std::size_t last = std::max(first, relative(end, b.model.bytes.size()));
    Model m;
    if (!b.model.detached) {
      m.bytes.assign(b.model.bytes.begin() + static_cast<std::ptrdiff_t>(first),
                     b.model.bytes.begin() + static_cast<std::ptrdiff_t>(last));
    }
    m.max = m.bytes.size();
    if (b.shared()) {
      push(Buffer{std::get<1>(b.handle).slice(begin, end), m});
      return;
    }
    std::optional<bobbin::ArrayBuffer> result;
    check(outcome_of([&] { result = std::get<0>(b.handle).slice(begin, end); }) ==
          (b.model.detached ? Outcome::type_error : Outcome::ok));
    if (result) push(Buffer{std::move(*result), m});
  }

  template <class A, class H>
  Outcome construct(std::unique_ptr<A>& out, const H& handle, std::size_t offset,
                    std::optional<std::size_t> length) {
    return outcome_of([&] {
      if (length) {
        out = std::make_unique<A>(handle, offset, *length);
      } else {
        out = std::make_unique<A>(handle, offset);
      }
    });
  }

  template <class A>
  void add_view_of(std::size_t bi) {
    Buffer& b = buffers_[bi];
    constexpr std::size_t elem = sizeof(typename A::value_type);
    const std::size_t offset = small(72);
    const std::optional<std::size_t> length =
        in_.ConsumeBool() ? std::optional<std::size_t>(small(24)) : std::nullopt;
    const Model& m = b.model;
    const std::size_t blen = m.bytes.size();
    Outcome expect = Outcome::ok;
    if (offset % elem != 0) {
      expect = Outcome::range_error;
    } else if (m.detached) {
      expect = Outcome::type_error;
    } else if (length) {
      if (offset > blen || *length > (blen - offset) / elem) expect = Outcome::range_error;
    } else if (offset > blen) {
      expect = Outcome::range_error;
    } else if (!m.resizable && (blen - offset) % elem != 0) {
      expect = Outcome::range_error;
    }
    std::unique_ptr<A> view;
    const Outcome got = b.shared() ? construct(view, std::get<1>(b.handle), offset, length)
                                   : construct(view, std::get<0>(b.handle), offset, length);
    check(got == expect);
    if (!view) return;
    std::optional<std::size_t> fixed = length;
    if (!length && !m.resizable) fixed = (blen - offset) / elem;
    check(view->length_tracking() == (!length && m.resizable));
    View v{std::move(view), bi, offset, fixed};
    check_view(v);
    if (views_.size() < 4) {
      views_.push_back(std::move(v));
    } else {
      views_[pick(4)] = std::move(v);
    }
  }

  void add_view() {
    const std::size_t bi = pick(buffers_.size());
    if (in_.ConsumeBool()) {
      add_view_of<bobbin::Uint8Array>(bi);
    } else {
      add_view_of<bobbin::Int32Array>(bi);
    }
  }

  template <class A>
  void check_typed(const View& v, const A& a) {
    constexpr std::size_t elem = sizeof(typename A::value_type);
    const Model& m = buffers_[v.buffer].model;
    const auto n = model_length(v, m, elem);
    check(a.length() == n.value_or(0));
    check(a.byte_length() == n.value_or(0) * elem);
    check(a.out_of_bounds() == !n.has_value());
    check(a.byte_offset() == (n ? v.offset : 0));
    // Checked access: TypeError out of bounds, RangeError past the end, else the bytes.
    const std::size_t i = n && *n > 0 ? *n - 1 : 0;
    Outcome expect = !n ? Outcome::type_error : i >= *n ? Outcome::range_error : Outcome::ok;
    typename A::value_type got{};
    check(outcome_of([&] { got = a.get(i); }) == expect);
    if (expect == Outcome::ok) {
      typename A::value_type want;
      std::memcpy(&want, m.bytes.data() + v.offset + i * elem, elem);
      check(got == want);
    }
    if (n) check(outcome_of([&] { (void)a.get(*n); }) == Outcome::range_error);
  }

  void check_view(const View& v) {
    std::visit([&](const auto& a) { check_typed(v, *a); }, v.array);
  }

  void view_access() {
    if (views_.empty()) return;
    View& v = views_[pick(views_.size())];
    check_view(v);
    // A write through the view lands in the buffer's bytes.
    std::visit(
        [&](auto& a) {
          using E = typename std::decay_t<decltype(*a)>::value_type;
          Model& m = buffers_[v.buffer].model;
          const auto n = model_length(v, m, sizeof(E));
          if (!n || *n == 0) return;
          const std::size_t i = pick(*n);
          const E value = static_cast<E>(in_.ConsumeIntegral<std::uint32_t>());
          a->set(i, value);
          std::memcpy(m.bytes.data() + v.offset + i * sizeof(E), &value, sizeof(E));
        },
        v.array);
  }

  FuzzedDataProvider& in_;
  std::vector<Buffer> buffers_;
  std::vector<View> views_;
  int steps_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Fuzz(in).run();
  return 0;
}
