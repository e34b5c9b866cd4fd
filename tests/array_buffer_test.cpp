// Tests for bobbin/array_buffer.hpp: construction, clone (copy), transfer (move, transfer(),
// transfer_to_fixed_length()), resize, slice, detachment and the RangeError / TypeError /
// DataCloneError rules of JavaScript's ArrayBuffer (test262's ArrayBuffer/prototype cases).
#include <bobbin/array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

// Allocations below that cannot succeed (petabytes) must come back as null so that bobbin can
// turn them into RangeError; AddressSanitizer and ThreadSanitizer abort on them unless told
// otherwise.
#include "support/sanitizers.hpp"

BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS();

namespace {

using bobbin::ArrayBuffer;
using bobbin::ArrayBufferOptions;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::size_t kTwoPow53 = std::size_t{1} << 53;
constexpr std::size_t kMaxSafe = kTwoPow53 - 1;
constexpr std::size_t kHopeless = std::size_t{1} << 52;  // 4 PiB: no allocator can give it

ArrayBufferOptions max_of(std::size_t max) { return ArrayBufferOptions{.max_byte_length = max}; }

std::vector<int> contents(const ArrayBuffer& buffer) {
  std::vector<int> out;
  for (std::byte b : buffer.bytes()) out.push_back(std::to_integer<int>(b));
  return out;
}

void set_bytes(ArrayBuffer& buffer, std::initializer_list<int> values) {
  std::size_t i = 0;
  for (int v : values) buffer.data()[i++] = static_cast<std::byte>(v);
}

// A buffer holding `values`, fixed or resizable up to `options.max_byte_length`.
ArrayBuffer buffer_of(std::initializer_list<int> values, ArrayBufferOptions options = {}) {
  ArrayBuffer buffer(values.size(), options);
  set_bytes(buffer, values);
  return buffer;
}

void expect_detached(const ArrayBuffer& buffer) {
  EXPECT_TRUE(buffer.detached());
  EXPECT_EQ(buffer.byte_length(), 0U);
  EXPECT_EQ(buffer.max_byte_length(), 0U);
  EXPECT_EQ(buffer.data(), nullptr);
  EXPECT_TRUE(buffer.bytes().empty());
}

// ---------------------------------------------------------------------------------------------
// Construction

TEST(ArrayBufferConstruct, BytesStartZeroed) {
  ArrayBuffer buffer(64);
  EXPECT_EQ(buffer.byte_length(), 64U);
  EXPECT_EQ(buffer.max_byte_length(), 64U);
  EXPECT_FALSE(buffer.resizable());
  EXPECT_FALSE(buffer.detached());
  ASSERT_NE(buffer.data(), nullptr);
  EXPECT_EQ(buffer.bytes().size(), 64U);
  for (std::byte b : buffer.bytes()) EXPECT_EQ(b, std::byte{0});
}

TEST(ArrayBufferConstruct, DataIsAlignedForEveryElementType) {
  ArrayBuffer buffer(24);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % alignof(std::max_align_t), 0U);
}

TEST(ArrayBufferConstruct, ZeroLengthIsAttached) {
  ArrayBuffer made_empty(0);
  EXPECT_EQ(made_empty.byte_length(), 0U);
  EXPECT_EQ(made_empty.max_byte_length(), 0U);
  EXPECT_FALSE(made_empty.detached());
  EXPECT_FALSE(made_empty.resizable());

  ArrayBuffer defaulted;
  EXPECT_EQ(defaulted.byte_length(), 0U);
  EXPECT_FALSE(defaulted.detached());
  EXPECT_THAT(contents(defaulted.slice()), IsEmpty());
}

