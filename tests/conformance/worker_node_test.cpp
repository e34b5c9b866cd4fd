// Node's worker_threads behaviours (Worker lifecycle, errors and exit codes) checked against
// bobbin::Worker. Each TEST names the Node test file (test/parallel/...) it mirrors. Where C++
// cannot do what JS does (preempting a busy thread, running code after catch(...)), the test
// checks bobbin's documented counterpart (a cooperative loop, an exception that is not a
// std::exception).
#include <bobbin/array_buffer.hpp>
#include <bobbin/atomics.hpp>
#include <bobbin/bounded_queue.hpp>
#include <bobbin/mutex.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bobbin::ParentPort;
using bobbin::Worker;
using bobbin::WorkerOptions;

std::string what_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& err) {
    return err.what();
  } catch (...) {
    return "?";
  }
}

// How a worker ended: its exit code and the messages of its 'error' events, in order.
struct Ending {
  int code = -5;
  std::vector<std::string> errors;
};

// Listens for w's 'error' and 'exit' events, runs this thread's loop until it is done and
// reports them.
Ending run_to_exit(Worker<int>& w) {
  Ending end;
  w.on_error([&end](std::exception_ptr e) { end.errors.push_back(what_of(e)); });
  w.on_exit([&end](int c) { end.code = c; });
  bobbin::run();
  return end;
}

// test-worker.js: a message posted from nested async callbacks arrives exactly once.
TEST(WorkerNode, MessageFromNestedAsyncCallbacksArrivesOnce) {
  std::vector<std::string> got;
  Worker<std::string> w([](ParentPort<std::string>& parent) {
    bobbin::set_timeout(
        [&parent] {
          bobbin::set_immediate([&parent] {
            bobbin::next_tick([&parent] { parent.post_message("Hello, world!"); });
          });
        },
        0ms);
  });
  w.on_message([&](std::string m) { got.push_back(std::move(m)); });
  bobbin::run();
  EXPECT_EQ(got, std::vector<std::string>{"Hello, world!"});
}

// test-worker-onmessage.js: replies arrive in order; "undefined" and "null" are messages too
// (an empty std::optional here).
TEST(WorkerNode, RepliesInOrderIncludingEmptyValues) {
  std::vector<std::optional<int>> got;
  Worker<int, std::optional<int>> w([](ParentPort<int, std::optional<int>>& parent) {
    parent.on_message([&](int v) {
      parent.post_message(std::optional<int>(v * 2));
      parent.post_message(std::optional<int>());
      parent.post_message(std::optional<int>());
      parent.close();
    });
  });
  w.on_message([&](std::optional<int> v) { got.push_back(v); });
  w.post_message(2);
  bobbin::run();
  EXPECT_EQ(got, (std::vector<std::optional<int>>{4, std::nullopt, std::nullopt}));
}

// test-worker-onmessage-not-a-function.js: an empty listener invokes nothing and crashes
// nothing.
TEST(WorkerNode, EmptyMessageListenerIsHarmless) {
  int code = -5;
  Worker<int> w([](ParentPort<int>& parent) { parent.post_message(1); });
  w.on_message(std::function<void(int)>());
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 0);
}

// test-worker-event.js: a new worker's threadId is the previous one's + 1.
TEST(WorkerNode, ThreadIdsCountUp) {
  Worker<int> a([] {});
  Worker<int> b([] {});
  EXPECT_EQ(b.thread_id(), a.thread_id() + 1);
  bobbin::run();
}

// test-worker-uncaught-exception.js: a synchronous throw gives 'error' with the message, then
// exit 1, no message, and the worker's pending timer never fires.
TEST(WorkerNode, UncaughtExceptionSync) {
  std::atomic<bool> timer_fired{false};
  std::vector<std::string> events;
  Worker<int> w([&] {
    bobbin::set_timeout([&] { timer_fired = true; }, 2s);
    throw std::runtime_error("foo");
  });
  w.on_message([&](int) { events.push_back("message"); });
  w.on_error([&](std::exception_ptr e) { events.push_back("error:" + what_of(e)); });
  w.on_exit([&](int c) { events.push_back("exit:" + std::to_string(c)); });
  bobbin::run();
  EXPECT_EQ(events, (std::vector<std::string>{"error:foo", "exit:1"}));
  EXPECT_FALSE(timer_fired.load());
}

