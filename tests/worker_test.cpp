// Tests of bobbin::Worker: the C++ side of the API (options, worker data, thread ids and
// names, environment data, lifecycle, terminate, RAII, ref/unref). Node's behaviours are in
// conformance/worker_node_test.cpp.
#include <bobbin/array_buffer.hpp>
#include <bobbin/atomics.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#endif

namespace {

using bobbin::ParentPort;
using bobbin::Worker;
using bobbin::WorkerOptions;

TEST(Worker, EchoRoundTripThenTerminate) {
  std::vector<std::string> got;
  int code = -5;
  Worker<std::string> w([](ParentPort<std::string>& parent) {
    parent.on_message([&](std::string m) { parent.post_message(m + " Received"); });
  });
  w.on_message([&](std::string m) {
    got.push_back(std::move(m));
    w.terminate();
  });
  w.on_exit([&](int c) { code = c; });
  EXPECT_TRUE(w.post_message("Hello, Worker!"));
  bobbin::run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "Hello, Worker! Received");
  EXPECT_EQ(code, 1);
}

TEST(Worker, DifferentInAndOutTypes) {
  std::vector<std::size_t> got;
  Worker<std::string, std::size_t> w([](ParentPort<std::string, std::size_t>& parent) {
    while (auto m = parent.receive()) parent.post_message(m->size());
  });
  w.on_message([&](std::size_t n) {
    got.push_back(n);
    if (got.size() == 3) w.terminate();
  });
  w.post_message("a");
  w.post_message("abc");
  w.post_message(std::string(10, 'x'));
  bobbin::run();
  EXPECT_EQ(got, (std::vector<std::size_t>{1, 3, 10}));
}

TEST(Worker, EntryWithoutParentPort) {
  std::atomic<int> seen{0};
  int code = -5;
  Worker<int> w([&seen](int a, int b) { seen = a + b; }, 40, 2);
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(seen.load(), 42);
  EXPECT_EQ(code, 0);
}

TEST(Worker, LvalueWorkerDataIsClonedRvalueIsTransferred) {
  bobbin::ArrayBuffer cloned(16);
  bobbin::ArrayBuffer moved(32);
  cloned.data()[0] = std::byte{7};
  moved.data()[0] = std::byte{9};
  std::atomic<int> check{0};
  Worker<int> w(
      [&check](ParentPort<int>&, bobbin::ArrayBuffer a, bobbin::ArrayBuffer b) {
        if (a.byte_length() == 16 && a.data()[0] == std::byte{7} && b.byte_length() == 32 &&
            b.data()[0] == std::byte{9}) {
          a.data()[0] = std::byte{1};  // the parent's original must not change
          check = 1;
        } else {
          check = 2;
        }
      },
      cloned, std::move(moved));
  EXPECT_TRUE(moved.detached());  // transferred at once, by the constructor
  EXPECT_EQ(moved.byte_length(), 0u);
  bobbin::run();
  EXPECT_EQ(check.load(), 1);
  EXPECT_EQ(cloned.data()[0], std::byte{7});
}

TEST(Worker, SharedArrayBufferWorkerDataIsShared) {
  bobbin::SharedArrayBuffer sab(8);
  bobbin::Int32Array cells(sab);
  Worker<int> w([](ParentPort<int>&, bobbin::Int32Array c) { bobbin::atomics::store(c, 1, 99); },
                cells);
  bobbin::run();
  EXPECT_EQ(bobbin::atomics::load(cells, 1), 99);
}

TEST(Worker, MoveOnlyWorkerDataIsTransferred) {
  auto p = std::make_unique<int>(5);
  std::atomic<int> seen{0};
  Worker<int> w([&seen](std::unique_ptr<int> q) { seen = *q; }, std::move(p));
  bobbin::run();
  EXPECT_EQ(seen.load(), 5);
  EXPECT_EQ(p, nullptr);
}

