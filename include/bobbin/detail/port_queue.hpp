// bobbin/detail/port_queue.hpp — the receiving half of a port: a FIFO of messages plus the
// state that delivers them on an event loop or to a thread blocked in receive().
//
// Not a public API: MessagePort (message_channel.hpp) and BroadcastChannel
// (broadcast_channel.hpp) are built on it. One PortQueue<T> holds the messages travelling
// towards one receiver, in the order they were accepted:
//
//   auto q = std::make_shared<PortQueue<T>>(PortQueue<T>::on_close_drain);
//   q->push(make_node(value));           // any thread; false (node destroyed) once closed
//   q->try_pop();  q->pop_until(d);      // any thread; pop_until parks in the parking lot
//   q->set_listener(fn);  q->clear_listener();  q->set_on_close(fn);  q->start();
//   q->ref();  q->unref();  q->has_ref();           // the receiver's thread
//   q->close();                          // any thread, idempotent
//   q->detach();                         // the receiving handle is gone: drop callbacks and refs
//
// Design: a singly linked list of heap nodes (one per message: the node *is* the message, no
// std::function or shared_ptr per message) under a WordLock whose critical sections are a few
// pointer updates. A receiver bound to an event loop (by a listener, `start`, `on_close` or
// `ref`) gets one posted "deliver" task per batch: `scheduled_` says a task is already on its
// way, so a burst of posts costs one loop post. The task delivers one message, re-checking the
// listener first (so removing it pauses delivery at once and nothing is dropped), then chains
// to the next through a microtask that queues a tick, so the ticks and microtasks a listener
// queued run before the next message (as in Node, where each message is its own callback).
// After kBatch messages the chain re-posts itself, so timers and I/O are not starved.
// When the queue is closed and nothing deliverable is left, the task emits the close event
// once. Keep-alive: while the receiver is ref'd, bound to a loop and its close event has not
// been emitted, the queue holds one `add_ref()` on that loop.
//
// Two close modes: `on_close_drain` (MessagePort: queued messages are still delivered or
// received after close) and `on_close_drop` (BroadcastChannel: a closed channel receives
// nothing more, even what was queued before).
//
// Lifetime: shared-owned (the handles and every in-flight deliver task hold a shared_ptr).
// The destructor destroys undelivered messages.
//
// Thread safety: push, try_pop, pop_until, close, closed and size from any thread; the
// receiver operations (listener, start, ref, on_close, detach) from the receiver's thread,
// though they are also safe (under the lock) from another.
//
// Memory ordering: everything under `lock_` is ordered by it (WordLock acquire/release), so a
// push happens-before the pop or delivery of its message. The blocking receiver and the
// pushers follow the parking lot's store-buffering rule: a pusher bumps `epoch_` (seq_cst)
// after linking the node, then reads `waiters_` (seq_cst); a receiver increments `waiters_`
// (seq_cst), then its park validation re-reads `epoch_` (seq_cst). Either the pusher sees the
// waiter and unparks it, or the waiter sees the new epoch and does not sleep. `closed_flag_`
// mirrors `closed_` for lock-free fast checks; the lock orders the authoritative value.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "../errors.hpp"
#include "../event_loop.hpp"
#include "../parking_lot.hpp"
#include "platform.hpp"
#include "word_lock.hpp"

namespace bobbin::detail {

// One message in flight: the node holds the message itself.
template <class T>
struct PortNode {
  template <class... Args>
  explicit PortNode(Args&&... args) : value(std::forward<Args>(args)...) {}
  PortNode* next = nullptr;
  T value;
};

template <class T>
class PortQueue : public std::enable_shared_from_this<PortQueue<T>> {
 public:
  using Node = PortNode<T>;
  using Listener = std::function<void(T)>;
  enum CloseMode : bool { on_close_drain = false, on_close_drop = true };

  // Messages delivered per loop task before the task yields to the rest of the loop.
  static constexpr std::size_t kBatch = 256;

  explicit PortQueue(CloseMode mode) noexcept : drop_on_close_(mode == on_close_drop) {}
  PortQueue(const PortQueue&) = delete;
  PortQueue& operator=(const PortQueue&) = delete;
  ~PortQueue() {
    destroy_list(head_);
    if (holding_ && loop_) loop_->release_ref();
  }

  // ---- Sending side (any thread) ----

