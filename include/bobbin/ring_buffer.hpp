// bobbin/ring_buffer.hpp — RingBuffer<T>: a single-producer, single-consumer ring in a
// SharedArrayBuffer.
//
// A bounded FIFO of exactly `capacity` trivially copyable elements whose whole state (header
// and slots) lives in one SharedArrayBuffer, so a worker reaches it by copying the buffer:
//
//   bobbin::RingBuffer<int> rb(1024);                 // holds exactly 1024 ints
//   std::thread consumer([sab = rb.buffer()] {
//     bobbin::RingBuffer<int> in(sab);                // attaches to the same ring
//     while (auto v = in.pop()) use(*v);              // blocks while empty; nullopt once closed
//   });                                               //   and drained
//   rb.push(1);                                       // blocks while full
//   if (!rb.try_push(2)) { /* full */ }               // never blocks
//   rb.try_push_for(3, 10ms);                         // blocks at most 10 ms
//   std::size_t n = rb.write(std::span<const int>(v));// as many as fit, never blocks
//   rb.close();                                       // pop drains, then returns nullopt
//
//   bobbin::RingBuffer<std::byte> bytes(100);         // the book's byte stream (ch. 6):
//   bytes.write(data);                                //   bytes written, 0 when full
//   bytes.read(out);                                  //   at most out.size() bytes, 0 when empty
//
// Rules:
//   - One producer and one consumer at a time. The producer calls push/try_push*/write, the
//     consumer pop/try_pop*/read; they may share one RingBuffer object or use their own objects
//     over the same buffer. Two threads on the same side is a contract violation.
//   - Each object caches the other side's index (that is what makes it fast). The caches are
//     conservative: an object that was idle, copied, or handed to another thread stays correct.
//   - `write`/`read` never block and return how many elements moved. The book's `read` sliced
//     `[tail, bytes)` instead of `[tail, tail + bytes)` and lost data when tail > 0; this ring
//     copies exactly the elements it consumes, wrapping as needed.
//   - `close()` (either side, once or more): `push`/`try_push*` then return false and `write`
//     returns 0; `pop` returns the elements left, then nullopt; waiters on both sides wake.
//   - `size()`/`empty()` are racy snapshots, exact only when neither side is running.
//   - A blocking call interrupted through parking_lot::interrupt (a terminated worker) throws
//     TerminatedError. Timed calls never return before their deadline unless they succeed.
//   - Bad input throws RangeError: capacity 0 or too large to allocate; attaching to a buffer
//     that is too small for a header, holds no ring, or whose header names another element
//     size or a capacity the buffer cannot hold.
//
// Layout (byte offsets from the first 64-byte-aligned address in the buffer): [0, 64) the
// header (magic, element size, element alignment, capacity, closed flag); [64, 72) head, the
// count of elements ever pushed, and [72, 80) the number of consumers announced asleep waiting
// for head to move, on the producer's cache line; [128, 136) tail, the count ever popped, and
// [136, 144) the producers announced asleep waiting for tail, on the consumer's line; [192, ...)
// `capacity` slots. head and tail are free-running 64-bit counters (head - tail is the size),
// so a stale cached copy is always a safe underestimate.
//
// Fast path (the design of the well-known cached-index SPSC rings): each side keeps a private
// copy of the other side's index and re-reads the shared one only when its copy says full
// (empty); it publishes its own index with a release store and then reads the other side's
// sleeper count, which lives on the line it has just written: the wake-up check adds no cache
// traffic and no fence to a push or pop. try_push/try_pop re-read the other index at once
// when the copy runs out; push/pop wait for it instead (below): a pop waiting for a hand-off
// spins inline, anything else goes to the out-of-line slow path, which looks at once and then
// may wait for a batch. Per element a push stores only the slot and head
// (a pop only tail): the slot comes from the side's cached lap start (no division, nothing
// written to the object), and push hands a small element to its out-of-line slow path by
// value, so the caller's element need not go through memory.
//
// Blocking: a side that finds the ring full (empty) looks at the other side's index, then
// spins on it (a bounded spin, then a few yields of its time slice), then parks. How it spins
// adapts, per side, to the other side:
//   - a hand-off (the other side publishes one element or slot, then waits for us): look after
//     every pause, as promptly as a pure spinner would (a consumer does this spin inline in
//     pop(), with only the load of head in the loop; see pop_handoff());
//   - streaming (the other side publishes many in a row): during the first half of the spin
//     wait for a batch, looking only every few pauses (each look takes the index's line from
//     its writer). A producer then refills only once a batch of slots is free, and a consumer
//     starts draining only once a batch of elements is there, so neither works in the cache
//     line of slots the other is writing or reading, and the index lines are traded once per
//     batch rather than once per element. Any one element (slot) is enough after that half,
//     or as soon as a look finds the other side has not moved since the previous look:
//     a lone element pushed before the producer goes idle reaches a blocked consumer within
//     the bounded spin, or wakes it from its park (every push publishes head at once).
// The batch a side asks for (`want`) doubles, up to a quarter of the ring (at most 256 slots
// for the producer, 512 bytes of elements for the consumer), whenever a look finds it and more
// than one; it halves when it waited for a batch in vain. A hand-off (one at
// a time) therefore keeps it at 1. A side that still waits after the spin announces itself in
// its sleeper count, makes that announcement and the other side's stores meet (below), and
// parks on the address of the index it waits for, with a validation that re-reads that index
// and the closed flag. A side that publishes and sees a sleeper count above zero wakes the
// key. close() wakes both keys unconditionally.
//
// Lifetime: the ring lives as long as any buffer handle or RingBuffer object refers to it.
//
// Thread safety: as described under Rules; `buffer()`, `capacity()`, `size()`, `empty()`,
// `closed()` and `close()` may be called from any thread.
//
// Memory ordering: an element's bytes are written before the producer publishes head with a
// release store, and read after the consumer's acquire load of head; the consumer publishes
// tail likewise after reading a slot, and the producer reuses the slot only after an acquire
// load of tail. So everything the producer did before pushing an element happens-before
// everything the consumer does after popping it. The wake-up is the store-buffering pattern:
// the publisher stores its index, then loads the sleeper count; the sleeper increments the
// count, then re-reads the index. One of the two loads must see the other side's store, or
// the sleeper sleeps on an element nobody announces. On Linux x86 (detail::heavy_barrier,
// membarrier(2)) the publisher's pair is a release store and a relaxed load with only a
// compiler barrier between, and the sleeper pays instead: a process-wide barrier between its
// increment and its re-read, once per sleep. Elsewhere (other systems, BOBBIN_NO_MEMBARRIER,
// or membarrier refused at run time) the index store and the count load are seq_cst (on ARM
// about as cheap as release/acquire). A publisher that sees a sleeper orders its
// store before the parking lot's lock-free check with a seq_cst read-modify-write of its own
// index. The full argument is at publish(); tests/models/ring_buffer.pml checks the protocol.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>

