// Tests for bobbin/shared_array_buffer.hpp: zeroed memory, copies and moves share, growable
// buffers and grow (test262's SharedArrayBuffer cases, §2.11), slice, and two threads handing
// data over through a copied handle.
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// Allocations below that cannot succeed (petabytes) must come back as null so that bobbin can
// turn them into RangeError; AddressSanitizer and ThreadSanitizer abort on them unless told
// otherwise.
#include "support/sanitizers.hpp"

BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS();

namespace {

namespace atomics = bobbin::atomics;
using bobbin::SharedArrayBuffer;
using bobbin::SharedArrayBufferOptions;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::size_t kTwoPow53 = std::size_t{1} << 53;
constexpr std::size_t kHopeless = std::size_t{1} << 52;  // 4 PiB: no allocator can give it

SharedArrayBufferOptions max_of(std::size_t max) {
  return SharedArrayBufferOptions{.max_byte_length = max};
}

std::vector<int> contents(const SharedArrayBuffer& buffer) {
  std::vector<int> out;
  for (std::size_t i = 0; i < buffer.byte_length(); ++i) {
    out.push_back(std::to_integer<int>(buffer.data()[i]));
  }
  return out;
}

SharedArrayBuffer buffer_of(std::initializer_list<int> values,
                            SharedArrayBufferOptions options = {}) {
  SharedArrayBuffer buffer(values.size(), options);
  std::size_t i = 0;
  for (int v : values) buffer.data()[i++] = static_cast<std::byte>(v);
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// Construction

TEST(SharedArrayBufferConstruct, MemoryStartsZeroed) {
  SharedArrayBuffer buffer(1024);
  EXPECT_EQ(buffer.byte_length(), 1024U);
  EXPECT_EQ(buffer.max_byte_length(), 1024U);
  EXPECT_FALSE(buffer.growable());
  ASSERT_NE(buffer.data(), nullptr);
  for (std::size_t i = 0; i < buffer.byte_length(); ++i) {
    ASSERT_EQ(buffer.data()[i], std::byte{0}) << "at byte " << i;
  }
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % alignof(std::max_align_t), 0U);
}

TEST(SharedArrayBufferConstruct, ZeroLengthHasData) {
  SharedArrayBuffer defaulted;
  EXPECT_EQ(defaulted.byte_length(), 0U);
  EXPECT_NE(defaulted.data(), nullptr);  // never null, even when empty
  SharedArrayBuffer empty(0);
  EXPECT_EQ(empty.max_byte_length(), 0U);
  EXPECT_FALSE(empty.growable());
}

TEST(SharedArrayBufferConstruct, FixedVersusGrowable) {  // test262 case 64
  SharedArrayBuffer fixed(1);
  EXPECT_FALSE(fixed.growable());
  EXPECT_EQ(fixed.max_byte_length(), 1U);

  SharedArrayBuffer growable(1, max_of(1));
  EXPECT_TRUE(growable.growable());
  EXPECT_EQ(growable.max_byte_length(), 1U);

  SharedArrayBuffer no_max(3, SharedArrayBufferOptions{});
  EXPECT_FALSE(no_max.growable());
  EXPECT_EQ(no_max.max_byte_length(), 3U);

  SharedArrayBuffer roomy(8, max_of(64));
  EXPECT_TRUE(roomy.growable());
  EXPECT_EQ(roomy.byte_length(), 8U);
  EXPECT_EQ(roomy.max_byte_length(), 64U);
  EXPECT_THAT(contents(roomy), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));

  SharedArrayBuffer zero(0, max_of(0));
  EXPECT_TRUE(zero.growable());
  EXPECT_EQ(zero.max_byte_length(), 0U);
}

TEST(SharedArrayBufferConstruct, LengthAboveMaximumIsRangeError) {  // test262 case 65
  EXPECT_THROW(SharedArrayBuffer(1, max_of(0)), bobbin::RangeError);
  EXPECT_THROW(SharedArrayBuffer(65, max_of(64)), bobbin::RangeError);
}

TEST(SharedArrayBufferConstruct, LengthsAboveMaxSafeIntegerAreRangeError) {  // test262 case 65
  EXPECT_THROW(SharedArrayBuffer(0, max_of(kTwoPow53)), bobbin::RangeError);
  EXPECT_THROW(SharedArrayBuffer{kTwoPow53}, bobbin::RangeError);
  EXPECT_THROW(SharedArrayBuffer{std::numeric_limits<std::size_t>::max()}, bobbin::RangeError);
}