// test-worker-uncaught-exception-async.js: the same when the throw is in a later callback.
TEST(WorkerNode, UncaughtExceptionAsync) {
  std::vector<std::string> events;
  Worker<int> w([] { bobbin::set_timeout([] { throw std::runtime_error("foo"); }, 1ms); });
  w.on_error([&](std::exception_ptr e) { events.push_back("error:" + what_of(e)); });
  w.on_exit([&](int c) { events.push_back("exit:" + std::to_string(c)); });
  bobbin::run();
  EXPECT_EQ(events, (std::vector<std::string>{"error:foo", "exit:1"}));
}

// test-worker-exit-from-uncaught-exception.js: the uncaught-exception handler calls exit(42).
TEST(WorkerNode, ExitFromUncaughtExceptionHandler) {
  Worker<int> w([] {
    bobbin::EventLoop::current().on_uncaught_exception(
        [](std::exception_ptr) { bobbin::this_worker::exit(42); });
    bobbin::set_timeout([] { throw std::runtime_error("boom"); }, 0ms);
  });
  const Ending end = run_to_exit(w);
  EXPECT_EQ(end.code, 42);
  EXPECT_TRUE(end.errors.empty());
}

// test-worker-exit-code.js (process-exit-code-cases): exit(0) after other work gives 0.
TEST(WorkerNode, ExitCodeCaseExitZero) {
  int code = -5;
  Worker<int> w([] {
    bobbin::set_timeout([] {}, 0ms);
    bobbin::this_worker::exit(0);
  });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 0);
}

// test-worker-exit-code.js: an uncaught throw gives 1 and an 'error' event.
TEST(WorkerNode, ExitCodeCaseUncaughtThrow) {
  Worker<int> w([] { throw std::runtime_error("x"); });
  const Ending end = run_to_exit(w);
  EXPECT_EQ(end.code, 1);
  EXPECT_EQ(end.errors, std::vector<std::string>{"x"});
}

// test-worker-exit-code.js: an uncaught throw with a no-op handler gives 0 and no 'error'.
TEST(WorkerNode, ExitCodeCaseHandledThrow) {
  Worker<int> w([] {
    bobbin::EventLoop::current().on_uncaught_exception([](std::exception_ptr) {});
    bobbin::set_timeout([] { throw std::runtime_error("x"); }, 0ms);
  });
  const Ending end = run_to_exit(w);
  EXPECT_EQ(end.code, 0);
  EXPECT_TRUE(end.errors.empty());
}

// test-worker-exit-code.js: the uncaught-exception handler itself throws: 1 in a worker.
TEST(WorkerNode, ExitCodeCaseHandlerThrows) {
  Worker<int> w([] {
    bobbin::EventLoop::current().on_uncaught_exception(
        [](std::exception_ptr) { throw std::runtime_error("from handler"); });
    bobbin::set_timeout([] { throw std::runtime_error("x"); }, 0ms);
  });
  const Ending end = run_to_exit(w);
  EXPECT_EQ(end.code, 1);
  EXPECT_EQ(end.errors, std::vector<std::string>{"from handler"});
}

// test-worker-non-fatal-uncaught-exception.js: a handled exception keeps the worker alive.
TEST(WorkerNode, NonFatalUncaughtExceptionKeepsTheWorkerAlive) {
  int code = -5;
  std::vector<int> got;
  Worker<int> w([](ParentPort<int>& parent) {
    bobbin::EventLoop::current().on_uncaught_exception([](std::exception_ptr) {});
    bobbin::set_timeout([] { throw std::runtime_error("x"); }, 0ms);
    bobbin::set_timeout([&parent] { parent.post_message(7); }, 5ms);
  });
  w.on_message([&](int v) { got.push_back(v); });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(got, std::vector<int>{7});
  EXPECT_EQ(code, 0);
}