#include "detail/platform.hpp"
#include "errors.hpp"
#include "parking_lot.hpp"
#include "shared_array_buffer.hpp"

namespace bobbin {

template <class T>
class RingBuffer {
  static_assert(std::is_trivially_copyable_v<T>,
                "RingBuffer<T> copies elements as bytes through shared memory: T must be "
                "trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>,
                "RingBuffer<T>: T must not be const or volatile");
  static_assert(alignof(T) <= 64, "RingBuffer<T>: T must not be aligned beyond a cache line");

 public:
  using value_type = T;

  // A new ring of exactly `capacity` elements in a new SharedArrayBuffer.
  explicit RingBuffer(std::size_t capacity)
      : RingBuffer(make_buffer(capacity), capacity, Fresh{}) {}

  // Attaches to the ring that another RingBuffer<T> created in `buffer`.
  explicit RingBuffer(SharedArrayBuffer buffer) : buffer_(std::move(buffer)) {
    std::byte* const base = base_of(buffer_);
    if (base == nullptr) throw RangeError("RingBuffer: the buffer is too small for a header");
    if (load_meta(base, kMagicAt) != kMagic) {
      throw RangeError("RingBuffer: the buffer holds no ring buffer");
    }
    if (load_meta(base, kElementSizeAt) != sizeof(T) ||
        load_meta(base, kElementAlignAt) != alignof(T)) {
      throw RangeError("RingBuffer: the buffer's ring holds another element type");
    }
    const std::uint64_t capacity = load_meta(base, kCapacityAt);
    const std::size_t room =
        buffer_.byte_length() - static_cast<std::size_t>(base - buffer_.data());
    if (capacity == 0 || capacity > (room - kSlotsAt) / sizeof(T)) {
      throw RangeError("RingBuffer: the buffer cannot hold the capacity its header names");
    }
    init(base, static_cast<std::size_t>(capacity));
  }

