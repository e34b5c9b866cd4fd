// happycoin.hpp — the compute core of the Happycoin example (book listings 1-7 … 1-12,
// 3-7 … 3-17), as plain functions that every mode and the --check oracle share.
//
// A "Happycoin" is a random 64-bit number that is happy (iterating "sum of the squares of the
// decimal digits" reaches 1) and divisible by 10000. About 13 in 10^5 multiples of 10^4 are
// happy, so 10^7 draws find about 130 coins.
//
// Rules kept from the book:
//   - The happy test runs first and the divisibility test after it (`is_happycoin`), so the
//     work stays CPU-heavy; swapping them gives the same coins far faster.
//   - `is_happy` stops at 1 (happy) or 4 (every unhappy number enters 4 → 16 → … → 4).
// Fixed from the book:
//   - The book's pthread version seeds every thread with time(NULL), so all threads usually
//     draw the same stream and print every coin four times (book-examples §12.1). Here draw i
//     is a pure function of (seed, i) (`Draws::at`, a counter-based SplitMix64), so the coins
//     of a run depend only on the seed and the number of draws, never on how the draws are
//     split between threads, tasks or modes. That is what lets --check compare modes.
//   - The book's is_happy(0) never ends (0 maps to 0). It returns false here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace happycoin {

// The sum of the squares of n's decimal digits.
constexpr std::uint64_t sum_digits_squared(std::uint64_t n) noexcept {
  std::uint64_t sum = 0;
  while (n > 0) {
    const std::uint64_t digit = n % 10;
    sum += digit * digit;
    n /= 10;
  }
  return sum;
}

// Whether n is happy: iterating sum_digits_squared reaches 1 (the book's test: stop at 1 or 4).
constexpr bool is_happy(std::uint64_t n) noexcept {
  if (n == 0) return false;  // the book loops forever here
  while (n != 1 && n != 4) n = sum_digits_squared(n);
  return n == 1;
}

// The book's test, in the book's order: the expensive happy test first.
constexpr bool is_happycoin(std::uint64_t n) noexcept { return is_happy(n) && n % 10000 == 0; }

// An independent oracle for --check: Floyd's cycle detection instead of the 1-or-4 shortcut.
constexpr bool is_happy_floyd(std::uint64_t n) noexcept {
  std::uint64_t slow = n;
  std::uint64_t fast = sum_digits_squared(n);
  while (fast != 1 && slow != fast) {
    slow = sum_digits_squared(slow);
    fast = sum_digits_squared(sum_digits_squared(fast));
  }
  return fast == 1;
}

static_assert(is_happy(7) && is_happy(10) && is_happy(19) && !is_happy(4) && !is_happy(2));
static_assert(is_happy_floyd(7) && !is_happy_floyd(20) && is_happy_floyd(1));

// The random draws of one run: draw i is SplitMix64's output at position i of the stream that
// starts at `seed`. Any split of [0, n) between threads draws the same numbers.
class Draws {
 public:
  explicit Draws(std::uint64_t seed) noexcept : seed_(seed) {}

  [[nodiscard]] std::uint64_t at(std::uint64_t i) const noexcept {
    std::uint64_t z = seed_ + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t seed_;
};

// Calls found(coin) for every Happycoin among draws [begin, end), in draw order.
template <class Found>
void mine(const Draws& draws, std::uint64_t begin, std::uint64_t end, Found&& found) {
  for (std::uint64_t i = begin; i < end; ++i) {
    const std::uint64_t n = draws.at(i);
    if (is_happycoin(n)) found(n);
  }
}

// The Happycoins among draws [begin, end), in draw order (the batched form: one result per task).
inline std::vector<std::uint64_t> mine_range(const Draws& draws, std::uint64_t begin,
                                             std::uint64_t end) {
  std::vector<std::uint64_t> coins;
  mine(draws, begin, end, [&](std::uint64_t coin) { coins.push_back(coin); });
  return coins;
}

// Part `k` of `parts` equal (±1) parts of [0, n): the range [first, last).
struct Range {
  std::uint64_t first;
  std::uint64_t last;
};
constexpr Range part(std::uint64_t n, std::uint64_t parts, std::uint64_t k) noexcept {
  return {n * k / parts, n * (k + 1) / parts};
}

}  // namespace happycoin