TEST(ArrayBufferConstruct, ResizableWithMaximum) {
  ArrayBuffer buffer(8, max_of(64));
  EXPECT_TRUE(buffer.resizable());
  EXPECT_EQ(buffer.byte_length(), 8U);
  EXPECT_EQ(buffer.max_byte_length(), 64U);
  EXPECT_THAT(contents(buffer), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
}

TEST(ArrayBufferConstruct, ResizableMayStartAtItsMaximumOrAtZero) {
  ArrayBuffer full(4, max_of(4));
  EXPECT_TRUE(full.resizable());
  EXPECT_EQ(full.byte_length(), 4U);
  EXPECT_EQ(full.max_byte_length(), 4U);

  ArrayBuffer empty(0, max_of(0));
  EXPECT_TRUE(empty.resizable());
  EXPECT_EQ(empty.byte_length(), 0U);
  EXPECT_EQ(empty.max_byte_length(), 0U);
}

TEST(ArrayBufferConstruct, OptionsWithoutMaximumAreFixed) {
  ArrayBuffer buffer(8, ArrayBufferOptions{});
  EXPECT_FALSE(buffer.resizable());
  EXPECT_EQ(buffer.max_byte_length(), 8U);
}

TEST(ArrayBufferConstruct, LengthAboveMaximumIsRangeError) {
  EXPECT_THROW(ArrayBuffer(9, max_of(8)), bobbin::RangeError);
  EXPECT_THROW(ArrayBuffer(1, max_of(0)), bobbin::RangeError);
}

TEST(ArrayBufferConstruct, LengthsAboveMaxSafeIntegerAreRangeError) {
  EXPECT_THROW(ArrayBuffer{kTwoPow53}, bobbin::RangeError);
  EXPECT_THROW(ArrayBuffer{std::numeric_limits<std::size_t>::max()}, bobbin::RangeError);
  EXPECT_THROW(ArrayBuffer(0, max_of(kTwoPow53)), bobbin::RangeError);
  EXPECT_THROW(ArrayBuffer(kTwoPow53, max_of(kTwoPow53)), bobbin::RangeError);
}

TEST(ArrayBufferConstruct, AllocationThatCannotSucceedIsRangeError) {
  EXPECT_THROW(ArrayBuffer{kHopeless}, bobbin::RangeError);
  EXPECT_THROW(ArrayBuffer{kMaxSafe}, bobbin::RangeError);
  // The maximum is allocated up front, so a hopeless maximum fails at construction.
  EXPECT_THROW(ArrayBuffer(0, max_of(kHopeless)), bobbin::RangeError);
}

// ---------------------------------------------------------------------------------------------
// Clone (copy)

TEST(ArrayBufferClone, HasIndependentBytes) {
  ArrayBuffer original = buffer_of({1, 2, 3, 4});
  ArrayBuffer copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_NE(copy.data(), original.data());
  EXPECT_FALSE(copy == original);
  EXPECT_THAT(contents(copy), ElementsAre(1, 2, 3, 4));

  copy.data()[0] = std::byte{9};
  original.data()[3] = std::byte{8};
  EXPECT_THAT(contents(original), ElementsAre(1, 2, 3, 8));
  EXPECT_THAT(contents(copy), ElementsAre(9, 2, 3, 4));
  EXPECT_FALSE(original.detached());
}

TEST(ArrayBufferClone, KeepsLengthMaximumAndResizability) {
  ArrayBuffer fixed = buffer_of({5, 6, 7});
  ArrayBuffer fixed_copy = fixed;
  EXPECT_FALSE(fixed_copy.resizable());
  EXPECT_EQ(fixed_copy.byte_length(), 3U);
  EXPECT_EQ(fixed_copy.max_byte_length(), 3U);

  ArrayBuffer resizable = buffer_of({5, 6, 7}, max_of(16));
  ArrayBuffer resizable_copy = resizable;
  EXPECT_TRUE(resizable_copy.resizable());
  EXPECT_EQ(resizable_copy.byte_length(), 3U);
  EXPECT_EQ(resizable_copy.max_byte_length(), 16U);
  // The clone can grow to its maximum on its own, revealing zeros; the original does not move.
  resizable_copy.resize(6);
  EXPECT_THAT(contents(resizable_copy), ElementsAre(5, 6, 7, 0, 0, 0));
  EXPECT_EQ(resizable.byte_length(), 3U);
}

TEST(ArrayBufferClone, OfAShrunkResizableBufferRevealsZerosWhenGrown) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4, 5, 6}, max_of(8));
  source.resize(2);
  ArrayBuffer copy = source;
  copy.resize(8);
  EXPECT_THAT(contents(copy), ElementsAre(1, 2, 0, 0, 0, 0, 0, 0));
}

TEST(ArrayBufferClone, CopyAssignmentReplacesTheTarget) {
  ArrayBuffer source = buffer_of({1, 2});
  ArrayBuffer target(10);
  target = source;
  EXPECT_THAT(contents(target), ElementsAre(1, 2));
  EXPECT_NE(target.data(), source.data());

  ArrayBuffer& same = target;
  target = same;  // self-assignment keeps the bytes
  EXPECT_THAT(contents(target), ElementsAre(1, 2));
}

TEST(ArrayBufferClone, OfADetachedBufferIsDataCloneError) {
  ArrayBuffer source(4);
  ArrayBuffer taken = std::move(source);
  ASSERT_TRUE(source.detached());  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(ArrayBuffer{source}, bobbin::DataCloneError);

  ArrayBuffer transferred_away = buffer_of({1});
  ArrayBuffer destination = transferred_away.transfer();
  EXPECT_THROW(ArrayBuffer{transferred_away}, bobbin::DataCloneError);

  // A failed copy-assignment leaves the target as it was.
  ArrayBuffer target = buffer_of({7, 7});
  EXPECT_THROW(target = source, bobbin::DataCloneError);
  EXPECT_THAT(contents(target), ElementsAre(7, 7));
}

