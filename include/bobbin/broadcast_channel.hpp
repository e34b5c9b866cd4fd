// bobbin/broadcast_channel.hpp — BroadcastChannel<T>: one-to-many messages between every open
// channel of the same name, on any thread.
//
// The C++ twin of the Web/Node BroadcastChannel:
//
//   bobbin::BroadcastChannel<Event> bus("events");   // joins every other "events" channel
//   bus.on_message([](Event e) { ... });             // delivered on this thread's loop
//   bus.post_message(e);                             // a clone to every OTHER open channel
//   auto e = bus.receive();                          // or pull: blocking, timed, try_receive
//   bus.close();                                     // leaves; later posts throw ClosedError
//
// Rules, as in Node:
//   - A message goes to every other open channel with the same name and the same message type
//     `T`, on any thread, never back to the sender, in the receivers' creation order. Channels
//     of different `T` never meet, even with the same name.
//   - Each receiver gets its own clone (copy), so `T` must be copyable; a SharedArrayBuffer in
//     it is shared with every receiver. There is no transfer: a MessagePort cannot be broadcast
//     (a compile error), a detached ArrayBuffer/TypedArray throws `DataCloneError` and then
//     nothing is delivered anywhere.
//   - `post_message` after `close()` throws `bobbin::ClosedError` (that check comes first).
//     `close()` is idempotent. A closed channel receives nothing more, not even messages that
//     were already queued for it (unlike MessagePort, which drains): closing a channel inside
//     its own listener stops the rest of the batch reaching it. Destroying a channel closes it.
//   - `on_message(fn)` (one listener; a second call replaces it; `off_message()` or
//     `on_message(nullptr)` removes it and pauses delivery without dropping anything) runs `fn`
//     on the current thread's loop and refs the channel: it keeps that loop alive until
//     closed, unless `unref()`'d. `ref()`, `unref()`, `has_ref()` as for MessagePort.
//   - `receive()` / `receive_for` / `receive_until` / `try_receive()` and
//     `receive_message_on_port(channel)` pull from the same queue as the listener; receive()
//     returns nullopt once the channel is closed; an interrupted receive() throws
//     `TerminatedError`.
//   - A channel created while a message is being broadcast receives only later messages.
//
// Lifetime: the registry of names is process-wide and never destroyed; a channel leaves it on
// close() or destruction. A listener must not outlive what it captures.
//
// Thread safety: post_message, close, closed, name and the receive family from any thread;
// on_message, off_message, ref, unref from the thread whose loop the channel is bound to.
//
// Memory ordering: everything a thread did before a post_message happens-before each
// receiver gets its clone (the per-receiver queue lock releases on push and acquires on pop).
// The registry is guarded by a mutex; joining and leaving are ordered with posts by it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "detail/port_queue.hpp"
#include "errors.hpp"
#include "message_channel.hpp"

namespace bobbin {

namespace detail {

// Every open BroadcastChannel<T>, by name, in creation order.
template <class T>
struct BroadcastRegistry {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::shared_ptr<PortQueue<T>>>> members;

  static BroadcastRegistry& instance() {
    static auto* registry = new BroadcastRegistry;  // never destroyed: channels may outlive main
    return *registry;
  }
};

}  // namespace detail

template <class T>
class BroadcastChannel {
  static_assert(std::is_object_v<T> && !std::is_array_v<T>,
                "BroadcastChannel<T> carries objects (not references or arrays)");
  static_assert(std::is_copy_constructible_v<T>,
                "BroadcastChannel<T> clones every message for each receiver, so T must be "
                "copyable; a move-only value (a MessagePort) cannot be broadcast: transfer it "
                "with std::move through a MessageChannel");

 public:
  // Joins the channels named `name` (an empty name is a name like any other).
  explicit BroadcastChannel(std::string name)
      : name_(std::move(name)), queue_(std::make_shared<Queue>(Queue::on_close_drop)) {
    auto& reg = Registry::instance();
    std::lock_guard<std::mutex> guard(reg.mutex);
    reg.members[name_].push_back(queue_);
  }

