// bobbin/typed_array.hpp — TypedArray<T>: a typed view of an ArrayBuffer or SharedArrayBuffer.
//
// The C++ twin of JavaScript's typed arrays, with the JS names as aliases:
//
//   bobbin::SharedArrayBuffer sab(64);
//   bobbin::Int32Array all(sab);              // every element (16)
//   bobbin::Int32Array tail(sab, 32);         // from byte 32 to the end
//   bobbin::Int32Array two(sab, 8, 2);        // 2 elements from byte 8
//   all[3] = 7;  int x = all[3];              // unchecked element access
//   all.at(16);                               // checked: RangeError
//   bobbin::Float64Array own(8);              // 8 zero doubles in a new ArrayBuffer
//
// Aliases: Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array,
// Float32Array, Float64Array, BigInt64Array (std::int64_t), BigUint64Array (std::uint64_t).
//
// Rules, as in JavaScript:
//   - The byte offset must be a multiple of the element size (RangeError); the range must lie
//     within the buffer (RangeError); a detached buffer cannot be viewed (TypeError). Without an
//     explicit length, a fixed buffer's remaining length must be a multiple of the element size
//     (RangeError), and a view of a resizable or growable buffer *tracks* its length.
//   - A view whose buffer is detached, or whose range no longer fits a shrunk buffer, is out of
//     bounds: length() and byte_length() are 0, and element access throws TypeError.
//   - `operator[]` does not check the index (only detachment); `at()` checks it (RangeError,
//     where JavaScript would give undefined).
//   - Elements are accessed through a small proxy (`TypedArray::reference`): reading or writing
//     it is a relaxed atomic access of the element, so unsynchronised access to shared memory
//     is never undefined behaviour in C++ (it is "unordered" in JavaScript's memory model). Use
//     bobbin::atomics for ordered access.
//   - Copying a view copies like a message: a view of an ArrayBuffer clones its whole buffer
//     into a new one, keeping offset and length (as structured clone does); a view of a
//     SharedArrayBuffer shares it.
//     Moving a view of an ArrayBuffer transfers its buffer (the source buffer is detached).
//
// Lifetime: a view keeps its buffer's memory alive. `buffer()` returns a reference-like handle
// to the same buffer.
//
// Thread safety: a view of a SharedArrayBuffer may be read from any thread, like the buffer; a
// view of an ArrayBuffer belongs to the buffer's thread.
//
// Memory ordering: element access is relaxed (no ordering); see atomics.hpp for the rest.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "array_buffer.hpp"
#include "detail/buffer_block.hpp"
#include "errors.hpp"
#include "shared_array_buffer.hpp"

namespace bobbin {

namespace detail {
template <class T>
inline constexpr bool is_element_type_v =
    std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t> ||
    std::is_same_v<T, std::int16_t> || std::is_same_v<T, std::uint16_t> ||
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::uint32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t> ||
    std::is_same_v<T, float> || std::is_same_v<T, double>;
}  // namespace detail

// A reference-like handle on the buffer behind a view: either an ArrayBuffer or a
// SharedArrayBuffer. Copying it copies the reference, never the bytes.
class BufferRef {
 public:
  [[nodiscard]] bool shared() const noexcept { return block_ != nullptr && block_->shared; }
  [[nodiscard]] bool detached() const noexcept {
    return block_ == nullptr || block_->data == nullptr;
  }
  [[nodiscard]] std::size_t byte_length() const noexcept {
    return detached() ? 0 : block_->length();
  }
  [[nodiscard]] std::size_t max_byte_length() const noexcept {
    return detached() ? 0 : block_->max_byte_length;
  }
  // Whether the buffer can change length (resizable ArrayBuffer, growable SharedArrayBuffer).
  [[nodiscard]] bool resizable() const noexcept { return block_ != nullptr && block_->resizable; }

  // A handle on the same ArrayBuffer (not a clone); TypeError if the buffer is shared.
  [[nodiscard]] ArrayBuffer array_buffer() const {
    if (shared()) throw TypeError("the view's buffer is a SharedArrayBuffer");
    return detail::BufferAccess::alias_array_buffer(block_);
  }
  // A handle on the same SharedArrayBuffer; TypeError if the buffer is not shared.
  [[nodiscard]] SharedArrayBuffer shared_array_buffer() const {
    if (!shared()) throw TypeError("the view's buffer is not a SharedArrayBuffer");
    return detail::BufferAccess::alias_shared(block_);
  }

  friend bool operator==(const BufferRef& a, const ArrayBuffer& b) noexcept {
    return a.block_ != nullptr && a.block_ == detail::BufferAccess::block(b);
  }
  friend bool operator==(const BufferRef& a, const SharedArrayBuffer& b) noexcept {
    return a.block_ != nullptr && a.block_ == detail::BufferAccess::block(b);
  }
  friend bool operator==(const BufferRef& a, const BufferRef& b) noexcept = default;

