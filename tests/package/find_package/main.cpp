// Builds against the bobbin package and checks one atomic store and load.
#include <bobbin/bobbin.hpp>

int main() {
  bobbin::SharedArrayBuffer sab(16);
  bobbin::Int32Array cells(sab);
  bobbin::atomics::store(cells, 0, 42);
  return bobbin::atomics::load(cells, 0) == 42 ? 0 : 1;
}
