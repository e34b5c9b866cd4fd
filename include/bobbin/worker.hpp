// bobbin/worker.hpp — Worker<In, Out>: Node's worker_threads Worker on a C++ thread.
//
// A `Worker` runs an entry function on a new thread that has its own event loop. The entry
// gets the worker's `ParentPort` and its worker data (the constructor's extra arguments, cloned
// when passed as lvalues, transferred when passed as rvalues, exactly like messages):
//
//   bobbin::Worker<std::string> w([](bobbin::ParentPort<std::string>& parent) {
//     parent.on_message([&](std::string m) { parent.post_message(m + " Received"); });
//   });
//   w.on_message([&](std::string m) { std::puts(m.c_str()); w.terminate(); });
//   w.on_exit([](int code) { /* 1: terminated */ });
//   w.post_message("Hello, Worker!");
//   bobbin::run();                       // returns once the worker's exit has been delivered
//
//   bobbin::Worker<int> counter(bobbin::WorkerOptions{.name = "counter", .stack_size = 1 << 20},
//                               [](bobbin::ParentPort<int>& parent, Job job) { ... }, Job{...});
//
// Parent side (the thread that constructs the Worker; its event loop receives the events):
//   post_message(In)        queued until the worker listens; false (a no-op) once it has exited
//   on_online(fn())         the worker started running its entry
//   on_message(fn(Out))     each message the worker posted, in order
//   on_error(fn(exception_ptr))  an exception escaped the entry or a callback of its loop
//   on_exit(fn(int code))   always the last event: 0 normal end, 1 after an uncaught exception
//                           or terminate(), n after bobbin::this_worker::exit(n)
//   terminate() -> Promise<int>  stops the worker; fulfilled with its exit code
//   ref(), unref(), has_ref()    whether the running worker keeps the parent's loop alive
//   thread_id()             the worker's id (1, 2, ...), -1 once its exit has been delivered
//   name()                  the name given in WorkerOptions ("WorkerThread" by default)
//
// Worker side: `ParentPort<In, Out>` (`post_message(Out)`, `on_message(fn(In))`, `close()`,
// `receive()` and the rest of `MessagePort` through `port()`), and the free functions
// `bobbin::is_main_thread()`, `bobbin::thread_id()`, `bobbin::this_worker::stop_requested()`,
// `bobbin::this_worker::exit(code)`, `bobbin::this_worker::name()`,
// `bobbin::set_environment_data(key, value)` / `get_environment_data<T>(key)`.
//
// Rules:
//   - Lifetime of a worker, as in Node: it runs its entry, then its event loop while anything
//     there is ref'd (a listener on the parent port is, as are timers and pending promises),
//     then ends. The entry may also call `bobbin::run()` itself.
//   - Events run on the parent's loop in this order: `online`, the messages, `error` (if any),
//     `exit`. Every message the worker posted is delivered before `error` and `exit`.
//     `thread_id()` reads -1 from just before `on_exit` runs.
//   - An uncaught exception ends the worker (its pending timers never run): `on_error` gets it,
//     then `on_exit(1)`. With no `on_error` listener the exception is rethrown on the parent's
//     loop after `on_exit` has run (Node's unhandled 'error' event), so a grandchild's error
//     reaches the top through every parent that did not handle it. A handler installed in the
//     worker with `EventLoop::on_uncaught_exception` keeps the worker alive (Node's
//     `process.on('uncaughtException')`).
//   - `this_worker::exit(n)` ends the worker at once: it throws an unwinding object (not a
//     std::exception, so `catch (const std::exception&)` does not stop it) and interrupts the
//     thread, so no later blocking call returns normally; exit code n, no `error`. Outside a
//     worker it throws `bobbin::TypeError`.
//   - `terminate()` asks the worker to stop and wakes it wherever it blocks in bobbin
//     (`atomics::wait`, `receive`, a mutex, a queue, `Promise::get`, its event loop): that call
//     throws `bobbin::TerminatedError`, which unwinds the entry. Code that does not block must
//     poll `this_worker::stop_requested()` (C++ cannot preempt a thread). The exit code is 1,
//     even if the entry then returns normally, and there is no `error`. On a worker that has
//     already ended, `terminate()` changes nothing and its promise is fulfilled with the code
//     the worker ended with (Node gives `undefined`). The promise is fulfilled by the worker's
//     thread as it ends, so `terminate().get()` never needs the parent's loop to run.
//   - Nested workers end with their parent: when a worker ends, every worker it started is
//     asked to stop, and the `Worker` objects it still holds (on its stack or in its loop) are
//     destroyed, which joins them, before its own `exit` is posted.
//   - Worker data and messages: the entry receives each extra argument as an rvalue, so it takes
//     them by value, `const&` or `&&`. A move-only argument (a `MessagePort`) must be passed
//     with `std::move` (otherwise: a compile error saying so). The constructor checks the data
//     as `post_message` checks a message: a detached `ArrayBuffer`, or a moved-from or closed
//     `MessagePort`, throws `bobbin::DataCloneError` before any thread starts. The entry may
//     omit the `ParentPort&` parameter.
//   - Environment data (`set_environment_data`) belongs to each thread; a new worker gets a
//     copy of its creator's map as it is when the `Worker` is constructed (values are copied,
//     so a `SharedArrayBuffer` is shared, an `ArrayBuffer` cloned). Keys are strings.
//   - The thread is named for the OS after `WorkerOptions::name` (first 15 bytes on Linux) and
//     gets a stack of `WorkerOptions::stack_size` bytes (0: the system default). A thread that
//     cannot be created makes the constructor throw `bobbin::Error`.
//
// Lifetime: the destructor of a `Worker` whose thread is still running terminates it and joins
// the thread (RAII, Node's `Symbol.asyncDispose`); it also detaches the listeners: none of them
// runs afterwards (an exit event still pending releases the parent's loop and calls nothing).
// A `Worker` is movable and not copyable. The worker's `ParentPort`, its data and everything
// its loop holds are destroyed on the worker's thread before its exit is reported. The exit
// event (and terminate()'s promise) does not wait for the OS thread to end: what follows it on
// the worker's thread is only the thread's own end (the thread_local destructors, the C
// library's thread exit), which the destructor (or a move-assignment over the Worker) joins;
// so a thread_local destructor of the worker's may still be running while `on_exit` runs. The
// control block shared by both sides lives until the last of them lets go.
//
// Thread safety: a `Worker` belongs to the thread that constructed it (its listeners run on that
// thread's loop): call its members there. `terminate()` and `thread_id()` may be called from
// any thread. The free functions act on the calling thread.
//
// Memory ordering: everything the parent did before `post_message` happens-before the worker's
// listener receives that message, and everything the worker did before `post_message` (or
// before ending) happens-before the parent's `on_message` (or `on_error`/`on_exit`) runs: the
// port's queue and the parent loop's `post` carry the hand-off. Everything the worker did
// happens-before its terminate promise is fulfilled (the control block's lock). The start
// handshake uses the same lock: a `terminate()` that comes before the thread has started is
// seen by it before it runs the entry (which it then skips).
#pragma once