 private:
  template <class T>
  friend class TypedArray;
  explicit BufferRef(std::shared_ptr<detail::BufferBlock> block) noexcept
      : block_(std::move(block)) {}
  std::shared_ptr<detail::BufferBlock> block_;
};

template <class T>
class TypedArray {
  static_assert(detail::is_element_type_v<T>,
                "TypedArray<T> needs one of the JavaScript element types: std::int8_t, "
                "std::uint8_t, std::int16_t, std::uint16_t, std::int32_t, std::uint32_t, "
                "std::int64_t, std::uint64_t, float or double");

 public:
  using value_type = T;
  static constexpr std::size_t bytes_per_element = sizeof(T);  // BYTES_PER_ELEMENT

  // A proxy for one element: reads and writes are relaxed atomic accesses.
  class reference {
   public:
    operator T() const noexcept {  // NOLINT(google-explicit-constructor): a value proxy
      return std::atomic_ref<T>(*p_).load(std::memory_order_relaxed);  // relaxed: see header
    }
    reference& operator=(T value) noexcept {
      std::atomic_ref<T>(*p_).store(value, std::memory_order_relaxed);  // relaxed: see header
      return *this;
    }
    reference& operator=(const reference& other) noexcept { return *this = static_cast<T>(other); }
    reference(const reference&) = default;
    ~reference() = default;
    // Plain read-modify-write (not atomic as a whole, like `a[i] += v` in JavaScript).
    reference& operator+=(T v) noexcept { return *this = static_cast<T>(T(*this) + v); }
    reference& operator-=(T v) noexcept { return *this = static_cast<T>(T(*this) - v); }
    reference& operator++() noexcept { return *this += T(1); }
    reference& operator--() noexcept { return *this -= T(1); }

   private:
    friend class TypedArray;
    explicit reference(T* p) noexcept : p_(p) {}
    T* p_;
  };

  // `length` zero elements in a new ArrayBuffer.
  explicit TypedArray(std::size_t length = 0)
      : block_(detail::make_block(byte_size(length), nullptr, false)), length_(length) {}

  // A view of `buffer` from `byte_offset`, of `length` elements or (without it) to the end.
  explicit TypedArray(const ArrayBuffer& buffer, std::size_t byte_offset = 0)
      : TypedArray(detail::BufferAccess::block(buffer), byte_offset, std::nullopt) {}
  TypedArray(const ArrayBuffer& buffer, std::size_t byte_offset, std::size_t length)
      : TypedArray(detail::BufferAccess::block(buffer), byte_offset, length) {}
  explicit TypedArray(const SharedArrayBuffer& buffer, std::size_t byte_offset = 0)
      : TypedArray(detail::BufferAccess::block(buffer), byte_offset, std::nullopt) {}
  TypedArray(const SharedArrayBuffer& buffer, std::size_t byte_offset, std::size_t length)
      : TypedArray(detail::BufferAccess::block(buffer), byte_offset, length) {}

  // Copy: clones an ArrayBuffer into a new buffer (DataCloneError if it is detached); shares a
  // SharedArrayBuffer.
  TypedArray(const TypedArray& other)
      : block_(detail::BufferAccess::copy(other.block_)),
        byte_offset_(other.byte_offset_),
        length_(other.length_),
        tracking_(other.tracking_) {}
  // Move: transfers an ArrayBuffer (the source buffer is detached); shares a SharedArrayBuffer.
  TypedArray(TypedArray&& other) noexcept
      : block_(detail::BufferAccess::move(other.block_)),
        byte_offset_(other.byte_offset_),
        length_(other.length_),
        tracking_(other.tracking_) {}
  TypedArray& operator=(const TypedArray& other) {
    if (this != &other) *this = TypedArray(other);
    return *this;
  }
  TypedArray& operator=(TypedArray&& other) noexcept {
    if (this != &other) {
      block_ = detail::BufferAccess::move(other.block_);
      byte_offset_ = other.byte_offset_;
      length_ = other.length_;
      tracking_ = other.tracking_;
    }
    return *this;
  }
  ~TypedArray() = default;

  // Number of elements; 0 when out of bounds (detached buffer, or shrunk below the view).
  [[nodiscard]] std::size_t length() const noexcept {
    const auto n = current_length();
    return n ? *n : 0;
  }
  [[nodiscard]] std::size_t size() const noexcept { return length(); }
  [[nodiscard]] std::size_t byte_length() const noexcept { return length() * sizeof(T); }
  // The offset into the buffer in bytes; 0 when out of bounds.
  [[nodiscard]] std::size_t byte_offset() const noexcept {
    return current_length() ? byte_offset_ : 0;
  }
  // Whether the view tracks the length of a resizable or growable buffer.
  [[nodiscard]] bool length_tracking() const noexcept { return tracking_; }
  // Whether the view is out of bounds (its buffer detached, or shrunk below its range).
  [[nodiscard]] bool out_of_bounds() const noexcept { return !current_length(); }
  // Whether the buffer is a SharedArrayBuffer.
  [[nodiscard]] bool shared() const noexcept { return block_ != nullptr && block_->shared; }
  // The buffer (a reference, not a copy).
  [[nodiscard]] BufferRef buffer() const noexcept { return BufferRef(block_); }

