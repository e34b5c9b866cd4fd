// Must not compile: atomics::notify takes Int32Array and BigInt64Array only.
// expect: work on Int32Array and BigInt64Array only
#include <bobbin/atomics.hpp>

int main() {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::BigUint64Array view(sab);
  return static_cast<int>(bobbin::atomics::notify(view, 0));
}
