// A packaged bobbin works: the version macro, shared memory, atomics and a thread.
#include <bobbin/bobbin.hpp>
#include <bobbin/version.hpp>

#include <cstdio>
#include <thread>

int main() {
  bobbin::Int32Array cells(bobbin::SharedArrayBuffer(8));
  std::thread worker([cells] {
    bobbin::atomics::store(cells, 0, 42);
    bobbin::atomics::notify(cells, 0);
  });
  bobbin::atomics::wait(cells, 0, 0);
  const int value = bobbin::atomics::load(cells, 0);
  worker.join();
  std::printf("bobbin %d.%d.%d: worker says %d\n", BOBBIN_VERSION_MAJOR, BOBBIN_VERSION_MINOR,
              BOBBIN_VERSION_PATCH, value);
  return value == 42 ? 0 : 1;
}
