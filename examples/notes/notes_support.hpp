// notes_support.hpp — small helpers shared by the notes' examples; say, flag and what come from
// example_support.hpp.
//
//   say("text")                   one whole line on stdout in a single write, so lines printed
//                                 by several threads never mix (std::cout's operator<< calls
//                                 each lock stdio on their own; one call per line is atomic)
//   flag(argc, argv, "--n", 10)   the value after a flag, or the default
//   what(exception_ptr)           the message of a stored exception
//   fixed(3.14159, 1)             "3.1": a number with a fixed count of decimals
//   expect(cond, "what")          a self-test check: prints "  ok: what" or "  FAILED: what";
//                                 all_ok() is false once one failed (any thread may check)
//   heavy_computation(n)          the notes' heavyComputation: 0 + 1 + … + (n - 1) by a real
//                                 loop (an empty asm keeps the compiler from using the closed
//                                 formula, so the program does the work the JavaScript does)
#pragma once

#include "example_support.hpp"

#include <atomic>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>

namespace notes {

using examples::flag;
using examples::say;
using examples::what;


inline std::string fixed(double value, int digits = 1) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

inline std::atomic<bool>& failed_check() {
  static std::atomic<bool> failed{false};
  return failed;
}

inline void expect(bool condition, const std::string& what) {
  say(std::string(condition ? "  ok: " : "  FAILED: ") + what);
  if (!condition) failed_check().store(true);
}

inline bool all_ok() { return !failed_check().load(); }

inline std::uint64_t heavy_computation(std::uint64_t n) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    sum += i;
    __asm__ volatile("" : "+r"(sum));
  }
  return sum;
}

}  // namespace notes