TEST(SharedArrayBufferConstruct, AllocationThatCannotSucceedIsRangeError) {
  EXPECT_THROW(SharedArrayBuffer{kHopeless}, bobbin::RangeError);
  // The maximum is reserved up front, so a hopeless maximum fails at construction.
  EXPECT_THROW(SharedArrayBuffer(1, max_of(kHopeless)), bobbin::RangeError);
}

// ---------------------------------------------------------------------------------------------
// Copies and moves share

TEST(SharedArrayBufferShare, CopiesShareTheMemory) {
  static_assert(std::is_nothrow_copy_constructible_v<SharedArrayBuffer>);
  static_assert(std::is_nothrow_copy_assignable_v<SharedArrayBuffer>);
  SharedArrayBuffer original(16);
  SharedArrayBuffer copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy == original);
  EXPECT_EQ(copy.data(), original.data());

  copy.data()[3] = std::byte{42};
  EXPECT_EQ(original.data()[3], std::byte{42});
  original.data()[4] = std::byte{7};
  EXPECT_EQ(copy.data()[4], std::byte{7});

  SharedArrayBuffer other(16);
  EXPECT_FALSE(other == original);
  other = copy;
  EXPECT_TRUE(other == original);
  EXPECT_EQ(other.data()[3], std::byte{42});
}

TEST(SharedArrayBufferShare, EqualityIsIdentityNotContents) {
  SharedArrayBuffer a = buffer_of({1, 2, 3});
  SharedArrayBuffer b = buffer_of({1, 2, 3});
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a != b);
  EXPECT_TRUE(a == a);
}

TEST(SharedArrayBufferShare, MovingIsSharing) {
  static_assert(std::is_nothrow_move_constructible_v<SharedArrayBuffer>);
  SharedArrayBuffer source = buffer_of({1, 2, 3}, max_of(8));
  std::byte* data = source.data();
  SharedArrayBuffer destination = std::move(source);
  // The source is still a full handle on the same memory: a SAB cannot be transferred away.
  EXPECT_TRUE(source == destination);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(source.data(), data);
  EXPECT_EQ(source.byte_length(), 3U);
  EXPECT_EQ(source.max_byte_length(), 8U);
  EXPECT_TRUE(source.growable());
  source.data()[0] = std::byte{9};
  EXPECT_EQ(destination.data()[0], std::byte{9});
  source.grow(5);
  EXPECT_EQ(destination.byte_length(), 5U);

  SharedArrayBuffer assigned(1);
  assigned = std::move(destination);
  EXPECT_TRUE(assigned == source);
  EXPECT_TRUE(destination == source);  // NOLINT(bugprone-use-after-move)
}

TEST(SharedArrayBufferShare, MemoryOutlivesTheFirstHandle) {
  SharedArrayBuffer survivor(1);
  {
    SharedArrayBuffer first = buffer_of({1, 2, 3, 4});
    survivor = first;
  }
  EXPECT_THAT(contents(survivor), ElementsAre(1, 2, 3, 4));
}

TEST(SharedArrayBufferShare, ViewsKeepTheMemoryAlive) {
  bobbin::Uint8Array view;
  {
    SharedArrayBuffer buffer = buffer_of({5, 6});
    view = bobbin::Uint8Array(buffer);
  }
  ASSERT_EQ(view.length(), 2U);
  EXPECT_EQ(view[1], 6);
  EXPECT_TRUE(view.shared());
  SharedArrayBuffer back = view.buffer().shared_array_buffer();
  EXPECT_THAT(contents(back), ElementsAre(5, 6));
}

// ---------------------------------------------------------------------------------------------
// grow

TEST(SharedArrayBufferGrow, PastTheMaximumIsRangeError) {  // test262 case 66
  SharedArrayBuffer buffer(4, max_of(4));
  EXPECT_THROW(buffer.grow(5), bobbin::RangeError);
  EXPECT_THROW(buffer.grow(kTwoPow53), bobbin::RangeError);
  EXPECT_THROW(buffer.grow(std::numeric_limits<std::size_t>::max()), bobbin::RangeError);
  EXPECT_EQ(buffer.byte_length(), 4U);
}

TEST(SharedArrayBufferGrow, LargerAndSameSizeSucceed) {  // test262 case 67
  SharedArrayBuffer larger(4, max_of(5));
  EXPECT_NO_THROW(larger.grow(5));
  EXPECT_EQ(larger.byte_length(), 5U);

  SharedArrayBuffer same(4, max_of(5));
  EXPECT_NO_THROW(same.grow(4));  // same length: a no-op
  EXPECT_EQ(same.byte_length(), 4U);
}

