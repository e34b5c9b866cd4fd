// bobbin/shared_array_buffer.hpp — SharedArrayBuffer: bytes shared between threads on purpose.
//
// The C++ twin of JavaScript's SharedArrayBuffer. Copying a handle shares the same memory
// (reference counted), so posting one to a worker, or capturing it in a thread, shares it:
//
//   bobbin::SharedArrayBuffer sab(1024);          // 1024 zero bytes
//   bobbin::SharedArrayBuffer same = sab;         // the same memory (same == sab)
//   bobbin::Int32Array cells(sab);                // views read and write it; use bobbin::atomics
//                                                 // to coordinate
//   bobbin::SharedArrayBuffer g(8, bobbin::SharedArrayBufferOptions{.max_byte_length = 64});
//   g.grow(32);                                   // in place; new bytes are zero
//
// Rules, as in JavaScript:
//   - A SharedArrayBuffer is never detached and never moves its memory: the maximum is
//     allocated up front (lazily committed pages), and `grow` only raises the length.
//   - Moving a handle is a copy (both handles keep sharing the memory), so a SharedArrayBuffer
//     cannot be "transferred" away by accident.
//   - `grow` on a fixed-length buffer throws TypeError; a length below the current one or above
//     the maximum throws RangeError; the current length is a no-op. Racing grows are totally
//     ordered and never lost: grow(10) racing grow(20) never shrinks the buffer (it throws
//     RangeError if 20 won).
//   - `slice` copies a range into a new, fixed-length SharedArrayBuffer.
//   - Lengths above 2^53 - 1 and failed allocations throw RangeError.
//
// Lifetime: the memory lives while any handle or view refers to it.
//
// Thread safety: handles may be copied, grown and read from any thread. The bytes themselves
// are shared memory: access them through bobbin::atomics, or through views (whose plain element
// access is a relaxed atomic access: never undefined behaviour, but unordered).
//
// Memory ordering: byte_length() and grow() are sequentially consistent; a thread that sees a
// length also sees the zeros of the bytes below it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "array_buffer.hpp"
#include "detail/buffer_block.hpp"
#include "errors.hpp"

namespace bobbin {

// Options of a growable SharedArrayBuffer (JavaScript's `{ maxByteLength }`).
struct SharedArrayBufferOptions {
  std::optional<std::size_t> max_byte_length;  // empty: a fixed-length buffer
};

class SharedArrayBuffer {
 public:
  // A fixed-length buffer of `byte_length` zero bytes.
  explicit SharedArrayBuffer(std::size_t byte_length = 0)
      : block_(detail::make_block(byte_length, nullptr, true)) {}

  // A buffer of `byte_length` zero bytes, growable up to `options.max_byte_length` if set.
  SharedArrayBuffer(std::size_t byte_length, SharedArrayBufferOptions options)
      : block_(make(byte_length, options)) {}

  // Copies (and moves) share the memory.
  SharedArrayBuffer(const SharedArrayBuffer&) noexcept = default;
  SharedArrayBuffer& operator=(const SharedArrayBuffer&) noexcept = default;
  ~SharedArrayBuffer() = default;

  // The current length in bytes (a sequentially consistent read).
  [[nodiscard]] std::size_t byte_length() const noexcept { return block_->length(); }

  // The maximum length: the length when fixed, the option when growable.
  [[nodiscard]] std::size_t max_byte_length() const noexcept { return block_->max_byte_length; }

  // Whether the buffer was created with a maximum.
  [[nodiscard]] bool growable() const noexcept { return block_->resizable; }

  // The first byte. Never changes and never null; bytes below byte_length() are usable.
  [[nodiscard]] std::byte* data() const noexcept { return block_->data; }

