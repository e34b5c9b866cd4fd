// bobbin/array_buffer.hpp — ArrayBuffer: bytes owned by one thread; copy clones, move transfers.
//
// The C++ twin of JavaScript's ArrayBuffer, where C++ value semantics are structured clone:
//
//   bobbin::ArrayBuffer a(64);                  // 64 zero bytes
//   bobbin::ArrayBuffer b = a;                  // clone: independent bytes (DataCloneError if
//                                               // `a` is detached)
//   bobbin::ArrayBuffer c = std::move(a);       // transfer: O(1); a.detached(), a.byte_length() == 0
//   bobbin::ArrayBuffer d(8, bobbin::ArrayBufferOptions{.max_byte_length = 64});   // resizable
//   d.resize(32);                               // keeps the first 8 bytes, new bytes are zero
//   bobbin::ArrayBuffer e = d.transfer(16);     // transfer() / transfer_to_fixed_length()
//   bobbin::ArrayBuffer f = b.slice(8, -8);     // a copy of a range (negative = from the end)
//
// Rules, as in JavaScript:
//   - A detached buffer has byte_length() == max_byte_length() == 0 and detached() == true;
//     resizable() keeps its value. resize, transfer and slice of a detached buffer throw
//     TypeError; copying (cloning) one throws DataCloneError.
//   - resize of a fixed-length buffer throws TypeError; past the maximum, RangeError.
//   - transfer(n) keeps a resizable buffer resizable with the same maximum (n above it is a
//     RangeError); transfer_to_fixed_length(n) and any fixed source give a fixed buffer. The
//     first min(n, old length) bytes carry over, the rest are zero. The source is detached.
//   - Lengths above 2^53 - 1 and failed allocations throw RangeError.
//   - Moving from a buffer never throws; moving a detached buffer yields a detached buffer.
//     Assigning to a buffer rebinds the handle: views of the old buffer keep the old bytes.
//
// Lifetime: views (`TypedArray`) share the buffer's identity: they see its resizes and its
// detachment, and keep the bytes alive after the handle is gone.
//
// Thread safety: an ArrayBuffer and its views belong to one thread at a time, like a
// std::vector. To hand the bytes to another thread, transfer them (move the buffer) through a
// synchronising channel; to share bytes, use SharedArrayBuffer.
//
// Memory ordering: none of its own; the hand-off that moves a buffer between threads orders it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "detail/buffer_block.hpp"
#include "errors.hpp"

namespace bobbin {

template <class T>
class TypedArray;
class BufferRef;

// Options of a resizable ArrayBuffer (JavaScript's `{ maxByteLength }`).
struct ArrayBufferOptions {
  std::optional<std::size_t> max_byte_length;  // empty: a fixed-length buffer
};

namespace detail {
struct BufferAccess;
// Clamps a JavaScript-style relative index (negative counts from the end) into [0, length].
inline std::size_t relative_index(std::ptrdiff_t index, std::size_t length) noexcept {
  if (index < 0) {
    const auto back = static_cast<std::size_t>(-(index + 1)) + 1;
    return back >= length ? 0 : length - back;
  }
  return std::min(static_cast<std::size_t>(index), length);
}
}  // namespace detail

class ArrayBuffer {
 public:
  // A fixed-length buffer of `byte_length` zero bytes.
  explicit ArrayBuffer(std::size_t byte_length = 0)
      : block_(detail::make_block(byte_length, nullptr, false)) {}

  // A buffer of `byte_length` zero bytes, resizable up to `options.max_byte_length` if set.
  ArrayBuffer(std::size_t byte_length, ArrayBufferOptions options)
      : block_(make(byte_length, options)) {}

  // Clone: a new buffer with a copy of the bytes, length and maximum.
  // Throws DataCloneError if `other` is detached.
  ArrayBuffer(const ArrayBuffer& other) : block_(clone_of(other.block_)) {}