#include <any>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/platform.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "message_channel.hpp"
#include "parking_lot.hpp"
#include "promise.hpp"

namespace bobbin {

// Options of a Worker (Node's `name` and `resourceLimits.stackSizeMb`).
struct WorkerOptions {
  std::string name = {};       // the thread's name; empty: "WorkerThread"
  std::size_t stack_size = 0;  // bytes; 0: the system default
};

namespace detail {

// The environment data of one thread (Node's setEnvironmentData map).
using EnvironmentData = std::map<std::string, std::any, std::less<>>;

inline EnvironmentData& environment_data() {
  thread_local EnvironmentData data;
  return data;
}

// Thrown by this_worker::exit; deliberately not a std::exception.
struct WorkerExit {
  int code;
};

class WorkerControl;

// What a thread knows about itself: its worker id (0 when not a worker), its worker's control
// block, and the workers it started (asked to stop when it ends).
struct WorkerThreadState {
  int id = 0;
  WorkerControl* control = nullptr;
  std::vector<std::weak_ptr<WorkerControl>> children;
};

inline WorkerThreadState& worker_thread_state() {
  thread_local WorkerThreadState state;
  return state;
}

inline int next_worker_id() noexcept {
  static std::atomic<int> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);  // relaxed: only uniqueness matters
}

// The part of a worker shared by its owner and its thread that does not depend on the message
// types: identity, the stop/exit requests, the start handshake, the exit code and the
// terminate() promises.
class WorkerControl {
 public:
  explicit WorkerControl(std::string worker_name)
      : id_(next_worker_id()),
        public_id_(id_),
        name_(worker_name.empty() ? std::string("WorkerThread") : std::move(worker_name)),
        environment_(environment_data()) {}

