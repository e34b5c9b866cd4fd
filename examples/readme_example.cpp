#include <bobbin/bobbin.hpp>
#include <cstdio>
#include <thread>
using namespace bobbin;

int main() {
  Int32Array cells(SharedArrayBuffer(8));                    // shared memory, zeroed
  std::thread worker([cells] {                               // a copied view shares it
    atomics::store(cells, 0, 42), atomics::notify(cells, 0);
  });
  atomics::wait(cells, 0, 0);                                // sleeps until notified
  std::printf("worker says %d\n", atomics::load(cells, 0));  // worker says 42
  worker.join();
}