  // Transfer: takes the bytes in O(1) and detaches `other`.
  ArrayBuffer(ArrayBuffer&& other) noexcept
      : block_(take(other.block_)), detached_resizable_(other.detached_resizable_) {
    other.detached_resizable_ = resizable();
  }

  ArrayBuffer& operator=(const ArrayBuffer& other) {
    if (this != &other) block_ = clone_of(other.block_);
    return *this;
  }

  ArrayBuffer& operator=(ArrayBuffer&& other) noexcept {
    if (this != &other) {
      block_ = take(other.block_);
      detached_resizable_ = other.detached_resizable_;
      other.detached_resizable_ = resizable();
    }
    return *this;
  }

  ~ArrayBuffer() = default;

  // The length in bytes; 0 once detached.
  [[nodiscard]] std::size_t byte_length() const noexcept {
    return detached() ? 0 : block_->length();
  }

  // The maximum length: the length when fixed, the option when resizable; 0 once detached.
  [[nodiscard]] std::size_t max_byte_length() const noexcept {
    return detached() ? 0 : block_->max_byte_length;
  }

  // Whether the buffer was created with a maximum (stays true after detaching).
  [[nodiscard]] bool resizable() const noexcept {
    return block_ != nullptr ? block_->resizable : detached_resizable_;
  }

  [[nodiscard]] bool detached() const noexcept {
    return block_ == nullptr || block_->data == nullptr;
  }

