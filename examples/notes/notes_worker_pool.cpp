// notes_worker_pool: WorkerPool and MonitoredWorkerPool from the note "Node.js Worker Threads
// (워커 스레드)", section 운영 팁 → "워커 풀 관리" and "성능 모니터링", written on bobbin::Worker
// the way the note writes them on Node's Worker.
//
//   WorkerPool(size, script): `size` workers, a task queue and a list of idle workers;
//   execute_task(data) -> Promise, get_stats() -> {totalWorkers, availableWorkers, queuedTasks},
//   shutdown(). A worker that dies is replaced by a new one in its place.
//   WorkerThreadsMonitor + MonitoredWorkerPool: counts tasks, successes and failures, and gives
//   the success rate, the throughput and the min/median/p95/p99/max task times.
//
// Differences from the note, where its code has a bug:
//   - The note's pool never settles the task of a worker that dies (its promise hangs): here
//     the task is rejected with the worker's error.
//   - The note replaces a dying worker twice (on 'error' and again on 'exit' with code 1): here
//     once, on 'exit', and not while shutting down (terminate also exits with code 1).
//
// The demo runs the note's demonstrateWorkerPool (5 tasks of 1000/800/1200/600/900 ms on 4
// workers, all at once with Promise.all), a task that crashes its worker (the pool replaces
// it and goes on), then 20 tasks on a MonitoredWorkerPool of which 2 fail (success rate 90%).
// --scale S multiplies the delays (default 1.0, as in the note; the smoke run uses 0.02).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "notes_support.hpp"
#include "notes_task_worker.hpp"

namespace {

using notes::TaskData;
using notes::TaskResult;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ---- WorkerPool ----

struct PoolStats {
  std::size_t total_workers = 0;
  std::size_t available_workers = 0;
  std::size_t queued_tasks = 0;
};

class WorkerPool {
 public:
  using Script = void (*)(notes::TaskPort&);

  WorkerPool(std::size_t size, Script worker_script) : script_(worker_script) {
    for (std::size_t i = 0; i < size; ++i) workers_.push_back(make_worker(i));
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bobbin::Promise<std::string> execute_task(TaskData task_data) {
    auto [promise, resolver] = bobbin::Promise<std::string>::with_resolvers();
    task_queue_.push_back(Task{std::move(task_data), resolver});
    process_next_task();
    return promise;
  }

  // Terminates every worker; settles once they have all exited (keep the pool alive until
  // then: their exit events still use it).
  bobbin::Promise<std::vector<int>> shutdown() {
    shutting_down_ = true;
    std::vector<bobbin::Promise<int>> exits;
    for (auto& slot : workers_) exits.push_back(slot->worker.terminate());
    return bobbin::all(exits);
  }

  [[nodiscard]] PoolStats get_stats() const {
    return {workers_.size(), available_.size(), task_queue_.size()};
  }
  [[nodiscard]] int replaced_workers() const { return replaced_; }

 private:
  struct Task {
    TaskData data;
    bobbin::Resolver<std::string> resolver;
  };
  struct Slot {
    explicit Slot(Script script) : worker(script) {}
    notes::TaskWorker worker;
    std::size_t index = 0;
    std::optional<Task> current_task;
  };

  std::unique_ptr<Slot> make_worker(std::size_t index) {
    auto slot = std::make_unique<Slot>(script_);
    slot->index = index;
    Slot* s = slot.get();
    s->worker.on_message([this, s](const TaskResult& r) { handle_worker_result(*s, r); });
    s->worker.on_error([s](std::exception_ptr e) {
      notes::say("  worker " + std::to_string(s->index) + " error: " + notes::what(e));
      if (s->current_task) {
        s->current_task->resolver.reject(e);
        s->current_task.reset();
      }
    });
    s->worker.on_exit([this, s](int code) {
      if (code != 0 && !shutting_down_) {
        notes::say("  worker " + std::to_string(s->index) + " exited with code " +
                   std::to_string(code) + ": replacing it");
        replace_worker(s->index);
      }
    });
    available_.push_back(s);
    return slot;
  }

  void process_next_task() {
    if (task_queue_.empty() || available_.empty()) return;
    Slot* s = available_.front();
    available_.pop_front();
    s->current_task = std::move(task_queue_.front());
    task_queue_.pop_front();
    s->worker.post_message(s->current_task->data);
  }

  void handle_worker_result(Slot& s, const TaskResult& result) {
    if (!s.current_task) return;
    Task task = std::move(*s.current_task);
    s.current_task.reset();
    if (result.success) {
      task.resolver.resolve(result.data);
    } else {
      task.resolver.reject(std::make_exception_ptr(std::runtime_error(result.error)));
    }
    available_.push_back(&s);
    process_next_task();
  }

  void replace_worker(std::size_t index) {
    ++replaced_;
    bobbin::set_immediate([this, index] {  // not inside the dead worker's own callback
      workers_[index] = make_worker(index);
      process_next_task();
    });
  }

  Script script_;
  std::vector<std::unique_ptr<Slot>> workers_;
  std::deque<Task> task_queue_;
  std::deque<Slot*> available_;
  bool shutting_down_ = false;
  int replaced_ = 0;
};

// ---- WorkerThreadsMonitor and MonitoredWorkerPool ----

class WorkerThreadsMonitor {
 public:
  Clock::time_point start_task() {
    ++total_tasks_;
    ++active_workers_;
    max_workers_ = std::max(max_workers_, active_workers_);
    return Clock::now();
  }