TEST(Worker, ThreadIdsAreUniqueIncreasingAndVisibleInside) {
  EXPECT_TRUE(bobbin::is_main_thread());
  EXPECT_EQ(bobbin::thread_id(), 0);
  std::atomic<int> inside_a{-2}, inside_b{-2};
  std::atomic<bool> main_a{true};
  Worker<int> a([&] {
    inside_a = bobbin::thread_id();
    main_a = bobbin::is_main_thread();
  });
  Worker<int> b([&] { inside_b = bobbin::thread_id(); });
  const int id_a = a.thread_id(), id_b = b.thread_id();
  EXPECT_GT(id_a, 0);
  EXPECT_GT(id_b, id_a);
  int exit_id = 0;
  a.on_exit([&](int) { exit_id = a.thread_id(); });
  bobbin::run();
  EXPECT_EQ(inside_a.load(), id_a);
  EXPECT_EQ(inside_b.load(), id_b);
  EXPECT_FALSE(main_a.load());
  EXPECT_EQ(exit_id, -1);  // -1 from just before on_exit runs
  EXPECT_EQ(a.thread_id(), -1);
  EXPECT_EQ(b.thread_id(), -1);
}

TEST(Worker, PlainThreadsAreMainThreads) {
  std::atomic<bool> main{false};
  std::atomic<int> id{-2};
  std::thread t([&] {
    main = bobbin::is_main_thread();
    id = bobbin::thread_id();
  });
  t.join();
  EXPECT_TRUE(main.load());
  EXPECT_EQ(id.load(), 0);
}

TEST(Worker, NameIsVisibleToTheOs) {
  std::string os_name, own_name;
  Worker<int> w(WorkerOptions{.name = "bobbin-counter-worker"}, [&] {
    os_name = bobbin::detail::current_thread_name();
    own_name = bobbin::this_worker::name();
  });
  EXPECT_EQ(w.name(), "bobbin-counter-worker");
  bobbin::run();
  EXPECT_EQ(own_name, "bobbin-counter-worker");
#if defined(__linux__)
  EXPECT_EQ(os_name, "bobbin-counter-");  // Linux keeps 15 bytes
#endif
}

TEST(Worker, DefaultNameIsWorkerThread) {
  std::string os_name;
  Worker<int> w([&] { os_name = bobbin::detail::current_thread_name(); });
  EXPECT_EQ(w.name(), "WorkerThread");
  bobbin::run();
#if defined(__linux__)
  EXPECT_EQ(os_name, "WorkerThread");
#endif
  EXPECT_EQ(bobbin::this_worker::name(), "");
}

#if defined(__linux__)
std::size_t own_stack_size() {
  pthread_attr_t attr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
  }
  return size;
}

TEST(Worker, StackSizeIsApplied) {
  std::atomic<std::size_t> big{0}, small{0};
  Worker<int> a(WorkerOptions{.stack_size = 32u << 20}, [&] { big = own_stack_size(); });
  Worker<int> b(WorkerOptions{.stack_size = 256u << 10}, [&] { small = own_stack_size(); });
  bobbin::run();
  EXPECT_GE(big.load(), 32u << 20);
  EXPECT_GE(small.load(), 256u << 10);
  EXPECT_LT(small.load(), 32u << 20);
}
#endif

TEST(Worker, TinyStackSizeIsRaisedToTheMinimum) {
  std::atomic<bool> ran{false};
  Worker<int> w(WorkerOptions{.stack_size = 1}, [&] { ran = true; });
  bobbin::run();
  EXPECT_TRUE(ran.load());
}