// test-worker-no-sab.js: exit(2) in the worker gives exit code 2.
TEST(WorkerNode, ExitTwo) {
  int code = -5;
  Worker<int> w([] { bobbin::this_worker::exit(2); });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 2);
}

// test-worker-voluntarily-exit-followed-by-addition.js: statements after exit() never run,
// even inside a try (that catches std::exception) around it.
TEST(WorkerNode, StatementsAfterExitNeverRun) {
  bobbin::Int32Array flag(bobbin::SharedArrayBuffer(4));
  Worker<int> w(
      [](bobbin::Int32Array f) {
        try {
          bobbin::this_worker::exit(0);
          bobbin::atomics::add(f, 0, 1);
        } catch (const std::exception&) {
          bobbin::atomics::add(f, 0, 1);
        }
        bobbin::atomics::add(f, 0, 1);
      },
      flag);
  bobbin::run();
  EXPECT_EQ(bobbin::atomics::load(flag, 0), 0);
}

// test-worker-exit-event-error.js: an exception from the parent's exit listener reaches the
// parent's loop as an uncaught exception.
TEST(WorkerNode, ExceptionFromExitListenerReachesTheParentLoop) {
  Worker<int> w([] {});
  w.on_exit([](int) { throw std::runtime_error("from exit"); });
  EXPECT_THROW(bobbin::run(), std::runtime_error);
  bobbin::run();
}

// test-worker-nested-uncaught.js: a grandchild's uncaught error surfaces as 'error' on the
// top-level Worker with the original message (the child has no error listener).
TEST(WorkerNode, NestedUncaughtErrorSurfacesAtTheTop) {
  std::string error;
  int code = -5;
  Worker<int> child([] {
    Worker<int> grandchild([] { throw std::runtime_error("grandchild failed"); });
    bobbin::run();  // no error listener: the grandchild's error is rethrown here
  });
  child.on_error([&](std::exception_ptr e) { error = what_of(e); });
  child.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(error, "grandchild failed");
  EXPECT_EQ(code, 1);
}

// test-worker-nested-on-process-exit.js: a worker that exits while owning a running nested
// worker exits cleanly; the nested worker's exit listener in the dying thread does not run,
// and the nested worker is torn down.
TEST(WorkerNode, ExitWhileOwningANestedWorker) {
  std::atomic<bool> nested_exit_ran{false}, nested_unwound{false}, nested_started{false};
  int code = -5;
  Worker<int> child([&] {
    struct Flag {
      std::atomic<bool>* f;
      ~Flag() { *f = true; }
    };
    Worker<int> nested([&](ParentPort<int>& p) {
      Flag flag{&nested_unwound};
      nested_started = true;
      while (p.receive()) {
      }
    });
    nested.on_exit([&](int) { nested_exit_ran = true; });
    while (!nested_started.load()) std::this_thread::yield();
    bobbin::this_worker::exit(0);
  });
  child.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(nested_unwound.load());
  EXPECT_FALSE(nested_exit_ran.load());
}

// test-worker-invalid-workerdata.js: worker data that cannot be cloned (a detached buffer)
// throws DataCloneError from the constructor.
TEST(WorkerNode, UncloneableWorkerDataThrowsDataCloneError) {
  bobbin::ArrayBuffer buffer(8);
  bobbin::ArrayBuffer taken = std::move(buffer);
  std::atomic<bool> ran{false};
  EXPECT_THROW((Worker<int>([&](bobbin::ArrayBuffer) { ran = true; }, buffer)),
               bobbin::DataCloneError);
  EXPECT_THROW((Worker<int>([&](bobbin::ArrayBuffer) { ran = true; }, std::move(buffer))),
               bobbin::DataCloneError);
  bobbin::run();
  EXPECT_FALSE(ran.load());
}

