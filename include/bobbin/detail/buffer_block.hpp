// bobbin/detail/buffer_block.hpp — the memory behind ArrayBuffer, SharedArrayBuffer and views.
//
// A BufferBlock is the identity of one buffer (JavaScript's ArrayBuffer object): handles and
// views hold it through a shared_ptr. Its bytes are at least 16-byte aligned and allocated once
// at the buffer's maximum size, so growing never moves them (other threads hold raw pointers
// into a SharedArrayBuffer) and fresh memory reads as zero. Bytes beyond `byte_length` are kept
// zero, so growing or resizing up reveals zeros.
//
// Small blocks come from malloc/calloc. Blocks of 2 MiB and more come straight from the kernel
// (platform.hpp's map_pages: lazily committed, huge pages where available), and a few freed
// ones are kept for reuse by the next clone of a similar size — a clone then copies into warm
// memory instead of faulting in fresh pages. The cache holds at most
// BOBBIN_LARGE_BLOCK_CACHE_BYTES (default 256 MiB; define it to 0 to turn the cache off).
// Likewise, freed heap blocks of 32 KiB up to 2 MiB are kept (a few, at most
// BOBBIN_MID_BLOCK_CACHE_BYTES, default 8 MiB; 0 turns it off) for the next clone of exactly
// that size. Measured, what a fresh heap block costs a clone there is not its zeroing or
// page faults (a clone skips zeroing, and the heap hands back warm memory) but the free: the
// receiver frees the clone on its own thread, which takes the sending thread's malloc arena
// lock and consolidates the heap just when the sender allocates the next clone. The cache
// turns that into one short hand-off under a spinning lock.
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
#include <utility>

#include "../errors.hpp"
#include "platform.hpp"
#include "word_lock.hpp"

#ifndef BOBBIN_LARGE_BLOCK_CACHE_BYTES
#define BOBBIN_LARGE_BLOCK_CACHE_BYTES (std::size_t{256} << 20)
#endif
#ifndef BOBBIN_MID_BLOCK_CACHE_BYTES
#define BOBBIN_MID_BLOCK_CACHE_BYTES (std::size_t{8} << 20)
#endif

namespace bobbin::detail {

// Blocks at least this large are mapped pages, in multiples of this size.
inline constexpr std::size_t kLargeBlock = std::size_t{2} << 20;

// Heap blocks at least this large (and below kLargeBlock) are cached for reuse by clones.
inline constexpr std::size_t kMidBlock = std::size_t{32} << 10;

// A handful of recently freed blocks, kept for reuse by clones (which overwrite every byte, so
// need no zeroing), at most `Budget` bytes in all. `Release` gives a block back for good (the
// evicted ones, outside the lock). A WordLock guards it: the critical sections are a few loads
// and stores, and the usual caller pair is one thread freeing while another allocates.
template <std::size_t Budget, void (*Release)(void*, std::size_t) noexcept>
class BlockCache {
 public:
  static BlockCache& instance() {
    // Never destroyed: blocks freed during static destruction may still come back here.
    static auto* cache = new BlockCache;
    return *cache;
  }

  // The most recently cached block of `least` to `most` bytes (its size in `got`), or null.
  void* take(std::size_t least, std::size_t most, std::size_t& got) noexcept {
    void* p = nullptr;
    lock_.lock();
    for (std::size_t i = count_; i-- > 0;) {
      if (entries_[i].bytes >= least && entries_[i].bytes <= most) {
        p = entries_[i].p;
        got = entries_[i].bytes;
        remove(i);
        break;
      }
    }
    lock_.unlock();
    return p;
  }

  // Keeps the block, evicting the oldest ones to make room; false (the caller releases it) if
  // it alone is larger than the cache.
  bool put(void* p, std::size_t bytes) noexcept {
    if (bytes > Budget) return false;
    Entry evicted[kEntries];
    std::size_t n_evicted = 0;
    lock_.lock();
    while (count_ != 0 && (count_ == kEntries || total_ + bytes > Budget)) {
      evicted[n_evicted++] = entries_[0];
      remove(0);
    }
    entries_[count_++] = Entry{p, bytes};
    total_ += bytes;
    lock_.unlock();
    for (std::size_t i = 0; i < n_evicted; ++i) Release(evicted[i].p, evicted[i].bytes);
    return true;
  }

 private:
  struct Entry {
    void* p;
    std::size_t bytes;
  };
  static constexpr std::size_t kEntries = 4;

  void remove(std::size_t i) noexcept {  // under the lock
    total_ -= entries_[i].bytes;
    for (std::size_t j = i + 1; j < count_; ++j) entries_[j - 1] = entries_[j];
    --count_;
  }