// ---------------------------------------------------------------------------------------------
// Transfer by move

TEST(ArrayBufferMove, IsNoexcept) {
  static_assert(std::is_nothrow_move_constructible_v<ArrayBuffer>);
  static_assert(std::is_nothrow_move_assignable_v<ArrayBuffer>);
  static_assert(std::is_copy_constructible_v<ArrayBuffer>);
}

TEST(ArrayBufferMove, MovesTheSameBytesInConstantTime) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4});
  const std::byte* bytes = source.data();
  ArrayBuffer destination = std::move(source);
  EXPECT_EQ(destination.data(), bytes);  // no copy: the same bytes changed hands
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4));
  EXPECT_FALSE(destination.resizable());
  EXPECT_EQ(destination.max_byte_length(), 4U);
  expect_detached(source);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(source.resizable());
}

TEST(ArrayBufferMove, LargeBufferMovesItsPointer) {
  ArrayBuffer source(std::size_t{64} << 20);  // 64 MiB
  source.data()[12345] = std::byte{42};
  const std::byte* bytes = source.data();
  ArrayBuffer destination(std::move(source));
  EXPECT_EQ(destination.data(), bytes);
  EXPECT_EQ(destination.data()[12345], std::byte{42});
  EXPECT_TRUE(source.detached());  // NOLINT(bugprone-use-after-move)
}

TEST(ArrayBufferMove, ResizableSourceStaysResizableWhenDetached) {
  ArrayBuffer source = buffer_of({1, 2, 3}, max_of(32));
  const std::byte* bytes = source.data();
  ArrayBuffer destination = std::move(source);
  EXPECT_EQ(destination.data(), bytes);
  EXPECT_TRUE(destination.resizable());
  EXPECT_EQ(destination.max_byte_length(), 32U);
  expect_detached(source);    // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(source.resizable());  // as in JavaScript: `resizable` survives detachment
}

TEST(ArrayBufferMove, ResizableSourceWithAViewStaysResizableWhenDetached) {
  ArrayBuffer source = buffer_of({1, 2, 3}, max_of(32));
  bobbin::Uint8Array view(source);
  ArrayBuffer destination = std::move(source);
  expect_detached(source);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(source.resizable());
  EXPECT_TRUE(destination.resizable());
  EXPECT_TRUE(view.buffer().resizable());
}

TEST(ArrayBufferMove, MoveAssignmentTransfers) {
  ArrayBuffer source = buffer_of({4, 5}, max_of(8));
  const std::byte* bytes = source.data();
  ArrayBuffer target = buffer_of({9, 9, 9});
  target = std::move(source);
  EXPECT_EQ(target.data(), bytes);
  EXPECT_THAT(contents(target), ElementsAre(4, 5));
  EXPECT_TRUE(target.resizable());
  expect_detached(source);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(source.resizable());

  ArrayBuffer& same = target;
  target = std::move(same);  // self-move keeps the buffer
  EXPECT_THAT(contents(target), ElementsAre(4, 5));
}

TEST(ArrayBufferMove, MovingADetachedBufferGivesADetachedBufferWithoutThrowing) {
  ArrayBuffer source(4);
  ArrayBuffer first = std::move(source);
  ArrayBuffer second = std::move(source);  // NOLINT(bugprone-use-after-move)
  expect_detached(second);
  expect_detached(source);
  ArrayBuffer third(2);
  third = std::move(second);  // NOLINT(bugprone-use-after-move)
  expect_detached(third);
  EXPECT_THAT(contents(first), ElementsAre(0, 0, 0, 0));

  // A buffer detached by transfer() moves on as a detached buffer too.
  ArrayBuffer by_transfer = buffer_of({1}, max_of(2));
  ArrayBuffer kept = by_transfer.transfer();
  ArrayBuffer moved_detached = std::move(by_transfer);
  expect_detached(moved_detached);
  EXPECT_TRUE(moved_detached.resizable());
}

TEST(ArrayBufferMove, ADetachedBufferCanBeReassigned) {
  ArrayBuffer buffer = buffer_of({1});
  ArrayBuffer elsewhere = std::move(buffer);
  buffer = ArrayBuffer(3);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(buffer.detached());
  EXPECT_EQ(buffer.byte_length(), 3U);
  buffer = elsewhere;  // clone into it
  EXPECT_THAT(contents(buffer), ElementsAre(1));
}

// ---------------------------------------------------------------------------------------------
// Views see a transfer as detachment

