// ch3_pool_sqrt: Piscina's hello world (listing 3-12), on bobbin::ThreadPool.
//
// The book's file is both the pool's owner and its task module (`Piscina.isWorkerThread` tells
// them apart); the task is `num => Math.sqrt(num)`, and the main thread logs "The square root
// of nine is 3". In C++ the task is simply a callable handed to the pool, so no same-file
// trick is needed; `run` gives a Promise for its result.
//
// What it shows: a pool runs a function on another thread and hands back a promise; the
// continuation runs on the main thread's loop. Checked: the result is exactly 3.
#include <bobbin/event_loop.hpp>
#include <bobbin/thread_pool.hpp>

#include <cmath>
#include <string>

#include "book_support.hpp"

int main() {
  bobbin::ThreadPool piscina;
  double root = -1;
  piscina.run([](double num) { return std::sqrt(num); }, 9.0).then([&](double result) {
    root = result;
    book::say("The square root of nine is " + std::to_string(static_cast<int>(result)));
  });
  bobbin::run();
  book::check(root == 3.0, "sqrt(9) == 3");
  return book::finish("pool sqrt OK");
}
