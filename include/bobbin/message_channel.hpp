// bobbin/message_channel.hpp — MessageChannel and MessagePort: two entangled ports that pass
// messages between threads, by clone (copy) or transfer (move).
//
// The C++ twin of the Web/Node MessageChannel:
//
//   bobbin::MessageChannel<Request, Reply> ch;     // port1 sends Request, receives Reply
//   std::thread t([p = std::move(ch.port2)]() mutable {   // a port moves to another thread
//     while (auto req = p.receive()) p.post_message(handle(*req));   // blocking pull
//   });
//   ch.port1.on_message([](Reply r) { ... });      // push: delivered on this thread's loop
//   ch.port1.post_message(req);                    // lvalue: a clone (copy)
//   ch.port1.post_message(std::move(buf));         // rvalue: a transfer (buf is detached)
//   ch.port1.close();  t.join();                   // both ends see close; receive() -> nullopt
//
// MessagePort<Send, Recv = Send> (port1 of MessageChannel<A, B> is MessagePort<A, B>, port2 is
// MessagePort<B, A>):
//   post_message(const Send&) / post_message(Send&&) -> bool   clone / transfer; false (and the
//                                  message dropped) once the channel is closed, as in Node
//   on_message(fn)                 fn(Recv) runs on the CURRENT thread's event loop; starts
//                                  delivery and refs the port (Node's port.on('message')).
//                                  One listener: a second call replaces the first.
//   off_message() / on_message(nullptr)   removes the listener: delivery pauses, queued
//                                  messages are kept for a later listener, the port is unref'd
//   on_close(fn)                   fn() runs on the current thread's loop once the channel is
//                                  closed and every message queued for this port has been
//                                  delivered to its listener (with no listener attached, at
//                                  once: the messages stay for receive/try_receive)
//   start()                        binds the port to the current loop (Web parity; delivery
//                                  still needs a listener: without one messages stay queued)
//   close()                        idempotent; both ends see close
//   ref() / unref() / has_ref()    Node's rules: a fresh port is not ref'd; on_message refs it,
//                                  removing the listener unrefs it; a ref'd port keeps its loop
//                                  alive until its close event has run (has_ref() is false
//                                  from the close handler on)
//   receive() / receive_for(d) / receive_until(t) -> std::optional<Recv>   block (parking lot)
//                                  until a message; nullopt once closed and drained, or on
//                                  timeout; interrupted (Worker::terminate) -> TerminatedError
//   try_receive() -> std::optional<Recv>;  receive_message_on_port(port)  (receiveMessageOnPort)
//   closed(), valid()
//
// Rules:
//   - Per-direction FIFO: messages from one port arrive at its peer in the order the posts
//     returned true. No order across different channels.
//   - Clone vs transfer is C++ copy vs move. Posting an lvalue of a type that cannot be copied
//     (a MessagePort, a std::unique_ptr, ...) is a compile error whose message says "transfer
//     it with std::move". At run time, `bobbin::DataCloneError` where only the value says it:
//     cloning or transferring a detached ArrayBuffer or a TypedArray over one, transferring a
//     moved-from or closed MessagePort. A post that throws has delivered and detached nothing.
//     The same checks look inside std::pair, std::tuple, std::optional, std::vector and
//     std::array. A user type holding buffers or ports opts in with an ADL-found function
//     `void bobbin_validate_message(const T&)` that throws DataCloneError (it may call
//     `bobbin::detail::check_transfer(member)` for each member).
//   - A port cannot be posted through its own channel: the channel's message types would have
//     to contain themselves, so the type system already rules it out.
//   - A message listener, a pull (receive/try_receive) and the close event share one queue:
//     a message taken by try_receive() never reaches the listener.
//   - Delivery runs in batches: one loop post per burst of posts (not one per message), at
//     most 256 messages per batch, so a port that keeps re-posting to itself does not starve
//     timers. Within a batch, the ticks and microtasks a listener queues run before the next
//     message is delivered, as in Node (a tick queued by such a microtask after the batch
//     moved on may run after the next message).
//   - Destroying a port closes the channel (the peer sees close after everything already
//     queued). Moving a port moves the handle; it stays entangled with its peer, and messages
//     already queued for it move with it. A port's loop binding (listener, on_close, ref) is
//     made on the thread that calls on_message/on_close/start/ref: move a port to another
//     thread before attaching them there.
//   - Transferring a port (posting it with std::move as the message itself) drops its
//     listener, close callback, loop binding and ref on the sending side, as in Node; the
//     receiver attaches its own. (A port nested in a container or struct keeps them: detach
//     it with off_message()/unref() first.)
//   - A moved-from port is invalid: posts return false, receives return nullopt, the rest are
//     no-ops.
//
// Worker seam (what worker.hpp builds on: the public API plus the small `detail` hooks at the
// end of this header and `detail::check_clone` / `check_transfer` / `is_message_port`):
//   (a) create a channel and move one port into the new thread (it is move-only and owns
//       nothing thread-bound until a listener is attached);
//   (b) on the worker thread, attach `on_message` there: delivery binds to that thread's loop
//       and the listener keeps that loop alive until close (or `unref()`);
//   (c) "every message posted before this point has been delivered": close the sending side
//       (or destroy its port); the peer's `on_close` runs only after every message accepted
//       before the close has been delivered to its listener. `detail::port_pending(port)` is a
//       snapshot of how many messages wait in a port's incoming queue, and
//       `detail::PortAccess::unbind(port)` drops a port's loop binding before it is moved
//       into another kind of message (as post_message does for a port message);
//   (d) either side may call close(), from any thread, any number of times.
//
// Lifetime: the two ports share the channel state; each message lives in one heap node from
// post to delivery (node memory is recycled from receiver to sender, a bounded amount). A
// listener or close callback runs on the loop it was attached on and must not outlive what it
// captures.
//
// Thread safety: post_message, close, closed and the receive family may be called from any
// thread, concurrently. on_message, off_message, on_close, start, ref, unref belong to the
// thread whose loop the port is bound to. Moving a port is not thread-safe (like any object).
//
// Memory ordering: everything the sender did before a post_message that returned true
// happens-before the receiver gets the message (listener, receive or try_receive): the node is
// linked under the queue's lock and moved to the receivers' batch under it (release/acquire).
// Closing happens-before the peer's receive() returning nullopt and its close event. Blocked
// receivers follow the parking lot's store-buffering rule (see detail/port_queue.hpp). A clone
// of 32 KiB to 8 MiB (BOBBIN_PORT_ANNOUNCE_BYTES up) is announced to the peer's queue before
// its copy starts, so a receiver waiting in receive() stays (or is woken) awake for it instead
// of sleeping through the copy; the copy itself is the snapshot at post time, moved into a
// recycled node under the queue's lock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "array_buffer.hpp"
#include "detail/port_queue.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "parking_lot.hpp"
#include "shared_array_buffer.hpp"
#include "typed_array.hpp"