  BroadcastChannel(BroadcastChannel&&) noexcept = default;
  BroadcastChannel& operator=(BroadcastChannel&& other) noexcept {
    if (this != &other) {
      release();
      name_ = std::move(other.name_);
      queue_ = std::move(other.queue_);
    }
    return *this;
  }
  BroadcastChannel(const BroadcastChannel&) = delete;
  BroadcastChannel& operator=(const BroadcastChannel&) = delete;
  ~BroadcastChannel() { release(); }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // Clones `message` to every other open channel of this name. Throws ClosedError after
  // close(), DataCloneError for a detached buffer (then nothing is delivered).
  void post_message(const T& message) {
    if (closed()) throw ClosedError("BroadcastChannel is closed");
    detail::check_clone(message);
    auto& reg = Registry::instance();
    std::lock_guard<std::mutex> guard(reg.mutex);
    if (closed()) throw ClosedError("BroadcastChannel is closed");
    auto it = reg.members.find(name_);
    if (it == reg.members.end()) return;
    std::vector<Node*> nodes;
    nodes.reserve(it->second.size());
    try {
      for (const auto& q : it->second) {
        nodes.push_back(q == queue_ ? nullptr : new Node(message));
      }
    } catch (...) {
      for (Node* n : nodes) delete n;
      throw;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i] != nullptr) it->second[i]->push(nodes[i]);  // a closing receiver drops it
    }
  }

  // Sets the listener on the current thread's loop (replacing any); refs the channel.
  template <class F>
  requires std::is_invocable_v<F&, T&&>
  void on_message(F&& fn) {
    if (queue_) queue_->set_listener(typename Queue::Listener(std::forward<F>(fn)));
  }
  void on_message(std::nullptr_t) noexcept { off_message(); }
  void off_message() noexcept {
    if (queue_) queue_->clear_listener();
  }

  // Leaves the name; idempotent. Queued messages are dropped; blocked receivers wake.
  void close() noexcept {
    if (!queue_ || queue_->closed()) return;
    {
      auto& reg = Registry::instance();
      std::lock_guard<std::mutex> guard(reg.mutex);
      auto it = reg.members.find(name_);
      if (it != reg.members.end()) {
        std::erase(it->second, queue_);
        if (it->second.empty()) reg.members.erase(it);
      }
      queue_->close();  // under the registry lock: no post sees it open after this
    }
  }
  [[nodiscard]] bool closed() const noexcept { return !queue_ || queue_->closed(); }

  BroadcastChannel& ref() {
    if (queue_) queue_->ref();
    return *this;
  }
  BroadcastChannel& unref() noexcept {
    if (queue_) queue_->unref();
    return *this;
  }
  [[nodiscard]] bool has_ref() const noexcept { return queue_ && queue_->has_ref(); }

  std::optional<T> receive() {
    if (auto m = try_receive()) return m;
    return queue_ ? queue_->pop_until(detail::kNoDeadline) : std::nullopt;
  }
  template <class Rep, class Period>
  std::optional<T> receive_for(std::chrono::duration<Rep, Period> timeout) {
    if (auto m = try_receive()) return m;
    return queue_ ? queue_->pop_until(parking_lot::detail::deadline_after(timeout)) : std::nullopt;
  }
  template <class Clock, class Duration>
  std::optional<T> receive_until(std::chrono::time_point<Clock, Duration> deadline) {
    if (auto m = try_receive()) return m;
    return queue_ ? queue_->pop_until(parking_lot::detail::to_deadline(deadline)) : std::nullopt;
  }
  [[nodiscard]] std::optional<T> try_receive() { return queue_ ? queue_->try_pop() : std::nullopt; }

 private:
  using Queue = detail::PortQueue<T>;
  using Node = detail::PortNode<T>;
  using Registry = detail::BroadcastRegistry<T>;

  void release() noexcept {
    close();
    if (queue_) queue_->detach();
    queue_.reset();
  }

  std::string name_;
  std::shared_ptr<Queue> queue_;
};

// Node's receiveMessageOnPort on a BroadcastChannel: the next queued message, or nullopt.
template <class T>
[[nodiscard]] std::optional<T> receive_message_on_port(BroadcastChannel<T>& channel) {
  return channel.try_receive();
}

}  // namespace bobbin
