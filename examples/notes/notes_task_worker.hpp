// notes_task_worker.hpp — the note's './task-worker.js', shared by notes_worker_pool and
// notes_robust_worker (the note "Node.js Worker Threads (워커 스레드)", section 운영 팁, uses it
// without showing it).
//
// A task {id, data, delay} is answered after `delay` ms (a timer in the worker's own loop, the
// way task-worker.js would use setTimeout) with {success: true, data: "<data> done"}. Two
// switches make failures to show the pools' error paths:
//   fail:        answers {success: false, error} (a task that fails; the worker lives on)
//   crash_below: throws an uncaught exception while `attempt < crash_below` (the worker dies:
//                its 'error' then 'exit' events fire), so a retried task can succeed later
// and a delay longer than a pool's timeout makes a task that never answers in time.
#pragma once

#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace notes {

struct TaskData {
  int id = 0;
  std::string data;
  int delay_ms = 0;
  bool fail = false;
  int crash_below = 0;  // crash while attempt < crash_below
  int attempt = 0;      // set by a pool that retries
};

struct TaskResult {
  bool success = false;
  std::string data;
  std::string error;
};

using TaskWorker = bobbin::Worker<TaskData, TaskResult>;
using TaskPort = bobbin::ParentPort<TaskData, TaskResult>;

inline void task_worker(TaskPort& parent_port) {
  parent_port.on_message([&parent_port](const TaskData& task) {
    if (task.attempt < task.crash_below) {
      throw std::runtime_error("task " + std::to_string(task.id) + " crashed its worker");
    }
    bobbin::set_timeout(
        [&parent_port, task] {
          if (task.fail) {
            parent_port.post_message(
                TaskResult{false, {}, "task " + std::to_string(task.id) + " failed"});
          } else {
            parent_port.post_message(TaskResult{true, task.data + " done", {}});
          }
        },
        std::chrono::milliseconds(task.delay_ms));
  });
}

}  // namespace notes