  // Links `node` at the tail. Returns false (destroying the node) if the queue is closed.
  bool push(Node* node) noexcept {
    if (push_if_open([node]() noexcept { return node; })) return true;
    delete node;
    return false;
  }

  // Like push, but `make()` constructs the node under the lock once the queue is known to be
  // open (so a refused transfer leaves its source untouched). `make` must not throw.
  template <class Make>
  bool push_if_open(Make&& make) noexcept {
    lock_.lock();
    if (closed_) {
      lock_.unlock();
      return false;
    }
    Node* node = make();
    (tail_ != nullptr ? tail_->next : head_) = node;
    tail_ = node;
    ++size_;
    std::shared_ptr<EventLoop> loop = claim_schedule_locked();
    lock_.unlock();
    wake_receivers(false);
    if (loop) post_deliver(std::move(loop));
    return true;
  }

  // Closes the queue (idempotent): later pushes fail; blocked receivers wake; the receiver's
  // loop gets a task that emits the close event after what is still deliverable.
  void close() noexcept {
    Node* dropped = nullptr;
    lock_.lock();
    if (closed_) {
      lock_.unlock();
      return;
    }
    closed_ = true;
    closed_flag_.store(true, std::memory_order_relaxed);  // relaxed: a hint; pairs with the
                                                          // relaxed load in closed()
    if (drop_on_close_) {
      dropped = std::exchange(head_, nullptr);
      tail_ = nullptr;
      size_ = 0;
    }
    std::shared_ptr<EventLoop> loop = claim_schedule_locked();
    lock_.unlock();
    destroy_list(dropped);
    wake_receivers(true);
    if (loop) post_deliver(std::move(loop));
  }

  [[nodiscard]] bool closed() const noexcept {
    return closed_flag_.load(std::memory_order_relaxed);  // relaxed: pairs with close()'s store
  }

  // Messages queued, a snapshot.
  [[nodiscard]] std::size_t size() const noexcept {
    lock_.lock();
    const std::size_t n = size_;
    lock_.unlock();
    return n;
  }

  // ---- Pulling (any thread) ----

  std::optional<T> try_pop() {
    lock_.lock();
    Node* n = unlink_locked();
    lock_.unlock();
    return take(n);
  }

  // Blocks until a message is queued (returns it), the queue is closed and drained (nullopt)
  // or the deadline passes (nullopt). Interrupted: throws TerminatedError.
  [[gnu::noinline]] std::optional<T> pop_until(Deadline deadline) {
    for (;;) {
      const std::uint64_t seen = epoch_.load(std::memory_order_seq_cst);
      lock_.lock();
      Node* n = unlink_locked();
      const bool done = n == nullptr && closed_;
      lock_.unlock();
      if (n != nullptr) return take(n);
      if (done) return std::nullopt;
      // seq_cst: the registering half of the store-buffering pair (see Memory ordering).
      waiters_.fetch_add(1, std::memory_order_seq_cst);
      struct Unregister {
        std::atomic<std::uint32_t>& w;
        // relaxed: pairs with nothing; a stale non-zero costs a pusher one empty unpark.
        ~Unregister() { w.fetch_sub(1, std::memory_order_relaxed); }
      } unregister{waiters_};
      const auto r = parking_lot::park_until(
          &waiters_, [&] { return epoch_.load(std::memory_order_seq_cst) == seen; },
          parking_lot::detail::NoOp{}, deadline);
      if (r == parking_lot::ParkResult::interrupted) {
        throw TerminatedError("MessagePort: interrupted while waiting in receive()");
      }
      if (r == parking_lot::ParkResult::timed_out) return try_pop();
    }
  }

  // The key blocked receivers park on (for tests: parking_lot::parked(key)).
  [[nodiscard]] const void* park_key() const noexcept { return &waiters_; }

  // ---- Receiver side (the receiving handle's thread) ----

  // Sets the listener (replacing any), starts delivery on the current thread's loop and refs
  // the port (Node's port.on('message')).
  void set_listener(Listener fn) {
    auto l = std::make_shared<Listener>(std::move(fn));
    auto loop = current_loop();
    lock_.lock();
    std::swap(listener_, l);
    started_ = true;
    refed_ = true;
    bind_and_kick_locked(std::move(loop));  // unlocks
  }

