// notes_robust_worker: RobustWorkerManager from the note "Node.js Worker Threads (워커 스레드)",
// section 운영 팁 → "오류 처리 및 복구" → "견고한 Worker Threads 구현", on bobbin::Worker.
//
// The manager runs tasks on up to max_workers workers (created on demand, tasks wait when all
// are busy) with, as in the note:
//   - a timeout per task (the note's 30 s): the worker is restarted and the task retried;
//   - retries: a task whose worker crashed or timed out runs again after retry_delay, up to
//     max_retries times, then its promise rejects (with the crash's error, or "Task timeout
//     after retries");
//   - restart: a worker that crashed or timed out is terminated and replaced after
//     restart_delay (the note's 1000 ms);
//   - shutdown: everything is terminated; new tasks reject "Worker manager is shutting down".
// A task that answers {success: false} is rejected at once (no retry), as in the note.
//
// Differences from the note, where its code has a bug: it listens for a task's answer twice
// (worker.once('message') and worker.on('message')), its restarted worker never replaces the
// old entry of its map (the map only grows), and a task waiting for a worker is never started.
// Here each worker has one slot that is reused, and waiting tasks start as workers free up.
//
// The demo: 4 normal tasks, a flaky task whose worker crashes twice (it succeeds on its third
// attempt), a task that always crashes, a task that never answers (timeouts) and a task that
// fails; then a task after shutdown. Every outcome and the counts of retries, timeouts and
// restarts are checked. --scale S multiplies all delays (default 1.0: the note's 1000 ms retry
// delay and restart delay; the task timeout is 5000 ms here instead of 30 s so that the demo
// ends; the smoke run uses 0.02).
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cmath>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "notes_support.hpp"
#include "notes_task_worker.hpp"

using namespace std::chrono_literals;

namespace {

using notes::TaskData;
using notes::TaskResult;
using notes::TaskWorker;
using Millis = std::chrono::milliseconds;

struct RobustOptions {
  std::size_t max_workers = 4;
  int max_retries = 3;
  Millis retry_delay{1000};
  Millis task_timeout{30000};
  Millis restart_delay{1000};
};

class RobustWorkerManager {
 public:
  using Script = void (*)(notes::TaskPort&);

  RobustWorkerManager(Script worker_script, RobustOptions options)
      : script_(worker_script), options_(options) {}
  RobustWorkerManager(const RobustWorkerManager&) = delete;
  RobustWorkerManager& operator=(const RobustWorkerManager&) = delete;

  bobbin::Promise<std::string> execute_task(TaskData task_data) {
    auto [promise, resolver] = bobbin::Promise<std::string>::with_resolvers();
    dispatch(Task{next_task_id_++, std::move(task_data), resolver, 0});
    return promise;
  }

  // Terminates every worker; settles when they have all exited (keep the manager alive until
  // then).
  bobbin::Promise<std::vector<int>> shutdown() {
    shutting_down_ = true;
    for (Task& t : waiting_) t.resolver.reject(shutting_down_error());
    waiting_.clear();
    for (auto& [id, retry] : retrying_) {
      retry.timer.clear();
      retry.task.resolver.reject(shutting_down_error());
    }
    retrying_.clear();
    std::vector<bobbin::Promise<int>> exits;
    for (auto& slot : slots_) {
      slot->timeout.clear();
      slot->restart.clear();
      if (slot->current) slot->current->resolver.reject(shutting_down_error());
      if (slot->worker) exits.push_back(slot->worker->terminate());
    }
    for (auto& r : retired_) exits.push_back(r.exited);
    return bobbin::all(exits);
  }

  [[nodiscard]] int retries() const { return retries_; }
  [[nodiscard]] int timeouts() const { return timeouts_; }
  [[nodiscard]] int restarts() const { return restarts_; }

 private:
  struct Task {
    std::uint64_t id;
    TaskData data;
    bobbin::Resolver<std::string> resolver;
    int retry_count;
  };
  struct Slot {
    std::size_t index = 0;
    std::unique_ptr<TaskWorker> worker;  // null while restarting
    std::optional<Task> current;         // the note's worker.currentTask
    bobbin::Timer timeout;               // the note's worker.taskTimeout
    bobbin::Timer restart;               // pending restart
  };
  struct Retry {  // a task waiting for its retry delay
    Task task;
    bobbin::Timer timer;
  };