// Clones of at least this many bytes are announced to the receiving port before the copy
// starts, so a receiver that would otherwise fall asleep during the copy stays awake for it.
#ifndef BOBBIN_PORT_ANNOUNCE_BYTES
#define BOBBIN_PORT_ANNOUNCE_BYTES (std::size_t{32} << 10)
#endif

namespace bobbin {

template <class Send, class Recv = Send>
class MessagePort;
template <class A, class B = A>
class MessageChannel;

namespace detail {

template <class T>
struct is_message_port : std::false_type {};
template <class S, class R>
struct is_message_port<MessagePort<S, R>> : std::true_type {};

template <class T>
struct is_typed_array : std::false_type {};
template <class E>
struct is_typed_array<TypedArray<E>> : std::true_type {};

// The opt-in check for user types: an ADL-found `bobbin_validate_message(const T&)`.
template <class T>
concept HasMessageValidator = requires(const T& v) {
  bobbin_validate_message(v);
};

template <class T>
struct is_std_pair : std::false_type {};
template <class A, class B>
struct is_std_pair<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_std_tuple : std::false_type {};
template <class... E>
struct is_std_tuple<std::tuple<E...>> : std::true_type {};
template <class T>
struct is_std_optional : std::false_type {};
template <class E>
struct is_std_optional<std::optional<E>> : std::true_type {};
template <class T>
struct is_std_sequence : std::false_type {};
template <class E, class Alloc>
struct is_std_sequence<std::vector<E, Alloc>> : std::true_type {};
template <class E, std::size_t N>
struct is_std_sequence<std::array<E, N>> : std::true_type {};

// Whether a value of type T may hold something whose state (not its type) decides whether it
// can be cloned or transferred: buffers, ports, user types with a validator, and the standard
// pair/tuple/optional/vector/array of those. Other types are never checked (no cost).
template <class T>
struct needs_message_check;
template <class T>
inline constexpr bool needs_message_check_v = needs_message_check<T>::value;
template <class T>
struct needs_message_check
    : std::bool_constant<std::is_same_v<T, ArrayBuffer> || is_typed_array<T>::value ||
                         is_message_port<T>::value || HasMessageValidator<T>> {};
template <class A, class B>
struct needs_message_check<std::pair<A, B>>
    : std::bool_constant<needs_message_check_v<A> || needs_message_check_v<B>> {};
template <class... E>
struct needs_message_check<std::tuple<E...>>
    : std::bool_constant<(needs_message_check_v<E> || ...)> {};
template <class E>
struct needs_message_check<std::optional<E>> : needs_message_check<E> {};
template <class E, class Alloc>
struct needs_message_check<std::vector<E, Alloc>> : needs_message_check<E> {};
template <class E, std::size_t N>
struct needs_message_check<std::array<E, N>> : needs_message_check<E> {};

enum class MessageOp { clone, transfer };

// Throws DataCloneError if `v` cannot be cloned (copied) or transferred (moved) into a message.
template <MessageOp op, class T>
void check_message(const T& v) {
  if constexpr (!needs_message_check_v<T>) {
    return;
  } else if constexpr (std::is_same_v<T, ArrayBuffer>) {
    if (v.detached()) {
      throw DataCloneError(op == MessageOp::clone
                               ? "An ArrayBuffer is detached and could not be cloned."
                               : "An ArrayBuffer is detached and could not be transferred.");
    }
  } else if constexpr (is_typed_array<T>::value) {
    if (v.buffer().detached()) {
      throw DataCloneError(op == MessageOp::clone
                               ? "A TypedArray's buffer is detached and could not be cloned."
                               : "A TypedArray's buffer is detached and could not be "
                                 "transferred.");
    }
  } else if constexpr (is_message_port<T>::value) {
    if (!v.valid() || v.closed()) {
      throw DataCloneError("MessagePort in transfer list is already detached");
    }
  } else if constexpr (HasMessageValidator<T>) {
    bobbin_validate_message(v);
  } else if constexpr (is_std_pair<T>::value) {
    check_message<op>(v.first);
    check_message<op>(v.second);
  } else if constexpr (is_std_tuple<T>::value) {
    std::apply([](const auto&... e) { (check_message<op>(e), ...); }, v);
  } else if constexpr (is_std_optional<T>::value) {
    if (v.has_value()) check_message<op>(*v);
  } else if constexpr (is_std_sequence<T>::value) {
    for (const auto& e : v) check_message<op>(e);
  }
}

// Roughly how many bytes cloning `v` copies, for the types whose clone can be large (an
// ArrayBuffer, a TypedArray over one); 0 for the rest.
template <class T>
std::size_t clone_bytes(const T& v) noexcept {
  if constexpr (std::is_same_v<T, ArrayBuffer>) {
    return v.byte_length();
  } else if constexpr (is_typed_array<T>::value) {
    const BufferRef b = v.buffer();
    return b.shared() ? 0 : b.byte_length();  // a view of shared memory is not copied
  } else {
    return 0;
  }
}

template <class T>
void check_clone(const T& v) {
  check_message<MessageOp::clone>(v);
}
template <class T>
void check_transfer(const T& v) {
  check_message<MessageOp::transfer>(v);
}

struct PortAccess {
  template <class S, class R>
  static void unbind(MessagePort<S, R>& port) noexcept {
    if (port.in_) port.in_->unbind();
  }
  template <class S, class R>
  static const void* park_key(const MessagePort<S, R>& port) noexcept {
    return port.in_ ? port.in_->park_key() : nullptr;
  }
  template <class S, class R>
  static std::size_t pending(const MessagePort<S, R>& port) noexcept {
    return port.in_ ? port.in_->size() : 0;
  }
};

}  // namespace detail

template <class Send, class Recv>
class MessagePort {
  static_assert(std::is_object_v<Send> && std::is_object_v<Recv> && !std::is_array_v<Send> &&
                    !std::is_array_v<Recv>,
                "MessagePort<Send, Recv> carries objects (not references or arrays)");
  static_assert(std::is_nothrow_destructible_v<Send> && std::is_nothrow_destructible_v<Recv>,
                "MessagePort messages need a destructor that does not throw");

