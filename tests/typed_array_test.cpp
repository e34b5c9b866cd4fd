// Tests for bobbin/typed_array.hpp: the ten JavaScript aliases, the constructors and their
// RangeError / TypeError rules, length-tracking and out-of-bounds views of resizable and
// growable buffers, element access through the proxy, buffer() identity, and copy (clone or
// share) and move (transfer or share) of views.
#include <bobbin/array_buffer.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

// Allocations below that cannot succeed (petabytes) must come back as null so that bobbin can
// turn them into RangeError; AddressSanitizer and ThreadSanitizer abort on them unless told
// otherwise.
#include "support/sanitizers.hpp"

BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS();

namespace {

using bobbin::ArrayBuffer;
using bobbin::ArrayBufferOptions;
using bobbin::SharedArrayBuffer;
using bobbin::SharedArrayBufferOptions;

constexpr std::size_t kTwoPow53 = std::size_t{1} << 53;
constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

ArrayBufferOptions ab_max(std::size_t max) { return ArrayBufferOptions{.max_byte_length = max}; }
SharedArrayBufferOptions sab_max(std::size_t max) {
  return SharedArrayBufferOptions{.max_byte_length = max};
}

// ---------------------------------------------------------------------------------------------
// The aliases

TEST(TypedArrayAliases, ElementTypesAndSizes) {
  static_assert(std::is_same_v<bobbin::Int8Array::value_type, std::int8_t>);
  static_assert(std::is_same_v<bobbin::Uint8Array::value_type, std::uint8_t>);
  static_assert(std::is_same_v<bobbin::Int16Array::value_type, std::int16_t>);
  static_assert(std::is_same_v<bobbin::Uint16Array::value_type, std::uint16_t>);
  static_assert(std::is_same_v<bobbin::Int32Array::value_type, std::int32_t>);
  static_assert(std::is_same_v<bobbin::Uint32Array::value_type, std::uint32_t>);
  static_assert(std::is_same_v<bobbin::Float32Array::value_type, float>);
  static_assert(std::is_same_v<bobbin::Float64Array::value_type, double>);
  static_assert(std::is_same_v<bobbin::BigInt64Array::value_type, std::int64_t>);
  static_assert(std::is_same_v<bobbin::BigUint64Array::value_type, std::uint64_t>);

  EXPECT_EQ(bobbin::Int8Array::bytes_per_element, 1U);
  EXPECT_EQ(bobbin::Uint8Array::bytes_per_element, 1U);
  EXPECT_EQ(bobbin::Int16Array::bytes_per_element, 2U);
  EXPECT_EQ(bobbin::Uint16Array::bytes_per_element, 2U);
  EXPECT_EQ(bobbin::Int32Array::bytes_per_element, 4U);
  EXPECT_EQ(bobbin::Uint32Array::bytes_per_element, 4U);
  EXPECT_EQ(bobbin::Float32Array::bytes_per_element, 4U);
  EXPECT_EQ(bobbin::Float64Array::bytes_per_element, 8U);
  EXPECT_EQ(bobbin::BigInt64Array::bytes_per_element, 8U);
  EXPECT_EQ(bobbin::BigUint64Array::bytes_per_element, 8U);
}

template <class View>
class EveryAlias : public ::testing::Test {};
using AllAliases =
    ::testing::Types<bobbin::Int8Array, bobbin::Uint8Array, bobbin::Int16Array,
                     bobbin::Uint16Array, bobbin::Int32Array, bobbin::Uint32Array,
                     bobbin::Float32Array, bobbin::Float64Array, bobbin::BigInt64Array,
                     bobbin::BigUint64Array>;
TYPED_TEST_SUITE(EveryAlias, AllAliases);

TYPED_TEST(EveryAlias, OwnBufferOfZeros) {
  using View = TypeParam;
  using T = typename View::value_type;
  View view(5);
  EXPECT_EQ(view.length(), 5U);
  EXPECT_EQ(view.size(), 5U);
  EXPECT_EQ(view.byte_length(), 5 * sizeof(T));
  EXPECT_EQ(view.byte_offset(), 0U);
  EXPECT_FALSE(view.shared());
  EXPECT_FALSE(view.length_tracking());
  EXPECT_FALSE(view.out_of_bounds());
  EXPECT_EQ(view.buffer().byte_length(), 5 * sizeof(T));
  EXPECT_FALSE(view.buffer().resizable());
  for (std::size_t i = 0; i < view.length(); ++i) EXPECT_EQ(view.get(i), T{0});
}

TYPED_TEST(EveryAlias, ViewsOfBothBufferKindsRoundTripValues) {
  using View = TypeParam;
  using T = typename View::value_type;
  SharedArrayBuffer sab(64);
  ArrayBuffer ab(64);
  View shared(sab);
  View owned(ab);
  EXPECT_EQ(shared.length(), 64 / sizeof(T));
  EXPECT_EQ(owned.length(), 64 / sizeof(T));
  EXPECT_TRUE(shared.shared());
  EXPECT_FALSE(owned.shared());
  const T high = std::numeric_limits<T>::max();
  const T low = std::numeric_limits<T>::lowest();
  shared[0] = high;
  shared.set(1, low);
  owned[shared.length() - 1] = T(3);
  EXPECT_EQ(shared.get(0), high);
  EXPECT_EQ(static_cast<T>(shared[1]), low);
  EXPECT_EQ(owned.at(owned.length() - 1), T(3));
  EXPECT_THROW((void)shared.at(shared.length()), bobbin::RangeError);
  EXPECT_THROW((void)owned.get(owned.length()), bobbin::RangeError);
}

TYPED_TEST(EveryAlias, MisalignedOffsetIsRangeError) {
  using View = TypeParam;
  using T = typename View::value_type;
  SharedArrayBuffer sab(64);
  if constexpr (sizeof(T) > 1) {
    EXPECT_THROW(View(sab, 1), bobbin::RangeError);
    EXPECT_THROW(View(sab, sizeof(T) - 1, 1), bobbin::RangeError);
    EXPECT_THROW(View(sab, sizeof(T) + 1, 0), bobbin::RangeError);
  }
  EXPECT_NO_THROW(View(sab, sizeof(T)));
}

// ---------------------------------------------------------------------------------------------
// Constructors

TEST(TypedArrayConstruct, DefaultIsEmpty) {
  bobbin::Int32Array empty;
  EXPECT_EQ(empty.length(), 0U);
  EXPECT_FALSE(empty.out_of_bounds());
  EXPECT_THROW((void)empty.at(0), bobbin::RangeError);
}

TEST(TypedArrayConstruct, WholeBuffer) {
  SharedArrayBuffer sab(64);
  bobbin::Int32Array all(sab);
  EXPECT_EQ(all.length(), 16U);
  EXPECT_EQ(all.byte_length(), 64U);
  EXPECT_EQ(all.byte_offset(), 0U);
  EXPECT_FALSE(all.length_tracking());
}

TEST(TypedArrayConstruct, WithOffset) {
  SharedArrayBuffer sab(64);
  bobbin::Int32Array tail(sab, 32);
  EXPECT_EQ(tail.length(), 8U);
  EXPECT_EQ(tail.byte_offset(), 32U);
  EXPECT_EQ(tail.byte_length(), 32U);
  bobbin::Int32Array at_end(sab, 64);  // an offset equal to the length is allowed
  EXPECT_EQ(at_end.length(), 0U);
  EXPECT_EQ(at_end.byte_offset(), 64U);
  EXPECT_FALSE(at_end.out_of_bounds());
}

TEST(TypedArrayConstruct, WithOffsetAndLength) {
  SharedArrayBuffer sab(64);
  bobbin::Int32Array two(sab, 8, 2);
  EXPECT_EQ(two.length(), 2U);
  EXPECT_EQ(two.byte_offset(), 8U);
  EXPECT_EQ(two.byte_length(), 8U);
  bobbin::Int32Array whole(sab, 0, 16);
  EXPECT_EQ(whole.length(), 16U);
  bobbin::Int32Array none(sab, 64, 0);
  EXPECT_EQ(none.length(), 0U);

  // The views overlap the same memory.
  bobbin::Int32Array all(sab);
  two[1] = 1234;
  EXPECT_EQ(all[3], 1234);
}

TEST(TypedArrayConstruct, RangeBeyondTheBufferIsRangeError) {
  ArrayBuffer ab(16);
  EXPECT_THROW(bobbin::Int32Array(ab, 20), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 0, 5), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 4, 4), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 16, 1), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 20, 0), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 0, kTwoPow53), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 0, kSizeMax), bobbin::RangeError);
  EXPECT_THROW(bobbin::BigInt64Array(ab, 0, kSizeMax / 8 + 1), bobbin::RangeError);
  EXPECT_NO_THROW(bobbin::Int32Array(ab, 4, 3));
}

