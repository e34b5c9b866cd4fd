// Tests for bobbin/errors.hpp: every error is a bobbin::Error and a std::runtime_error, keeps
// its message, and names itself after its JavaScript twin.
#include <bobbin/errors.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

template <class E>
class ErrorTypes : public ::testing::Test {};

struct RangeErrorName {
  using type = bobbin::RangeError;
  static constexpr const char* name = "RangeError";
};
struct TypeErrorName {
  using type = bobbin::TypeError;
  static constexpr const char* name = "TypeError";
};
struct DataCloneErrorName {
  using type = bobbin::DataCloneError;
  static constexpr const char* name = "DataCloneError";
};
struct AbortErrorName {
  using type = bobbin::AbortError;
  static constexpr const char* name = "AbortError";
};
struct TimeoutErrorName {
  using type = bobbin::TimeoutError;
  static constexpr const char* name = "TimeoutError";
};
struct QueueFullErrorName {
  using type = bobbin::QueueFullError;
  static constexpr const char* name = "QueueFullError";
};
struct TerminatedErrorName {
  using type = bobbin::TerminatedError;
  static constexpr const char* name = "TerminatedError";
};
struct ClosedErrorName {
  using type = bobbin::ClosedError;
  static constexpr const char* name = "ClosedError";
};

using AllErrors =
    ::testing::Types<RangeErrorName, TypeErrorName, DataCloneErrorName, AbortErrorName,
                     TimeoutErrorName, QueueFullErrorName, TerminatedErrorName, ClosedErrorName>;
TYPED_TEST_SUITE(ErrorTypes, AllErrors);

TYPED_TEST(ErrorTypes, DerivesFromErrorAndRuntimeError) {
  using E = typename TypeParam::type;
  static_assert(std::is_base_of_v<bobbin::Error, E>);
  static_assert(std::is_base_of_v<std::runtime_error, E>);
  static_assert(std::is_base_of_v<std::exception, E>);
  static_assert(std::is_nothrow_copy_constructible_v<E>);
}

TYPED_TEST(ErrorTypes, KeepsItsMessage) {
  using E = typename TypeParam::type;
  const E from_c_string("index 7 is out of range");
  EXPECT_STREQ(from_c_string.what(), "index 7 is out of range");
  const E from_string(std::string("a std::string message"));
  EXPECT_STREQ(from_string.what(), "a std::string message");
  const E copy = from_string;
  EXPECT_STREQ(copy.what(), "a std::string message");
}

TYPED_TEST(ErrorTypes, NameIsTheJavaScriptName) {
  using E = typename TypeParam::type;
  const E error("message");
  EXPECT_STREQ(error.name(), TypeParam::name);
  // name() is virtual: it answers through a reference to the base.
  const bobbin::Error& as_base = error;
  EXPECT_STREQ(as_base.name(), TypeParam::name);
}

TYPED_TEST(ErrorTypes, CaughtAsErrorAndAsRuntimeError) {
  using E = typename TypeParam::type;
  try {
    throw E("thrown");
  } catch (const bobbin::Error& e) {
    EXPECT_STREQ(e.name(), TypeParam::name);
    EXPECT_STREQ(e.what(), "thrown");
  }
  try {
    throw E("thrown again");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "thrown again");
  }
  EXPECT_THROW(throw E("x"), E);
}

TEST(Error, RootNameAndMessage) {
  static_assert(std::is_base_of_v<std::runtime_error, bobbin::Error>);
  const bobbin::Error error("root");
  EXPECT_STREQ(error.name(), "Error");
  EXPECT_STREQ(error.what(), "root");
}

TEST(Error, SiblingsAreDistinctTypes) {
  static_assert(!std::is_base_of_v<bobbin::RangeError, bobbin::TypeError>);
  static_assert(!std::is_base_of_v<bobbin::TypeError, bobbin::RangeError>);
  static_assert(!std::is_base_of_v<bobbin::AbortError, bobbin::TimeoutError>);
  bool caught_as_type_error = false;
  try {
    try {
      throw bobbin::RangeError("range");
    } catch (const bobbin::TypeError&) {
      caught_as_type_error = true;
    }
  } catch (const bobbin::RangeError& e) {
    EXPECT_STREQ(e.name(), "RangeError");
  }
  EXPECT_FALSE(caught_as_type_error);
}

}  // namespace