  // Removes the listener: delivery pauses (nothing is dropped) and the port is unref'd.
  void clear_listener() noexcept {
    std::shared_ptr<Listener> old;
    lock_.lock();
    old = std::exchange(listener_, nullptr);
    started_ = false;
    refed_ = false;
    sync_ref_locked();
    lock_.unlock();
  }

  void set_on_close(std::function<void()> fn) {
    auto loop = current_loop();
    lock_.lock();
    std::swap(on_close_, fn);
    bind_and_kick_locked(std::move(loop));
  }

  void start() {
    auto loop = current_loop();
    lock_.lock();
    started_ = true;
    bind_and_kick_locked(std::move(loop));
  }

  void ref() {
    auto loop = current_loop();
    lock_.lock();
    refed_ = true;
    bind_and_kick_locked(std::move(loop));
  }

  void unref() noexcept {
    lock_.lock();
    refed_ = false;
    sync_ref_locked();
    lock_.unlock();
  }

  [[nodiscard]] bool has_ref() const noexcept {
    lock_.lock();
    const bool r = refed_ && !close_emitted_ && !gone_;
    lock_.unlock();
    return r;
  }

  // The receiving handle is being transferred in a message: its listener, close callback,
  // loop binding and ref are dropped (Node: a transferred port leaves its listeners behind).
  void unbind() noexcept {
    std::shared_ptr<Listener> l;
    std::function<void()> c;
    std::shared_ptr<EventLoop> old;
    lock_.lock();
    l = std::exchange(listener_, nullptr);
    c = std::move(on_close_);
    on_close_ = nullptr;
    started_ = false;
    refed_ = false;
    sync_ref_locked();
    old = std::exchange(loop_, nullptr);
    scheduled_ = false;
    lock_.unlock();
  }

  // The receiving handle is gone: callbacks are dropped (destroyed outside the lock) and the
  // keep-alive released. Queued messages stay until the queue is destroyed.
  void detach() noexcept {
    std::shared_ptr<Listener> l;
    std::function<void()> c;
    lock_.lock();
    gone_ = true;
    l = std::exchange(listener_, nullptr);
    c = std::move(on_close_);
    on_close_ = nullptr;
    sync_ref_locked();
    lock_.unlock();
  }

 private:
  static void destroy_list(Node* n) noexcept {
    while (n != nullptr) delete std::exchange(n, n->next);
  }

  static std::optional<T> take(Node* n) {
    if (n == nullptr) return std::nullopt;
    std::unique_ptr<Node> owned(n);
    return std::optional<T>(std::move(n->value));
  }

  Node* unlink_locked() noexcept {
    Node* n = head_;
    if (n != nullptr) {
      head_ = n->next;
      if (head_ == nullptr) tail_ = nullptr;
      --size_;
    }
    return n;
  }

  void wake_receivers(bool all) noexcept {
    // seq_cst: the publishing half of the store-buffering pair with pop_until's validation.
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    if (all) {
      parking_lot::unpark_all(&waiters_);  // the lot's own fast path covers an empty bucket
    } else if (waiters_.load(std::memory_order_seq_cst) != 0) {
      parking_lot::unpark_one(&waiters_);
    }
  }

  static std::shared_ptr<EventLoop> current_loop() {
    return EventLoop::current().shared_from_this();
  }

  [[nodiscard]] bool deliverable_locked() const noexcept {
    return started_ && listener_ != nullptr && head_ != nullptr && !(drop_on_close_ && closed_);
  }

  [[nodiscard]] bool wants_task_locked() const noexcept {
    return loop_ != nullptr && !gone_ && (deliverable_locked() || (closed_ && !close_emitted_));
  }

  // If a deliver task is needed and none is on its way, claims it and returns the loop to post
  // it to (after unlocking).
  std::shared_ptr<EventLoop> claim_schedule_locked() {
    if (scheduled_ || !wants_task_locked()) return nullptr;
    scheduled_ = true;
    return loop_;
  }

  // Keep-alive: hold one ref on the bound loop exactly while ref'd, bound, open-or-not-yet-
  // emitted and not gone.
  void sync_ref_locked() noexcept {
    const bool want = refed_ && loop_ != nullptr && !close_emitted_ && !gone_;
    if (want == holding_) return;
    holding_ = want;
    if (want) {
      loop_->add_ref();
    } else {
      loop_->release_ref();
    }
  }

