// ch3_worker_data: workerData (listings 3-3 and 3-4), on bobbin::Worker.
//
// The book's main.js starts a Worker on its own file with `workerData: {num: 42}`; the worker
// branch (`isMainThread` false) asserts `workerData.num === 42`. Here one function plays both
// roles (the same-entry pattern): run on the main thread it starts a worker on itself, run in
// the worker it checks its data.
//
// What it shows: worker data is a structured-clone copy. A Data passed as an lvalue is cloned,
// so the worker changing its copy changes nothing in the main thread (checked), and
// `bobbin::is_main_thread()` tells the two roles apart.
#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <stdexcept>
#include <string>

#include "book_support.hpp"

namespace {

struct WorkerData {
  int num = 0;
};

// One entry for both roles, as main.js is both the main module and the worker's file
// (`parent` is null on the main thread).
void program(bobbin::ParentPort<int>* parent, WorkerData worker_data) {
  if (bobbin::is_main_thread()) {
    WorkerData data{.num = 42};
    bobbin::Worker<int> worker(
        [](bobbin::ParentPort<int>& port, WorkerData d) { program(&port, d); },
        data);  // an lvalue: cloned into the worker
    int seen = 0;
    worker.on_message([&](int num) { seen = num; });
    int exit_code = -1;
    worker.on_exit([&](int code) { exit_code = code; });
    bobbin::run();
    book::say("worker saw workerData.num = " + std::to_string(seen));
    book::check(seen == 42, "workerData.num === 42");
    book::check(data.num == 42, "the main thread's object is unchanged (the worker got a copy)");
    book::check(exit_code == 0, "the assertion in the worker held (exit code 0)");
  } else {
    // assert.strictEqual(workerData.num, 42): a throw here ends the worker with code 1.
    if (worker_data.num != 42) throw std::runtime_error("AssertionError: workerData.num === 42");
    parent->post_message(worker_data.num);
    worker_data.num = 0;  // changes the worker's copy only
  }
}

}  // namespace

int main() {
  program(nullptr, {});
  return book::finish("workerData OK");
}