// test-worker-workerdata-messageport.js: a port transferred in the worker data works; a typed
// array transferred through the data is empty in the parent and intact in the worker.
TEST(WorkerNode, PortAndTransferredBufferInWorkerData) {
  bobbin::MessageChannel<int> channel;
  bobbin::ArrayBuffer buffer(4);
  bobbin::Uint8Array bytes(buffer);
  bytes[0] = 1;
  bytes[3] = 4;
  Worker<int> w(
      [](bobbin::MessagePort<int> port, bobbin::ArrayBuffer buffer) {
        bobbin::Uint8Array view(buffer);
        port.post_message(static_cast<int>(view.length()) * 100 + view[0] * 10 + view[3]);
      },
      std::move(channel.port2), std::move(buffer));
  EXPECT_EQ(bytes.length(), 0u);
  EXPECT_EQ(channel.port1.receive(), 414);
  bobbin::run();
}

// test-worker-workerdata-sharedarraybuffer.js: shared memory passed as worker data is shared:
// the parent writes "Hello ", the worker "world!".
TEST(WorkerNode, SharedArrayBufferWorkerDataIsShared) {
  bobbin::SharedArrayBuffer sab(12);
  std::memcpy(sab.data(), "Hello ", 6);
  Worker<int> w([](bobbin::SharedArrayBuffer s) { std::memcpy(s.data() + 6, "world!", 6); }, sab);
  bobbin::run();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sab.data()), 12), "Hello world!");
}

// test-worker-sharedarraybuffer-from-worker-thread.js: buffers made in the worker stay valid
// and writable in the parent after the worker's exit.
TEST(WorkerNode, BuffersFromTheWorkerOutliveIt) {
  std::optional<std::pair<bobbin::ArrayBuffer, bobbin::SharedArrayBuffer>> got;
  using Out = std::pair<bobbin::ArrayBuffer, bobbin::SharedArrayBuffer>;
  Worker<int, Out> w([](ParentPort<int, Out>& parent) {
    bobbin::ArrayBuffer a(16);
    bobbin::SharedArrayBuffer s(16);
    a.data()[0] = std::byte{1};
    s.data()[0] = std::byte{2};
    parent.post_message(Out(std::move(a), s));
  });
  w.on_message([&](Out m) { got.emplace(std::move(m)); });
  bobbin::run();
  ASSERT_TRUE(got);
  EXPECT_EQ(w.thread_id(), -1);
  EXPECT_EQ(got->first.data()[0], std::byte{1});
  EXPECT_EQ(got->second.data()[0], std::byte{2});
  got->first.data()[15] = std::byte{3};
  got->second.data()[15] = std::byte{4};
}

// test-worker-environmentdata.js: set/get/delete, a snapshot at spawn, nested inheritance.
TEST(WorkerNode, EnvironmentDataIsInheritedByNestedWorkers) {
  bobbin::set_environment_data("foo", std::string("bar"));
  bobbin::set_environment_data("hello", 1);
  bobbin::set_environment_data("hello");  // deleted before the spawn
  std::optional<std::string> nested_foo;
  std::optional<int> nested_hello;
  Worker<int> child([&] {
    Worker<int> nested([&] {
      nested_foo = bobbin::get_environment_data<std::string>("foo");
      nested_hello = bobbin::get_environment_data<int>("hello");
    });
    bobbin::run();
  });
  bobbin::set_environment_data("foo");  // after the spawn: the child still has it
  bobbin::run();
  EXPECT_EQ(nested_foo, "bar");
  EXPECT_EQ(nested_hello, std::nullopt);
  EXPECT_EQ(bobbin::get_environment_data<std::string>("foo"), std::nullopt);
}