  // Copies share the ring (and start with the copied caches, which stay safe).
  RingBuffer(const RingBuffer&) = default;
  RingBuffer& operator=(const RingBuffer&) = default;
  ~RingBuffer() = default;

  // The buffer holding the ring: copy it to another thread and attach with RingBuffer(buffer).
  [[nodiscard]] const SharedArrayBuffer& buffer() const noexcept { return buffer_; }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // How many elements are stored: a snapshot, stale as soon as it returns.
  [[nodiscard]] std::size_t size() const noexcept {
    const std::uint64_t t = tail_ref().load(std::memory_order_seq_cst);
    const std::uint64_t h = head_ref().load(std::memory_order_seq_cst);
    return h > t ? static_cast<std::size_t>(std::min<std::uint64_t>(h - t, capacity_)) : 0;
  }

  // Whether the ring is empty: a snapshot, stale as soon as it returns.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  // ---- producer ------------------------------------------------------------------------------

  // Appends `value` if there is room and the ring is open; never blocks.
  [[nodiscard]] bool try_push(const T& value) noexcept {
    // relaxed: only the producer writes head.
    const std::uint64_t h = head_ref().load(std::memory_order_relaxed);
    if (free_at(h) == 0 && !refresh_tail(h, 1)) return false;
    return put(h, value);
  }

  // Appends `value`, waiting while the ring is full; false (and nothing stored) once closed.
  // When its cached tail says full it goes straight to the slow path, which looks at tail and
  // may wait for a batch of free slots (see the Blocking paragraph).
  bool push(const T& value) {
    // relaxed: only the producer writes head.
    const std::uint64_t h = head_ref().load(std::memory_order_relaxed);
    if (h - producer_.tail < capacity_) [[likely]]  // free_at(h) != 0, in one comparison
      return put(h, value);                          // false only when closed
    return push_slow(value, detail::kNoDeadline);
  }

  template <class Rep, class Period>
  [[nodiscard]] bool try_push_for(const T& value, std::chrono::duration<Rep, Period> timeout) {
    if (try_push(value)) return true;
    return push_slow(value, parking_lot::detail::deadline_after(timeout));
  }

  template <class Clock, class Duration>
  [[nodiscard]] bool try_push_until(const T& value,
                                    std::chrono::time_point<Clock, Duration> deadline) {
    if (try_push(value)) return true;
    return push_slow(value, parking_lot::detail::to_deadline(deadline));
  }

  // Appends as many of `values` as fit, in order; returns how many (0 when full or closed).
  std::size_t write(std::span<const T> values) noexcept {
    if (values.empty()) return 0;
    const std::uint64_t h = head_ref().load(std::memory_order_relaxed);  // relaxed: as above
    std::size_t n = std::min(values.size(), free_at(h));
    if (n < values.size()) {
      refresh_tail(h, values.size());
      n = std::min(values.size(), free_at(h));
    }
    // relaxed: a hint, as in try_push.
    if (n == 0 || closed_ref().load(std::memory_order_relaxed) != 0) return 0;
    const std::size_t at = slot_of(h, producer_.lap, capacity_);
    const std::size_t first = std::min(n, capacity_ - at);
    std::memcpy(slots_ + at * sizeof(T), values.data(), first * sizeof(T));
    std::memcpy(slots_, values.data() + first, (n - first) * sizeof(T));
    publish(kHeadAt, h + n);
    return n;
  }

  // ---- consumer ------------------------------------------------------------------------------

  // Removes the oldest element if there is one; never blocks.
  [[nodiscard]] std::optional<T> try_pop() noexcept {
    // relaxed: only the consumer writes tail.
    const std::uint64_t t = tail_ref().load(std::memory_order_relaxed);
    if (stored_at(t) == 0 && !refresh_head(t, 1)) return std::nullopt;
    return take(t);
  }

  // Removes the oldest element, waiting while the ring is empty; nullopt once closed and empty.
  // When its cached head says empty it goes straight to the slow path, which looks at head and
  // may wait for a batch of elements (see the Blocking paragraph).
  std::optional<T> pop() {
    // relaxed: only the consumer writes tail.
    const std::uint64_t t = tail_ref().load(std::memory_order_relaxed);
    if (stored_at(t) != 0) [[likely]]
      return take(t);
    if (consumer_.want == 1) [[likely]]
      return pop_handoff(t);
    return pop_slow(detail::kNoDeadline);
  }