TEST(TypedArrayConstruct, HugeOffsetsDoNotWrapAround) {
  ArrayBuffer ab(16);
  SharedArrayBuffer sab(16);
  // offset + length * size would wrap around to a small number.
  const std::size_t wrapping = kSizeMax - 3;  // a multiple of 4
  EXPECT_THROW(bobbin::Int32Array(ab, wrapping, 1), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(sab, wrapping, 1), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, wrapping, 0), bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array(ab, wrapping), bobbin::RangeError);
  EXPECT_THROW(bobbin::Uint8Array(ab, kSizeMax, 1), bobbin::RangeError);
  EXPECT_THROW(bobbin::BigInt64Array(sab, kTwoPow53, 1), bobbin::RangeError);
  EXPECT_THROW(bobbin::BigInt64Array(sab, kSizeMax - 7, 2), bobbin::RangeError);
}

TEST(TypedArrayConstruct, RemainingLengthNotAMultipleIsRangeError) {
  ArrayBuffer six(6);
  EXPECT_THROW(bobbin::Int32Array{six}, bobbin::RangeError);
  EXPECT_NO_THROW(bobbin::Int16Array{six});
  SharedArrayBuffer ten(10);
  EXPECT_THROW(bobbin::Int32Array(ten, 4), bobbin::RangeError);
  EXPECT_THROW(bobbin::Float64Array(ten, 0), bobbin::RangeError);
  // With an explicit length the rest of the buffer does not matter.
  bobbin::Int32Array one(ten, 4, 1);
  EXPECT_EQ(one.length(), 1U);
  bobbin::Int32Array two(ten, 0, 2);
  EXPECT_EQ(two.length(), 2U);
}

