// bobbin/errors.hpp — the exceptions bobbin throws, named after their JavaScript twins.
//
// Every error bobbin reports derives from `bobbin::Error`, itself a `std::runtime_error`, so a
// caller can catch one family or everything:
//
//   - `RangeError`     an index, length or size outside what the object allows
//                      (`Atomics.*` index out of range, `grow` past the maximum, ...).
//   - `TypeError`      an operation that the object's kind or state forbids (a view of a
//                      detached buffer, `resize` of a fixed-length buffer, `wait` on memory
//                      that is not shared, ...).
//   - `DataCloneError` a value that cannot be cloned or transferred (a detached buffer).
//   - `AbortError`, `TimeoutError`  an operation cancelled through an `AbortSignal` or a timeout.
//   - `QueueFullError` a bounded queue or pool that refuses more work.
//   - `TerminatedError` the calling thread was asked to stop (a worker being terminated) while
//                      it was blocked inside bobbin.
//   - `ClosedError`    an operation on a closed channel or queue that must not be silent.
//
// `name()` gives the JavaScript name ("RangeError", ...), handy in logs and when a message
// crosses into JS-speaking code. Throwing never leaves an object half-changed: every operation
// that throws has checked its arguments before it modified anything.
//
// Memory ordering: not applicable (plain value types).
#pragma once

#include <stdexcept>
#include <string>

namespace bobbin {

// The root of bobbin's exceptions.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // The JavaScript name of the error's class.
  [[nodiscard]] virtual const char* name() const noexcept { return "Error"; }
};

#define BOBBIN_DEFINE_ERROR_(Name)                                               \
  class Name : public Error {                                                    \
   public:                                                                       \
    using Error::Error;                                                          \
    [[nodiscard]] const char* name() const noexcept override { return #Name; } \
  }

BOBBIN_DEFINE_ERROR_(RangeError);
BOBBIN_DEFINE_ERROR_(TypeError);
BOBBIN_DEFINE_ERROR_(DataCloneError);
BOBBIN_DEFINE_ERROR_(AbortError);
BOBBIN_DEFINE_ERROR_(TimeoutError);
BOBBIN_DEFINE_ERROR_(QueueFullError);
BOBBIN_DEFINE_ERROR_(TerminatedError);
BOBBIN_DEFINE_ERROR_(ClosedError);

#undef BOBBIN_DEFINE_ERROR_

}  // namespace bobbin