  template <class Rep, class Period>
  [[nodiscard]] std::optional<T> try_pop_for(std::chrono::duration<Rep, Period> timeout) {
    if (auto value = try_pop()) return value;
    return pop_slow(parking_lot::detail::deadline_after(timeout));
  }

  template <class Clock, class Duration>
  [[nodiscard]] std::optional<T> try_pop_until(std::chrono::time_point<Clock, Duration> deadline) {
    if (auto value = try_pop()) return value;
    return pop_slow(parking_lot::detail::to_deadline(deadline));
  }

  // Removes up to `out.size()` elements into `out`, oldest first; returns how many (0 when
  // empty). Never blocks.
  std::size_t read(std::span<T> out) noexcept {
    if (out.empty()) return 0;
    const std::uint64_t t = tail_ref().load(std::memory_order_relaxed);  // relaxed: as above
    std::size_t n = std::min(out.size(), stored_at(t));
    if (n < out.size()) {
      refresh_head(t, out.size());
      n = std::min(out.size(), stored_at(t));
    }
    if (n == 0) return 0;
    const std::size_t at = slot_of(t, consumer_.lap, capacity_);
    const std::size_t first = std::min(n, capacity_ - at);
    // The book's bug was here: it copied [tail, n) rather than [tail, tail + n).
    std::memcpy(out.data(), slots_ + at * sizeof(T), first * sizeof(T));
    std::memcpy(out.data() + first, slots_, (n - first) * sizeof(T));
    publish(kTailAt, t + n);
    return n;
  }

  // ---- either side ---------------------------------------------------------------------------

  // Closes the ring and wakes both sides. Idempotent.
  void close() noexcept {
    // seq_cst: the waiters register (seq_cst) and then validate by reading it seq_cst, and
    // unpark_all's lock-free check reads their registration seq_cst: store-buffering, all
    // four accesses seq_cst.
    closed_ref().store(1, std::memory_order_seq_cst);
    parking_lot::unpark_all(word(kHeadAt));
    parking_lot::unpark_all(word(kTailAt));
  }

  [[nodiscard]] bool closed() const noexcept {
    return closed_ref().load(std::memory_order_seq_cst) != 0;
  }

 private:
  struct Fresh {};

  // How push hands its element to the out-of-line slow path: small elements by value, in
  // registers. By reference, a caller's element would go through its stack frame on every
  // push (the slow path's call needs an address), and a frame line that the consumer thread
  // also touches (say, a total it adds to) would then move between the cores per element.
  using In = std::conditional_t<(sizeof(T) <= 2 * sizeof(void*)), T, const T&>;

  // Offsets from the 64-byte-aligned base; see the Layout paragraph. The sleeper count of the
  // side waiting for an index sits right after that index, on the line its writer owns.
  static constexpr std::size_t kMagicAt = 0;
  static constexpr std::size_t kElementSizeAt = 8;
  static constexpr std::size_t kElementAlignAt = 16;
  static constexpr std::size_t kCapacityAt = 24;
  static constexpr std::size_t kClosedAt = 32;
  static constexpr std::size_t kHeadAt = 64;
  static constexpr std::size_t kTailAt = 128;
  static constexpr std::size_t kSleepersAfter = 8;  // head + 8: consumers; tail + 8: producers
  static constexpr std::size_t kSlotsAt = 192;
  static constexpr std::size_t kLine = 64;
  static constexpr std::uint64_t kMagic = 0x31474e4952424f42ull;  // "BOBRING1"

  // How long a side spins on the ring before it parks, in CPU pause hints: long enough to
  // cover the other side's next publish when both run (a ping-pong round trip), short enough
  // to cost little when it is not coming. While it waits for a batch (see the Blocking
  // paragraph) it looks every kBatchGap pauses, during at most the first half; otherwise after
  // every pause.
  static constexpr int kSpins = 256;
  // Then it yields its time slice up to kYields times, looking after each, before it parks:
  // the other side may just have been descheduled (a hiccup), and parking costs a
  // process-wide barrier (see publish()) and the other side a wake-up call, which would
  // also make it more likely to park in turn.
  static constexpr int kYields = 32;
  static constexpr int kBatchGap = 8;
  static constexpr std::size_t kMaxBatch = 256;      // free slots, for the producer
  static constexpr std::size_t kMaxTakeBytes = 512;  // elements' bytes, for the consumer

