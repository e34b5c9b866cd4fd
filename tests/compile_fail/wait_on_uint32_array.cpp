// Must not compile: atomics::wait takes Int32Array and BigInt64Array only.
// expect: work on Int32Array and BigInt64Array only
#include <bobbin/atomics.hpp>

int main() {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Uint32Array view(sab);
  return static_cast<int>(bobbin::atomics::wait(view, 0, 0));
}