TEST(TypedArrayConstruct, DetachedBufferIsTypeError) {
  ArrayBuffer ab(16);
  ArrayBuffer taken = std::move(ab);
  EXPECT_THROW(bobbin::Int32Array{ab}, bobbin::TypeError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(bobbin::Int32Array(ab, 0), bobbin::TypeError);
  EXPECT_THROW(bobbin::Int32Array(ab, 0, 0), bobbin::TypeError);
  ArrayBuffer moved_on = taken.transfer();
  EXPECT_THROW(bobbin::Uint8Array{taken}, bobbin::TypeError);
  // As in JavaScript, a misaligned offset is reported before detachment.
  EXPECT_THROW(bobbin::Int32Array(taken, 2), bobbin::RangeError);
}

TEST(TypedArrayConstruct, OwnLengthTooLargeIsRangeError) {
  EXPECT_THROW(bobbin::Int8Array{kTwoPow53}, bobbin::RangeError);
  EXPECT_THROW(bobbin::Float64Array{kTwoPow53 / 8}, bobbin::RangeError);
  EXPECT_THROW(bobbin::Float64Array{kSizeMax}, bobbin::RangeError);
  EXPECT_THROW(bobbin::Int32Array{kSizeMax / 2}, bobbin::RangeError);
  // Allowed by the length rule, but no allocator can give 4 PiB.
  EXPECT_THROW(bobbin::BigInt64Array{std::size_t{1} << 49}, bobbin::RangeError);
}

// ---------------------------------------------------------------------------------------------
// Length-tracking and out-of-bounds views

TEST(TypedArrayTracking, FollowsAResizableArrayBuffer) {
  ArrayBuffer ab(8, ab_max(32));
  bobbin::Int32Array view(ab);
  EXPECT_TRUE(view.length_tracking());
  EXPECT_EQ(view.length(), 2U);
  ab.resize(32);
  EXPECT_EQ(view.length(), 8U);
  EXPECT_EQ(view.byte_length(), 32U);
  view[7] = 7;
  ab.resize(6);  // not a multiple of 4: the length rounds down
  EXPECT_EQ(view.length(), 1U);
  EXPECT_EQ(view.byte_length(), 4U);
  ab.resize(0);
  EXPECT_EQ(view.length(), 0U);
  EXPECT_FALSE(view.out_of_bounds());  // offset 0 is never out of bounds
  EXPECT_THROW((void)view.at(0), bobbin::RangeError);
  ab.resize(32);
  EXPECT_EQ(view.length(), 8U);
  EXPECT_EQ(view[7], 0);  // shrinking dropped the value, growing revealed zeros
}

TEST(TypedArrayTracking, ResizableBufferWithOddRemainderIsAllowed) {
  ArrayBuffer ab(6, ab_max(16));  // a fixed buffer of 6 would be a RangeError
  bobbin::Int32Array view(ab);
  EXPECT_TRUE(view.length_tracking());
  EXPECT_EQ(view.length(), 1U);
}

TEST(TypedArrayTracking, OutOfBoundsAfterShrinkingBelowTheOffsetAndBackAgain) {
  ArrayBuffer ab(16, ab_max(32));
  bobbin::Int32Array view(ab, 8);
  EXPECT_EQ(view.length(), 2U);
  EXPECT_EQ(view.byte_offset(), 8U);
  view[0] = 11;

  ab.resize(8);  // exactly at the offset: empty but in bounds
  EXPECT_EQ(view.length(), 0U);
  EXPECT_EQ(view.byte_offset(), 8U);
  EXPECT_FALSE(view.out_of_bounds());

  ab.resize(4);  // below the offset: out of bounds
  EXPECT_TRUE(view.out_of_bounds());
  EXPECT_EQ(view.length(), 0U);
  EXPECT_EQ(view.byte_length(), 0U);
  EXPECT_EQ(view.byte_offset(), 0U);
  EXPECT_THROW((void)view.at(0), bobbin::TypeError);
  EXPECT_THROW((void)view.get(0), bobbin::TypeError);
  EXPECT_THROW(view.set(0, 1), bobbin::TypeError);
  view.fill(5);  // nothing to fill
  EXPECT_FALSE(view.buffer().detached());

  ab.resize(20);  // back in bounds
  EXPECT_FALSE(view.out_of_bounds());
  EXPECT_EQ(view.byte_offset(), 8U);
  EXPECT_EQ(view.length(), 3U);
  EXPECT_EQ(view.at(0), 0);  // the old value was cut off
}

TEST(TypedArrayTracking, FollowsAGrowableSharedArrayBuffer) {
  SharedArrayBuffer sab(8, sab_max(64));
  bobbin::Int32Array all(sab);
  bobbin::Int32Array tail(sab, 8);
  EXPECT_TRUE(all.length_tracking());
  EXPECT_EQ(all.length(), 2U);
  EXPECT_EQ(tail.length(), 0U);
  sab.grow(64);
  EXPECT_EQ(all.length(), 16U);
  EXPECT_EQ(tail.length(), 14U);
  tail[13] = 99;
  EXPECT_EQ(all[15], 99);
  sab.grow(64);
  EXPECT_EQ(all.length(), 16U);
}

TEST(TypedArrayTracking, FixedBuffersAndExplicitLengthsDoNotTrack) {
  SharedArrayBuffer sab(16, sab_max(64));
  bobbin::Int32Array fixed(sab, 0, 2);
  EXPECT_FALSE(fixed.length_tracking());
  sab.grow(64);
  EXPECT_EQ(fixed.length(), 2U);

  SharedArrayBuffer not_growable(16);
  EXPECT_FALSE(bobbin::Int32Array(not_growable).length_tracking());
  ArrayBuffer not_resizable(16);
  EXPECT_FALSE(bobbin::Int32Array(not_resizable).length_tracking());
}

TEST(TypedArrayTracking, FixedViewGoesOutOfBoundsWhenTheBufferShrinks) {
  ArrayBuffer ab(16, ab_max(16));
  bobbin::Int32Array view(ab, 4, 2);  // bytes [4, 12)
  view[1] = -1;                       // bytes 8, 9, 10, 11 all 0xFF
  ab.resize(12);
  EXPECT_EQ(view.length(), 2U);  // still fits
  EXPECT_EQ(view[1], -1);
  ab.resize(11);
  EXPECT_TRUE(view.out_of_bounds());
  EXPECT_EQ(view.length(), 0U);
  EXPECT_EQ(view.byte_offset(), 0U);
  EXPECT_EQ(view.byte_length(), 0U);
  EXPECT_THROW((void)view.at(0), bobbin::TypeError);
  ab.resize(16);
  EXPECT_FALSE(view.out_of_bounds());
  EXPECT_EQ(view.length(), 2U);
  EXPECT_EQ(view.byte_offset(), 4U);
  bobbin::Uint8Array bytes(ab);
  EXPECT_EQ(bytes[10], 0xFF);
  EXPECT_EQ(bytes[11], 0);  // byte 11 was cut off and came back zero
}

// ---------------------------------------------------------------------------------------------
// Element access

TEST(TypedArrayElements, SubscriptReadsAndWritesThroughTheProxy) {
  bobbin::Int32Array view(4);
  view[0] = 10;
  view[1] = view[0];  // proxy to proxy copies the value
  view[2] = -3;
  view[2] += 5;
  view[3] = 7;
  view[3] -= 10;
  ++view[0];
  --view[1];
  const std::int32_t read = view[2];
  EXPECT_EQ(read, 2);
  EXPECT_EQ(view[0], 11);
  EXPECT_EQ(view[1], 9);
  EXPECT_EQ(view[3], -3);
  auto proxy = view[0];
  proxy = 100;
  EXPECT_EQ(view.get(0), 100);
}

TEST(TypedArrayElements, SubscriptWrapsLikeTheElementType) {
  bobbin::Uint8Array bytes(1);
  bytes[0] = 250;
  bytes[0] += 10;
  EXPECT_EQ(bytes[0], 4);
  bobbin::Int8Array small(1);
  small[0] = 127;
  ++small[0];
  EXPECT_EQ(small[0], -128);
}

TEST(TypedArrayElements, AtChecksTheIndex) {
  SharedArrayBuffer sab(16);
  bobbin::Int32Array view(sab, 4, 2);
  view.at(1) = 8;
  EXPECT_EQ(view.at(1), 8);
  EXPECT_EQ(view.get(1), 8);
  EXPECT_THROW((void)view.at(2), bobbin::RangeError);
  EXPECT_THROW((void)view.at(kSizeMax), bobbin::RangeError);
  EXPECT_THROW(view.set(2, 1), bobbin::RangeError);
  EXPECT_THROW((void)view.get(3), bobbin::RangeError);
  EXPECT_EQ(bobbin::Int32Array(sab)[2], 8);  // byte 4 + one element = element 2
  EXPECT_EQ(view.element(1), reinterpret_cast<std::int32_t*>(sab.data()) + 2);
}

TEST(TypedArrayElements, FillSetsEveryElementOfTheView) {
  SharedArrayBuffer sab(32);
  bobbin::Int16Array middle(sab, 4, 4);
  middle.fill(-2);
  bobbin::Int16Array all(sab);
  for (std::size_t i = 0; i < all.length(); ++i) {
    EXPECT_EQ(all[i], (i >= 2 && i < 6) ? -2 : 0) << "at " << i;
  }
}

TEST(TypedArrayElements, FloatAndDoubleRoundTrip) {
  bobbin::Float32Array floats(8);
  const float float_values[] = {1.5F,
                                -0.0F,
                                std::numeric_limits<float>::infinity(),
                                -std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::denorm_min(),
                                std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::lowest(),
                                std::numeric_limits<float>::quiet_NaN()};
  for (std::size_t i = 0; i < 8; ++i) floats[i] = float_values[i];
  for (std::size_t i = 0; i < 8; ++i) {
    const float got = floats.get(i);
    EXPECT_EQ(std::memcmp(&got, &float_values[i], sizeof got), 0) << "at " << i;
  }
  EXPECT_TRUE(std::signbit(static_cast<float>(floats[1])));
  EXPECT_TRUE(std::isnan(static_cast<float>(floats[7])));

  bobbin::Float64Array doubles(bobbin::SharedArrayBuffer(64));
  const double double_values[] = {3.141592653589793,
                                  -0.0,
                                  std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::denorm_min(),
                                  std::numeric_limits<double>::max(),
                                  std::numeric_limits<double>::lowest(),
                                  std::numeric_limits<double>::quiet_NaN(),
                                  1e-300};
  for (std::size_t i = 0; i < 8; ++i) doubles.set(i, double_values[i]);
  for (std::size_t i = 0; i < 8; ++i) {
    const double got = doubles[i];
    EXPECT_EQ(std::memcmp(&got, &double_values[i], sizeof got), 0) << "at " << i;
  }
  doubles[0] += 1.0;
  EXPECT_DOUBLE_EQ(doubles[0], 4.141592653589793);
  doubles.fill(0.25);
  EXPECT_EQ(doubles.get(7), 0.25);
}

TEST(TypedArrayElements, OverlappingViewsSeeTheSameBytes) {
  ArrayBuffer ab(8);
  bobbin::Uint32Array words(ab);
  bobbin::Uint8Array bytes(ab);
  words[1] = 0x01020304U;
  std::uint32_t expected = 0;
  std::memcpy(&expected, ab.data() + 4, sizeof expected);
  EXPECT_EQ(expected, 0x01020304U);
  std::uint8_t first_byte = 0;
  std::memcpy(&first_byte, ab.data() + 4, 1);
  EXPECT_EQ(bytes[4], first_byte);
  bobbin::BigUint64Array wide(ab);
  wide[0] = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(words[0], 0xFFFFFFFFU);
  EXPECT_EQ(words[1], 0xFFFFFFFFU);
  bobbin::BigInt64Array signed_wide(ab);
  EXPECT_EQ(signed_wide[0], -1);
}

// ---------------------------------------------------------------------------------------------
// buffer() identity

TEST(TypedArrayBuffer, IsTheSharedArrayBufferItself) {
  SharedArrayBuffer sab(16);
  bobbin::Int32Array view(sab, 4);
  EXPECT_TRUE(view.buffer() == sab);
  EXPECT_FALSE(view.buffer() == SharedArrayBuffer(16));
  EXPECT_TRUE(view.buffer().shared());
  EXPECT_FALSE(view.buffer().detached());
  EXPECT_EQ(view.buffer().byte_length(), 16U);
  EXPECT_EQ(view.buffer().max_byte_length(), 16U);
  SharedArrayBuffer back = view.buffer().shared_array_buffer();
  EXPECT_TRUE(back == sab);
  EXPECT_THROW((void)view.buffer().array_buffer(), bobbin::TypeError);
  EXPECT_TRUE(view.buffer() == bobbin::Uint8Array(sab).buffer());
}

TEST(TypedArrayBuffer, IsTheArrayBufferItselfNotAClone) {
  ArrayBuffer ab(16, ab_max(32));
  bobbin::Int32Array view(ab);
  EXPECT_TRUE(view.buffer() == ab);
  EXPECT_FALSE(view.buffer().shared());
  EXPECT_TRUE(view.buffer().resizable());
  EXPECT_EQ(view.buffer().max_byte_length(), 32U);
  EXPECT_THROW((void)view.buffer().shared_array_buffer(), bobbin::TypeError);

  ArrayBuffer same = view.buffer().array_buffer();
  EXPECT_TRUE(same == ab);
  EXPECT_EQ(same.data(), ab.data());
  same.resize(32);  // resizing through the alias is seen by everyone
  EXPECT_EQ(ab.byte_length(), 32U);
  EXPECT_EQ(view.length(), 8U);
}

TEST(TypedArrayBuffer, TransferringItDetachesTheView) {
  ArrayBuffer ab(16);
  bobbin::Int32Array view(ab);
  view[0] = 42;
  ArrayBuffer taken = view.buffer().array_buffer().transfer();
  EXPECT_TRUE(view.out_of_bounds());
  EXPECT_EQ(view.length(), 0U);
  EXPECT_TRUE(view.buffer().detached());
  EXPECT_THROW((void)view.at(0), bobbin::TypeError);
  EXPECT_TRUE(ab.detached());  // the same buffer as the view's
  EXPECT_EQ(bobbin::Int32Array(taken)[0], 42);

  ArrayBuffer ab2(8);
  bobbin::Uint8Array view2(ab2);
  ArrayBuffer alias = view2.buffer().array_buffer();
  ArrayBuffer moved = std::move(alias);  // moving an alias transfers the shared identity
  EXPECT_TRUE(view2.out_of_bounds());
  EXPECT_TRUE(ab2.detached());
  EXPECT_EQ(moved.byte_length(), 8U);
}

TEST(TypedArrayBuffer, OfAnOwnedArray) {
  bobbin::Float64Array own(3);
  EXPECT_FALSE(own.buffer().shared());
  EXPECT_EQ(own.buffer().byte_length(), 24U);
  ArrayBuffer ab = own.buffer().array_buffer();
  bobbin::Float64Array other(ab);
  other[2] = 2.5;
  EXPECT_EQ(own[2], 2.5);
}

// ---------------------------------------------------------------------------------------------
// Copy and move of views

TEST(TypedArrayCopy, OfAnArrayBufferViewClonesWithTheSameOffsetAndLength) {
  ArrayBuffer ab(32);
  bobbin::Int32Array view(ab, 8, 3);
  view[0] = 1;
  view[2] = 3;
  bobbin::Int32Array copy = view;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_FALSE(copy.buffer() == view.buffer());
  EXPECT_FALSE(copy.buffer() == ab);
  EXPECT_EQ(copy.buffer().byte_length(), 32U);  // the whole buffer was cloned
  EXPECT_EQ(copy.byte_offset(), 8U);
  EXPECT_EQ(copy.length(), 3U);
  EXPECT_EQ(copy[0], 1);
  EXPECT_EQ(copy[2], 3);

  copy[1] = 50;  // writes do not leak either way
  view[0] = 60;
  EXPECT_EQ(view[1], 0);
  EXPECT_EQ(copy[0], 1);
  EXPECT_FALSE(ab.detached());

  bobbin::Int32Array assigned(1);
  assigned = view;
  EXPECT_EQ(assigned.length(), 3U);
  EXPECT_EQ(assigned[0], 60);
  assigned[0] = 0;
  EXPECT_EQ(view[0], 60);
}

TEST(TypedArrayCopy, OfATrackingViewStaysTracking) {
  ArrayBuffer ab(8, ab_max(32));
  bobbin::Int32Array view(ab, 4);
  bobbin::Int32Array copy = view;
  EXPECT_TRUE(copy.length_tracking());
  EXPECT_TRUE(copy.buffer().resizable());
  EXPECT_EQ(copy.buffer().max_byte_length(), 32U);
  copy.buffer().array_buffer().resize(32);
  EXPECT_EQ(copy.length(), 7U);
  EXPECT_EQ(view.length(), 1U);  // the original buffer did not grow
}

TEST(TypedArrayCopy, OfADetachedViewIsDataCloneError) {
  ArrayBuffer ab(8);
  bobbin::Uint8Array view(ab);
  ArrayBuffer taken = std::move(ab);
  EXPECT_THROW(bobbin::Uint8Array{view}, bobbin::DataCloneError);
  bobbin::Uint8Array target(2);
  EXPECT_THROW(target = view, bobbin::DataCloneError);
  EXPECT_EQ(target.length(), 2U);  // unchanged
}

TEST(TypedArrayCopy, OfASharedArrayBufferViewShares) {
  SharedArrayBuffer sab(16);
  bobbin::Int32Array view(sab, 4, 2);
  bobbin::Int32Array copy = view;
  EXPECT_TRUE(copy.buffer() == sab);
  EXPECT_TRUE(copy.buffer() == view.buffer());
  EXPECT_EQ(copy.byte_offset(), 4U);
  EXPECT_EQ(copy.length(), 2U);
  copy[0] = 5;
  EXPECT_EQ(view[0], 5);
  bobbin::Int32Array assigned(1);
  assigned = view;
  EXPECT_TRUE(assigned.buffer() == sab);
  assigned[1] = 6;
  EXPECT_EQ(view[1], 6);
}

TEST(TypedArrayMove, OfAnArrayBufferViewTransfers) {
  static_assert(std::is_nothrow_move_constructible_v<bobbin::Int32Array>);
  static_assert(std::is_nothrow_move_assignable_v<bobbin::Int32Array>);
  ArrayBuffer ab(16);
  const std::byte* data = ab.data();
  bobbin::Int32Array view(ab, 4, 2);
  view[0] = 9;
  bobbin::Int32Array moved = std::move(view);
  EXPECT_TRUE(ab.detached());  // the original buffer handle is detached
  EXPECT_EQ(ab.byte_length(), 0U);
  EXPECT_EQ(moved.length(), 2U);
  EXPECT_EQ(moved.byte_offset(), 4U);
  EXPECT_EQ(moved[0], 9);
  EXPECT_EQ(reinterpret_cast<const std::byte*>(moved.element(0)), data + 4);  // O(1)
  EXPECT_FALSE(moved.buffer() == ab);
  EXPECT_EQ(view.length(), 0U);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)view.at(0), bobbin::TypeError);
}

TEST(TypedArrayMove, OfAnOwnedArrayTransfers) {
  bobbin::Uint16Array own(4);
  own[3] = 3;
  bobbin::Uint16Array target(1);
  target = std::move(own);
  EXPECT_EQ(target.length(), 4U);
  EXPECT_EQ(target[3], 3);
  EXPECT_EQ(own.length(), 0U);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(own.out_of_bounds());
  EXPECT_THROW((void)own[0], bobbin::TypeError);
}

TEST(TypedArrayMove, OfASharedArrayBufferViewShares) {
  SharedArrayBuffer sab(16);
  bobbin::Int32Array view(sab);
  bobbin::Int32Array moved = std::move(view);
  EXPECT_TRUE(moved.buffer() == sab);
  EXPECT_TRUE(view.buffer() == sab);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(view.length(), 4U);
  moved[2] = 22;
  EXPECT_EQ(view[2], 22);
  bobbin::Int32Array assigned(1);
  assigned = std::move(moved);
  EXPECT_TRUE(assigned.buffer() == sab);
  EXPECT_EQ(moved[2], 22);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