TEST(ArrayBufferViews, SeeAMoveAsDetachment) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4, 5, 6, 7, 8});
  bobbin::Uint8Array bytes(source);
  bobbin::Int32Array words(source, 4, 1);
  const std::byte* data = source.data();
  ASSERT_EQ(bytes.length(), 8U);
  ASSERT_TRUE(bytes.buffer() == source);

  ArrayBuffer destination = std::move(source);
  EXPECT_EQ(destination.data(), data);  // O(1) even when views exist
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));

  EXPECT_EQ(bytes.length(), 0U);
  EXPECT_EQ(bytes.byte_length(), 0U);
  EXPECT_EQ(bytes.byte_offset(), 0U);
  EXPECT_TRUE(bytes.out_of_bounds());
  EXPECT_TRUE(bytes.buffer().detached());
  EXPECT_THROW((void)bytes.at(0), bobbin::TypeError);
  EXPECT_THROW((void)bytes[0], bobbin::TypeError);
  EXPECT_THROW((void)bytes.get(0), bobbin::TypeError);
  EXPECT_THROW(bytes.set(0, 1), bobbin::TypeError);
  bytes.fill(7);  // nothing to fill
  EXPECT_EQ(words.length(), 0U);
  EXPECT_EQ(words.byte_offset(), 0U);
  EXPECT_THROW((void)words.at(0), bobbin::TypeError);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  // The destination is a new identity: views of the source do not follow it.
  EXPECT_FALSE(bytes.buffer() == destination);
}

TEST(ArrayBufferViews, SeeTransferAsDetachment) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4}, max_of(8));
  bobbin::Uint8Array tracking(source);
  bobbin::Uint8Array fixed(source, 1, 2);
  ArrayBuffer destination = source.transfer(6);
  EXPECT_EQ(tracking.length(), 0U);
  EXPECT_EQ(fixed.length(), 0U);
  EXPECT_THROW((void)tracking.at(0), bobbin::TypeError);
  EXPECT_THROW((void)fixed[0], bobbin::TypeError);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 0, 0));
  EXPECT_TRUE(source.detached());
  EXPECT_TRUE(tracking.buffer() == source);  // still the same (now detached) identity
}

TEST(ArrayBufferViews, CannotBeMadeOfADetachedBuffer) {
  ArrayBuffer source(8);
  ArrayBuffer destination = std::move(source);
  EXPECT_THROW(bobbin::Uint8Array{source}, bobbin::TypeError);  // NOLINT(bugprone-use-after-move)
  ArrayBuffer transferred = destination.transfer();
  EXPECT_THROW((bobbin::Uint8Array{destination, 0, 0}), bobbin::TypeError);
}

TEST(ArrayBufferViews, AssignmentRebindsTheHandleNotTheViews) {
  ArrayBuffer buffer = buffer_of({1, 2, 3});
  bobbin::Uint8Array old_view(buffer);
  buffer = buffer_of({7, 8});  // move-assign a new buffer
  EXPECT_THAT(contents(buffer), ElementsAre(7, 8));
  ASSERT_EQ(old_view.length(), 3U);  // the old bytes live on in the view
  EXPECT_EQ(old_view[0], 1);
  EXPECT_EQ(old_view[2], 3);
  EXPECT_FALSE(old_view.buffer() == buffer);
  EXPECT_FALSE(old_view.buffer().detached());

  buffer.data()[0] = std::byte{99};
  EXPECT_EQ(old_view[0], 1);
  old_view[1] = 42;
  EXPECT_THAT(contents(buffer), ElementsAre(99, 8));

  ArrayBuffer other = buffer_of({5});
  bobbin::Uint8Array second_view(buffer);
  buffer = other;  // copy-assign
  EXPECT_EQ(second_view.length(), 2U);
  EXPECT_EQ(second_view[0], 99);
  EXPECT_THAT(contents(buffer), ElementsAre(5));
}

TEST(ArrayBufferViews, KeepBytesAliveAfterTheHandleIsGone) {
  bobbin::Uint8Array view;
  {
    ArrayBuffer buffer = buffer_of({3, 1, 4});
    view = bobbin::Uint8Array(buffer, 1);
  }
  ASSERT_EQ(view.length(), 2U);
  EXPECT_EQ(view[0], 1);
  EXPECT_EQ(view[1], 4);
}

// ---------------------------------------------------------------------------------------------
// resize

TEST(ArrayBufferResize, GrowZeroFills) {
  ArrayBuffer buffer = buffer_of({1, 2}, max_of(6));
  buffer.resize(6);
  EXPECT_EQ(buffer.byte_length(), 6U);
  EXPECT_EQ(buffer.max_byte_length(), 6U);
  EXPECT_THAT(contents(buffer), ElementsAre(1, 2, 0, 0, 0, 0));
}