 public:
  using send_type = Send;
  using recv_type = Recv;

 private:
  // Largest message a clone copies under the queue's lock (when its copy cannot throw).
  static constexpr std::size_t kInlineClone = 64;
  // Clones (in bytes copied, detail::clone_bytes) announced to the receiver before the copy
  // starts (PortQueue::announce): from kAnnounceClone (below it the receiver is still spinning
  // when the message lands) to kAnnounceCloneMax (a copy that outlasts the receiver's awake
  // wait, PortQueue::kAnnounceWait, would only burn that wait and then sleep anyway).
  static constexpr std::size_t kAnnounceClone = BOBBIN_PORT_ANNOUNCE_BYTES;
  static constexpr std::size_t kAnnounceCloneMax = std::size_t{8} << 20;

 public:

  MessagePort(MessagePort&& other) noexcept
      : out_(std::move(other.out_)), in_(std::move(other.in_)) {}
  MessagePort& operator=(MessagePort&& other) noexcept {
    if (this != &other) {
      release();
      out_ = std::move(other.out_);
      in_ = std::move(other.in_);
    }
    return *this;
  }
  MessagePort(const MessagePort&) = delete;
  MessagePort& operator=(const MessagePort&) = delete;
  // Closes the channel (the peer sees close after what is already queued for it).
  ~MessagePort() { release(); }

