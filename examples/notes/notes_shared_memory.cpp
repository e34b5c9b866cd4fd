// notes_shared_memory: SharedMemoryManager, from the note "Node.js Worker Threads (워커 스레드)",
// section 예시 → "고급 Worker Threads 예제" → "SharedArrayBuffer를 활용한 메모리 공유" (main.js and
// shared-memory-worker.js).
//
// The manager owns a SharedArrayBuffer seen as an Int32Array and creates workers that receive
// the buffer as workerData (a SharedArrayBuffer is shared, never copied). The main thread
// writes 100 and 200 into cells 0 and 1; worker 1 is told to process cells [0, 50), worker 2
// cells [50, 100); each adds one to every cell of its half with Atomics.load + Atomics.store
// and calls Atomics.wait(cells, i, old, 1 ms) on every tenth cell, then posts
// {type: 'completed'}. The main thread waits for both and prints the memory: cells 0 and 1 end
// at 101 and 201, every other cell at 1 (checked: the sum is 100 + 200 + 100 = 400).
//
// Two facts the C++ makes visible (both as in Node):
//   - The note builds `new SharedArrayBuffer(100)`: 100 *bytes*, only 25 Int32 cells, so its
//     worker 1 would throw a RangeError at index 25 and worker 2 at 50. Here the manager takes
//     a count of cells (100), which is what the note's index ranges mean.
//   - The note's wait `Atomics.wait(cells, i, currentValue, 1)` runs right after the cell was
//     set to currentValue + 1, so it returns "not-equal" at once and never sleeps. The program
//     counts the outcomes; --really-wait waits on the old value of a cell nobody changes
//     instead (a real 1 ms pause per tenth cell).
#include <bobbin/atomics.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "notes_support.hpp"

using namespace std::chrono_literals;
namespace atomics = bobbin::atomics;

namespace {

struct Command {  // { action: 'process', startIndex, endIndex }
  std::string action;
  std::size_t start_index = 0;
  std::size_t end_index = 0;
};

struct Reply {  // { type: 'completed', workerId, processedRange } or { type: 'error', error }
  std::string type;
  int worker_id = 0;
  std::size_t start_index = 0;
  std::size_t end_index = 0;
  int waits_not_equal = 0;
  int waits_timed_out = 0;
  std::string error;
};

struct WorkerData {  // workerData: { sharedBuffer, bufferSize }
  bobbin::SharedArrayBuffer shared_buffer;
  std::size_t buffer_size = 0;
  bool really_wait = false;
};

// shared-memory-worker.js
void shared_memory_worker(bobbin::ParentPort<Command, Reply>& parent_port, WorkerData data) {
  parent_port.on_message([&parent_port, data](const Command& command) {
    try {
      if (command.action != "process") return;
      bobbin::Int32Array shared_array(data.shared_buffer);
      notes::say("  [worker " + std::to_string(bobbin::thread_id()) + "] processing cells " +
                 std::to_string(command.start_index) + " to " + std::to_string(command.end_index));
      Reply reply;
      reply.type = "completed";
      reply.worker_id = bobbin::thread_id();
      reply.start_index = command.start_index;
      reply.end_index = command.end_index;
      for (std::size_t i = command.start_index; i < command.end_index; ++i) {
        const std::int32_t current = atomics::load(shared_array, i);
        atomics::store(shared_array, i, current + 1);
        if (i % 10 == 0) {  // "processing delay": wait up to 1 ms
          const std::int32_t expected = data.really_wait ? current + 1 : current;
          const auto outcome = atomics::wait(shared_array, i, expected, 1ms);
          (outcome == bobbin::atomics::WaitResult::not_equal ? reply.waits_not_equal
                                                             : reply.waits_timed_out)++;
        }
      }
      parent_port.post_message(reply);
    } catch (const std::exception& e) {
      parent_port.post_message(Reply{"error", bobbin::thread_id(), 0, 0, 0, 0, e.what()});
    }
    parent_port.close();  // one job each: the worker may end
  });
}

// main.js
class SharedMemoryManager {
 public:
  explicit SharedMemoryManager(std::size_t cells = 256, bool really_wait = false)
      : shared_buffer_(cells * sizeof(std::int32_t)),
        shared_array_(shared_buffer_),
        really_wait_(really_wait) {}

