// bobbin/detail/word_lock.hpp — the small lock that guards a parking-lot bucket.
//
// A three-state futex mutex (0 free, 1 locked, 2 locked with sleepers; Drepper, "Futexes Are
// Tricky", mutex 3) that spins briefly before it sleeps. It sits below the parking lot, so it
// sleeps on the futex seam directly instead of parking. Critical sections under it are a few
// pointer updates long, so contention is short and the spin almost always wins.
//
// Memory ordering: lock() acquires, unlock() releases; everything done under the lock
// happens-before whatever the next holder does under it.
#pragma once

#include <atomic>
#include <cstdint>

#include "platform.hpp"

namespace bobbin::detail {

class WordLock {
 public:
  constexpr WordLock() noexcept = default;
  WordLock(const WordLock&) = delete;
  WordLock& operator=(const WordLock&) = delete;

  void lock() noexcept {
    std::uint32_t expected = kFree;
    // acquire: pairs with the release exchange in unlock().
    if (state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) [[likely]] {
      return;
    }
    lock_slow();
  }

  void unlock() noexcept {
    // release: pairs with the acquiring exchange/CAS of the next lock().
    if (state_.exchange(kFree, std::memory_order_release) == kSleepers) [[unlikely]] {
      futex_wake(&state_, 1);
    }
  }

 private:
  static constexpr std::uint32_t kFree = 0, kLocked = 1, kSleepers = 2;

  [[gnu::noinline]] void lock_slow() noexcept {
    for (int spin = 0; spin < 64; ++spin) {
      std::uint32_t expected = kFree;
      if (state_.load(std::memory_order_relaxed) == kFree &&
          state_.compare_exchange_weak(expected, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return;
      }
      cpu_relax();
    }
    // acquire: pairs with unlock()'s release. Once we mark the word "sleepers", we keep it
    // so (we might not be the only sleeper), at the cost of one wake too many.
    while (state_.exchange(kSleepers, std::memory_order_acquire) != kFree) {
      futex_wait(state_, kSleepers, kNoDeadline);
    }
  }

  std::atomic<std::uint32_t> state_{kFree};
};

}  // namespace bobbin::detail