  // Clones `message` (copies it) to the peer. False, dropping the clone, once closed.
  bool post_message(const Send& message) {
    static_assert(std::is_copy_constructible_v<Send>,
                  "bobbin::MessagePort::post_message: this message type cannot be cloned "
                  "(copied); transfer it with std::move");
    if (!out_ || out_->closed()) return false;
    detail::check_clone(message);
    if constexpr (std::is_nothrow_copy_constructible_v<Send> && sizeof(Send) <= kInlineClone) {
      // A small copy that cannot throw is made under the queue's lock, into a recycled node.
      return out_->emplace_if_open(
          [&](void* raw) noexcept { return ::new (raw) detail::PortNode<Send>(message); });
    } else if constexpr (std::is_nothrow_move_constructible_v<Send>) {
      // Copy first (the snapshot, outside the lock; a large copy is announced to the receiver
      // so it stays awake for it), then move the copy into a recycled node under the lock.
      const std::size_t bytes = detail::clone_bytes(message);
      typename detail::PortQueue<Send>::Announcement announced(
          bytes >= kAnnounceClone && bytes <= kAnnounceCloneMax ? out_.get() : nullptr);
      Send copy(message);
      return out_->emplace_if_open([&](void* raw) noexcept {
        return ::new (raw) detail::PortNode<Send>(std::move(copy));
      });
    } else {
      auto* node = new detail::PortNode<Send>(message);
      return out_->push(node);
    }
  }

  // Transfers `message` (moves it) to the peer. On false (closed) `message` is left untouched.
  bool post_message(Send&& message) {
    static_assert(std::is_move_constructible_v<Send>,
                  "bobbin::MessagePort::post_message needs a movable message type");
    if (!out_ || out_->closed()) return false;
    detail::check_transfer(std::as_const(message));
    if constexpr (detail::is_message_port<Send>::value) detail::PortAccess::unbind(message);
    if constexpr (std::is_nothrow_move_constructible_v<Send>) {
      // Move into the node (a recycled one when there is one) only once the queue is known to
      // be open, under its lock.
      return out_->emplace_if_open([&](void* raw) noexcept {
        return ::new (raw) detail::PortNode<Send>(std::move(message));
      });
    } else {
      auto* node = new detail::PortNode<Send>(std::move(message));
      return out_->push(node);
    }
  }

  // Sets the message listener `fn(Recv)` on the current thread's loop (replacing any) and
  // starts delivery. `on_message(nullptr)` is off_message().
  template <class F>
  requires std::is_invocable_v<F&, Recv&&>
  void on_message(F&& fn) {
    if (in_) in_->set_listener(typename detail::PortQueue<Recv>::Listener(std::forward<F>(fn)));
  }
  void on_message(std::nullptr_t) noexcept { off_message(); }