  bobbin::Worker<Command, Reply>& create_worker() {
    workers_.push_back(std::make_unique<bobbin::Worker<Command, Reply>>(
        shared_memory_worker, WorkerData{shared_buffer_, shared_array_.length(), really_wait_}));
    return *workers_.back();
  }

  bool write_to_shared_memory(std::size_t index, std::int32_t value) {
    if (index >= shared_array_.length()) return false;
    atomics::store(shared_array_, index, value);
    return true;
  }

  std::optional<std::int32_t> read_from_shared_memory(std::size_t index) const {
    if (index >= shared_array_.length()) return std::nullopt;
    return atomics::load(shared_array_, index);
  }

  void shutdown() {
    for (auto& w : workers_) (void)w->terminate();
  }

  // Prints the non-zero cells, runs of equal values on one line.
  void print_shared_memory() const {
    notes::say("  shared memory:");
    const std::size_t n = shared_array_.length();
    for (std::size_t i = 0; i < n;) {
      const std::int32_t v = atomics::load(shared_array_, i);
      std::size_t j = i + 1;
      while (j < n && atomics::load(shared_array_, j) == v) ++j;
      if (v != 0) {
        notes::say(j - i == 1 ? "    [" + std::to_string(i) + "]: " + std::to_string(v)
                              : "    [" + std::to_string(i) + ".." + std::to_string(j - 1) +
                                    "]: " + std::to_string(v));
      }
      i = j;
    }
  }

  std::int64_t sum() const {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < shared_array_.length(); ++i) s += atomics::load(shared_array_, i);
    return s;
  }

 private:
  bobbin::SharedArrayBuffer shared_buffer_;
  bobbin::Int32Array shared_array_;
  bool really_wait_;
  std::vector<std::unique_ptr<bobbin::Worker<Command, Reply>>> workers_;
};

}  // namespace

int main(int argc, char** argv) {
  const bool really_wait = notes::flag(argc, argv, "--really-wait", 0) != 0;
  SharedMemoryManager memory_manager(100, really_wait);
  auto& worker1 = memory_manager.create_worker();
  auto& worker2 = memory_manager.create_worker();

  memory_manager.write_to_shared_memory(0, 100);
  memory_manager.write_to_shared_memory(1, 200);
  notes::say("initial shared memory:");
  memory_manager.print_shared_memory();

  int completed_workers = 0;
  bool errors = false;
  const auto on_reply = [&](int n) {
    return [&, n](const Reply& msg) {
      if (msg.type == "completed") {
        notes::say("  worker " + std::to_string(n) + " completed cells " +
                   std::to_string(msg.start_index) + ".." + std::to_string(msg.end_index - 1) +
                   " (waits: " + std::to_string(msg.waits_not_equal) + " not-equal, " +
                   std::to_string(msg.waits_timed_out) + " timed-out)");
        ++completed_workers;
      } else {
        notes::say("  worker " + std::to_string(n) + " error: " + msg.error);
        errors = true;
      }
    };
  };
  worker1.on_message(on_reply(1));
  worker2.on_message(on_reply(2));
  worker1.post_message(Command{"process", 0, 50});
  worker2.post_message(Command{"process", 50, 100});
  bobbin::run();  // until both workers have answered and exited

  notes::say("final shared memory:");
  memory_manager.print_shared_memory();
  memory_manager.shutdown();

  bool ok = completed_workers == 2 && !errors && memory_manager.sum() == 400 &&
            memory_manager.read_from_shared_memory(0) == 101 &&
            memory_manager.read_from_shared_memory(1) == 201 &&
            !memory_manager.read_from_shared_memory(100).has_value();
  for (std::size_t i = 2; i < 100; ++i) ok = ok && memory_manager.read_from_shared_memory(i) == 1;
  notes::say("sum of the cells: " + std::to_string(memory_manager.sum()) + " (expected 400)");
  notes::say(ok ? "shared memory OK" : "shared memory WRONG");
  return ok ? 0 : 1;
}