TEST(SharedArrayBufferGrow, ShrinkingIsRangeError) {  // test262 case 67: the spec's choice
  SharedArrayBuffer buffer = buffer_of({1, 2, 3, 4}, max_of(5));
  EXPECT_THROW(buffer.grow(3), bobbin::RangeError);
  EXPECT_THROW(buffer.grow(0), bobbin::RangeError);
  EXPECT_EQ(buffer.byte_length(), 4U);
  EXPECT_THAT(contents(buffer), ElementsAre(1, 2, 3, 4));
}

TEST(SharedArrayBufferGrow, FixedBufferIsTypeError) {  // test262 case 68
  SharedArrayBuffer buffer(4);
  EXPECT_THROW(buffer.grow(4), bobbin::TypeError);
  EXPECT_THROW(buffer.grow(8), bobbin::TypeError);
  EXPECT_THROW(buffer.grow(kTwoPow53), bobbin::TypeError);  // TypeError comes first
  EXPECT_EQ(buffer.byte_length(), 4U);
}

TEST(SharedArrayBufferGrow, NewBytesAreZeroAndDataNeverMoves) {
  SharedArrayBuffer buffer = buffer_of({1, 2, 3}, max_of(1 << 20));
  std::byte* const data = buffer.data();
  buffer.grow(6);
  EXPECT_EQ(buffer.data(), data);
  EXPECT_THAT(contents(buffer), ElementsAre(1, 2, 3, 0, 0, 0));
  buffer.data()[5] = std::byte{6};
  buffer.grow(1 << 20);
  EXPECT_EQ(buffer.data(), data);
  ASSERT_EQ(buffer.byte_length(), std::size_t{1} << 20);
  EXPECT_EQ(buffer.data()[5], std::byte{6});
  for (std::size_t i = 6; i < buffer.byte_length(); ++i) {
    ASSERT_EQ(buffer.data()[i], std::byte{0}) << "at byte " << i;
  }
  EXPECT_EQ(buffer.max_byte_length(), std::size_t{1} << 20);
}

TEST(SharedArrayBufferGrow, IsSeenThroughEveryHandleAndView) {
  SharedArrayBuffer buffer(8, max_of(32));
  SharedArrayBuffer copy = buffer;
  bobbin::Int32Array tracking(buffer);
  bobbin::Int32Array fixed(buffer, 0, 2);
  EXPECT_EQ(tracking.length(), 2U);
  copy.grow(32);
  EXPECT_EQ(buffer.byte_length(), 32U);
  EXPECT_EQ(tracking.length(), 8U);
  EXPECT_EQ(fixed.length(), 2U);
  tracking[7] = 77;
  EXPECT_EQ(bobbin::Int32Array(copy)[7], 77);
}

TEST(SharedArrayBufferGrow, StepByStepToTheMaximum) {
  SharedArrayBuffer buffer(0, max_of(10));
  for (std::size_t n = 0; n <= 10; ++n) {
    buffer.grow(n);
    EXPECT_EQ(buffer.byte_length(), n);
  }
  EXPECT_THROW(buffer.grow(11), bobbin::RangeError);
  EXPECT_THROW(buffer.grow(9), bobbin::RangeError);
}

// ---------------------------------------------------------------------------------------------
// slice

TEST(SharedArrayBufferSlice, CopiesIntoANewFixedBuffer) {
  SharedArrayBuffer source = buffer_of({0, 1, 2, 3, 4, 5, 6, 7}, max_of(16));
  SharedArrayBuffer part = source.slice(2, 5);
  EXPECT_FALSE(part == source);
  EXPECT_FALSE(part.growable());
  EXPECT_EQ(part.max_byte_length(), 3U);
  EXPECT_THAT(contents(part), ElementsAre(2, 3, 4));
  part.data()[0] = std::byte{100};  // a copy: the source does not see it
  EXPECT_EQ(source.data()[2], std::byte{2});
  source.data()[3] = std::byte{101};
  EXPECT_EQ(part.data()[1], std::byte{3});
}

