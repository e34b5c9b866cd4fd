// Must not compile: the Atomics operations need an integer view.
// expect: bobbin::atomics needs an integer view
#include <bobbin/atomics.hpp>

int main() {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Float64Array view(sab);
  return static_cast<int>(bobbin::atomics::add(view, 0, 1));
}
