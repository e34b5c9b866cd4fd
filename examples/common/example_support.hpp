// example_support.hpp — the command-line, output and error helpers every example group shares
// (book_support.hpp and notes_support.hpp build on it).
//
//   examples::say("text")                  one whole line on stdout in one write, so lines
//                                          printed by several threads never mix (each
//                                          operator<< locks stdio on its own; one call per line
//                                          is atomic)
//   examples::flag(argc, argv, "--n", 10)  the value after a flag, or the default (lenient:
//                                          for examples whose flags only scale a run)
//   examples::flag_text / has_flag         the same for a text value / a flag without one
//   examples::what(exception_ptr)          the message of a stored exception
//
//   examples::FlagReader args(argc, argv, usage);   strict: for examples that validate flags
//   while (args.next()) {
//     if (args.is("--size")) size = args.number();
//     else if (args.is("--png")) png = args.text();
//     else if (args.is("--verify")) verify = true;
//     else args.unknown();
//   }
//
// FlagReader calls `usage(why)`, which must not return, for a missing value ("missing value"),
// a value that is not an unsigned decimal ("not a number") and an unknown flag ("unknown
// flag"). examples::random_seed() is a fresh seed from std::random_device for a run without
// --seed. examples::busy_loop(n) is the book's empty busy loop of n iterations (a signal fence
// per iteration keeps the compiler from deleting it).
#pragma once

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace examples {

inline void say(const std::string& line) { std::cout << (line + '\n') << std::flush; }

inline long long flag(int argc, char** argv, std::string_view name, long long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) return std::strtoll(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

inline std::string flag_text(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) return argv[i + 1];
  }
  return fallback;
}

inline bool has_flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    if (name == argv[i]) return true;
  }
  return false;
}

inline std::string what(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

class FlagReader {
 public:
  using Usage = void (*)(const char* why);  // must not return

  FlagReader(int argc, char** argv, Usage usage) : argc_(argc), argv_(argv), usage_(usage) {}

  // Moves to the next flag; false after the last one.
  bool next() { return ++i_ < argc_; }
  [[nodiscard]] bool is(std::string_view name) const { return name == argv_[i_]; }

  // The value after the current flag (consumed).
  std::string_view text() {
    if (i_ + 1 >= argc_) fail("missing value");
    return argv_[++i_];
  }

  // The value after the current flag as an unsigned decimal (consumed).
  std::uint64_t number() {
    const std::string_view value = text();
    std::uint64_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (error != std::errc() || end != value.data() + value.size()) fail("not a number");
    return n;
  }

  void unknown() { fail("unknown flag"); }

 private:
  [[noreturn]] void fail(const char* why) {
    usage_(why);
    std::abort();  // usage must not return
  }

  int argc_;
  char** argv_;
  Usage usage_;
  int i_ = 0;
};

inline std::uint64_t random_seed() {
  std::random_device os;
  return (std::uint64_t{os()} << 32) | os();
}

inline void busy_loop(long iterations) {
  for (long i = 0; i < iterations; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
}

}  // namespace examples
