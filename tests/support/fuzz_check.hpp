// tests/support/fuzz_check.hpp — what the fuzz targets (tests/fuzz) check with.
//
//   bobbin_fuzz::check(cond)          traps (a crash libFuzzer reports with the input) when a
//                                     result differs from the target's model
//   bobbin_fuzz::outcome_of([&] {…})  runs a call and names how it ended: ok, or the bobbin
//                                     error class it threw (type_error, range_error,
//                                     clone_error), or other for anything else — so a target
//                                     can check that each misuse throws exactly the class the
//                                     contract names
#pragma once

#include <bobbin/errors.hpp>

namespace bobbin_fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

enum class Outcome { ok, type_error, range_error, clone_error, other };

template <class F>
Outcome outcome_of(F&& f) {
  try {
    f();
  } catch (const bobbin::DataCloneError&) {
    return Outcome::clone_error;
  } catch (const bobbin::TypeError&) {
    return Outcome::type_error;
  } catch (const bobbin::RangeError&) {
    return Outcome::range_error;
  } catch (...) {
    return Outcome::other;
  }
  return Outcome::ok;
}

}  // namespace bobbin_fuzz
