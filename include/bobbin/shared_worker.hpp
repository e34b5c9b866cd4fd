// bobbin/shared_worker.hpp — SharedWorker<In, Out>: the Web's SharedWorker, one named worker
// thread that many clients connect to, each through a port of its own.
//
//   // Every client, on any thread:
//   using Scope = bobbin::SharedWorkerScope<std::string>;
//   bobbin::SharedWorker<std::string> worker("hub", [](Scope& self) {
//     // runs once, on the worker's thread, when the first client creates "hub"
//     auto ports = std::make_shared<std::vector<bobbin::MessagePort<std::string>>>();
//     self.on_connect([ports](bobbin::MessagePort<std::string> port) {   // once per client
//       port.on_message([all = ports.get()](std::string m) {   // raw: the list owns the port
//         for (auto& p : *all) p.post_message(m);              // broadcast to every client
//       });
//       ports->push_back(std::move(port));
//     });
//   });
//   worker.port().on_message([](std::string m) { ... });   // this client's end
//   worker.port().post_message("hi");
//
// Members:
//   SharedWorker(name, entry) / SharedWorker(WorkerOptions{.name, .stack_size}, entry)
//       connects to the shared worker called `name`, starting it (running `entry(scope)` on a
//       new thread) if no live one has that name; otherwise `entry` is not used (the Web keys
//       a shared worker by script URL and name; bobbin by name alone).
//   port() -> MessagePort<In, Out>&   this client's end: sends In, receives Out
//   name()
//   SharedWorkerScope<In, Out> (worker side, the Web's SharedWorkerGlobalScope):
//   on_connect(fn(MessagePort<Out, In>))   fn runs on the worker's loop once per client, in
//       connection order, with that client's port (sends Out, receives In); name()
//
// Rules:
//   - One worker per name at a time, shared by every SharedWorker object (on any thread) that
//     names it. Using a live name with other message types throws `bobbin::TypeError`.
//   - Connections made before the worker attached its `on_connect` listener are queued, so no
//     client is missed. While a connect listener is set, the worker's loop stays alive (the
//     worker does not end between clients).
//   - When the shared worker ends: when the last SharedWorker object naming it is destroyed
//     (every client is gone). That destructor terminates the worker (as Worker::terminate
//     does: it is woken wherever it blocks in bobbin) and joins its thread. A later
//     SharedWorker with the same name starts a fresh worker. A worker that ends on its own
//     (its entry throws, or calls `this_worker::exit`, or nothing keeps its loop alive) closes
//     every port it held, so its clients see `close`; clients that connect afterwards, while
//     older clients still hold the name, get a port that is already closed.
//   - A client's port closes when its SharedWorker object is destroyed: the worker sees `close`
//     on its end (the place to drop the port from a broadcast list, as the book's fix does).
//   - A port's listeners live in the port: a listener that owns (a list of) ports, its own
//     included, is a reference cycle that keeps them all alive after the worker ends. Capture
//     such a list by raw pointer (the list owns the ports, as above) or weakly.
//   - Inside the worker, `bobbin::is_main_thread()` is false, `thread_id()` is its own id, and
//     the environment data is a copy of the creating client's.
//
// Lifetime: see "When the shared worker ends" above; the registry holds a worker only weakly, so
// the SharedWorker objects are its only owners.
//
// Thread safety: constructing and destroying SharedWorker objects is thread-safe (a global
// registry under a lock). Each SharedWorker object, and its port, belongs to its thread.
//
// Memory ordering: everything a client did before its SharedWorker constructor returned
// happens-before the worker's `on_connect` for that client (the connection travels as a
// message); messages then follow the MessagePort rules. Everything the worker did
// happens-before the last client's destructor returns (the thread is joined).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "detail/platform.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "message_channel.hpp"
#include "worker.hpp"

namespace bobbin {

template <class In, class Out = In>
class SharedWorker;

// The worker side of a SharedWorker: where clients' connections arrive.
template <class In, class Out = In>
class SharedWorkerScope {
 public:
  using Port = MessagePort<Out, In>;  // the worker's end of one client's channel

  SharedWorkerScope(const SharedWorkerScope&) = delete;
  SharedWorkerScope& operator=(const SharedWorkerScope&) = delete;

  // Sets the connect listener (replacing any): fn(Port) runs on the worker's loop once per
  // client, queued connections first. Keeps the worker's loop alive.
  template <class F>
    requires std::is_invocable_v<F&, Port&&>
  void on_connect(F&& fn) {
    connections_.on_message(std::forward<F>(fn));
  }

  // The shared worker's name.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  template <class, class>
  friend class SharedWorker;

  SharedWorkerScope(MessagePort<Port, Port> connections, std::string name)
      : connections_(std::move(connections)), name_(std::move(name)) {}