  static std::exception_ptr shutting_down_error() {
    return std::make_exception_ptr(std::runtime_error("Worker manager is shutting down"));
  }

  // executeTask + getAvailableWorker: an idle worker, a new one, or the waiting queue.
  void dispatch(Task task) {
    if (shutting_down_) {
      task.resolver.reject(shutting_down_error());
      return;
    }
    for (auto& slot : slots_) {
      if (slot->worker && !slot->current) return assign(*slot, std::move(task));
    }
    if (slots_.size() < options_.max_workers) {
      slots_.push_back(std::make_unique<Slot>());
      slots_.back()->index = slots_.size() - 1;
      start_worker(*slots_.back());
      return assign(*slots_.back(), std::move(task));
    }
    waiting_.push_back(std::move(task));
  }

  void assign(Slot& slot, Task task) {
    task.data.attempt = task.retry_count;
    slot.worker->post_message(task.data);
    slot.current = std::move(task);
    slot.timeout =
        bobbin::set_timeout([this, &slot] { handle_task_timeout(slot); }, options_.task_timeout);
  }

  void start_worker(Slot& slot) {
    slot.worker = std::make_unique<TaskWorker>(script_);
    TaskWorker* w = slot.worker.get();
    // Events of a worker that has been replaced are ignored (slot.worker.get() != w).
    w->on_message([this, &slot, w](const TaskResult& result) {
      if (slot.worker.get() == w) handle_worker_result(slot, result);
    });
    w->on_error([this, &slot, w](std::exception_ptr error) {
      if (slot.worker.get() == w) handle_worker_error(slot, error);
    });
    w->on_exit([this, &slot, w](int code) {
      if (slot.worker.get() == w && code != 0 && !shutting_down_) {
        notes::say("  worker " + std::to_string(slot.index) + " exited with code " +
                   std::to_string(code));
        restart_worker(slot);
      }
    });
  }

  void start_next_waiting(Slot& slot) {
    if (!waiting_.empty() && slot.worker && !slot.current) {
      Task next = std::move(waiting_.front());
      waiting_.pop_front();
      assign(slot, std::move(next));
    }
  }

  void handle_worker_result(Slot& slot, const TaskResult& result) {
    if (!slot.current) return;
    slot.timeout.clear();
    Task task = std::move(*slot.current);
    slot.current.reset();
    if (result.success) {
      task.resolver.resolve(result.data);
    } else {
      task.resolver.reject(std::make_exception_ptr(std::runtime_error(result.error)));
    }
    start_next_waiting(slot);
  }

  void handle_worker_error(Slot& slot, std::exception_ptr error) {
    notes::say("  worker " + std::to_string(slot.index) + " error: " + notes::what(error));
    slot.timeout.clear();
    if (slot.current) {
      Task task = std::move(*slot.current);
      slot.current.reset();
      retry_or_reject(std::move(task), error);
    }
    restart_worker(slot);
  }

  void handle_task_timeout(Slot& slot) {
    if (!slot.current) return;
    ++timeouts_;
    Task task = std::move(*slot.current);
    slot.current.reset();
    notes::say("  task timeout: task " + std::to_string(task.id));
    retry_or_reject(std::move(task),
                    std::make_exception_ptr(bobbin::TimeoutError("Task timeout after retries")));
    restart_worker(slot);
  }

  void retry_or_reject(Task task, std::exception_ptr error) {
    if (task.retry_count >= options_.max_retries) {
      task.resolver.reject(error);
      return;
    }
    ++task.retry_count;
    ++retries_;
    notes::say("  retrying task " + std::to_string(task.id) + " (" +
               std::to_string(task.retry_count) + "/" + std::to_string(options_.max_retries) + ")");
    const std::uint64_t id = task.id;
    bobbin::Timer timer = bobbin::set_timeout(
        [this, id] {
          auto it = retrying_.find(id);
          Task t = std::move(it->second.task);
          retrying_.erase(it);
          dispatch(std::move(t));
        },
        options_.retry_delay);
    retrying_.emplace(id, Retry{std::move(task), timer});
  }

  // Terminates the worker and starts a new one in its slot after restart_delay.
  void restart_worker(Slot& slot) {
    if (!slot.worker) return;  // already restarting
    ++restarts_;
    // The old worker is kept until it has exited; the ones that have are dropped now.
    retired_.remove_if([](const Retired& r) { return !r.exited.pending(); });
    bobbin::Promise<int> exited = slot.worker->terminate();
    retired_.push_back(Retired{std::move(slot.worker), std::move(exited)});
    slot.restart = bobbin::set_timeout(
        [this, &slot] {
          start_worker(slot);
          start_next_waiting(slot);
        },
        options_.restart_delay);
  }