  // Unchecked element access (TypeError only when out of bounds via a detached buffer).
  [[nodiscard]] reference operator[](std::size_t index) const {
    return reference(base() + index);
  }

  // Checked element access: TypeError when out of bounds, RangeError past the length.
  [[nodiscard]] reference at(std::size_t index) const { return reference(element(index)); }

  // The element's value / sets it (checked, like at()).
  [[nodiscard]] T get(std::size_t index) const { return at(index); }
  void set(std::size_t index, T value) const { at(index) = value; }

  // Sets every element to `value`.
  void fill(T value) const {
    const std::size_t n = length();
    T* p = n ? base() : nullptr;
    for (std::size_t i = 0; i < n; ++i) {
      std::atomic_ref<T>(p[i]).store(value, std::memory_order_relaxed);  // relaxed: see header
    }
  }

  // The address of element `index` after full validation (atomics use this): TypeError when
  // out of bounds, RangeError when `index >= length()`.
  [[nodiscard]] T* element(std::size_t index) const {
    // Fast path: a fixed-length buffer's views never go out of bounds unless detached.
    const detail::BufferBlock* const block = block_.get();
    if (block != nullptr && block->data != nullptr && !block->resizable && index < length_)
        [[likely]] {
      return reinterpret_cast<T*>(block->data + byte_offset_) + index;
    }
    return element_slow(index);
  }

 private:
  static std::uint64_t byte_size(std::size_t length) {
    if (length > detail::kMaxSafeInteger / sizeof(T)) {
      throw RangeError("typed array length is larger than 2^53 - 1 bytes");
    }
    return std::uint64_t{length} * sizeof(T);
  }

  TypedArray(std::shared_ptr<detail::BufferBlock> block, std::size_t byte_offset,
             std::optional<std::size_t> length)
      : block_(std::move(block)), byte_offset_(byte_offset) {
    if (byte_offset % sizeof(T) != 0) {
      throw RangeError("start offset of a typed array should be a multiple of " +
                       std::to_string(sizeof(T)));
    }
    if (detached()) throw TypeError("cannot construct a view of a detached ArrayBuffer");
    const std::size_t buffer_length = block_->length();
    if (length) {
      // Written so that nothing overflows: a huge offset must not wrap around into range.
      if (byte_offset > buffer_length || *length > (buffer_length - byte_offset) / sizeof(T)) {
        throw RangeError("invalid typed array length: " + std::to_string(*length));
      }
      length_ = *length;
      return;
    }
    if (byte_offset > buffer_length) {
      throw RangeError("start offset " + std::to_string(byte_offset) +
                       " is outside the bounds of the buffer");
    }
    if (block_->resizable) {
      tracking_ = true;
      return;
    }
    if ((buffer_length - byte_offset) % sizeof(T) != 0) {
      throw RangeError("byte length of the buffer should be a multiple of " +
                       std::to_string(sizeof(T)));
    }
    length_ = (buffer_length - byte_offset) / sizeof(T);
  }

  [[nodiscard]] bool detached() const noexcept {
    return block_ == nullptr || block_->data == nullptr;
  }

  // The length when in bounds; nullopt when out of bounds.
  [[nodiscard]] std::optional<std::size_t> current_length() const noexcept {
    if (detached()) return std::nullopt;
    if (!block_->resizable) return length_;  // a fixed buffer's views never go out of bounds
    const std::size_t buffer_length = block_->length();
    if (tracking_) {
      if (byte_offset_ > buffer_length) return std::nullopt;
      return (buffer_length - byte_offset_) / sizeof(T);
    }
    if (byte_offset_ + length_ * sizeof(T) > buffer_length) return std::nullopt;
    return length_;
  }

  [[gnu::noinline]] T* element_slow(std::size_t index) const {
    const auto n = current_length();
    if (!n) {
      throw TypeError(detached() ? "the view's buffer is detached" : "the view is out of bounds");
    }
    if (index >= *n) {
      throw RangeError("index " + std::to_string(index) + " is out of range for length " +
                       std::to_string(*n));
    }
    return reinterpret_cast<T*>(block_->data + byte_offset_) + index;
  }

  [[nodiscard]] T* base() const {
    if (detached()) throw TypeError("the view's buffer is detached");
    return reinterpret_cast<T*>(block_->data + byte_offset_);
  }

  std::shared_ptr<detail::BufferBlock> block_;
  std::size_t byte_offset_ = 0;
  std::size_t length_ = 0;  // unused when tracking_
  bool tracking_ = false;
};

using Int8Array = TypedArray<std::int8_t>;
using Uint8Array = TypedArray<std::uint8_t>;
using Int16Array = TypedArray<std::int16_t>;
using Uint16Array = TypedArray<std::uint16_t>;
using Int32Array = TypedArray<std::int32_t>;
using Uint32Array = TypedArray<std::uint32_t>;
using Float32Array = TypedArray<float>;
using Float64Array = TypedArray<double>;
using BigInt64Array = TypedArray<std::int64_t>;
using BigUint64Array = TypedArray<std::uint64_t>;

}  // namespace bobbin