  WordLock lock_;
  Entry entries_[kEntries]{};
  std::size_t count_ = 0;
  std::size_t total_ = 0;
};

inline void free_heap_block(void* p, std::size_t) noexcept { std::free(p); }

// Freed mapped regions (kLargeBlock and up) and freed heap blocks (kMidBlock..kLargeBlock).
using LargeBlockCache = BlockCache<BOBBIN_LARGE_BLOCK_CACHE_BYTES, unmap_pages>;
using MidBlockCache = BlockCache<BOBBIN_MID_BLOCK_CACHE_BYTES, free_heap_block>;

// The largest length JavaScript accepts (2^53 - 1); anything above it is a RangeError.
inline constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

struct BufferBlock {
  std::byte* data = nullptr;                // null once detached (ArrayBuffer only)
  std::atomic<std::size_t> byte_length{0};  // current length
  std::size_t max_byte_length = 0;          // the maximum; equals the length when fixed
  std::size_t capacity = 0;                 // bytes usable at `data`
  std::size_t mapped = 0;                   // size of the mapping when `data` is mapped pages
  bool shared = false;                      // a SharedArrayBuffer's block
  bool resizable = false;                   // created with a maximum (resizable / growable)

  BufferBlock() = default;
  BufferBlock(const BufferBlock&) = delete;
  BufferBlock& operator=(const BufferBlock&) = delete;
  ~BufferBlock() { release(); }

  // Gives the bytes back (to the cache, the kernel or malloc) and detaches the block.
  void release() noexcept {
    if (data != nullptr && mapped != 0) {
      if (!LargeBlockCache::instance().put(data, mapped)) unmap_pages(data, mapped);
    } else if (data != nullptr && capacity >= kMidBlock) {  // a heap block of `capacity` bytes
      if (!MidBlockCache::instance().put(data, capacity)) std::free(data);
    } else {
      std::free(data);
    }
    data = nullptr;
    mapped = 0;
  }

  [[nodiscard]] std::size_t length() const noexcept {
    return byte_length.load(std::memory_order_seq_cst);
  }
};

inline void check_length(std::uint64_t length, const char* what) {
  if (length > kMaxSafeInteger) {
    throw RangeError(std::string(what) + " is larger than 2^53 - 1");
  }
}

// Gives `block` `capacity` bytes, zeroed when `zeroed` (a clone skips zeroing: it overwrites
// them). Large blocks are mapped pages, which the kernel zeroes lazily, so a large maximum costs
// address space, not memory, until it is used. Throws RangeError when memory runs out.
inline void allocate_bytes(BufferBlock& block, std::size_t capacity, bool zeroed) {
  if (capacity >= kLargeBlock) {
    const std::size_t bytes = (capacity + kLargeBlock - 1) / kLargeBlock * kLargeBlock;
    std::size_t got = 0;
    // A cached region of up to twice the size will do: only address space is wasted.
    void* p = zeroed ? nullptr : LargeBlockCache::instance().take(bytes, 2 * bytes, got);
    if (p == nullptr) {
      p = map_pages(bytes);
      got = bytes;
    }
    if (p == nullptr) throw RangeError("Array buffer allocation failed");
    block.data = static_cast<std::byte*>(p);
    block.mapped = got;
  } else {
    const std::size_t n = capacity == 0 ? 1 : capacity;
    void* p = nullptr;
    std::size_t got = 0;
    if (!zeroed && n >= kMidBlock) p = MidBlockCache::instance().take(n, n, got);  // exact size
    if (p == nullptr) p = zeroed ? std::calloc(n, 1) : std::malloc(n);
    if (p == nullptr) throw RangeError("Array buffer allocation failed");
    block.data = static_cast<std::byte*>(p);
    block.mapped = 0;
  }
  block.capacity = capacity;
}

// Grows `block`'s allocation to `capacity` bytes, keeping its bytes and zeroing the new ones.
// On failure (RangeError) the block is unchanged.
inline void grow_capacity(BufferBlock& block, std::size_t capacity) {
  BufferBlock grown;
  allocate_bytes(grown, capacity, true);
  std::memcpy(grown.data, block.data, block.capacity);
  block.release();
  block.data = std::exchange(grown.data, nullptr);
  block.mapped = std::exchange(grown.mapped, 0);
  block.capacity = capacity;
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
  allocate_bytes(*block, block->max_byte_length, true);
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
  // A fixed clone is overwritten whole, so it skips zeroing; a resizable one keeps its tail zero.
  allocate_bytes(*block, source.resizable ? source.max_byte_length : length, source.resizable);
  if (length != 0) std::memcpy(block->data, source.data, length);
  block->byte_length.store(length, std::memory_order_relaxed);
  return block;
}

}  // namespace bobbin::detail