  Script script_;
  RobustOptions options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  struct Retired {
    std::unique_ptr<TaskWorker> worker;
    bobbin::Promise<int> exited;
  };
  std::list<Retired> retired_;
  std::deque<Task> waiting_;
  std::map<std::uint64_t, Retry> retrying_;
  std::uint64_t next_task_id_ = 1;
  bool shutting_down_ = false;
  int retries_ = 0, timeouts_ = 0, restarts_ = 0;
};

using notes::expect;

Millis scaled(double scale, int ms) { return Millis(std::lround(ms * scale)); }

bobbin::Async<void> demonstrate(double scale) {
  RobustWorkerManager manager(notes::task_worker,
                              RobustOptions{.max_workers = 2,
                                            .max_retries = 3,
                                            .retry_delay = scaled(scale, 1000),
                                            .task_timeout = scaled(scale, 5000),
                                            .restart_delay = scaled(scale, 1000)});
  const auto task = [scale](int id, int delay_ms) {
    TaskData t;
    t.id = id;
    t.data = "task" + std::to_string(id);
    t.delay_ms = static_cast<int>(scaled(scale, delay_ms).count());
    return t;
  };
  std::vector<bobbin::Promise<std::string>> normal;
  for (int id = 1; id <= 4; ++id) normal.push_back(manager.execute_task(task(id, 100 * id)));
  TaskData flaky = task(5, 100);
  flaky.crash_below = 2;  // attempts 0 and 1 crash the worker, attempt 2 succeeds
  TaskData doomed = task(6, 100);
  doomed.crash_below = 99;
  TaskData hanging = task(7, 1'000'000);  // never answers within the timeout
  TaskData failing = task(8, 100);
  failing.fail = true;
  auto p_flaky = manager.execute_task(flaky);
  auto p_doomed = manager.execute_task(doomed);
  auto p_hanging = manager.execute_task(hanging);
  auto p_failing = manager.execute_task(failing);

  const auto results = co_await bobbin::all(normal);
  expect(
      results == std::vector<std::string>{"task1 done", "task2 done", "task3 done", "task4 done"},
      "four normal tasks on two workers");
  const std::string flaky_result = co_await p_flaky;
  expect(flaky_result == "task5 done", "the flaky task succeeds on its third attempt");

  const auto outcome = [](const bobbin::Settled<std::string>& s) {
    return s.fulfilled ? "fulfilled: " + *s.value : "rejected: " + notes::what(s.reason);
  };
  const std::vector<bobbin::Promise<std::string>> others{p_doomed, p_hanging, p_failing};
  const auto rest = co_await bobbin::all_settled(others);
  notes::say("  task 6 " + outcome(rest[0]));
  notes::say("  task 7 " + outcome(rest[1]));
  notes::say("  task 8 " + outcome(rest[2]));
  expect(outcome(rest[0]) == "rejected: task 6 crashed its worker",
         "a task that always crashes is rejected after 3 retries");
  expect(outcome(rest[1]) == "rejected: Task timeout after retries",
         "a task that never answers is rejected after 3 retries");
  expect(outcome(rest[2]) == "rejected: task 8 failed", "a failing task is rejected at once");
  notes::say("  retries " + std::to_string(manager.retries()) + ", timeouts " +
             std::to_string(manager.timeouts()) + ", restarts " +
             std::to_string(manager.restarts()));
  expect(manager.retries() == 2 + 3 + 3 && manager.timeouts() == 4 && manager.restarts() == 10,
         "8 retries, 4 timeouts, 10 restarts");

  co_await manager.shutdown();
  std::string after;
  try {
    auto late = manager.execute_task(task(9, 1));
    co_await late;
  } catch (const std::exception& e) {
    after = e.what();
  }
  expect(after == "Worker manager is shutting down", "no new task after shutdown");
}

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--scale") scale = std::stod(argv[i + 1]);
  }
  auto demo = demonstrate(scale);
  bobbin::run();
  demo.get();
  notes::say(notes::all_ok() ? "robust worker manager OK" : "robust worker manager FAILED");
  return notes::all_ok() ? 0 : 1;
}
