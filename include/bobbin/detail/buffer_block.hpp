// bobbin/detail/buffer_block.hpp — the memory behind ArrayBuffer, SharedArrayBuffer and views.
//
// A BufferBlock is the identity of one buffer (JavaScript's ArrayBuffer object): handles and
// views hold it through a shared_ptr. Its bytes come from calloc, are at least 16-byte aligned,
// and are allocated once at the buffer's maximum size, so growing never moves them (other
// threads hold raw pointers into a SharedArrayBuffer) and fresh memory reads as zero. Bytes
// beyond `byte_length` are kept zero, so growing or resizing up reveals zeros.
//
// An ArrayBuffer's block is owned by one thread at a time (it moves between threads only by
// transfer, through a synchronising hand-off), so `data` and its bytes need no atomics there.
// A SharedArrayBuffer's `data` never changes and its length only grows, through a CAS.
//
// Memory ordering: `byte_length` is read and written seq_cst (JavaScript's `byteLength` getter
// and `grow` are sequentially consistent); a length read that sees a grow also sees the zeroed
// bytes it reveals, which were zeroed before the block was shared.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "../errors.hpp"

namespace bobbin::detail {

// The largest length JavaScript accepts (2^53 - 1); anything above it is a RangeError.
inline constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

struct BufferBlock {
  std::byte* data = nullptr;                // null once detached (ArrayBuffer only)
  std::atomic<std::size_t> byte_length{0};  // current length
  std::size_t max_byte_length = 0;          // the maximum; equals the length when fixed
  std::size_t capacity = 0;                 // bytes allocated at `data`
  bool shared = false;                      // a SharedArrayBuffer's block
  bool resizable = false;                   // created with a maximum (resizable / growable)

  BufferBlock() = default;
  BufferBlock(const BufferBlock&) = delete;
  BufferBlock& operator=(const BufferBlock&) = delete;
  ~BufferBlock() { std::free(data); }

  [[nodiscard]] std::size_t length() const noexcept {
    return byte_length.load(std::memory_order_seq_cst);
  }
};

inline void check_length(std::uint64_t length, const char* what) {
  if (length > kMaxSafeInteger) {
    throw RangeError(std::string(what) + " is larger than 2^53 - 1");
  }
}

// Allocates `capacity` bytes, zeroed when `zeroed` (calloc maps fresh pages lazily, so a large
// maximum costs address space, not memory, until it is used).
inline std::byte* allocate_bytes(std::size_t capacity, bool zeroed) {
  const std::size_t n = capacity == 0 ? 1 : capacity;
  void* p = zeroed ? std::calloc(n, 1) : std::malloc(n);
  if (p == nullptr) throw RangeError("Array buffer allocation failed");
  return static_cast<std::byte*>(p);
}

// A new block of `length` zero bytes that may grow to `max` (fixed when `max` is empty).
inline std::shared_ptr<BufferBlock> make_block(std::uint64_t length, const std::uint64_t* max,
                                               bool shared) {
  check_length(length, "byte length");
  if (max != nullptr) {
    check_length(*max, "max byte length");
    if (length > *max) throw RangeError("byte length exceeds the max byte length");
  }
  auto block = std::make_shared<BufferBlock>();
  block->shared = shared;
  block->resizable = max != nullptr;
  block->max_byte_length = static_cast<std::size_t>(max != nullptr ? *max : length);
  block->capacity = block->max_byte_length;
  block->data = allocate_bytes(block->capacity, true);
  block->byte_length.store(static_cast<std::size_t>(length), std::memory_order_relaxed);
  return block;
}

// A new block holding a copy of `source`'s bytes, with the same length, maximum and kind.
inline std::shared_ptr<BufferBlock> clone_block(const BufferBlock& source) {
  auto block = std::make_shared<BufferBlock>();
  const std::size_t length = source.length();
  block->shared = source.shared;
  block->resizable = source.resizable;
  block->max_byte_length = source.max_byte_length;
  block->capacity = source.resizable ? source.max_byte_length : length;
  // A fixed clone is overwritten whole, so it skips zeroing; a resizable one keeps its tail zero.
  block->data = allocate_bytes(block->capacity, source.resizable);
  if (length != 0) std::memcpy(block->data, source.data, length);
  block->byte_length.store(length, std::memory_order_relaxed);
  return block;
}

}  // namespace bobbin::detail
