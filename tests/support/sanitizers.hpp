// tests/support/sanitizers.hpp — what a test needs to know about the sanitizer it runs under.
//
//   BOBBIN_TEST_ASAN / BOBBIN_TEST_TSAN   defined under AddressSanitizer / ThreadSanitizer
//   bobbin_test::kStressScale             multiplies stress-test iteration counts (smaller
//                                         under ThreadSanitizer, which runs them ~10x slower)
//   BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS() for a test file that makes allocations that cannot
//                                         succeed on purpose: the sanitizers' allocators then
//                                         return null (which bobbin turns into RangeError)
//                                         instead of aborting. Use it once, at namespace scope.
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BOBBIN_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define BOBBIN_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(BOBBIN_TEST_ASAN)
#define BOBBIN_TEST_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(BOBBIN_TEST_TSAN)
#define BOBBIN_TEST_TSAN 1
#endif

namespace bobbin_test {
#ifdef BOBBIN_TEST_TSAN
inline constexpr int kStressScale = 1;
#else
inline constexpr int kStressScale = 8;
#endif
}  // namespace bobbin_test

#if defined(BOBBIN_TEST_ASAN)
#define BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS() \
  extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#elif defined(BOBBIN_TEST_TSAN)
#define BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS() \
  extern "C" const char* __tsan_default_options() { return "allocator_may_return_null=1"; }
#else
#define BOBBIN_TEST_ALLOW_FAILED_ALLOCATIONS() static_assert(true, "")
#endif
