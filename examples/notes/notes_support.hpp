// notes_support.hpp — three small helpers shared by the notes' examples.
//
//   say("text")                   one whole line on stdout in a single write, so lines printed
//                                 by several threads never mix (std::cout's operator<< calls
//                                 each lock stdio on their own; one call per line is atomic)
//   flag(argc, argv, "--n", 10)   the value after a flag, or the default
//   what(exception_ptr)           the message of a stored exception
//   fixed(3.14159, 1)             "3.1": a number with a fixed count of decimals
#pragma once

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace notes {

inline void say(const std::string& line) { std::cout << (line + '\n') << std::flush; }

inline long long flag(int argc, char** argv, std::string_view name, long long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == argv[i]) return std::strtoll(argv[i + 1], nullptr, 10);
  }
  return fallback;
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

inline std::string fixed(double value, int digits = 1) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

}  // namespace notes