TEST(SharedArrayBufferSlice, RelativeAndClampedIndices) {
  SharedArrayBuffer source = buffer_of({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_THAT(contents(source.slice()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_THAT(contents(source.slice(7)), ElementsAre(7, 8, 9));
  EXPECT_THAT(contents(source.slice(-3)), ElementsAre(7, 8, 9));
  EXPECT_THAT(contents(source.slice(-3, -1)), ElementsAre(7, 8));
  EXPECT_THAT(contents(source.slice(-100, 2)), ElementsAre(0, 1));
  EXPECT_THAT(contents(source.slice(8, 100)), ElementsAre(8, 9));
  EXPECT_THAT(contents(source.slice(5, 2)), IsEmpty());
  EXPECT_THAT(contents(source.slice(100)), IsEmpty());
  EXPECT_THAT(contents(source.slice(std::numeric_limits<std::ptrdiff_t>::min(),
                                    std::numeric_limits<std::ptrdiff_t>::max())),
              ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  SharedArrayBuffer nothing = SharedArrayBuffer(0).slice();
  EXPECT_EQ(nothing.byte_length(), 0U);
}

TEST(SharedArrayBufferSlice, UsesTheCurrentLengthOfAGrowableBuffer) {
  SharedArrayBuffer source = buffer_of({1, 2}, max_of(8));
  source.grow(4);
  EXPECT_THAT(contents(source.slice()), ElementsAre(1, 2, 0, 0));
  EXPECT_THAT(contents(source.slice(-1)), ElementsAre(0));
}

// ---------------------------------------------------------------------------------------------
// Threads

// A producer fills the buffer through a copied handle, publishes with atomics::store and
// wakes the consumer with atomics::notify; the consumer waits with atomics::wait.
TEST(SharedArrayBufferThreads, HandOverThroughCopiedHandleAndAtomics) {
  constexpr std::int32_t kCount = 1000;
  SharedArrayBuffer sab(sizeof(std::int32_t) * (kCount + 1));
  std::thread producer([memory = sab] {  // a copy: the same memory
    bobbin::Int32Array cells(memory);
    for (std::int32_t i = 1; i <= kCount; ++i) cells[static_cast<std::size_t>(i)] = i * 3;
    atomics::store(cells, 0, 1);  // seq_cst: publishes the plain writes above
    atomics::notify(cells, 0);
  });
  bobbin::Int32Array cells(sab);
  while (atomics::load(cells, 0) == 0) {
    (void)atomics::wait(cells, 0, 0);
  }
  for (std::int32_t i = 1; i <= kCount; ++i) {
    ASSERT_EQ(cells[static_cast<std::size_t>(i)], i * 3) << "at " << i;
  }
  producer.join();
}

// Ping-pong with std::atomic_ref on the raw bytes: each side waits for its turn, writes a
// payload, then passes the turn; the handle moved into the thread still shares the memory.
TEST(SharedArrayBufferThreads, PingPongWithAtomicRef) {
  constexpr int kRounds = 2000;
  SharedArrayBuffer sab(2 * sizeof(std::int64_t));
  auto* words = reinterpret_cast<std::int64_t*>(sab.data());
  SharedArrayBuffer for_thread = sab;
  std::thread pong([memory = std::move(for_thread)] {
    auto* cells = reinterpret_cast<std::int64_t*>(memory.data());
    std::atomic_ref<std::int64_t> turn(cells[0]);
    std::atomic_ref<std::int64_t> payload(cells[1]);
    for (int round = 0; round < kRounds; ++round) {
      while (turn.load(std::memory_order_acquire) != 1) std::this_thread::yield();
      const std::int64_t got = payload.load(std::memory_order_relaxed);
      payload.store(got + 1, std::memory_order_relaxed);
      turn.store(0, std::memory_order_release);
    }
  });
  std::atomic_ref<std::int64_t> turn(words[0]);
  std::atomic_ref<std::int64_t> payload(words[1]);
  for (int round = 0; round < kRounds; ++round) {
    payload.store(payload.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    turn.store(1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }
  pong.join();
  EXPECT_EQ(payload.load(), 2 * kRounds);
}

// A thread that grows the buffer is seen by a thread holding another handle.
TEST(SharedArrayBufferThreads, GrowIsSeenByAnotherThread) {
  SharedArrayBuffer sab(4, max_of(4096));
  bobbin::Int32Array flag(sab, 0, 1);
  std::thread grower([memory = sab, flag] {
    SharedArrayBuffer handle = memory;
    handle.grow(4096);
    bobbin::Int32Array all(handle);
    atomics::store(all, all.length() - 1, 99);
    atomics::store(flag, 0, 1);
    atomics::notify(flag, 0);
  });
  while (atomics::load(flag, 0) == 0) (void)atomics::wait(flag, 0, 0);
  EXPECT_EQ(sab.byte_length(), 4096U);
  bobbin::Int32Array all(sab);
  EXPECT_EQ(atomics::load(all, 1023), 99);
  grower.join();
}

}  // namespace
