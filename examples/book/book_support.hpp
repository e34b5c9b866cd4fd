// book_support.hpp — helpers shared by the book's examples (examples/book).
//
//   book::say("text")                 one whole line on stdout in one write, so lines printed
//                                     by several threads never mix
//   book::flag(argc, argv, "--n", 10) the value after a flag, or the default
//   book::check(cond, "what")         records a failed oracle (printed as "WRONG: what")
//   book::finish("name OK")           prints the pass line and returns 0, or returns 1 after a
//                                     failed check (main returns it)
//   book::ms_since(t0)                milliseconds since a steady_clock time point
#pragma once

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace book {

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

inline std::atomic<bool>& failed() {
  static std::atomic<bool> flag{false};
  return flag;
}

inline void check(bool condition, std::string_view what) {
  if (!condition) {
    say("WRONG: " + std::string(what));
    failed().store(true);
  }
}

inline int finish(std::string_view pass_line) {
  if (failed().load()) return 1;
  say(std::string(pass_line));
  return 0;
}

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace book