TEST(Worker, EnvironmentDataIsASnapshotAtConstruction) {
  bobbin::set_environment_data("greeting", std::string("hello"));
  bobbin::set_environment_data("gone", 1);
  bobbin::set_environment_data("gone");  // deleted before the worker exists
  std::optional<std::string> greeting;
  std::optional<int> gone, late;
  std::optional<std::string> leaked_back;
  Worker<int> w([&] {
    greeting = bobbin::get_environment_data<std::string>("greeting");
    gone = bobbin::get_environment_data<int>("gone");
    late = bobbin::get_environment_data<int>("late");
    bobbin::set_environment_data("from-worker", std::string("x"));
  });
  bobbin::set_environment_data("late", 3);  // after construction: invisible to the worker
  bobbin::run();
  EXPECT_EQ(greeting, "hello");
  EXPECT_EQ(gone, std::nullopt);
  EXPECT_EQ(late, std::nullopt);
  EXPECT_EQ(bobbin::get_environment_data<std::string>("from-worker"), std::nullopt);
  EXPECT_EQ(bobbin::get_environment_data<int>("late"), 3);
  bobbin::set_environment_data("greeting");
  bobbin::set_environment_data("late");
}

TEST(Worker, EnvironmentDataOfAnotherTypeThrowsTypeError) {
  bobbin::set_environment_data("n", 1);
  EXPECT_THROW((void)bobbin::get_environment_data<std::string>("n"), bobbin::TypeError);
  bobbin::set_environment_data("n");
}

TEST(Worker, ExitCodeZeroOnNormalEnd) {
  int code = -5;
  Worker<int> w([](ParentPort<int>& p) { p.post_message(1); });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 0);
}

TEST(Worker, UncaughtExceptionGivesErrorThenExitOne) {
  std::vector<std::string> events;
  Worker<int> w([](ParentPort<int>& p) {
    p.post_message(1);
    throw std::runtime_error("foo");
  });
  w.on_message([&](int) { events.push_back("message"); });
  w.on_error([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::runtime_error& err) {
      events.push_back(std::string("error:") + err.what());
    }
  });
  w.on_exit([&](int c) { events.push_back("exit:" + std::to_string(c)); });
  bobbin::run();
  EXPECT_EQ(events, (std::vector<std::string>{"message", "error:foo", "exit:1"}));
}

TEST(Worker, ErrorWithoutListenerIsRethrownOnTheParentLoop) {
  int code = -5;
  Worker<int> w([] { throw std::logic_error("unhandled"); });
  w.on_exit([&](int c) { code = c; });
  EXPECT_THROW(bobbin::run(), std::logic_error);
  EXPECT_EQ(code, 1);  // exit still ran first
  bobbin::run();       // nothing left
}

TEST(Worker, ThisWorkerExitSetsTheCode) {
  std::atomic<bool> after{false};
  int code = -5;
  bool error = false;
  Worker<int> w([&] {
    try {
      bobbin::this_worker::exit(42);
    } catch (const std::exception&) {
      // not caught here: exit is not a std::exception
    }
    after = true;
  });
  w.on_error([&](std::exception_ptr) { error = true; });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 42);
  EXPECT_FALSE(error);
  EXPECT_FALSE(after.load());
}

TEST(Worker, ThisWorkerExitOutsideAWorkerThrowsTypeError) {
  EXPECT_THROW(bobbin::this_worker::exit(3), bobbin::TypeError);
  EXPECT_FALSE(bobbin::this_worker::stop_requested());
}

TEST(Worker, TerminateWakesAWorkerBlockedInReceive) {
  Worker<int> w([](ParentPort<int>& p) {
    p.post_message(0);  // "about to block"
    while (p.receive()) {
    }
  });
  w.on_message([&](int) { w.terminate(); });
  int code = -5;
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(code, 1);
}

