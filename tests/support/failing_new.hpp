// tests/support/failing_new.hpp — a counting global operator new that fails on demand.
//
// Replaces every form of the global operator new/delete (plain, array, nothrow, aligned) with
// one over malloc/free that counts allocations and, while a `FailAfter` is armed ON THE
// CALLING THREAD, lets `n` allocations succeed and fails every later one (throwing
// std::bad_alloc, or returning null for the nothrow forms). Other threads are never affected,
// so GoogleTest, pool threads and event loops allocate normally while one thread's operation
// is probed allocation by allocation:
//
//   for (int n = 0;; ++n) {
//     bobbin_test::FailAfter arm(n);               // the n+1-th allocation here fails
//     try { op(); } catch (const std::bad_alloc&) { check_unchanged(); continue; }
//     if (!arm.failed()) break;                     // op needed at most n allocations
//   }
//
// Rules: include it in exactly one translation unit of a test program (it defines the
// replacement operators, which must exist once per program). Include it in no library header.
// A `FailAfter` is a scope: destroying it disarms the thread. Under ASan the replacements sit
// on malloc/free, which ASan still checks (leaks and use-after-free are reported as usual).
//
// Thread safety: the arming state is thread_local; the global counter is a relaxed atomic
// (a statistic, pairs with nothing).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace bobbin_test {

namespace failing_new_detail {

struct Arm {
  bool armed = false;
  std::int64_t budget = 0;     // allocations still allowed while armed
  std::uint64_t failures = 0;  // allocations refused on this thread while armed
};

inline thread_local Arm tls_arm;
inline std::atomic<std::uint64_t> total_allocations{0};
inline std::atomic<std::uint64_t> total_failures{0};

// True if this allocation must fail (and counts it).
inline bool should_fail() noexcept {
  // relaxed: a statistic, pairs with the relaxed loads in allocations().
  total_allocations.fetch_add(1, std::memory_order_relaxed);
  Arm& a = tls_arm;
  if (!a.armed) return false;
  if (a.budget > 0) {
    --a.budget;
    return false;
  }
  ++a.failures;
  // relaxed: a statistic, pairs with the relaxed load in injected_failures().
  total_failures.fetch_add(1, std::memory_order_relaxed);
  return true;
}

inline void* allocate(std::size_t size, std::size_t align) noexcept {
  if (should_fail()) return nullptr;
  if (size == 0) size = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(size);
  const std::size_t rounded = (size + align - 1) / align * align;
  return std::aligned_alloc(align, rounded);
}

}  // namespace failing_new_detail

// Arms the calling thread for the lifetime of the object: `allowed` more allocations succeed,
// then every allocation fails until the object is destroyed. Not nestable.
class FailAfter {
 public:
  explicit FailAfter(std::int64_t allowed) noexcept {
    auto& a = failing_new_detail::tls_arm;
    a.armed = true;
    a.budget = allowed;
    a.failures = 0;
  }
  FailAfter(const FailAfter&) = delete;
  FailAfter& operator=(const FailAfter&) = delete;
  ~FailAfter() { disarm(); }

  // Stops failing (for the rest of the scope), e.g. before checking results with gtest.
  void disarm() noexcept { failing_new_detail::tls_arm.armed = false; }
  // Whether at least one allocation was refused in this scope.
  [[nodiscard]] bool failed() const noexcept { return failing_new_detail::tls_arm.failures > 0; }
};

// Every allocation the program made so far (all threads).
inline std::uint64_t allocations() noexcept {
  return failing_new_detail::total_allocations.load(std::memory_order_relaxed);  // relaxed:
                                                                                  // statistic
}
// Every allocation refused so far (all threads, all scopes).
inline std::uint64_t injected_failures() noexcept {
  return failing_new_detail::total_failures.load(std::memory_order_relaxed);  // relaxed:
                                                                               // statistic
}

}  // namespace bobbin_test

// ---- The replacements (one definition per program: see the header comment) ----
// Out of line, so that the compiler never sees a `delete` become the `free` below and warn
// about a mismatched allocation (-Wmismatched-new-delete) at call sites.

[[gnu::noinline]] void* operator new(std::size_t size) {
  void* p = bobbin_test::failing_new_detail::allocate(size, 0);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return ::operator new(size); }
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return bobbin_test::failing_new_detail::allocate(size, 0);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return bobbin_test::failing_new_detail::allocate(size, 0);
}
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t align) {
  void* p = bobbin_test::failing_new_detail::allocate(size, static_cast<std::size_t>(align));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t align) {
  return ::operator new(size, align);
}
[[gnu::noinline]] void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return bobbin_test::failing_new_detail::allocate(size, static_cast<std::size_t>(align));
}
[[gnu::noinline]] void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return bobbin_test::failing_new_detail::allocate(size, static_cast<std::size_t>(align));
}

[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
