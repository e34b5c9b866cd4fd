// Must not compile: values are integers; convert a floating-point value explicitly.
// expect: (constraints not satisfied|no matching function)
#include <bobbin/atomics.hpp>

int main() {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array view(sab);
  return static_cast<int>(bobbin::atomics::store(view, 0, 2.5));
}