  WorkerControl(const WorkerControl&) = delete;
  WorkerControl& operator=(const WorkerControl&) = delete;
  virtual ~WorkerControl() = default;

  [[nodiscard]] int id() const noexcept { return id_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool stop_requested() const noexcept {
    return stop_.load(std::memory_order_seq_cst) || exiting_.load(std::memory_order_seq_cst);
  }

  // Asks the worker to stop and wakes it wherever it is parked. Any thread. Returns whether
  // the worker was parked (and is now woken).
  bool request_stop() {
    lock_.lock();
    stop_.store(true, std::memory_order_seq_cst);
    parking_lot::ThreadHandle handle = handle_;
    lock_.unlock();
    return parking_lot::interrupt(handle);  // an empty handle (not started yet) is a no-op
  }

  // terminate(): stops the worker; fulfilled with its exit code when its thread ends (at once
  // if it has ended). Any thread.
  Promise<int> terminate() {
    lock_.lock();
    if (finished_) {
      const int code = code_;
      lock_.unlock();
      return Promise<int>::resolved(code);
    }
    auto [promise, resolver] = Promise<int>::with_resolvers();
    try {
      resolvers_.push_back(std::move(resolver));
    } catch (...) {
      lock_.unlock();
      throw;
    }
    lock_.unlock();
    if (request_stop()) {
      // The worker was parked and is now runnable. If it shares this core, the caller's next
      // wait (its loop spins ~2 us before yielding) would only delay it: yield the core now.
      std::this_thread::yield();
    }
    return promise;
  }

  // Worker thread: this_worker::exit(code).
  [[noreturn]] void exit(int code) {
    exit_code_.store(code, std::memory_order_relaxed);  // relaxed: read on this thread only
    exiting_.store(true, std::memory_order_seq_cst);
    parking_lot::interrupt(parking_lot::this_thread());
    throw WorkerExit{code};
  }

  // The parent's view of the id: -1 once the exit has been delivered.
  [[nodiscard]] int public_id() const noexcept {
    return public_id_.load(std::memory_order_seq_cst);
  }
  void mark_exited() noexcept { public_id_.store(-1, std::memory_order_seq_cst); }

  // Worker thread: runs `body()` (the entry) and then the loop, and tears the worker down.
  // Returns the exit code; `uncaught()` then holds the uncaught exception, if any.
  template <class Body>
  int run(Body&& body) noexcept {
    WorkerThreadState& self = worker_thread_state();
    self.id = id_;
    self.control = this;
    set_current_thread_name(name_);
    environment_data() = std::move(environment_);
    lock_.lock();
    handle_ = parking_lot::this_thread();
    const bool stopped = stop_.load(std::memory_order_seq_cst);
    lock_.unlock();
    if (!stopped) {
      try {
        body();
        // A worker idle in its loop when terminate() comes ends without an exception (the
        // loop returns false). Any other interrupt (nothing in bobbin sends one) keeps the old
        // path: TerminatedError out of the loop, reported as the worker's error.
        if (!EventLoop::current().run_until_interrupted() && !stop_requested()) {
          throw TerminatedError("the event loop's thread was interrupted");
        }
      } catch (const WorkerExit&) {
        // this_worker::exit: the code is in exit_code_
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    int code = 0;
    if (exiting_.load(std::memory_order_seq_cst)) {
      code = exit_code_.load(std::memory_order_relaxed);  // relaxed: written on this thread
      error_ = nullptr;
    } else if (stop_.load(std::memory_order_seq_cst)) {
      code = 1;
      error_ = nullptr;
    } else if (error_) {
      code = 1;
    }
    // Teardown may wait (joining nested workers): it must not see the interrupt.
    parking_lot::clear_interrupt();
    for (const auto& child : self.children) {
      if (auto c = child.lock()) c->request_stop();
    }
    self.children.clear();
    // Destroys whatever the loop still holds (nested Worker objects join here), so that the
    // worker's exit is reported only once they have ended.
    EventLoop::current().close();
    return code;
  }

  [[nodiscard]] std::exception_ptr uncaught() const noexcept { return error_; }

  // Worker thread, last: publishes the code, calls `report()` (which posts the exit event),
  // then fulfils the terminate() promises. Returns whether there were any (someone called
  // terminate() and is waiting for this exit).
  template <class Report>
  bool finish(int code, Report&& report) noexcept {
    lock_.lock();
    finished_ = true;
    code_ = code;
    std::vector<Resolver<int>> resolvers = std::move(resolvers_);
    resolvers_.clear();
    lock_.unlock();
    WorkerThreadState& self = worker_thread_state();
    self.control = nullptr;
    try {
      report();
    } catch (...) {
      // the parent is gone: nobody to report to
    }
    for (const auto& r : resolvers) {
      try {
        r.resolve(code);
      } catch (...) {
        // allocation failure while dispatching a continuation: nothing more to do
      }
    }
    return !resolvers.empty();
  }

 private:
  const int id_;
  std::atomic<int> public_id_;
  const std::string name_;
  EnvironmentData environment_;  // the creator's snapshot, moved into the thread at start

  std::atomic<bool> stop_{false};     // terminate() was called
  std::atomic<bool> exiting_{false};  // this_worker::exit was called
  std::atomic<int> exit_code_{0};     // its argument
  std::exception_ptr error_;          // worker thread only, until finish()

  WordLock lock_;  // guards the fields below
  parking_lot::ThreadHandle handle_;  // the worker's thread, once started
  bool finished_ = false;
  int code_ = 0;
  std::vector<Resolver<int>> resolvers_;
};

// Registers a worker started by the calling thread, if that thread is itself a worker.
inline void register_child(const std::shared_ptr<WorkerControl>& child) noexcept {
  WorkerThreadState& self = worker_thread_state();
  if (self.control == nullptr) return;
  if (self.children.size() >= 16 && (self.children.size() & (self.children.size() - 1)) == 0) {
    std::erase_if(self.children, [](const std::weak_ptr<WorkerControl>& w) { return w.expired(); });
  }
  try {
    self.children.push_back(child);
  } catch (...) {
    // out of memory: the child is still torn down by its Worker object's destructor
  }
}

}  // namespace detail

// True on every thread that is not a worker (Node's isMainThread).
[[nodiscard]] inline bool is_main_thread() noexcept {
  return detail::worker_thread_state().id == 0;
}

// The calling thread's id: 0 on a thread that is not a worker, the worker's id in a worker.
[[nodiscard]] inline int thread_id() noexcept { return detail::worker_thread_state().id; }

// Sets `key` in the calling thread's environment data; workers constructed afterwards get a
// copy. `value` must be copyable.
template <class T>
void set_environment_data(std::string key, T value) {
  static_assert(std::is_copy_constructible_v<T>,
                "environment data is copied into each new worker: the value must be copyable");
  detail::environment_data().insert_or_assign(std::move(key), std::any(std::move(value)));
}

// Removes `key` from the calling thread's environment data (Node: setting it to undefined).
inline void set_environment_data(std::string_view key) {
  auto& data = detail::environment_data();
  if (auto it = data.find(key); it != data.end()) data.erase(it);
}

// A copy of the value stored under `key`, or nullopt if there is none. Throws
// `bobbin::TypeError` if the value stored there is not a `T`.
template <class T>
[[nodiscard]] std::optional<T> get_environment_data(std::string_view key) {
  auto& data = detail::environment_data();
  auto it = data.find(key);
  if (it == data.end()) return std::nullopt;
  if (const T* value = std::any_cast<T>(&it->second)) return *value;
  throw TypeError("get_environment_data: the value stored under this key has another type");
}

namespace this_worker {

// Whether the calling worker was asked to stop (terminate(), or its own exit()); false outside
// a worker. CPU-bound loops poll it.
[[nodiscard]] inline bool stop_requested() noexcept {
  const detail::WorkerControl* control = detail::worker_thread_state().control;
  return control != nullptr && control->stop_requested();
}

// Ends the calling worker with exit code `code` (Node's process.exit inside a worker); code
// after it does not run. Outside a worker: throws `bobbin::TypeError`.
[[noreturn]] inline void exit(int code = 0) {
  detail::WorkerControl* control = detail::worker_thread_state().control;
  if (control == nullptr) throw TypeError("this_worker::exit: the calling thread is not a worker");
  control->exit(code);
}

// The calling worker's name ("" outside a worker).
[[nodiscard]] inline std::string name() {
  const detail::WorkerControl* control = detail::worker_thread_state().control;
  return control == nullptr ? std::string() : control->name();
}

}  // namespace this_worker

// The worker's end of its channel to the parent (Node's `parentPort`): receives `In`, sends
// `Out`. It lives until the worker's thread ends, so listeners may capture it by reference.
template <class In, class Out = In>
class ParentPort {
 public:
  using Port = MessagePort<Out, In>;

  explicit ParentPort(Port port) : port_(std::move(port)) {}
  ParentPort(const ParentPort&) = delete;
  ParentPort& operator=(const ParentPort&) = delete;

  // To the parent's `on_message`. False (a no-op) once the port is closed.
  template <class M>
  bool post_message(M&& message) {
    static_assert(std::is_constructible_v<Out, M&&>,
                  "post_message: the message must convert to the port's type; a move-only value "
                  "must be transferred with std::move");
    if constexpr (std::is_same_v<std::remove_cvref_t<M>, Out>) {
      return port_.post_message(std::forward<M>(message));  // const& clones, && moves
    } else {
      return port_.post_message(Out(std::forward<M>(message)));
    }
  }

  // Starts delivering the parent's messages on the worker's loop; keeps the worker alive.
  template <class F>
  void on_message(F&& fn) {
    port_.on_message(std::forward<F>(fn));
  }

  // Blocks for the parent's next message; nullopt once the port is closed and drained. Throws
  // TerminatedError when the worker is terminated.
  std::optional<In> receive() { return port_.receive(); }

  // The next message if one is queued (Node's receiveMessageOnPort(parentPort)).
  std::optional<In> try_receive() { return port_.try_receive(); }

  // Closes the channel: the parent's posts are dropped from now on.
  void close() { port_.close(); }

  // The underlying MessagePort, for everything else (ref, unref, on_close, timed receives).
  Port& port() noexcept { return port_; }

 private:
  Port port_;
};

template <class In, class Out = In>
class Worker {
 public:
  using Port = MessagePort<In, Out>;

  // Starts `entry(parent_port, data...)` (or `entry(data...)`) on a new thread.
  template <class Entry, class... Args>
    requires(!std::is_same_v<std::decay_t<Entry>, WorkerOptions>)
  explicit Worker(Entry&& entry, Args&&... data)
      : Worker(WorkerOptions{}, std::forward<Entry>(entry), std::forward<Args>(data)...) {}

  template <class Entry, class... Args>
  Worker(WorkerOptions options, Entry&& entry, Args&&... data) {
    static_assert((std::is_constructible_v<std::decay_t<Args>, Args&&> && ...),
                  "worker data is cloned (copied) or transferred (moved) into the worker: a "
                  "move-only value must be transferred with std::move");
    using E = std::decay_t<Entry>;
    static_assert(std::is_invocable_v<E&, ParentPort<In, Out>&, std::decay_t<Args>&&...> ||
                      std::is_invocable_v<E&, std::decay_t<Args>&&...>,
                  "the entry must be callable as entry(ParentPort<In, Out>&, data...) or "
                  "entry(data...), taking the data by value, const& or &&");
    (validate_data<Args>(data), ...);  // DataCloneError before anything happened
    auto payload = std::make_unique<Payload<E, std::decay_t<Args>...>>(
        std::forward<Entry>(entry), std::forward<Args>(data)...);
    MessageChannel<In, Out> channel;
    core_ = std::make_shared<Core>(std::move(options.name), std::move(channel.port1));
    core_->parent_loop = EventLoop::current().shared_from_this();
    try {
      thread_ = detail::NativeThread(
          options.stack_size,
          [core = core_, port = std::move(channel.port2), payload = std::move(payload)]() mutable {
            thread_main(std::move(core), std::move(port), std::move(payload));
          });
    } catch (const std::system_error& e) {
      throw Error(std::string("Worker: cannot start a thread: ") + e.what());
    }
    // After the start: the exit event runs on this thread's loop, so it cannot come first.
    core_->parent_loop->add_ref();  // released when the exit is delivered (or by unref)
    core_->refed = true;
    detail::register_child(core_);
  }

  Worker(Worker&&) noexcept = default;
  Worker& operator=(Worker&& other) noexcept {
    if (this != &other) {
      Worker dying(std::move(*this));
      core_ = std::move(other.core_);
      thread_ = std::move(other.thread_);
    }
    return *this;
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Terminates a running worker and joins its thread; no listener runs afterwards.
  ~Worker() {
    if (!core_) return;
    core_->detached = true;
    if (thread_.joinable()) {
      try {
        core_->request_stop();
      } catch (...) {
        // cannot happen (request_stop allocates nothing); keep the destructor noexcept
      }
      thread_.join();
    }
  }

  // Sends a message to the worker (cloned from an lvalue, transferred from an rvalue). Returns
  // false, and does nothing, once the worker has exited.
  template <class M>
  bool post_message(M&& message) {
    static_assert(std::is_constructible_v<In, M&&>,
                  "post_message: the message must convert to the worker's input type; a "
                  "move-only value must be transferred with std::move");
    if constexpr (std::is_same_v<std::remove_cvref_t<M>, In>) {
      return checked().port.post_message(std::forward<M>(message));  // const& clones, && moves
    } else {
      return checked().port.post_message(In(std::forward<M>(message)));
    }
  }

  // Listeners; each replaces the previous one. They run on this thread's loop.
  void on_online(std::function<void()> fn) { checked().online_fn = std::move(fn); }
  void on_error(std::function<void(std::exception_ptr)> fn) { checked().error_fn = std::move(fn); }
  void on_exit(std::function<void(int)> fn) { checked().exit_fn = std::move(fn); }
  void on_message(std::function<void(Out)> fn) {
    Core& core = checked();
    core.message_fn = std::make_shared<std::function<void(Out)>>(std::move(fn));
    if (core.listening || core.exited) return;
    core.listening = true;
    core.port.on_message([c = &core](Out m) {
      // A local owner: the listener may replace itself (on_message) or destroy the Worker.
      std::shared_ptr<std::function<void(Out)>> fn = c->message_fn;
      if (!c->detached && *fn) (*fn)(std::move(m));
    });
    core.port.unref();  // only the Worker's own ref keeps the parent's loop alive
  }

  // Stops the worker (see the header comment); fulfilled with its exit code.
  Promise<int> terminate() { return checked().terminate(); }

  // Whether the running worker keeps this thread's loop alive. No-ops after exit.
  void ref() {
    Core& core = checked();
    if (core.exited || core.refed) return;
    core.refed = true;
    core.parent_loop->add_ref();
  }
  void unref() {
    Core& core = checked();
    if (core.exited || !core.refed) return;
    core.refed = false;
    core.parent_loop->release_ref();
  }
  [[nodiscard]] bool has_ref() const { return checked().refed; }

  // The worker's id; -1 once its exit has been delivered.
  [[nodiscard]] int thread_id() const { return checked().public_id(); }
  [[nodiscard]] const std::string& name() const { return checked().name(); }

 private:
  struct Core : detail::WorkerControl {
    Core(std::string worker_name, Port parent_end)
        : detail::WorkerControl(std::move(worker_name)), port(std::move(parent_end)) {}
    Port port;  // the parent's end
    std::shared_ptr<EventLoop> parent_loop;
    // Parent thread only:
    std::function<void()> online_fn;
    std::shared_ptr<std::function<void(Out)>> message_fn;
    std::function<void(std::exception_ptr)> error_fn;
    std::function<void(int)> exit_fn;
    bool refed = false;
    bool listening = false;
    bool exited = false;
    bool detached = false;  // the Worker was destroyed: listeners no longer run

    void deliver_online() {
      if (detached || !online_fn) return;
      auto fn = online_fn;
      fn();
    }

    // The exit event, on the parent's loop: the last messages, then error, then exit.
    void deliver_exit(int code, std::exception_ptr failure) {
      std::exception_ptr rethrow;
      const auto guarded = [&rethrow](auto&& call) {
        try {
          call();
        } catch (...) {
          if (!rethrow) rethrow = std::current_exception();
        }
      };
      if (listening) {
        while (!detached && *message_fn) {
          std::optional<Out> m = port.try_receive();
          if (!m) break;
          guarded([&] {
            std::shared_ptr<std::function<void(Out)>> fn = message_fn;
            (*fn)(std::move(*m));
          });
        }
      }
      if (failure && !detached) {
        if (error_fn) {
          guarded([&] { auto fn = error_fn; fn(failure); });
        } else if (!rethrow) {
          rethrow = failure;  // Node: an 'error' event without a listener throws
        }
      }
      exited = true;
      mark_exited();
      if (refed) {
        refed = false;
        parent_loop->release_ref();
      }
      if (!detached && exit_fn) {
        guarded([&] { auto fn = exit_fn; fn(code); });
      }
      port.close();
      if (rethrow) std::rethrow_exception(rethrow);
    }
  };

  template <class E, class... A>
  struct Payload {
    template <class F, class... B>
    explicit Payload(F&& f, B&&... b) : entry(std::forward<F>(f)), data(std::forward<B>(b)...) {}
    E entry;
    std::tuple<A...> data;

    void operator()(ParentPort<In, Out>& parent) {
      std::apply(
          [&](A&... d) {
            if constexpr (std::is_invocable_v<E&, ParentPort<In, Out>&, A&&...>) {
              std::invoke(entry, parent, std::move(d)...);
            } else {
              std::invoke(entry, std::move(d)...);
            }
          },
          data);
    }
  };

  // The checks of post_message: a detached buffer, a moved-from or closed port throw
  // DataCloneError; a port that is transferred drops its bindings on this thread.
  template <class A>
  static void validate_data(std::remove_reference_t<A>& value) {
    using T = std::remove_cvref_t<A>;
    if constexpr (std::is_lvalue_reference_v<A>) {
      detail::check_clone<T>(std::as_const(value));
    } else {
      detail::check_transfer<T>(std::as_const(value));
      if constexpr (detail::is_message_port<T>::value) detail::PortAccess::unbind(value);
    }
  }

  template <class P>
  static void thread_main(std::shared_ptr<Core> core, MessagePort<Out, In> port,
                          std::unique_ptr<P> payload) noexcept {
    int code = 0;
    {
      ParentPort<In, Out> parent(std::move(port));
      code = core->run([&] {
        core->parent_loop->post([c = core] { c->deliver_online(); });
        (*payload)(parent);
      });
      payload.reset();
      try {
        parent.close();
      } catch (...) {
        // closing never fails in practice; the port is destroyed next anyway
      }
    }
    std::exception_ptr failure = core->uncaught();
    const bool awaited = core->finish(code, [&] {
      core->parent_loop->post(
          [c = core, code, failure] { c->deliver_exit(code, failure); });
    });
    // The exit is reported; what is left is the thread's own end (thread-local destructors, the
    // C library's thread exit), which the Worker's destructor joins. A terminate() caller is
    // waiting for this exit: if it shares this core, it would get the core back only once all
    // of that has run (~10 us), so give the core up once now. Alone on a core this costs one
    // system call, off the caller's path. (Not after a natural end: a parent that destroys the
    // Worker right after its exit would then sleep in the join and need one more wake-up.)
    if (awaited) std::this_thread::yield();
  }

  Core& checked() const {
    if (!core_) throw TypeError("Worker: this object was moved from");
    return *core_;
  }

  std::shared_ptr<Core> core_;
  detail::NativeThread thread_;
};

}  // namespace bobbin