  void end_task(Clock::time_point start, bool success) {
    const double task_time = ms_since(start);
    --active_workers_;
    total_task_time_ += task_time;
    task_times_.push_back(task_time);
    (success ? completed_tasks_ : failed_tasks_)++;
  }

  [[nodiscard]] double success_rate() const {
    return total_tasks_ > 0 ? 100.0 * completed_tasks_ / total_tasks_ : 0;
  }

  // The note's getDetailedMetrics, printed. Throughput is the note's: completed tasks per
  // second of summed task time (not of wall time).
  void print_detailed_metrics() const {
    std::vector<double> sorted = task_times_;
    std::sort(sorted.begin(), sorted.end());
    const auto pick = [&sorted](double q) {
      if (sorted.empty()) return 0.0;
      const auto i = static_cast<std::size_t>(std::floor(static_cast<double>(sorted.size()) * q));
      return sorted[std::min(i, sorted.size() - 1)];
    };
    const int done = completed_tasks_ + failed_tasks_;
    notes::say("  totalTasks " + std::to_string(total_tasks_) + ", completedTasks " +
               std::to_string(completed_tasks_) + ", failedTasks " + std::to_string(failed_tasks_) +
               ", maxWorkers " + std::to_string(max_workers_));
    notes::say(
        "  successRate " + notes::fixed(success_rate(), 2) + "%, averageTaskTime " +
        notes::fixed(done ? total_task_time_ / done : 0) + " ms, throughput " +
        notes::fixed(total_task_time_ > 0 ? completed_tasks_ / (total_task_time_ / 1000) : 0, 2) +
        " tasks/sec");
    notes::say("  taskTimeStats: min " + notes::fixed(pick(0)) + " ms, median " +
               notes::fixed(pick(0.5)) + " ms, p95 " + notes::fixed(pick(0.95)) + " ms, p99 " +
               notes::fixed(pick(0.99)) + " ms, max " + notes::fixed(pick(1)) + " ms");
  }

  [[nodiscard]] int total_tasks() const { return total_tasks_; }
  [[nodiscard]] int completed_tasks() const { return completed_tasks_; }
  [[nodiscard]] int failed_tasks() const { return failed_tasks_; }

 private:
  int total_tasks_ = 0, completed_tasks_ = 0, failed_tasks_ = 0;
  int active_workers_ = 0, max_workers_ = 0;
  double total_task_time_ = 0;
  std::vector<double> task_times_;
};

class MonitoredWorkerPool : public WorkerPool {
 public:
  using WorkerPool::WorkerPool;

  // The note's `async executeTask`: an Async coroutine around the pool's promise.
  bobbin::Async<std::string> execute_task(TaskData task_data) {
    const auto start = monitor_.start_task();
    try {
      std::string result = co_await WorkerPool::execute_task(std::move(task_data));
      monitor_.end_task(start, true);
      co_return result;
    } catch (...) {
      monitor_.end_task(start, false);
      throw;
    }
  }

  [[nodiscard]] const WorkerThreadsMonitor& metrics() const { return monitor_; }