// test-worker-ref.js: an unref'd worker does not keep the parent alive; its exit listener
// does not run while the parent's loop is not running.
TEST(WorkerNode, UnrefdWorkerDoesNotKeepTheParentAlive) {
  std::atomic<bool> spinning{false};
  bool exited = false;
  Worker<int> w([&] {
    spinning = true;
    while (!bobbin::this_worker::stop_requested()) {
    }
  });
  w.on_exit([&](int) { exited = true; });
  w.unref();
  bobbin::run();
  EXPECT_FALSE(exited);
  w.terminate();
  w.ref();  // test-worker-ref-onexit.js: ref() revives the round trip
  bobbin::run();
  EXPECT_TRUE(exited);
}

// test-worker-hasref.js: has_ref tracks ref/unref.
TEST(WorkerNode, HasRefTracksRefAndUnref) {
  Worker<int> w([](ParentPort<int>& p) {
    while (p.receive()) {
    }
  });
  EXPECT_TRUE(w.has_ref());
  w.unref();
  EXPECT_FALSE(w.has_ref());
  w.ref();
  w.ref();
  EXPECT_TRUE(w.has_ref());
  w.terminate();
  bobbin::run();
  EXPECT_FALSE(w.has_ref());
}

// test-worker-parent-port-ref.js: adding then removing a parent-port listener lets the worker
// finish on its own; online fires once; exit code 0.
TEST(WorkerNode, RemovingTheParentPortListenerLetsTheWorkerEnd) {
  int online = 0, code = -5;
  Worker<int> w([](ParentPort<int>& parent) {
    parent.on_message([](int) {});
    parent.port().off_message();
  });
  w.on_online([&] { ++online; });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(online, 1);
  EXPECT_EQ(code, 0);
}

// test-worker-unref-from-message-during-exit.js: unref() from a message listener while the
// worker exits is safe.
TEST(WorkerNode, UnrefFromMessageDuringExit) {
  bool exited = false;
  Worker<int> w([](ParentPort<int>& parent) { parent.post_message(1); });
  w.on_message([&](int) { w.unref(); });
  w.on_exit([&](int) { exited = true; });
  bobbin::run();
  // The exit may or may not have been delivered before the loop ended (the worker is unref'd):
  // either way nothing crashed; deliver it if it is still pending.
  w.ref();
  bobbin::run();
  EXPECT_TRUE(exited);
}

// test-worker-safe-getters.js: after exit, post/ref/unref do not throw and threadId is -1.
TEST(WorkerNode, SafeGettersAfterExit) {
  Worker<int> w([] {});
  bobbin::run();
  EXPECT_NO_THROW({
    EXPECT_FALSE(w.post_message(1));
    w.ref();
    w.unref();
  });
  EXPECT_EQ(w.thread_id(), -1);
  EXPECT_EQ(w.name(), "WorkerThread");
}