TEST(ArrayBufferResize, ShrinkThenGrowRevealsZeros) {
  ArrayBuffer buffer(8, max_of(8));
  for (std::byte& b : buffer.bytes()) b = std::byte{0xFF};
  buffer.resize(2);
  EXPECT_THAT(contents(buffer), ElementsAre(0xFF, 0xFF));
  buffer.resize(8);
  EXPECT_THAT(contents(buffer), ElementsAre(0xFF, 0xFF, 0, 0, 0, 0, 0, 0));
}

TEST(ArrayBufferResize, DataStaysPutAndSameLengthIsANoOp) {
  ArrayBuffer buffer = buffer_of({1, 2, 3}, max_of(1024));
  const std::byte* data = buffer.data();
  buffer.resize(1024);
  buffer.resize(3);
  buffer.resize(3);
  EXPECT_EQ(buffer.data(), data);
  EXPECT_THAT(contents(buffer), ElementsAre(1, 2, 3));
}

TEST(ArrayBufferResize, ToZeroLeavesTheBufferAttached) {
  ArrayBuffer buffer = buffer_of({1, 2, 3}, max_of(4));
  buffer.resize(0);
  EXPECT_EQ(buffer.byte_length(), 0U);
  EXPECT_FALSE(buffer.detached());
  EXPECT_EQ(buffer.max_byte_length(), 4U);
  buffer.resize(4);
  EXPECT_THAT(contents(buffer), ElementsAre(0, 0, 0, 0));
}

TEST(ArrayBufferResize, PastTheMaximumIsRangeError) {  // test262 case 74
  ArrayBuffer buffer = buffer_of({1, 2, 3, 4}, max_of(4));
  EXPECT_THROW(buffer.resize(5), bobbin::RangeError);
  EXPECT_THROW(buffer.resize(kTwoPow53), bobbin::RangeError);
  EXPECT_THAT(contents(buffer), ElementsAre(1, 2, 3, 4));
  buffer.resize(3);  // shrinking is allowed and never detaches
  EXPECT_FALSE(buffer.detached());
  EXPECT_EQ(buffer.byte_length(), 3U);
}

TEST(ArrayBufferResize, FixedBufferIsTypeError) {
  ArrayBuffer buffer(4);
  EXPECT_THROW(buffer.resize(4), bobbin::TypeError);
  EXPECT_THROW(buffer.resize(2), bobbin::TypeError);
  EXPECT_EQ(buffer.byte_length(), 4U);
}

TEST(ArrayBufferResize, DetachedBufferIsTypeError) {
  ArrayBuffer buffer(4, max_of(8));
  ArrayBuffer destination = buffer.transfer();
  EXPECT_THROW(buffer.resize(2), bobbin::TypeError);
  EXPECT_THROW(buffer.resize(100), bobbin::TypeError);  // even past the maximum

  ArrayBuffer moved_from(4, max_of(8));
  ArrayBuffer taker = std::move(moved_from);
  EXPECT_THROW(moved_from.resize(2), bobbin::TypeError);  // NOLINT(bugprone-use-after-move)
}

TEST(ArrayBufferResize, ViewsFollowTheLength) {
  ArrayBuffer buffer(8, max_of(16));
  bobbin::Uint8Array tracking(buffer);
  bobbin::Uint8Array fixed(buffer, 4, 4);
  buffer.resize(16);
  EXPECT_EQ(tracking.length(), 16U);
  EXPECT_EQ(fixed.length(), 4U);
  buffer.resize(6);
  EXPECT_EQ(tracking.length(), 6U);
  EXPECT_EQ(fixed.length(), 0U);  // out of bounds
  EXPECT_THROW((void)fixed.at(0), bobbin::TypeError);
  buffer.resize(8);
  EXPECT_EQ(fixed.length(), 4U);  // back in bounds
}

// ---------------------------------------------------------------------------------------------
// transfer() / transfer(n) / transfer_to_fixed_length(n)

TEST(ArrayBufferTransfer, FixedToSmaller) {  // test262 case 70
  ArrayBuffer source = buffer_of({1, 2, 3, 4});
  ArrayBuffer destination = source.transfer(3);
  EXPECT_EQ(source.byte_length(), 0U);
  EXPECT_TRUE(source.detached());
  EXPECT_THROW((void)source.slice(), bobbin::TypeError);
  EXPECT_FALSE(destination.resizable());
  EXPECT_EQ(destination.byte_length(), 3U);
  EXPECT_EQ(destination.max_byte_length(), 3U);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3));
}

