// book_support.hpp — helpers shared by the book's examples (examples/book); say and the
// flag readers come from example_support.hpp.
//
//   book::say("text")                 one whole line on stdout in one write, so lines printed
//                                     by several threads never mix
//   book::flag(argc, argv, "--n", 10) the value after a flag, or the default
//   book::check(cond, "what")         records a failed oracle (printed as "WRONG: what")
//   book::finish("name OK")           prints the pass line and returns 0, or returns 1 after a
//                                     failed check (main returns it)
//   book::ms_since(t0)                milliseconds since a steady_clock time point
//   book::proc_status("VmRSS")        a number from /proc/self/status (kB for sizes, a count
//                                     for Threads); -1 where there is no /proc or no such line
#pragma once

#include "example_support.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <string_view>

namespace book {

using examples::flag;
using examples::flag_text;
using examples::has_flag;
using examples::say;

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

inline long long proc_status(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stoll(line.substr(name.size() + 1));
  }
  return -1;
}

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace book