  // Raises the length to `new_byte_length`; see the header comment for the rules.
  void grow(std::size_t new_byte_length) {
    if (!growable()) throw TypeError("grow: the SharedArrayBuffer is not growable");
    detail::check_length(new_byte_length, "grow length");
    std::size_t current = block_->byte_length.load(std::memory_order_seq_cst);
    for (;;) {
      if (new_byte_length == current) return;
      if (new_byte_length < current) {
        throw RangeError("grow: a SharedArrayBuffer cannot shrink");
      }
      if (new_byte_length > block_->max_byte_length) {
        throw RangeError("grow: the new length exceeds the max byte length");
      }
      // strong: a spurious failure would be a lost grow (the spec forbids it).
      if (block_->byte_length.compare_exchange_strong(current, new_byte_length,
                                                      std::memory_order_seq_cst)) {
        return;
      }
    }
  }

  // A fixed-length copy of bytes [begin, end); negative indices count from the end.
  [[nodiscard]] SharedArrayBuffer slice(
      std::ptrdiff_t begin = 0,
      std::ptrdiff_t end = std::numeric_limits<std::ptrdiff_t>::max()) const {
    const std::size_t length = block_->length();
    const std::size_t first = detail::relative_index(begin, length);
    const std::size_t last = std::max(first, detail::relative_index(end, length));
    SharedArrayBuffer result(last - first);
    copy_shared_bytes(result.block_->data, block_->data + first, last - first);
    return result;
  }

  // Whether both handles share the same memory.
  [[nodiscard]] friend bool operator==(const SharedArrayBuffer& a,
                                       const SharedArrayBuffer& b) noexcept {
    return a.block_ == b.block_;
  }

 private:
  friend struct detail::BufferAccess;

  struct AliasTag {};
  SharedArrayBuffer(AliasTag, std::shared_ptr<detail::BufferBlock> block) noexcept
      : block_(std::move(block)) {}

  static std::shared_ptr<detail::BufferBlock> make(std::size_t length,
                                                   const SharedArrayBufferOptions& options) {
    if (!options.max_byte_length) return detail::make_block(length, nullptr, true);
    const std::uint64_t max = *options.max_byte_length;
    return detail::make_block(length, &max, true);
  }

  // Copies bytes that other threads may be writing: byte by byte through relaxed atomics, so
  // a race yields some bytes, never undefined behaviour.
  static void copy_shared_bytes(std::byte* to, const std::byte* from, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      to[i] = std::atomic_ref<std::byte>(const_cast<std::byte&>(from[i]))
                  .load(std::memory_order_relaxed);  // relaxed: slice is unordered, as in JS
    }
  }

  std::shared_ptr<detail::BufferBlock> block_;  // never null
};

namespace detail {

// The one door through which views and atomics reach a buffer's block.
struct BufferAccess {
  static const std::shared_ptr<BufferBlock>& block(const ArrayBuffer& b) noexcept {
    return b.block_;
  }
  static const std::shared_ptr<BufferBlock>& block(const SharedArrayBuffer& b) noexcept {
    return b.block_;
  }
  static ArrayBuffer alias_array_buffer(std::shared_ptr<BufferBlock> block) noexcept {
    return ArrayBuffer(ArrayBuffer::AliasTag{}, std::move(block));
  }
  static SharedArrayBuffer alias_shared(std::shared_ptr<BufferBlock> block) noexcept {
    return SharedArrayBuffer(SharedArrayBuffer::AliasTag{}, std::move(block));
  }
  // Clone (ArrayBuffer) or share (SharedArrayBuffer) a block, as copying a handle does.
  static std::shared_ptr<BufferBlock> copy(const std::shared_ptr<BufferBlock>& block) {
    if (block != nullptr && block->shared) return block;
    return ArrayBuffer::clone_of(block);
  }
  // Transfer (ArrayBuffer) or share (SharedArrayBuffer) a block, as moving a handle does.
  static std::shared_ptr<BufferBlock> move(std::shared_ptr<BufferBlock>& block) noexcept {
    if (block != nullptr && block->shared) return block;
    return ArrayBuffer::take(block);
  }
};

}  // namespace detail
}  // namespace bobbin