TEST(ArrayBufferTransfer, FixedToSameLargerAndZero) {
  ArrayBuffer same_source = buffer_of({1, 2, 3, 4});
  const std::byte* data = same_source.data();
  ArrayBuffer same = same_source.transfer();
  EXPECT_EQ(same.data(), data);  // zero-copy
  EXPECT_FALSE(same.resizable());
  EXPECT_THAT(contents(same), ElementsAre(1, 2, 3, 4));
  expect_detached(same_source);

  ArrayBuffer explicit_same = buffer_of({1, 2, 3, 4}).transfer(4);
  EXPECT_THAT(contents(explicit_same), ElementsAre(1, 2, 3, 4));

  ArrayBuffer larger_source = buffer_of({1, 2, 3, 4});
  ArrayBuffer larger = larger_source.transfer(6);
  EXPECT_FALSE(larger.resizable());
  EXPECT_EQ(larger.max_byte_length(), 6U);
  EXPECT_THAT(contents(larger), ElementsAre(1, 2, 3, 4, 0, 0));
  expect_detached(larger_source);

  ArrayBuffer zero_source = buffer_of({1, 2, 3, 4});
  ArrayBuffer zero = zero_source.transfer(0);
  EXPECT_FALSE(zero.detached());
  EXPECT_EQ(zero.byte_length(), 0U);
  EXPECT_EQ(zero.max_byte_length(), 0U);
  expect_detached(zero_source);
}

TEST(ArrayBufferTransfer, LargeFixedGrowthZeroFills) {
  ArrayBuffer source(100);
  for (std::byte& b : source.bytes()) b = std::byte{0xAB};
  ArrayBuffer destination = source.transfer(std::size_t{1} << 20);
  ASSERT_EQ(destination.byte_length(), std::size_t{1} << 20);
  for (std::size_t i = 0; i < destination.byte_length(); ++i) {
    ASSERT_EQ(destination.data()[i], std::byte{static_cast<unsigned char>(i < 100 ? 0xAB : 0)})
        << "at byte " << i;
  }
}

TEST(ArrayBufferTransfer, EmptyFixedToLarger) {
  ArrayBuffer source(0);
  ArrayBuffer destination = source.transfer(5);
  EXPECT_THAT(contents(destination), ElementsAre(0, 0, 0, 0, 0));
  EXPECT_TRUE(source.detached());
}

TEST(ArrayBufferTransfer, ResizableToLargerStaysResizable) {  // test262 case 71
  ArrayBuffer source = buffer_of({1, 2, 3, 4}, max_of(8));
  ArrayBuffer destination = source.transfer(5);
  EXPECT_TRUE(destination.resizable());
  EXPECT_EQ(destination.byte_length(), 5U);
  EXPECT_EQ(destination.max_byte_length(), 8U);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 0));
  expect_detached(source);
  EXPECT_TRUE(source.resizable());
  destination.resize(8);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 0, 0, 0, 0));
}

TEST(ArrayBufferTransfer, ResizableToFixedLength) {  // test262 case 72
  ArrayBuffer source = buffer_of({1, 2, 3, 4}, max_of(8));
  ArrayBuffer destination = source.transfer_to_fixed_length(5);
  EXPECT_FALSE(destination.resizable());
  EXPECT_EQ(destination.byte_length(), 5U);
  EXPECT_EQ(destination.max_byte_length(), 5U);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3, 4, 0));
  EXPECT_THROW(destination.resize(5), bobbin::TypeError);
  expect_detached(source);
}

TEST(ArrayBufferTransfer, ResizableToFixedLengthWithoutArgumentKeepsTheLength) {
  ArrayBuffer source = buffer_of({1, 2, 3}, max_of(8));
  ArrayBuffer destination = source.transfer_to_fixed_length();
  EXPECT_FALSE(destination.resizable());
  EXPECT_EQ(destination.max_byte_length(), 3U);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 3));
}

TEST(ArrayBufferTransfer, ResizableToFixedLengthPastTheOldMaximum) {
  ArrayBuffer source = buffer_of({1, 2}, max_of(4));
  ArrayBuffer destination = source.transfer_to_fixed_length(10);
  EXPECT_FALSE(destination.resizable());
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 0, 0, 0, 0, 0, 0, 0, 0));
}

TEST(ArrayBufferTransfer, FixedSourceToFixedLength) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4});
  ArrayBuffer smaller = source.transfer_to_fixed_length(2);
  EXPECT_THAT(contents(smaller), ElementsAre(1, 2));
  EXPECT_FALSE(smaller.resizable());
  ArrayBuffer larger = smaller.transfer_to_fixed_length(3);
  EXPECT_THAT(contents(larger), ElementsAre(1, 2, 0));
  EXPECT_TRUE(smaller.detached());
}

TEST(ArrayBufferTransfer, ResizableToSmallerKeepsTheTailZero) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4}, max_of(8));
  ArrayBuffer destination = source.transfer(2);
  EXPECT_TRUE(destination.resizable());
  EXPECT_EQ(destination.max_byte_length(), 8U);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2));
  destination.resize(8);
  EXPECT_THAT(contents(destination), ElementsAre(1, 2, 0, 0, 0, 0, 0, 0));
}