  // Removes the listener: delivery pauses, queued messages are kept, the port is unref'd.
  void off_message() noexcept {
    if (in_) in_->clear_listener();
  }

  // Sets the close callback (replacing any), run on the current thread's loop.
  void on_close(std::function<void()> fn) {
    if (in_) in_->set_on_close(std::move(fn));
  }

  // Binds the port to the current thread's loop (Web parity; on_message does it too).
  void start() {
    if (in_) in_->start();
  }

  // Closes the channel: both ends see close, after the messages already queued for them.
  void close() noexcept {
    if (out_) out_->close();
    if (in_) in_->close();
  }

  MessagePort& ref() {
    if (in_) in_->ref();
    return *this;
  }
  MessagePort& unref() noexcept {
    if (in_) in_->unref();
    return *this;
  }
  [[nodiscard]] bool has_ref() const noexcept { return in_ && in_->has_ref(); }

  // Whether the channel is closed (or the port moved from).
  [[nodiscard]] bool closed() const noexcept { return !in_ || in_->closed(); }
  // False for a moved-from port.
  [[nodiscard]] bool valid() const noexcept { return in_ != nullptr; }

  // Blocks until a message arrives; nullopt once the channel is closed and drained.
  std::optional<Recv> receive() {
    if (auto m = try_receive()) return m;
    return in_ ? in_->pop_until(detail::kNoDeadline) : std::nullopt;
  }
  template <class Rep, class Period>
  std::optional<Recv> receive_for(std::chrono::duration<Rep, Period> timeout) {
    if (auto m = try_receive()) return m;
    return in_ ? in_->pop_until(parking_lot::detail::deadline_after(timeout)) : std::nullopt;
  }
  template <class Clock, class Duration>
  std::optional<Recv> receive_until(std::chrono::time_point<Clock, Duration> deadline) {
    if (auto m = try_receive()) return m;
    return in_ ? in_->pop_until(parking_lot::detail::to_deadline(deadline)) : std::nullopt;
  }
  // Never blocks (receiveMessageOnPort).
  [[nodiscard]] std::optional<Recv> try_receive() { return in_ ? in_->try_pop() : std::nullopt; }

 private:
  template <class A, class B>
  friend class MessageChannel;
  friend struct detail::PortAccess;

  MessagePort(std::shared_ptr<detail::PortQueue<Send>> out,
              std::shared_ptr<detail::PortQueue<Recv>> in) noexcept
      : out_(std::move(out)), in_(std::move(in)) {}

  void release() noexcept {
    close();
    if (in_) in_->detach();
    out_.reset();
    in_.reset();
  }

  std::shared_ptr<detail::PortQueue<Send>> out_;  // messages this port sends (peer's inbox)
  std::shared_ptr<detail::PortQueue<Recv>> in_;   // messages this port receives
};

// Two entangled ports: port1 sends A and receives B; port2 sends B and receives A.
template <class A, class B>
class MessageChannel {
 public:
  MessageChannel() : MessageChannel(make_queue<A>(), make_queue<B>()) {}

  MessagePort<A, B> port1;
  MessagePort<B, A> port2;

 private:
  template <class T>
  static std::shared_ptr<detail::PortQueue<T>> make_queue() {
    return std::make_shared<detail::PortQueue<T>>(detail::PortQueue<T>::on_close_drain);
  }
  MessageChannel(std::shared_ptr<detail::PortQueue<A>> to2,
                 std::shared_ptr<detail::PortQueue<B>> to1)
      : port1(to2, to1), port2(to1, to2) {}
};

// Node's receiveMessageOnPort: the next queued message, or nullopt; never blocks.
template <class S, class R>
[[nodiscard]] std::optional<R> receive_message_on_port(MessagePort<S, R>& port) {
  return port.try_receive();
}

namespace detail {

// Worker seam (c): how many messages wait in `port`'s incoming queue (a snapshot).
template <class S, class R>
std::size_t port_pending(const MessagePort<S, R>& port) noexcept {
  return PortAccess::pending(port);
}

// For tests: the key a thread blocked in `port.receive()` parks on
// (`parking_lot::parked(detail::port_park_key(port))`).
template <class S, class R>
const void* port_park_key(const MessagePort<S, R>& port) noexcept {
  return PortAccess::park_key(port);
}

}  // namespace detail

}  // namespace bobbin