  // The bytes; null once detached. Valid until the buffer is resized smaller, transferred or
  // destroyed.
  [[nodiscard]] std::byte* data() noexcept { return detached() ? nullptr : block_->data; }
  [[nodiscard]] const std::byte* data() const noexcept {
    return detached() ? nullptr : block_->data;
  }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data(), byte_length()}; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {data(), byte_length()};
  }

  // Changes the length of a resizable buffer; kept bytes stay, new bytes are zero.
  void resize(std::size_t new_byte_length) {
    if (!resizable()) throw TypeError("resize: the ArrayBuffer is not resizable");
    if (detached()) throw TypeError("resize: the ArrayBuffer is detached");
    if (new_byte_length > block_->max_byte_length) {
      throw RangeError("resize: the new length exceeds the max byte length");
    }
    const std::size_t old = block_->length();
    // Bytes past the length are kept zero, so growing later reveals zeros.
    if (new_byte_length < old) std::memset(block_->data + new_byte_length, 0, old - new_byte_length);
    block_->byte_length.store(new_byte_length, std::memory_order_seq_cst);
  }

  // Moves the bytes into a new buffer of the same length and kind; detaches this one.
  [[nodiscard]] ArrayBuffer transfer() { return transfer_impl(std::nullopt, false); }
  // ... of `new_byte_length` bytes (first min(new, old) bytes kept, the rest zero).
  [[nodiscard]] ArrayBuffer transfer(std::size_t new_byte_length) {
    return transfer_impl(new_byte_length, false);
  }
  // Like transfer(), but the new buffer is fixed-length.
  [[nodiscard]] ArrayBuffer transfer_to_fixed_length() {
    return transfer_impl(std::nullopt, true);
  }
  [[nodiscard]] ArrayBuffer transfer_to_fixed_length(std::size_t new_byte_length) {
    return transfer_impl(new_byte_length, true);
  }

  // A fixed-length copy of bytes [begin, end); negative indices count from the end and both
  // are clamped to the length.
  [[nodiscard]] ArrayBuffer slice(std::ptrdiff_t begin = 0,
                                  std::ptrdiff_t end = std::numeric_limits<std::ptrdiff_t>::max()) const {
    if (detached()) throw TypeError("slice: the ArrayBuffer is detached");
    const std::size_t length = block_->length();
    const std::size_t first = detail::relative_index(begin, length);
    const std::size_t last = std::max(first, detail::relative_index(end, length));
    ArrayBuffer result(last - first);
    if (last != first) std::memcpy(result.block_->data, block_->data + first, last - first);
    return result;
  }

  // Whether both handles name the same buffer (identity, not contents).
  [[nodiscard]] friend bool operator==(const ArrayBuffer& a, const ArrayBuffer& b) noexcept {
    return a.block_ == b.block_;
  }

 private:
  friend struct detail::BufferAccess;

  // A second handle on the same buffer identity (for views and BufferRef).
  struct AliasTag {};
  ArrayBuffer(AliasTag, std::shared_ptr<detail::BufferBlock> block) noexcept
      : block_(std::move(block)) {}

  static std::shared_ptr<detail::BufferBlock> make(std::size_t length,
                                                   const ArrayBufferOptions& options) {
    if (!options.max_byte_length) return detail::make_block(length, nullptr, false);
    const std::uint64_t max = *options.max_byte_length;
    return detail::make_block(length, &max, false);
  }

  static std::shared_ptr<detail::BufferBlock> clone_of(
      const std::shared_ptr<detail::BufferBlock>& block) {
    if (block == nullptr || block->data == nullptr) {
      throw DataCloneError("an ArrayBuffer is detached and could not be cloned");
    }
    return detail::clone_block(*block);
  }

  // Takes `from`'s bytes, leaving `from` detached. When nothing else (no view, no alias) refers
  // to the block, the block itself moves; otherwise its bytes move to a new block and the old
  // block, still seen by its views, becomes detached.
  static std::shared_ptr<detail::BufferBlock> take(std::shared_ptr<detail::BufferBlock>& from) noexcept {
    if (from == nullptr || from.use_count() == 1) return std::move(from);
    std::shared_ptr<detail::BufferBlock> block;
    try {
      block = std::make_shared<detail::BufferBlock>();
    } catch (...) {
      // A move must not throw; a failed allocation of a few dozen bytes leaves no sane state.
      std::terminate();
    }
    move_bytes(*from, *block);
    return block;
  }

  // Moves the bytes and their bookkeeping from `from` to `to`; `from` ends detached.
  static void move_bytes(detail::BufferBlock& from, detail::BufferBlock& to) noexcept {
    to.data = std::exchange(from.data, nullptr);
    to.byte_length.store(from.byte_length.exchange(0), std::memory_order_relaxed);
    to.max_byte_length = std::exchange(from.max_byte_length, 0);
    to.capacity = std::exchange(from.capacity, 0);
    to.mapped = std::exchange(from.mapped, 0);
    to.resizable = from.resizable;
    to.shared = false;
  }

  ArrayBuffer transfer_impl(std::optional<std::size_t> requested, bool to_fixed) {
    if (detached()) throw TypeError("transfer: the ArrayBuffer is detached");
    detail::BufferBlock& from = *block_;
    const std::size_t old_length = from.length();
    const std::size_t length = requested.value_or(old_length);
    detail::check_length(length, "transfer length");
    const bool keep_resizable = from.resizable && !to_fixed;
    if (keep_resizable && length > from.max_byte_length) {
      throw RangeError("transfer: the new length exceeds the max byte length");
    }
    // Make room first: nothing is detached if this throws.
    if (length > from.capacity) detail::grow_capacity(from, length);
    if (length < old_length) std::memset(from.data + length, 0, old_length - length);
    auto block = std::make_shared<detail::BufferBlock>();
    move_bytes(from, *block);
    block->byte_length.store(length, std::memory_order_relaxed);
    block->resizable = keep_resizable;
    block->max_byte_length = keep_resizable ? block->max_byte_length : length;
    return ArrayBuffer(AliasTag{}, std::move(block));
  }

  std::shared_ptr<detail::BufferBlock> block_;  // null: detached by a move
  bool detached_resizable_ = false;  // resizable() while block_ is null (kept across detach)
};

}  // namespace bobbin