TEST(ArrayBufferTransfer, FixedToSmallerThenMovedKeepsItsLength) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4});
  ArrayBuffer smaller = source.transfer(1);
  ArrayBuffer copy = smaller;  // a clone copies only the live bytes
  EXPECT_THAT(contents(copy), ElementsAre(1));
  ArrayBuffer grown = smaller.transfer(3);
  EXPECT_THAT(contents(grown), ElementsAre(1, 0, 0));
}

TEST(ArrayBufferTransfer, BeyondTheMaximumIsRangeErrorAndDetachesNothing) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4}, max_of(8));
  EXPECT_THROW((void)source.transfer(9), bobbin::RangeError);
  EXPECT_FALSE(source.detached());
  EXPECT_THAT(contents(source), ElementsAre(1, 2, 3, 4));
  // transfer_to_fixed_length has no maximum to respect.
  ArrayBuffer fixed = source.transfer_to_fixed_length(9);
  EXPECT_EQ(fixed.byte_length(), 9U);
}

TEST(ArrayBufferTransfer, OfADetachedBufferIsTypeError) {  // test262 case 73
  ArrayBuffer source = buffer_of({1, 2});
  ArrayBuffer destination = source.transfer();
  EXPECT_THROW((void)source.transfer(), bobbin::TypeError);
  EXPECT_THROW((void)source.transfer(1), bobbin::TypeError);
  EXPECT_THROW((void)source.transfer_to_fixed_length(), bobbin::TypeError);
  EXPECT_THROW((void)source.transfer_to_fixed_length(1), bobbin::TypeError);

  ArrayBuffer moved_from(2);
  ArrayBuffer taker = std::move(moved_from);
  EXPECT_THROW((void)moved_from.transfer(), bobbin::TypeError);  // NOLINT(bugprone-use-after-move)
}

TEST(ArrayBufferTransfer, HugeLengthIsRangeErrorAndDetachesNothing) {  // test262 case 73
  for (std::size_t huge : {kTwoPow53, std::numeric_limits<std::size_t>::max()}) {
    ArrayBuffer fixed = buffer_of({1, 2, 3, 4});
    EXPECT_THROW((void)fixed.transfer(huge), bobbin::RangeError);
    EXPECT_THROW((void)fixed.transfer_to_fixed_length(huge), bobbin::RangeError);
    EXPECT_FALSE(fixed.detached());
    EXPECT_THAT(contents(fixed), ElementsAre(1, 2, 3, 4));

    ArrayBuffer resizable = buffer_of({1, 2, 3, 4}, max_of(8));
    EXPECT_THROW((void)resizable.transfer(huge), bobbin::RangeError);
    EXPECT_THROW((void)resizable.transfer_to_fixed_length(huge), bobbin::RangeError);
    EXPECT_FALSE(resizable.detached());
    EXPECT_THAT(contents(resizable), ElementsAre(1, 2, 3, 4));
  }
}

TEST(ArrayBufferTransfer, AllocationThatCannotSucceedIsRangeErrorAndDetachesNothing) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4});
  bobbin::Uint8Array view(source);
  EXPECT_THROW((void)source.transfer(kHopeless), bobbin::RangeError);
  EXPECT_THROW((void)source.transfer_to_fixed_length(kHopeless), bobbin::RangeError);
  EXPECT_FALSE(source.detached());
  EXPECT_THAT(contents(source), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(view.length(), 4U);
  EXPECT_EQ(view[3], 4);
}

TEST(ArrayBufferTransfer, ResultIsAnIndependentIdentity) {
  ArrayBuffer source = buffer_of({1, 2});
  ArrayBuffer destination = source.transfer();
  EXPECT_FALSE(destination == source);
  bobbin::Uint8Array view(destination);
  view[0] = 9;
  EXPECT_THAT(contents(destination), ElementsAre(9, 2));
}

// ---------------------------------------------------------------------------------------------
// slice