  // Each side's private view, on its own cache line so two threads sharing one object do not
  // falsely share. `lap` is a multiple of the capacity at or below the side's index, so the
  // index's slot is `index - lap` while that is below the capacity (see slot_of()): no division
  // and no store to the cache per operation.
  struct alignas(64) ProducerCache {
    std::uint64_t tail = 0;  // a tail seen earlier: never above the real one
    std::uint64_t lap = 0;
    std::size_t want = 1;  // free slots it waits for while it spins (see Blocking)
  };
  struct alignas(64) ConsumerCache {
    std::uint64_t head = 0;  // a head seen earlier: never above the real one
    std::uint64_t lap = 0;
    std::size_t want = 1;  // elements it waits for while it spins (see Blocking)
  };

  static SharedArrayBuffer make_buffer(std::size_t capacity) {
    if (capacity == 0) throw RangeError("RingBuffer: capacity must be at least 1");
    // Room for the worst alignment padding (the data is at least 16-byte aligned).
    constexpr std::size_t kOverhead = kSlotsAt + kLine;
    constexpr std::uint64_t kMax = (std::uint64_t{1} << 53) - 1;  // JavaScript's limit
    if (capacity > (kMax - kOverhead) / sizeof(T)) {
      throw RangeError("RingBuffer: capacity too large");
    }
    return SharedArrayBuffer(kOverhead + capacity * sizeof(T));  // RangeError if out of memory
  }

  RingBuffer(SharedArrayBuffer buffer, std::size_t capacity, Fresh) : buffer_(std::move(buffer)) {
    std::byte* const base = base_of(buffer_);
    // Plain stores before any other thread can see the buffer (sharing it hands it off).
    const std::uint64_t meta[] = {kMagic, sizeof(T), alignof(T), capacity};
    std::memcpy(base, meta, sizeof meta);
    init(base, capacity);
  }

  // The first 64-byte-aligned address in the buffer, or null when no header fits after it.
  static std::byte* base_of(const SharedArrayBuffer& buffer) noexcept {
    const auto data = reinterpret_cast<std::uintptr_t>(buffer.data());
    const std::size_t pad = static_cast<std::size_t>(-data % kLine);
    if (buffer.byte_length() < pad + kSlotsAt) return nullptr;
    return buffer.data() + pad;
  }