  MessagePort<Port, Port> connections_;  // receives each client's port
  std::string name_;
};

namespace detail {

// A live shared worker, whatever its message types (the registry holds these).
struct SharedWorkerInstanceBase {
  virtual ~SharedWorkerInstanceBase() = default;
};

struct SharedWorkerRegistry {
  WordLock lock;  // held for a lookup and, for a new name, a thread start
  std::map<std::string, std::weak_ptr<SharedWorkerInstanceBase>, std::less<>> by_name;
};

inline SharedWorkerRegistry& shared_worker_registry() {
  static SharedWorkerRegistry registry;
  return registry;
}

}  // namespace detail

template <class In, class Out>
class SharedWorker {
 public:
  using Port = MessagePort<In, Out>;  // a client's end: sends In, receives Out

  template <class Entry>
    requires std::is_invocable_v<std::decay_t<Entry>&, SharedWorkerScope<In, Out>&>
  SharedWorker(std::string name, Entry&& entry)
      : SharedWorker(WorkerOptions{.name = std::move(name), .stack_size = 0},
                     std::forward<Entry>(entry)) {}

  template <class Entry>
    requires std::is_invocable_v<std::decay_t<Entry>&, SharedWorkerScope<In, Out>&>
  SharedWorker(WorkerOptions options, Entry&& entry) : port_(connect(options, entry)) {}

  SharedWorker(SharedWorker&&) noexcept = default;
  SharedWorker& operator=(SharedWorker&&) noexcept = default;
  SharedWorker(const SharedWorker&) = delete;
  SharedWorker& operator=(const SharedWorker&) = delete;

  // Closes this client's port; the last client terminates and joins the worker.
  ~SharedWorker() = default;

  // This client's port.
  [[nodiscard]] Port& port() noexcept { return port_.port; }
  [[nodiscard]] const std::string& name() const noexcept { return port_.instance->name; }

 private:
  using WorkerPort = MessagePort<Out, In>;

  struct Instance : detail::SharedWorkerInstanceBase {
    Instance(std::string worker_name, MessagePort<WorkerPort, WorkerPort> connect_end)
        : name(std::move(worker_name)),
          control(std::make_shared<detail::WorkerControl>(name)),
          connect(std::move(connect_end)) {}

    ~Instance() override {
      control->request_stop();
      thread.join();
    }

    std::string name;
    std::shared_ptr<detail::WorkerControl> control;
    MessagePort<WorkerPort, WorkerPort> connect;  // posts each new client's worker-side port
    detail::NativeThread thread;
  };

  // Members in destruction order: the port closes before the instance (and maybe the worker)
  // goes away, so the worker sees this client leave before it is terminated.
  struct Connection {
    std::shared_ptr<Instance> instance;
    Port port;
  };

  template <class Entry>
  static Connection connect(WorkerOptions& options, Entry& entry) {
    if (options.name.empty()) throw TypeError("SharedWorker: the name must not be empty");
    std::shared_ptr<Instance> instance;
    {
      auto& registry = detail::shared_worker_registry();
      std::lock_guard guard(registry.lock);
      auto it = registry.by_name.find(options.name);
      if (it != registry.by_name.end()) {
        if (auto live = it->second.lock()) {
          instance = std::dynamic_pointer_cast<Instance>(live);
          if (!instance) {
            throw TypeError("SharedWorker: '" + options.name +
                            "' is running with other message types");
          }
        }
      }
      if (!instance) {
        instance = start(options, std::decay_t<Entry>(std::forward<Entry>(entry)));
        registry.by_name.insert_or_assign(options.name, instance);
      }
    }
    MessageChannel<In, Out> channel;
    instance->connect.post_message(std::move(channel.port2));  // false if the worker ended
    return Connection{std::move(instance), std::move(channel.port1)};
  }

  template <class E>
  static std::shared_ptr<Instance> start(const WorkerOptions& options, E entry) {
    MessageChannel<WorkerPort, WorkerPort> connections;
    auto instance = std::make_shared<Instance>(options.name, std::move(connections.port1));
    try {
      instance->thread = detail::NativeThread(
          options.stack_size, [control = instance->control, name = options.name,
                               port = std::move(connections.port2),
                               entry = std::move(entry)]() mutable {
            thread_main(std::move(control), std::move(name), std::move(port), std::move(entry));
          });
    } catch (const std::system_error& e) {
      throw Error(std::string("SharedWorker: cannot start a thread: ") + e.what());
    }
    return instance;
  }

  template <class E>
  static void thread_main(std::shared_ptr<detail::WorkerControl> control, std::string name,
                          MessagePort<WorkerPort, WorkerPort> connections, E entry) noexcept {
    int code = 0;
    {
      SharedWorkerScope<In, Out> scope(std::move(connections), std::move(name));
      code = control->run([&] { std::invoke(entry, scope); });
      // Close, then drop the connections still queued: their clients see `close`.
      scope.connections_.close();
      while (scope.connections_.try_receive()) {
      }
    }
    control->finish(code, [] {});
  }

  Connection port_;
};

}  // namespace bobbin