// test-worker-terminate-timers.js: terminate stops a thread spinning in a timer callback
// (cooperatively); exit code 1 and no 'error'.
TEST(WorkerNode, TerminateStopsASpinningTimerCallback) {
  std::atomic<bool> spinning{false};
  bool error = false;
  Worker<int> w([&] {
    bobbin::set_timeout(
        [&] {
          spinning = true;
          while (!bobbin::this_worker::stop_requested()) {
          }
        },
        0ms);
  });
  w.on_error([&](std::exception_ptr) { error = true; });
  while (!spinning.load()) std::this_thread::yield();
  int code = -5;
  w.terminate().then([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 1);
  EXPECT_FALSE(error);
}

// Runs a worker whose callback re-queues itself through `schedule` until the worker is asked to
// stop (C++ cannot preempt a loop, so it checks stop_requested), then terminates it.
template <class Schedule>
void expect_terminate_stops_a_requeueing_loop(Schedule schedule) {
  std::atomic<bool> looping{false};
  struct Loop {
    std::atomic<bool>* looping;
    Schedule schedule;
    void operator()() const {
      *looping = true;
      if (!bobbin::this_worker::stop_requested()) schedule(Loop{looping, schedule});
    }
  };
  Worker<int> w([&] { schedule(Loop{&looping, schedule}); });
  while (!looping.load()) std::this_thread::yield();
  EXPECT_EQ(w.terminate().get(), 1);
  bobbin::run();
}

// test-worker-terminate-microtask-loop.js: terminate stops a microtask loop.
TEST(WorkerNode, TerminateStopsAMicrotaskLoop) {
  expect_terminate_stops_a_requeueing_loop([](auto f) { bobbin::queue_microtask(std::move(f)); });
}

// test-worker-nexttick-terminate.js: the same with a next_tick loop.
TEST(WorkerNode, TerminateStopsANextTickLoop) {
  expect_terminate_stops_a_requeueing_loop([](auto f) { bobbin::next_tick(std::move(f)); });
}

// test-worker-terminate-nested.js: terminating a worker that owns a live nested worker
// completes, and the nested worker ends first.
TEST(WorkerNode, TerminateANestedWorkerOwner) {
  std::atomic<bool> nested_started{false}, nested_unwound{false};
  Worker<int> child([&](ParentPort<int>& parent) {
    struct Flag {
      std::atomic<bool>* f;
      ~Flag() { *f = true; }
    };
    Worker<int> nested([&](ParentPort<int>& p) {
      Flag flag{&nested_unwound};
      nested_started = true;
      while (p.receive()) {
      }
    });
    while (parent.receive()) {
    }
  });
  while (!nested_started.load()) std::this_thread::yield();
  EXPECT_EQ(child.terminate().get(), 1);
  EXPECT_TRUE(nested_unwound.load());
  bobbin::run();
}

// test-worker-terminate-ref-public-port.js: terminate while the worker floods post_message;
// exit fires; what arrived is a prefix, in order.
TEST(WorkerNode, TerminateWhileFloodingPostMessage) {
  std::vector<int> got;
  bool exited = false;
  Worker<int> w([](ParentPort<int>& parent) {
    for (int i = 0; !bobbin::this_worker::stop_requested(); ++i) parent.post_message(i);
  });
  w.on_message([&](int v) {
    got.push_back(v);
    if (got.size() == 100) w.terminate();
  });
  w.on_exit([&](int) { exited = true; });
  bobbin::run();
  EXPECT_TRUE(exited);
  ASSERT_GE(got.size(), 100u);
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<int>(i));
}

// test-worker-terminate-unrefed.js: terminate on an unref'd worker still resolves.
TEST(WorkerNode, TerminateUnrefdWorkerResolves) {
  Worker<int> w([](ParentPort<int>& p) {
    while (p.receive()) {
    }
  });
  w.unref();
  int code = -5;
  w.terminate().then([&](int c) { code = c; });
  bobbin::run();  // the pending continuation keeps the loop alive
  EXPECT_EQ(code, 1);
}

// test-worker-terminate-null-handler.js: terminate() inside the exit listener resolves (with
// the code the worker ended with; Node gives undefined).
TEST(WorkerNode, TerminateInsideTheExitListener) {
  int resolved = -5;
  Worker<int> w([] {});
  w.on_exit([&](int) { w.terminate().then([&](int c) { resolved = c; }); });
  bobbin::run();
  EXPECT_EQ(resolved, 0);
}

// test-worker-dispose.js: scope-based disposal (the destructor) terminates a worker stuck in
// a (cooperative) infinite loop.
TEST(WorkerNode, DestructorDisposesALoopingWorker) {
  std::atomic<bool> spinning{false}, ended{false};
  {
    Worker<int> w([&] {
      spinning = true;
      while (!bobbin::this_worker::stop_requested()) {
      }
      ended = true;
    });
    while (!spinning.load()) std::this_thread::yield();
  }
  EXPECT_TRUE(ended.load());
  bobbin::run();
}

