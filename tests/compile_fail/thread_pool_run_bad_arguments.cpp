// Must not compile: ThreadPool::run checks that the task can be called with its arguments.
// expect: fn must be callable with the arguments
#include <bobbin/thread_pool.hpp>

#include <string>

int main() {
  bobbin::ThreadPool pool({.max_threads = 1});
  auto p = pool.run([](int x) { return x; }, std::string("not an int"));
  return p.get();
}