// The worker idles in its own loop (parked there, no code of its own running): terminate()
// ends it without an error, and what its loop held is destroyed before on_exit runs.
TEST(Worker, TerminateOfAWorkerIdleInItsLoopTearsDownBeforeExit) {
  struct Flag {
    explicit Flag(std::atomic<bool>* d) : destroyed(d) {}
    Flag(const Flag&) = delete;
    Flag& operator=(const Flag&) = delete;
    ~Flag() { destroyed->store(true); }
    std::atomic<bool>* destroyed;
  };
  std::atomic<bool> destroyed{false};
  Worker<int, std::uintptr_t> w(
      [&destroyed](ParentPort<int, std::uintptr_t>& p) {
        auto flag = std::make_shared<Flag>(&destroyed);
        p.on_message([flag](int) {});
        p.post_message(reinterpret_cast<std::uintptr_t>(bobbin::EventLoop::current().park_key()));
      });
  w.on_message([&](std::uintptr_t key) {
    // Until the worker's loop is parked (bounded: it parks as soon as its turn is done).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (bobbin::parking_lot::parked(reinterpret_cast<const void*>(key)) == 0 &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    EXPECT_FALSE(destroyed.load());
    w.terminate();
  });
  bool errored = false;
  w.on_error([&](std::exception_ptr) { errored = true; });
  int code = -5;
  bool destroyed_before_exit = false;
  w.on_exit([&](int c) {
    code = c;
    destroyed_before_exit = destroyed.load();
  });
  bobbin::run();
  EXPECT_EQ(code, 1);
  EXPECT_FALSE(errored);
  EXPECT_TRUE(destroyed_before_exit);
}

TEST(Worker, TerminateWakesAWorkerBlockedInAtomicsWait) {
  bobbin::Int32Array cells(bobbin::SharedArrayBuffer(8));
  std::atomic<bool> terminated_error{false};
  Worker<int> w(
      [&terminated_error](bobbin::Int32Array c) {
        try {
          bobbin::atomics::wait(c, 0, 0);
        } catch (const bobbin::TerminatedError&) {
          terminated_error = true;
          throw;
        }
      },
      cells);
  while (bobbin::parking_lot::parked(cells.element(0)) == 0) std::this_thread::yield();
  EXPECT_EQ(w.terminate().get(), 1);
  EXPECT_TRUE(terminated_error.load());
  bobbin::run();
}

TEST(Worker, TerminateStopsACooperativeCpuLoop) {
  std::atomic<bool> spinning{false};
  Worker<int> w([&] {
    spinning = true;
    while (!bobbin::this_worker::stop_requested()) {
    }
  });
  while (!spinning.load()) std::this_thread::yield();
  EXPECT_EQ(w.terminate().get(), 1);
  bobbin::run();
}

TEST(Worker, TerminateAfterExitResolvesWithTheCodeAndChangesNothing) {
  int exits = 0;
  Worker<int> w([] { bobbin::this_worker::exit(7); });
  w.on_exit([&](int) { ++exits; });
  bobbin::run();
  EXPECT_EQ(w.terminate().get(), 7);
  EXPECT_EQ(w.terminate().get(), 7);
  bobbin::run();
  EXPECT_EQ(exits, 1);
}

TEST(Worker, UnrefLetsTheParentLoopEnd) {
  std::atomic<bool> spinning{false};
  Worker<int> w([&] {
    spinning = true;
    while (!bobbin::this_worker::stop_requested()) {
    }
  });
  bool exited = false;
  w.on_exit([&](int) { exited = true; });
  EXPECT_TRUE(w.has_ref());
  w.unref();
  w.unref();  // idempotent
  EXPECT_FALSE(w.has_ref());
  bobbin::run();  // returns although the worker still runs
  EXPECT_FALSE(exited);
  EXPECT_GT(w.thread_id(), 0);
  // terminate().get() does not need this loop to run: the worker's thread fulfils it.
  EXPECT_EQ(w.terminate().get(), 1);
  w.ref();
  bobbin::run();  // delivers the exit
  EXPECT_TRUE(exited);
  w.ref();  // no-ops after exit
  w.unref();
}