// test-worker-memory.js: sequential create/exit cycles leave nothing behind (the sanitizers
// check the memory; here every one completes with code 0).
TEST(WorkerNode, SequentialWorkersComplete) {
  int zero_exits = 0;
  for (int i = 0; i < 60; ++i) {
    Worker<int> w([](ParentPort<int>& p) { p.post_message(1); });
    w.on_exit([&](int c) { zero_exits += c == 0 ? 1 : 0; });
    bobbin::run();
  }
  EXPECT_EQ(zero_exits, 60);
}

// test-worker-init-failure.js: many workers at once each work (or fail cleanly).
TEST(WorkerNode, ManyWorkersAtOnce) {
  std::vector<Worker<int>> workers;
  int sum = 0, exits = 0;
  for (int i = 0; i < 32; ++i) {
    workers.emplace_back([](ParentPort<int>& p, int v) { p.post_message(v); }, i);
    workers.back().on_message([&](int v) { sum += v; });
    workers.back().on_exit([&](int) { ++exits; });
  }
  bobbin::run();
  EXPECT_EQ(sum, 31 * 32 / 2);
  EXPECT_EQ(exits, 32);
}

// test-worker-cleanup-handles.js: what the worker held (its data, its loop's callbacks) is
// released when it exits.
TEST(WorkerNode, ResourcesAreReleasedOnExit) {
  auto resource = std::make_shared<int>(1);
  Worker<int> w(
      [](std::shared_ptr<int> r) {
        bobbin::set_timeout([r] {}, 1h).unref();  // never runs; dropped at exit
      },
      resource);
  bobbin::run();
  EXPECT_EQ(resource.use_count(), 1);
}

// test-worker-name.js / test-worker-thread-name.js: the name is seen inside and outside.
TEST(WorkerNode, NameInsideAndOutside) {
  std::string inside;
  Worker<int> w(WorkerOptions{.name = "my-worker", .stack_size = 0},
                [&] { inside = bobbin::this_worker::name(); });
  EXPECT_EQ(w.name(), "my-worker");
  bobbin::run();
  EXPECT_EQ(inside, "my-worker");
}

// test-worker-message-not-serializable.js: an exception that is not a std::exception still
// reaches on_error intact.
TEST(WorkerNode, NonStandardExceptionReachesOnError) {
  int thrown = 0;
  Worker<int> w([] { throw 42; });
  w.on_error([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (int v) {
      thrown = v;
    }
  });
  bobbin::run();
  EXPECT_EQ(thrown, 42);
}

// test-worker-message-port-drain.js: with two workers, messages are attributed to the right
// worker.
TEST(WorkerNode, MessagesAreAttributedToTheirWorker) {
  Worker<int> a([](ParentPort<int>& p) { p.post_message(bobbin::thread_id()); });
  Worker<int> b([](ParentPort<int>& p) { p.post_message(bobbin::thread_id()); });
  const int id_a = a.thread_id(), id_b = b.thread_id();
  int from_a = 0, from_b = 0;
  a.on_message([&](int v) { from_a = v; });
  b.on_message([&](int v) { from_b = v; });
  bobbin::run();
  EXPECT_EQ(from_a, id_a);
  EXPECT_EQ(from_b, id_b);
}

// test-worker-message-port-terminate-transfer-list.js: terminate works while the worker is
// stuck sending (here: blocked pushing into a full queue).
TEST(WorkerNode, TerminateAWorkerBlockedInAQueuePush) {
  auto queue = std::make_shared<bobbin::BoundedQueue<int>>(1);
  ASSERT_TRUE(queue->try_push(0));
  std::atomic<bool> threw{false};
  Worker<int> w(
      [&threw](std::shared_ptr<bobbin::BoundedQueue<int>> q) {
        try {
          q->push(1);
        } catch (const bobbin::TerminatedError&) {
          threw = true;
          throw;
        }
      },
      queue);
  while (queue->waiting_producers() == 0) std::this_thread::yield();
  EXPECT_EQ(w.terminate().get(), 1);
  EXPECT_TRUE(threw.load());
  bobbin::run();
}