  static std::uint64_t load_meta(std::byte* base, std::size_t at) noexcept {
    // relaxed: written before the buffer was shared; sharing it synchronised.
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + at))
        .load(std::memory_order_relaxed);
  }

  void init(std::byte* base, std::size_t capacity) noexcept {
    base_ = base;
    slots_ = base + kSlotsAt;
    capacity_ = capacity;
    const std::size_t quarter = std::max<std::size_t>(capacity / 4, 1);
    max_free_ = std::min(quarter, kMaxBatch);
    max_stored_ = std::clamp<std::size_t>(kMaxTakeBytes / sizeof(T), 1, quarter);
    asymmetric_ = detail::asymmetric_fence_available();
  }

  // A header word; the address of an index is also the parking key of the side waiting for it.
  std::uint64_t* word(std::size_t at) const noexcept {
    return reinterpret_cast<std::uint64_t*>(base_ + at);
  }
  std::atomic_ref<std::uint64_t> ref(std::size_t at) const noexcept { return ref(base_, at); }
  static std::atomic_ref<std::uint64_t> ref(std::byte* base, std::size_t at) noexcept {
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + at));
  }
  std::atomic_ref<std::uint64_t> head_ref() const noexcept { return ref(kHeadAt); }
  std::atomic_ref<std::uint64_t> tail_ref() const noexcept { return ref(kTailAt); }
  std::atomic_ref<std::uint64_t> closed_ref() const noexcept { return ref(kClosedAt); }

  // The slot of index `i` (head for the producer, tail for the consumer) given the side's
  // `lap`, a multiple of `capacity`. Any such lap at or below `i` with `i - lap < capacity` is
  // `i - i % capacity`, so the answer is exact however stale the lap is (another object may
  // have played the side since); when the index has left the lap, the lap moves.
  static std::size_t slot_of(std::uint64_t i, std::uint64_t& lap, std::size_t capacity) noexcept {
    const std::uint64_t at = i - lap;
    if (at < capacity) [[likely]]
      return static_cast<std::size_t>(at);
    return next_lap(i, lap, capacity);
  }
  static std::size_t next_lap(std::uint64_t i, std::uint64_t& lap, std::size_t capacity) noexcept {
    const std::uint64_t at = i - lap;
    // The next lap (the common case: the side went on where it left off) or a division.
    lap = at - capacity < capacity ? lap + capacity : i - i % capacity;
    return static_cast<std::size_t>(i - lap);
  }

  // Free slots at head `h` according to the cached tail, and elements stored at tail `t`
  // according to the cached head. A cache from long ago (an object idle while another object
  // played its side) may lag by more than the capacity: both then say 0, never too much.
  std::size_t free_at(std::uint64_t h) const noexcept {
    const std::uint64_t used = h - producer_.tail;  // the cached tail is never above h
    return used >= capacity_ ? 0 : static_cast<std::size_t>(capacity_ - used);
  }
  std::size_t stored_at(std::uint64_t t) const noexcept {
    return consumer_.head > t ? static_cast<std::size_t>(consumer_.head - t) : 0;
  }

  // Stores `value` at head `h`, which has a free slot, and publishes it; false (nothing
  // stored) if the ring is closed.
  //
  // The members it needs are read into locals first: the element is stored through a byte
  // pointer, which may alias anything, so the compiler would read them again after it.
  bool put(std::uint64_t h, const T& value) noexcept {
    std::byte* const base = base_;
    const std::size_t capacity = capacity_;
    const bool asymmetric = asymmetric_;
    // relaxed: a hint; a push racing close() may land, and pop still drains it.
    if (ref(base, kClosedAt).load(std::memory_order_relaxed) != 0) [[unlikely]]
      return false;
    const std::size_t at = slot_of(h, producer_.lap, capacity);
    std::memcpy(base + kSlotsAt + at * sizeof(T), &value, sizeof(T));
    publish(base, asymmetric, kHeadAt, h + 1);
    return true;
  }

  // Removes the element at tail `t`, which holds one, and publishes the new tail.
  // Members are read into locals first, as in put().
  T take(std::uint64_t t) noexcept {
    std::byte* const base = base_;
    const std::size_t capacity = capacity_;
    const bool asymmetric = asymmetric_;
    const std::size_t at = slot_of(t, consumer_.lap, capacity);
    std::array<std::byte, sizeof(T)> bytes;
    std::memcpy(bytes.data(), base + kSlotsAt + at * sizeof(T), sizeof(T));
    publish(base, asymmetric, kTailAt, t + 1);
    return std::bit_cast<T>(bytes);
  }

  // pop() when the ring is empty and the consumer waits for single elements (want 1: a
  // hand-off): the spin of wait() (kSpins looks at head, the first at once, a pause apart) runs
  // here, inline in the caller, with nothing but the load of head in the loop; then the slow
  // path goes on from the yields. Measured with a blocking ping-pong: the same spin inside the
  // out-of-line slow path, with its closure and the closed flag looked at per look, cost about
  // a tenth more per round trip (1.16-1.21x against 1.01-1.10x a spin-only ring, in blocks
  // taking turns on the same two threads; docs/benchmarks.md, fourth pass). Closed is looked at
  // once, before the spin: a close() during the spin is seen when it ends, at most kSpins
  // pauses later.
  std::optional<T> pop_handoff(std::uint64_t t) {
    // relaxed: a hint; the slow path reads closed again (seq_cst) before it decides anything.
    if (closed_ref().load(std::memory_order_relaxed) == 0) {
      const std::atomic_ref<std::uint64_t> head = head_ref();
      for (int i = 0; i < kSpins; ++i) {
        // acquire: pairs with the producer's release store in publish(), as in refresh_head().
        const std::uint64_t h = head.load(std::memory_order_acquire);
        if (h > t) {
          consumer_.head = h;
          grow_want(consumer_.want, static_cast<std::size_t>(h - t), max_stored_);
          return take(t);
        }
        detail::cpu_relax();
      }
    }
    return pop_slow(detail::kNoDeadline, kSpins);
  }

  // A wait for `want` found `n`: more than a hand-off brings (a stream), so ask for a batch
  // twice as large next time, up to `max_want` (see the Blocking paragraph).
  static void grow_want(std::size_t& want, std::size_t n, std::size_t max_want) noexcept {
    if (n > 1 && n >= want) want = std::min(want * 2, max_want);
  }

  // Re-reads tail; true if at least `want` slots are now free at head `h`.
  [[gnu::noinline]] bool refresh_tail(std::uint64_t h, std::size_t want) noexcept {
    // acquire: pairs with the consumer's release store in publish(); its reads of the freed
    // slots happen before our writes to them.
    producer_.tail = tail_ref().load(std::memory_order_acquire);
    return free_at(h) >= want;
  }

  // Re-reads head; true if at least `want` elements are now stored at tail `t`.
  [[gnu::noinline]] bool refresh_head(std::uint64_t t, std::size_t want) noexcept {
    // acquire: pairs with the producer's release store in publish(); the slots' bytes are
    // visible.
    consumer_.head = head_ref().load(std::memory_order_acquire);
    return stored_at(t) >= want;
  }

  // Publishes an index (head or tail) and wakes the other side if it announced a sleep.
  //
  // The sleeper (sleep() below) increments the count at `at + 8`, then re-reads the index
  // (first in its own check, then in the parking lot's validation); we store the index, then
  // read the count. Store-buffering: if both loads could read the old values, the sleeper
  // would sleep on an index we moved without our waking it. Ruled out by:
  //   - asymmetric_ (Linux x86): release store, compiler barrier, relaxed load; the sleeper
  //     runs heavy_barrier() between its increment and its re-read, which makes this thread
  //     execute a full barrier at some point during the call. If our count load comes after
  //     that point, it sees the increment (made before the call); if before, our earlier
  //     store was drained by it and the sleeper's re-read (after the call) sees it.
  //   - otherwise: the store and the load are seq_cst, and so are the sleeper's increment and
  //     re-read: the four fall in one total order.
  // A publisher that sees a sleeper then calls unpark_one, whose lock-free check of the
  // parked count forms the same pattern with the parking lot's registration (seq_cst) and
  // validation (a seq_cst re-read of the index); our index store was only release, so we
  // first repeat it as a seq_cst read-modify-write (we are the index's only writer, so it
  // changes nothing) to put it in the same total order. That costs only on this rare path.
  void publish(std::size_t at, std::uint64_t value) noexcept {
    publish(base_, asymmetric_, at, value);
  }
  static void publish(std::byte* base, bool asymmetric, std::size_t at,
                      std::uint64_t value) noexcept {
    std::atomic_ref<std::uint64_t> index = ref(base, at);
    std::atomic_ref<std::uint64_t> sleepers = ref(base, at + kSleepersAfter);
    if (asymmetric) {
      // release: pairs with the acquire in refresh_head()/refresh_tail().
      index.store(value, std::memory_order_release);
      std::atomic_signal_fence(std::memory_order_seq_cst);
      // relaxed: the sleeper's heavy_barrier() orders it against the store (see above).
      if (sleepers.load(std::memory_order_relaxed) == 0) [[likely]]
        return;
    } else {
      index.store(value, std::memory_order_seq_cst);
      if (sleepers.load(std::memory_order_seq_cst) == 0) [[likely]]
        return;
    }
    wake(base, at);
  }

  [[gnu::noinline]] static void wake(std::byte* base, std::size_t at) noexcept {
    ref(base, at).fetch_add(0, std::memory_order_seq_cst);
    parking_lot::unpark_one(base + at);
  }

  // Counts this thread in the sleepers of index `at` while it lives.
  class Sleeping {
   public:
    explicit Sleeping(std::atomic_ref<std::uint64_t> count) noexcept : count_(count) {
      count_.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see publish()
    }
    Sleeping(const Sleeping&) = delete;
    Sleeping& operator=(const Sleeping&) = delete;
    ~Sleeping() {
      // relaxed: a publisher that still sees us only makes a needless unpark call.
      count_.fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    std::atomic_ref<std::uint64_t> count_;
  };

  // Waits for the index at `at` to move so that `available()` (free slots for the producer,
  // stored elements for the consumer; anything above zero once closed) is not 0, or for close
  // or the deadline. Returns false on timeout. `want` is the side's adaptive batch and
  // `max_want` its bound (see the Blocking paragraph): while want > 1 the first half of the
  // spin waits for that many, looking every kBatchGap pauses, as long as each look finds the
  // other side has moved since the last; then any will do. The first `spun` pauses of the spin
  // were already spent by the caller (pop_handoff(), with want 1).
  template <class Available>
  bool wait(std::size_t at, std::size_t& want, std::size_t max_want, Available available,
            detail::Deadline deadline, int spun = 0) {
    // Found `n` where `want` was asked: more than a hand-off brings, ask for more next time.
    const auto found = [&](std::size_t n) {
      grow_want(want, n, max_want);
      return true;
    };
    std::size_t last = available();  // the first look: at once
    if (last >= want) return found(last);
    int i = spun;
    if (want > 1) {
      for (; i < kSpins / 2; i += kBatchGap) {
        for (int j = 0; j < kBatchGap; ++j) detail::cpu_relax();
        const std::size_t n = available();
        if (n >= want) return found(n);
        if (n == last) break;  // the other side has stopped: wait no longer for a batch
        last = n;
      }
      want = std::max<std::size_t>(want / 2, 1);  // it did not come: ask for less
    }
    for (; i < kSpins; ++i) {
      detail::cpu_relax();
      if (const std::size_t n = available(); n != 0) return found(n);
    }
    for (int y = 0; y < kYields; ++y) {
      std::this_thread::yield();
      if (const std::size_t n = available(); n != 0) return found(n);
    }
    const Sleeping sleeping(ref(at + kSleepersAfter));
    if (asymmetric_) detail::heavy_barrier();  // the sleeper's half (see publish())
    // seq_cst inside available(): the validating re-read of the pattern (see publish()).
    const auto validate = [&] { return available() == 0; };
    const auto result =
        parking_lot::park_until(word(at), validate, parking_lot::detail::NoOp{}, deadline);
    if (result == parking_lot::ParkResult::interrupted) {
      throw TerminatedError("RingBuffer: the thread was interrupted (terminated) while blocked");
    }
    return result != parking_lot::ParkResult::timed_out;
  }

  [[gnu::noinline]] bool push_slow(In value, detail::Deadline deadline) {
    for (;;) {
      if (closed()) return false;
      const std::uint64_t h = head_ref().load(std::memory_order_relaxed);  // relaxed: ours
      // seq_cst: the validating half of the store-buffering pattern (see publish()).
      // The tail read is also a fresh cache (a tail seen, never above the real one), so the
      // push after the wait need not read it again.
      const auto available = [&]() -> std::size_t {
        if (closed_ref().load(std::memory_order_seq_cst) != 0) return capacity_;
        producer_.tail = tail_ref().load(std::memory_order_seq_cst);
        return free_at(h);
      };
      const bool woke = wait(kTailAt, producer_.want, max_free_, available, deadline);
      if (try_push(value)) return true;
      if (!woke) return false;
    }
  }

  [[gnu::noinline]] std::optional<T> pop_slow(detail::Deadline deadline, int spun = 0) {
    for (;; spun = 0) {
      const std::uint64_t t = tail_ref().load(std::memory_order_relaxed);  // relaxed: ours
      // seq_cst: the validating half of the store-buffering pattern (see publish()).
      const auto available = [&]() -> std::size_t {
        consumer_.head = head_ref().load(std::memory_order_seq_cst);  // a fresh cache, as above
        if (closed_ref().load(std::memory_order_seq_cst) != 0) return capacity_;
        return stored_at(t);
      };
      const bool woke = wait(kHeadAt, consumer_.want, max_stored_, available, deadline, spun);
      if (auto value = try_pop()) return value;
      // Closed and drained: head is re-read after closed, so nothing published before close()
      // is missed.
      if (closed() && head_ref().load(std::memory_order_seq_cst) == t) return std::nullopt;
      if (!woke) return std::nullopt;
    }
  }

  SharedArrayBuffer buffer_;
  std::byte* base_ = nullptr;
  std::byte* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t max_free_ = 1;    // the bound of producer_.want (see Blocking)
  std::size_t max_stored_ = 1;  // the bound of consumer_.want
  bool asymmetric_ = false;     // publish with release stores (see publish())
  ProducerCache producer_;
  ConsumerCache consumer_;
};

}  // namespace bobbin