TEST(ArrayBufferSlice, CopiesARange) {
  ArrayBuffer source = buffer_of({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_THAT(contents(source.slice()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_THAT(contents(source.slice(2)), ElementsAre(2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_THAT(contents(source.slice(2, 5)), ElementsAre(2, 3, 4));
  EXPECT_THAT(contents(source.slice(0, 0)), IsEmpty());

  ArrayBuffer part = source.slice(1, 3);
  EXPECT_NE(part.data(), source.data() + 1);
  part.data()[0] = std::byte{100};
  EXPECT_EQ(source.data()[1], std::byte{1});
  EXPECT_FALSE(part.resizable());
  EXPECT_FALSE(source.detached());
}

TEST(ArrayBufferSlice, NegativeIndicesCountFromTheEnd) {
  ArrayBuffer source = buffer_of({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_THAT(contents(source.slice(-3)), ElementsAre(7, 8, 9));
  EXPECT_THAT(contents(source.slice(-3, -1)), ElementsAre(7, 8));
  EXPECT_THAT(contents(source.slice(1, -8)), ElementsAre(1));
  EXPECT_THAT(contents(source.slice(-1, -1)), IsEmpty());
  EXPECT_THAT(contents(source.slice(-10, 2)), ElementsAre(0, 1));
}

TEST(ArrayBufferSlice, IndicesAreClamped) {
  ArrayBuffer source = buffer_of({0, 1, 2, 3});
  EXPECT_THAT(contents(source.slice(-100)), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(contents(source.slice(1, 100)), ElementsAre(1, 2, 3));
  EXPECT_THAT(contents(source.slice(100)), IsEmpty());
  EXPECT_THAT(contents(source.slice(3, 1)), IsEmpty());  // end before begin: empty
  EXPECT_THAT(contents(source.slice(-1, -3)), IsEmpty());
  constexpr auto kMin = std::numeric_limits<std::ptrdiff_t>::min();
  constexpr auto kMax = std::numeric_limits<std::ptrdiff_t>::max();
  EXPECT_THAT(contents(source.slice(kMin, kMax)), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(contents(source.slice(kMax, kMin)), IsEmpty());
  EXPECT_THAT(contents(source.slice(kMin, kMin)), IsEmpty());
}

TEST(ArrayBufferSlice, OfAResizableBufferIsFixedAndUsesTheCurrentLength) {
  ArrayBuffer source = buffer_of({1, 2, 3, 4, 5}, max_of(16));
  source.resize(3);
  ArrayBuffer part = source.slice();
  EXPECT_FALSE(part.resizable());
  EXPECT_EQ(part.max_byte_length(), 3U);
  EXPECT_THAT(contents(part), ElementsAre(1, 2, 3));
  EXPECT_THAT(contents(source.slice(-1)), ElementsAre(3));
}

TEST(ArrayBufferSlice, OfADetachedBufferIsTypeError) {
  ArrayBuffer source = buffer_of({1, 2, 3});
  ArrayBuffer destination = std::move(source);
  EXPECT_THROW((void)source.slice(), bobbin::TypeError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)source.slice(0, 0), bobbin::TypeError);
  ArrayBuffer after_transfer = destination.transfer();
  EXPECT_THROW((void)destination.slice(1), bobbin::TypeError);
}

// ---------------------------------------------------------------------------------------------
// Identity

TEST(ArrayBufferIdentity, EqualityIsIdentityNotContents) {
  ArrayBuffer a = buffer_of({1, 2});
  ArrayBuffer b = buffer_of({1, 2});
  EXPECT_TRUE(a == a);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a != b);
  bobbin::Uint8Array view(a);
  ArrayBuffer alias = view.buffer().array_buffer();
  EXPECT_TRUE(alias == a);
}

// Clones of 32 KiB .. 2 MiB reuse recently freed blocks of the same size: the reused memory
// holds the new source's bytes, a fresh (non-clone) buffer of that size still starts zeroed,
// and a resizable clone keeps its tail zero.
TEST(ArrayBufferClone, ReusedBlocksHoldTheNewBytes) {
  constexpr std::size_t kBytes = std::size_t{64} << 10;
  for (int round = 0; round < 4; ++round) {
    ArrayBuffer source(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) {
      source.data()[i] = static_cast<std::byte>((i * 7 + static_cast<std::size_t>(round)) & 0xff);
    }
    {
      const ArrayBuffer first = source;  // freed at the end of this scope, kept for reuse
      ASSERT_EQ(first.byte_length(), kBytes);
    }
    const ArrayBuffer clone = source;
    ASSERT_EQ(clone.byte_length(), kBytes);
    EXPECT_EQ(std::memcmp(clone.data(), source.data(), kBytes), 0);
    const ArrayBuffer fresh(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) ASSERT_EQ(fresh.data()[i], std::byte{0});
  }
  ArrayBuffer resizable(100, ArrayBufferOptions{.max_byte_length = kBytes});
  resizable.data()[99] = std::byte{5};
  const ArrayBuffer rclone = resizable;
  ASSERT_EQ(rclone.byte_length(), 100u);
  ArrayBuffer grown = rclone;
  grown.resize(kBytes);
  EXPECT_EQ(grown.data()[99], std::byte{5});
  for (std::size_t i = 100; i < kBytes; ++i) ASSERT_EQ(grown.data()[i], std::byte{0});
}

}  // namespace