 private:
  WorkerThreadsMonitor monitor_;
};

// ---- The demonstrations ----

using notes::expect;

int scaled(double scale, int ms) { return static_cast<int>(std::lround(ms * scale)); }

bobbin::Async<void> demonstrate_worker_pool(double scale) {
  notes::say("1. WorkerPool(4): demonstrateWorkerPool");
  WorkerPool pool(4, notes::task_worker);
  const int delays[] = {1000, 800, 1200, 600, 900};
  std::vector<bobbin::Promise<std::string>> promises;
  const auto start = Clock::now();
  for (int id = 1; id <= 5; ++id) {
    promises.push_back(pool.execute_task(
        TaskData{id, "task" + std::to_string(id), scaled(scale, delays[id - 1])}));
  }
  const std::vector<std::string> results = co_await bobbin::all(promises);
  std::string joined;
  for (const auto& r : results) joined += (joined.empty() ? "" : ", ") + r;
  notes::say("  all tasks done (" + notes::fixed(ms_since(start), 0) + " ms): [" + joined + "]");
  expect(results == std::vector<std::string>{"task1 done", "task2 done", "task3 done", "task4 done",
                                             "task5 done"},
         "five results, in task order");
  PoolStats stats = pool.get_stats();
  notes::say("  pool stats: totalWorkers " + std::to_string(stats.total_workers) +
             ", availableWorkers " + std::to_string(stats.available_workers) + ", queuedTasks " +
             std::to_string(stats.queued_tasks));
  expect(stats.total_workers == 4 && stats.available_workers == 4 && stats.queued_tasks == 0,
         "stats after the burst: 4 / 4 / 0");

  notes::say("2. A task that crashes its worker");
  std::string error;
  TaskData crashing{6, "task6", 0, false, /*crash_below=*/1};
  bobbin::Promise<std::string> crashed = pool.execute_task(crashing);
  try {
    co_await crashed;
  } catch (const std::exception& e) {
    error = e.what();
  }
  expect(error == "task 6 crashed its worker", "the crashed task is rejected with the error");
  std::vector<bobbin::Promise<std::string>> after;
  for (int id = 7; id <= 14; ++id) {
    after.push_back(pool.execute_task(TaskData{id, "task" + std::to_string(id), 1}));
  }
  const auto later = co_await bobbin::all(after);
  stats = pool.get_stats();
  expect(later.size() == 8 && later.back() == "task14 done" && pool.replaced_workers() == 1 &&
             stats.total_workers == 4 && stats.available_workers == 4,
         "the worker was replaced once; 8 more tasks ran on 4 workers");
  co_await pool.shutdown();
}

bobbin::Async<void> demonstrate_monitoring(double scale) {
  notes::say("3. MonitoredWorkerPool(4): 20 tasks, 2 of them fail");
  MonitoredWorkerPool pool(4, notes::task_worker);
  std::vector<bobbin::Promise<std::string>> promises;
  for (int id = 1; id <= 20; ++id) {
    promises.push_back(pool.execute_task(TaskData{id, "task" + std::to_string(id),
                                                  scaled(scale, 100 + 50 * (id % 5)),
                                                  /*fail=*/id % 10 == 0}));
  }
  const auto settled = co_await bobbin::all_settled(promises);
  int fulfilled = 0;
  for (const auto& s : settled) fulfilled += s.fulfilled ? 1 : 0;
  pool.metrics().print_detailed_metrics();
  const auto& m = pool.metrics();
  expect(fulfilled == 18 && m.total_tasks() == 20 && m.completed_tasks() == 18 &&
             m.failed_tasks() == 2 && notes::fixed(m.success_rate(), 2) == "90.00",
         "20 tasks: 18 completed, 2 failed, success rate 90.00%");
  co_await pool.shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--scale") scale = std::stod(argv[i + 1]);
  }
  auto first = demonstrate_worker_pool(scale);
  bobbin::run();  // until the pool has shut down
  first.get();    // rethrows anything that escaped the demo
  auto second = demonstrate_monitoring(scale);
  bobbin::run();
  second.get();
  notes::say(notes::all_ok() ? "worker pools OK" : "worker pools FAILED");
  return notes::all_ok() ? 0 : 1;
}