  // Binds to `loop` (re-binding releases the old keep-alive), syncs the keep-alive, schedules
  // a deliver task if one is needed, and unlocks.
  void bind_and_kick_locked(std::shared_ptr<EventLoop> loop) {
    std::shared_ptr<EventLoop> old;
    if (loop_ != loop) {
      if (holding_) {
        loop_->release_ref();
        holding_ = false;
      }
      old = std::exchange(loop_, std::move(loop));
      scheduled_ = false;  // a task already posted to the old loop finds nothing or re-posts
    }
    sync_ref_locked();
    std::shared_ptr<EventLoop> post_to = claim_schedule_locked();
    lock_.unlock();
    if (post_to) post_deliver(std::move(post_to));
  }

  void post_deliver(std::shared_ptr<EventLoop> loop) noexcept {
    EventLoop* target = loop.get();
    bool posted = false;
    try {
      posted = target->post([self = this->shared_from_this(), target]() mutable {
        deliver(std::move(self), target, kBatch);
      });
    } catch (...) {
      posted = false;
    }
    if (!posted) {
      lock_.lock();
      if (loop_.get() == target) scheduled_ = false;
      lock_.unlock();
    }
  }

  // The deliver task, on the bound loop's thread: delivers one message, then arms `arm_next`
  // so the next one is delivered after the listener's ticks and microtasks, as in Node, up to
  // `budget` messages; then it re-posts itself (the rest of the loop gets a turn). `self` keeps
  // the queue alive along the chain.
  static void deliver(std::shared_ptr<PortQueue>&& self, EventLoop* from, std::size_t budget) {
    PortQueue& q = *self;
    q.lock_.lock();
    if (q.loop_.get() != from) {  // re-bound elsewhere: that loop has its own task
      q.lock_.unlock();
      return;
    }
    if (!q.gone_ && q.deliverable_locked()) {
      if (budget == 0) {  // yield to the rest of the loop; scheduled_ stays true
        std::shared_ptr<EventLoop> loop = q.loop_;
        q.lock_.unlock();
        q.post_deliver(std::move(loop));
        return;
      }
      std::unique_ptr<Node> n(q.unlink_locked());
      std::shared_ptr<Listener> l = q.listener_;
      q.lock_.unlock();
      try {
        (*l)(std::move(n->value));
      } catch (...) {
        arm_next(self, from, budget - 1);  // the message is consumed; the rest still comes
        throw;
      }
      arm_next(self, from, budget - 1);
      return;
    }
    q.scheduled_ = false;
    std::function<void()> on_close;
    bool emit = false;
    if (!q.gone_ && q.closed_ && !q.close_emitted_) {
      emit = true;
      q.close_emitted_ = true;
      on_close = std::move(q.on_close_);
      q.on_close_ = nullptr;
      q.sync_ref_locked();
    }
    q.lock_.unlock();
    if (emit && on_close) on_close();
  }

  // Continues delivery after everything the listener queued: a microtask (after the
  // listener's microtasks) that queues a tick (after the microtasks those queued in turn).
  static void arm_next(const std::shared_ptr<PortQueue>& self, EventLoop* from,
                       std::size_t budget) noexcept {
    try {
      from->queue_microtask([s = self, from, budget]() mutable {
        from->next_tick(
            [t = std::move(s), from, budget]() mutable { deliver(std::move(t), from, budget); });
      });
    } catch (...) {  // could not queue (out of memory): fall back to a posted task
      PortQueue& q = *self;
      q.lock_.lock();
      std::shared_ptr<EventLoop> loop = q.loop_.get() == from ? q.loop_ : nullptr;
      q.lock_.unlock();
      if (loop) q.post_deliver(std::move(loop));
    }
  }

  mutable WordLock lock_;
  // Guarded by lock_:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  std::size_t size_ = 0;
  bool closed_ = false;
  bool started_ = false;
  bool scheduled_ = false;
  bool refed_ = false;
  bool holding_ = false;
  bool close_emitted_ = false;
  bool gone_ = false;
  const bool drop_on_close_;
  std::shared_ptr<EventLoop> loop_;
  std::shared_ptr<Listener> listener_;
  std::function<void()> on_close_;
  // Lock-free:
  std::atomic<bool> closed_flag_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint32_t> waiters_{0};
};

}  // namespace bobbin::detail