// Node's Worker docs ('exit' is the last event; every message before it): 1000 messages then
// a normal end all arrive before exit.
TEST(WorkerNode, EveryMessageArrivesBeforeExit) {
  std::vector<int> got;
  std::size_t at_exit = 0;
  Worker<int> w([](ParentPort<int>& p) {
    for (int i = 0; i < 1000; ++i) p.post_message(i);
  });
  w.on_message([&](int v) { got.push_back(v); });
  w.on_exit([&](int) { at_exit = got.size(); });
  bobbin::run();
  EXPECT_EQ(at_exit, 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], i);
}

// Node's Worker docs (postMessage before 'online' is queued): posts made right after
// construction reach the worker.
TEST(WorkerNode, MessagesPostedBeforeOnlineAreQueued) {
  int sum = 0;
  Worker<int> w([](ParentPort<int>& parent) {
    int total = 0;
    for (int i = 0; i < 3; ++i) total += parent.receive().value_or(0);
    parent.post_message(total);
  });
  w.post_message(1);
  w.post_message(2);
  w.post_message(3);
  w.on_message([&](int v) { sum = v; });
  bobbin::run();
  EXPECT_EQ(sum, 6);
}

// test-worker-terminate-*.js: terminate wakes a worker idling in its event loop.
TEST(WorkerNode, TerminateAWorkerIdleInItsLoop) {
  bool error = false;
  Worker<int> w([](ParentPort<int>& parent) {
    parent.on_message([](int) {});
    parent.post_message(0);
  });
  w.on_message([&](int) { w.terminate(); });
  w.on_error([&](std::exception_ptr) { error = true; });
  int code = -5;
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 1);
  EXPECT_FALSE(error);
}

// test-worker-terminate-*.js: terminate wakes a worker blocked on a contended Mutex.
TEST(WorkerNode, TerminateAWorkerBlockedOnAMutex) {
  auto mutex = std::make_shared<bobbin::Mutex>();
  mutex->lock();
  std::atomic<bool> threw{false};
  Worker<int> w(
      [&threw](std::shared_ptr<bobbin::Mutex> m) {
        try {
          m->lock();
          m->unlock();
        } catch (const bobbin::TerminatedError&) {
          threw = true;
          throw;
        }
      },
      mutex);
  // No parked-count accessor for a default Mutex cell: terminate may land before or during
  // the wait; both throw TerminatedError from lock().
  EXPECT_EQ(w.terminate().get(), 1);
  mutex->unlock();
  bobbin::run();
}

// test-worker-terminate-*.js: terminate wakes a worker blocked in Promise::get().
TEST(WorkerNode, TerminateAWorkerBlockedInPromiseGet) {
  std::atomic<bool> threw{false}, waiting{false};
  Worker<int> w([&] {
    auto [promise, resolver] = bobbin::Promise<int>::with_resolvers();
    waiting = true;
    try {
      (void)promise.get();
    } catch (const bobbin::TerminatedError&) {
      threw = true;
      throw;
    }
  });
  while (!waiting.load()) std::this_thread::yield();
  EXPECT_EQ(w.terminate().get(), 1);
  EXPECT_TRUE(threw.load());
  bobbin::run();
}

// test-worker-stack-size.js: the stack size option is honoured (a deep recursion that needs
// more than a small default fits in a large stack).
TEST(WorkerNode, LargeStackFitsDeepRecursion) {
  std::atomic<int> depth{0};
  Worker<int> w(WorkerOptions{.name = "deep", .stack_size = 64u << 20}, [&] {
    struct Recurse {
      static int go(int n) {
        volatile char pad[1024];
        pad[0] = static_cast<char>(n);
        return n == 0 ? pad[0] : go(n - 1) + 1 + (pad[0] & 0);
      }
    };
    depth = Recurse::go(20000);  // ~20 MiB of frames
  });
  bobbin::run();
  EXPECT_EQ(depth.load(), 20000);
}

}  // namespace