TEST(Worker, DestructorTerminatesAndJoins) {
  std::atomic<bool> started{false}, unwound{false};
  bool exited = false;
  {
    struct Flag {
      std::atomic<bool>* f;
      ~Flag() { *f = true; }
    };
    Worker<int> w([&](ParentPort<int>& p) {
      Flag flag{&unwound};
      started = true;
      while (p.receive()) {
      }
    });
    w.on_exit([&](int) { exited = true; });  // detached by the destructor: never runs
    while (!started.load()) std::this_thread::yield();
  }
  EXPECT_TRUE(unwound.load());
  bobbin::run();  // the pending exit event runs no listener and releases the loop
  EXPECT_FALSE(exited);
}

// The exit event and terminate()'s promise come as soon as the worker has torn down its entry,
// loop and port; the thread's own end (here a thread_local's destructor) may come later, and
// the Worker's destructor joins it.
std::atomic<bool> thread_local_destroyed{false};

TEST(Worker, ExitComesBeforeTheJoinWhichTheDestructorDoes) {
  thread_local_destroyed = false;
  int code = -5;
  int id_at_exit = 0;
  std::optional<bobbin::Promise<int>> terminated;
  std::optional<Worker<int>> w;
  w.emplace([](ParentPort<int>& p) {
    struct Flag {
      ~Flag() { thread_local_destroyed = true; }
    };
    thread_local Flag flag;
    (void)&flag;
    p.post_message(0);  // "about to block"
    while (p.receive()) {
    }
  });
  w->on_message([&](int) { terminated = w->terminate(); });
  w->on_exit([&](int c) {
    code = c;
    id_at_exit = w->thread_id();
  });
  bobbin::run();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(id_at_exit, -1);
  ASSERT_TRUE(terminated.has_value());
  EXPECT_EQ(terminated->get(), 1);
  EXPECT_FALSE(w->post_message(1));
  w.reset();  // joins
  EXPECT_TRUE(thread_local_destroyed.load());
}

TEST(Worker, TerminateFromAnotherThreadWakesAParkedWorker) {
  std::atomic<int> got{0};
  Worker<int> w([](ParentPort<int>& p) {
    p.post_message(0);  // "about to block"
    while (p.receive()) {
    }
  });
  std::optional<std::thread> stopper;
  w.on_message([&](int) {
    stopper.emplace([&] { got = w.terminate().get() + 10; });
  });
  int code = -5;
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  stopper->join();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(got.load(), 11);
}

TEST(Worker, TerminateRightAfterConstructionGivesOne) {
  // Whether the thread has started yet or is already blocked, the code is 1.
  Worker<int> w([](ParentPort<int>& p) {
    while (p.receive()) {
    }
  });
  EXPECT_EQ(w.terminate().get(), 1);
  bobbin::run();
}

TEST(Worker, MoveKeepsTheWorker) {
  Worker<int> a([](ParentPort<int>& p) {
    while (auto m = p.receive()) p.post_message(*m * 2);
  });
  Worker<int> b(std::move(a));
  EXPECT_THROW(a.post_message(1), bobbin::TypeError);  // NOLINT: moved-from on purpose
  int got = 0;
  b.on_message([&](int v) {
    got = v;
    b.terminate();
  });
  b.post_message(21);
  bobbin::run();
  EXPECT_EQ(got, 42);
}

TEST(Worker, WorkerMayRunItsOwnLoop) {
  std::atomic<int> ticks{0};
  int code = -5;
  Worker<int> w([&] {
    bobbin::set_timeout([&] { ++ticks; }, std::chrono::milliseconds(1));
    bobbin::run();
    ++ticks;
  });
  w.on_exit([&](int c) { code = c; });
  bobbin::run();
  EXPECT_EQ(ticks.load(), 2);
  EXPECT_EQ(code, 0);
}

TEST(Worker, PostAfterExitReturnsFalse) {
  Worker<int> w([] {});
  bobbin::run();
  EXPECT_FALSE(w.post_message(1));
}

}  // namespace
