// bobbin/detail/port_queue.hpp — the receiving half of a port: a FIFO of messages plus the
// state that delivers them on an event loop or to a thread blocked in receive().
//
// Not a public API: MessagePort (message_channel.hpp) and BroadcastChannel
// (broadcast_channel.hpp) are built on it. One PortQueue<T> holds the messages travelling
// towards one receiver, in the order they were accepted:
//
//   auto q = std::make_shared<PortQueue<T>>(PortQueue<T>::on_close_drain);
//   q->push(make_node(value));           // any thread; false (node destroyed) once closed
//   q->emplace_if_open(make);            // any thread; make(void*) builds the node in place
//   q->try_pop();  q->pop_until(d);      // any thread; pop_until parks in the parking lot
//   q->set_listener(fn);  q->clear_listener();  q->set_on_close(fn);  q->start();
//   q->ref();  q->unref();  q->has_ref();           // the receiver's thread
//   q->close();                          // any thread, idempotent
//   PortQueue<T>::Announcement a(q.get());   // any thread: a message is being built (a large
//                                        // clone being copied); receivers stay awake for it
//   q->detach();                         // the receiving handle is gone: drop callbacks and refs
//
// Design: heap nodes (one per message: the node *is* the message, no std::function or
// shared_ptr per message) in two singly linked lists. Senders append to the *inbox* under
// `lock_`, a WordLock whose critical sections are a few pointer updates. Receivers (pulls and
// the deliver task) take from a private *batch* under a second lock, `pop_lock_`; when the
// batch is empty the receiver moves the whole inbox into it in one short `lock_` section, so
// a receiver that keeps up touches the senders' lock once per burst, not once per message.
// Lock order: `pop_lock_` before `lock_`; a sender only ever takes `lock_`. Node memory is
// recycled: a receiver keeps the emptied nodes of a nothrow-movable T on a spare list and
// hands them to the senders' side when it next refills its batch, and `emplace_if_open`
// builds a message in a spare node under the lock, so a steady stream allocates nothing
// (at most kMaxSpare nodes, BOBBIN_PORT_SPARE_BYTES = 256 KiB by default, are kept on each
// side after a burst; the rest are freed).
//
// A receiver bound to an event loop (by a listener, `start`, `on_close` or `ref`) gets one
// posted "deliver" task per batch: `scheduled_` says a task is already on its way, so a burst
// of posts costs one loop post. The task (which takes only `pop_lock_` while the batch holds
// messages) delivers one message, re-checking the listener first (so removing it pauses
// delivery at once and nothing is dropped), then chains to the next through a microtask that
// queues a tick, so the ticks and microtasks a listener queued run before the next message
// (as in Node, where each message is its own callback).
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
// push happens-before the move of its node into the batch, and the batch is handed from
// receiver to receiver by `pop_lock_`. The blocking receiver and the pushers follow the
// parking lot's store-buffering rule, with the epoch bumped only by a push that finds the
// inbox empty (not once per message): a receiver reads `epoch_` (seq_cst), finds batch and
// inbox empty under the locks, increments `waiters_` (seq_cst), and its park validation
// re-reads `epoch_` (seq_cst). Since the receiver saw both lists empty, the first push linked
// after its look finds the inbox empty and bumps `epoch_` (seq_cst) after linking, then reads
// `waiters_` (seq_cst): either it sees the waiter and unparks one, or the waiter sees the new
// epoch and does not sleep. Every later push also reads `waiters_` (seq_cst) and unparks one
// while any is registered, so each message that arrives while receivers sleep wakes one
// (a woken receiver that finds nothing left parks again). Announcements (announce/retract,
// for a large clone still being copied) only delay that registration: a receiver that ran dry
// while `incoming_` is non-zero waits awake, unregistered, until the epoch moves or `incoming_`
// drops to zero, for at most kAnnounceWait per pop_until call, and then registers and parks as
// above, so it never sleeps through a message and never spins unbounded. To keep it awake
// reliably, a second store-buffering pair: announce increments `incoming_` (seq_cst) and then
// reads `waiters_` (seq_cst), unparking one waiter if any; a receiver's park validation reads
// `incoming_` (seq_cst) after its `waiters_` increment and refuses to sleep while it is
// non-zero (until its budget is spent). So either the announcer wakes the receiver or the
// receiver sees the announcement; a wake that finds nothing is a harmless spurious one.
// tests/models/port_close.pml checks this protocol. `closed_flag_` mirrors `closed_` for
// lock-free fast checks; the lock orders the authoritative value.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "../errors.hpp"
#include "../event_loop.hpp"
#include "../parking_lot.hpp"
#include "platform.hpp"
#include "word_lock.hpp"

// Node memory a port keeps for reuse, per side (see PortQueue::kMaxSpare); 0 keeps 64 nodes.
#ifndef BOBBIN_PORT_SPARE_BYTES
#define BOBBIN_PORT_SPARE_BYTES (std::size_t{256} << 10)
#endif

// How long a receiver that ran dry waits awake (spinning, then yielding) for a message a
// sender has announced (a large clone being copied) before it parks; see PortQueue::announce.
#ifndef BOBBIN_PORT_ANNOUNCE_WAIT_US
#define BOBBIN_PORT_ANNOUNCE_WAIT_US 200
#endif

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
  // Spare nodes kept by the receivers and by the senders' side (each): kSpareBytes worth, and
  // at least 64.
  static constexpr std::size_t kSpareBytes = BOBBIN_PORT_SPARE_BYTES;
  static constexpr std::size_t kMaxSpare =
      sizeof(Node) * 64 >= kSpareBytes ? 64 : kSpareBytes / sizeof(Node);
  // How long one pop_until waits awake for announced messages before it parks, and how much
  // of that it spins before it yields its time slice instead.
  static constexpr auto kAnnounceWait = std::chrono::microseconds(BOBBIN_PORT_ANNOUNCE_WAIT_US);
  static constexpr auto kAnnounceSpin = std::chrono::microseconds(BOBBIN_SPIN_US);
  // Whether emptied nodes are recycled: the value is moved out under the receivers' lock, so
  // only for a T whose move cannot throw, and for nodes from plain operator new.
  static constexpr bool kRecycle = std::is_nothrow_move_constructible_v<T> &&
                                   alignof(Node) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;

  explicit PortQueue(CloseMode mode) noexcept : drop_on_close_(mode == on_close_drop) {}
  PortQueue(const PortQueue&) = delete;
  PortQueue& operator=(const PortQueue&) = delete;
  ~PortQueue() {
    destroy_list(out_head_);
    destroy_list(in_head_);
    free_spares(spare_out_);
    free_spares(spare_in_);
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
    link_locked_and_unlock(make());
    return true;
  }

 private:
  // Links `node` at the inbox's tail, unlocks, wakes a receiver and schedules delivery.
  void link_locked_and_unlock(Node* node) noexcept {
    const bool was_empty = in_head_ == nullptr;
    (was_empty ? in_head_ : in_tail_->next) = node;
    in_tail_ = node;
    ++in_size_;
    std::shared_ptr<EventLoop> loop = claim_schedule_locked();  // in_head_ set: no batch read
    lock_.unlock();
    if (was_empty) {
      // seq_cst: the publishing half of the store-buffering pair with pop_until's validation.
      epoch_.fetch_add(1, std::memory_order_seq_cst);
    }
    // seq_cst: read after the link (and the bump), the other half of that pair.
    if (waiters_.load(std::memory_order_seq_cst) != 0) parking_lot::unpark_one(&waiters_);
    if (loop) post_deliver(std::move(loop));
  }

 public:

  // Like push_if_open, but the node's memory comes from the spare list when it has one (else
  // from operator new, before the lock, so a std::bad_alloc leaves nothing changed): `make(raw)`
  // placement-constructs the node in `raw` under the lock and must not throw.
  template <class Make>
  bool emplace_if_open(Make&& make) {
    void* raw = nullptr;
    for (;;) {
      // relaxed: a hint only; the spare list itself is read under lock_.
      if (raw == nullptr && spare_in_hint_.load(std::memory_order_relaxed) == 0) {
        raw = ::operator new(sizeof(Node));
      }
      lock_.lock();
      if (closed_) {
        lock_.unlock();
        ::operator delete(raw);
        return false;
      }
      if (raw == nullptr && spare_in_ != nullptr) {
        raw = std::exchange(spare_in_, spare_in_->next);
        --spare_in_count_;
        // relaxed: a hint for the next sender; pairs with nothing.
        spare_in_hint_.store(spare_in_count_, std::memory_order_relaxed);
      }
      if (raw != nullptr) break;
      lock_.unlock();  // the hint was stale: allocate and retry
    }
    link_locked_and_unlock(make(raw));
    return true;
  }

  // ---- Announcing a message still being built (any thread) ----

  // A sender about to spend a while building a message (copying a large clone) announces it
  // first: a receiver that runs dry while any is announced waits for it awake (spinning, then
  // yielding, for at most kAnnounceWait) instead of sleeping in the kernel, and a receiver
  // already asleep is woken now, so its wake-up overlaps the copy instead of following it.
  // Every announce must be followed by one retract on every path (push done, push refused,
  // the copy threw): use Announcement.
  void announce() noexcept {
    // seq_cst: read by pop_until's wait_for_announced; the waiters_ load below is the other
    // half of the usual store-buffering pair (a receiver registers, then reads incoming_).
    incoming_.fetch_add(1, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) != 0) parking_lot::unpark_one(&waiters_);
  }
  void retract() noexcept {
    // release: pairs with the acquire loads in wait_for_announced (a hint only: the message
    // itself is published by the push, under lock_, and the epoch).
    incoming_.fetch_sub(1, std::memory_order_release);
  }

  // announce() now, retract() at the end of the scope, however it ends.
  class Announcement {
   public:
    explicit Announcement(PortQueue* q) noexcept : q_(q) {
      if (q_ != nullptr) q_->announce();
    }
    Announcement(const Announcement&) = delete;
    Announcement& operator=(const Announcement&) = delete;
    ~Announcement() {
      if (q_ != nullptr) q_->retract();
    }

   private:
    PortQueue* q_;
  };

  // Closes the queue (idempotent): later pushes fail; blocked receivers wake; the receiver's
  // loop gets a task that emits the close event after what is still deliverable.
  void close() noexcept {
    Node* dropped = nullptr;
    Node* dropped_batch = nullptr;
    pop_lock_.lock();
    lock_.lock();
    if (closed_) {
      lock_.unlock();
      pop_lock_.unlock();
      return;
    }
    closed_ = true;
    closed_flag_.store(true, std::memory_order_relaxed);  // relaxed: a hint; pairs with the
                                                          // relaxed load in closed()
    if (drop_on_close_) {
      dropped = std::exchange(in_head_, nullptr);
      in_tail_ = nullptr;
      in_size_ = 0;
      dropped_batch = std::exchange(out_head_, nullptr);
      out_size_ = 0;
    }
    std::shared_ptr<EventLoop> loop = claim_schedule_locked();
    lock_.unlock();
    pop_lock_.unlock();
    destroy_list(dropped_batch);
    destroy_list(dropped);
    // seq_cst: the publishing half of the store-buffering pair with pop_until's validation.
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    parking_lot::unpark_all(&waiters_);  // the lot's own fast path covers an empty bucket
    if (loop) post_deliver(std::move(loop));
  }

  [[nodiscard]] bool closed() const noexcept {
    return closed_flag_.load(std::memory_order_relaxed);  // relaxed: pairs with close()'s store
  }

  // Messages queued, a snapshot.
  [[nodiscard]] std::size_t size() const noexcept {
    pop_lock_.lock();
    lock_.lock();
    const std::size_t n = out_size_ + in_size_;
    lock_.unlock();
    pop_lock_.unlock();
    return n;
  }

  // ---- Pulling (any thread) ----

  std::optional<T> try_pop() {
    bool done = false;
    pop_lock_.lock();
    Node* n = pop_batch_locked(done);
    return take_and_unlock(n);
  }

  // Blocks until a message is queued (returns it), the queue is closed and drained (nullopt)
  // or the deadline passes (nullopt). Interrupted: throws TerminatedError.
  [[gnu::noinline]] std::optional<T> pop_until(Deadline deadline) {
    Deadline announced_end{};  // set when this call first waits for an announced message
    bool announced_over = false;  // that wait's budget is spent: park as usual
    for (;;) {
      const std::uint64_t seen = epoch_.load(std::memory_order_seq_cst);
      bool done = false;
      pop_lock_.lock();
      Node* n = pop_batch_locked(done);
      if (n != nullptr) return take_and_unlock(n);
      pop_lock_.unlock();
      if (done) return std::nullopt;
      // acquire: pairs with retract()'s release; a hint (see announce()).
      if (!announced_over && incoming_.load(std::memory_order_acquire) != 0) {
        if (wait_for_announced(seen, deadline, announced_end)) continue;  // look again
        announced_over = true;
      }
      // seq_cst: the registering half of the store-buffering pair (see Memory ordering).
      waiters_.fetch_add(1, std::memory_order_seq_cst);
      struct Unregister {
        std::atomic<std::uint32_t>& w;
        // relaxed: pairs with nothing; a stale non-zero costs a pusher one empty unpark.
        ~Unregister() { w.fetch_sub(1, std::memory_order_relaxed); }
      } unregister{waiters_};
      const auto r = parking_lot::park_until(
          &waiters_,
          [&] {
            // seq_cst: both read after the waiters_ increment (see Memory ordering).
            return epoch_.load(std::memory_order_seq_cst) == seen &&
                   (announced_over || incoming_.load(std::memory_order_seq_cst) == 0);
          },
          parking_lot::detail::NoOp{}, deadline);
      if (r == parking_lot::ParkResult::interrupted) {
        throw TerminatedError("MessagePort: interrupted while waiting in receive()");
      }
      if (r == parking_lot::ParkResult::timed_out) return try_pop();
    }
  }

  // Waits awake, without registering as a waiter, while a message is announced and nothing
  // has arrived since the epoch `seen`: spins with a pause hint, then yields. Returns true when
  // the epoch moved or the announcement ended (the caller looks again), false when the wait's
  // budget (kAnnounceWait per pop_until call, from `end`), the caller's deadline or an
  // interrupt ends it (the caller parks as usual, so nothing is ever missed: this wait only
  // delays the registration).
  [[gnu::noinline]] bool wait_for_announced(std::uint64_t seen, Deadline deadline,
                                            Deadline& end) const noexcept {
    const auto now = SteadyClock::now();
    if (end == Deadline{}) end = now + kAnnounceWait < deadline ? now + kAnnounceWait : deadline;
    if (now >= end) return false;
    const Deadline spin_end = now + kAnnounceSpin;
    for (unsigned i = 1;; ++i) {
      // seq_cst: pairs with the publishing epoch bump in link_locked_and_unlock.
      if (epoch_.load(std::memory_order_seq_cst) != seen) return true;
      // acquire: pairs with retract()'s release.
      if (incoming_.load(std::memory_order_acquire) == 0) return true;
      if (i % 16 == 0) {
        const auto t = SteadyClock::now();
        if (t >= end || parking_lot::interrupt_requested()) return false;
        if (t >= spin_end) std::this_thread::yield();
      }
      bobbin::detail::cpu_relax();
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
    pop_lock_.lock();
    lock_.lock();
    std::swap(listener_, l);
    started_ = true;
    refed_ = true;
    bind_and_kick_locked(std::move(loop));  // unlocks
  }

  // Removes the listener: delivery pauses (nothing is dropped) and the port is unref'd.
  void clear_listener() noexcept {
    std::shared_ptr<Listener> old;
    pop_lock_.lock();
    lock_.lock();
    old = std::exchange(listener_, nullptr);
    started_ = false;
    refed_ = false;
    sync_ref_locked();
    lock_.unlock();
    pop_lock_.unlock();
  }

  void set_on_close(std::function<void()> fn) {
    auto loop = current_loop();
    pop_lock_.lock();
    lock_.lock();
    std::swap(on_close_, fn);
    bind_and_kick_locked(std::move(loop));
  }

  void start() {
    auto loop = current_loop();
    pop_lock_.lock();
    lock_.lock();
    started_ = true;
    bind_and_kick_locked(std::move(loop));
  }

  void ref() {
    auto loop = current_loop();
    pop_lock_.lock();
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
    pop_lock_.lock();
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
    pop_lock_.unlock();
  }

  // The receiving handle is gone: callbacks are dropped (destroyed outside the lock) and the
  // keep-alive released. Queued messages stay until the queue is destroyed.
  void detach() noexcept {
    std::shared_ptr<Listener> l;
    std::function<void()> c;
    pop_lock_.lock();
    lock_.lock();
    gone_ = true;
    l = std::exchange(listener_, nullptr);
    c = std::move(on_close_);
    on_close_ = nullptr;
    sync_ref_locked();
    lock_.unlock();
    pop_lock_.unlock();
  }

 private:
  static void destroy_list(Node* n) noexcept {
    while (n != nullptr) delete std::exchange(n, n->next);
  }

  // The spare lists hold raw node memory, linked through this header.
  struct Spare {
    Spare* next;
  };
  static_assert(sizeof(Spare) <= sizeof(Node));

  static void free_spares(Spare* s) noexcept {
    while (s != nullptr) ::operator delete(std::exchange(s, s->next));
  }

  // Takes `n`'s message (null: nullopt) and unlocks pop_lock_ (held by the caller). A
  // recyclable node is emptied under the lock and kept as a spare.
  std::optional<T> take_and_unlock(Node* n) {
    if constexpr (kRecycle) {
      if (n == nullptr) {
        pop_lock_.unlock();
        return std::nullopt;
      }
      std::optional<T> v(std::move(n->value));  // cannot throw (kRecycle)
      recycle_locked(n);
      pop_lock_.unlock();
      return v;
    } else {
      pop_lock_.unlock();
      if (n == nullptr) return std::nullopt;
      std::unique_ptr<Node> owned(n);
      return std::optional<T>(std::move(n->value));
    }
  }

  // Destroys `n`'s (moved-from) value and keeps its memory on the receivers' spare list, or
  // frees it when that list is full. Needs pop_lock_.
  void recycle_locked(Node* n) noexcept {
    n->~Node();
    if (spare_out_count_ >= kMaxSpare) {
      ::operator delete(static_cast<void*>(n));
      return;
    }
    Spare* s = ::new (static_cast<void*>(n)) Spare{spare_out_};
    if (spare_out_ == nullptr) spare_out_tail_ = s;
    spare_out_ = s;
    ++spare_out_count_;
  }

  // Moves the whole inbox into the (empty) batch, and the receivers' spare nodes to the
  // senders' side while it has room. Needs pop_lock_ and lock_.
  void refill_locked() noexcept {
    out_head_ = std::exchange(in_head_, nullptr);
    in_tail_ = nullptr;
    out_size_ = std::exchange(in_size_, 0);
    if (spare_out_ != nullptr && spare_in_count_ < kMaxSpare) {
      spare_out_tail_->next = spare_in_;
      spare_in_ = std::exchange(spare_out_, nullptr);
      spare_out_tail_ = nullptr;
      spare_in_count_ += std::exchange(spare_out_count_, 0);
      // relaxed: a hint for senders; pairs with nothing (the list is read under lock_).
      spare_in_hint_.store(spare_in_count_, std::memory_order_relaxed);
    }
  }

  // Unlinks the batch's first node. Needs pop_lock_ and lock_.
  Node* unlink_both_locked() noexcept {
    if (out_head_ == nullptr) refill_locked();
    return unlink_batch();
  }

  Node* unlink_batch() noexcept {
    Node* n = out_head_;
    if (n != nullptr) {
      out_head_ = n->next;
      --out_size_;
    }
    return n;
  }

  // Takes the next message from the batch, refilling it from the inbox (one short `lock_`
  // section) when empty. With nothing queued, `done` says whether the queue is closed. Needs
  // pop_lock_.
  Node* pop_batch_locked(bool& done) noexcept {
    if (out_head_ == nullptr) {
      lock_.lock();
      refill_locked();
      done = out_head_ == nullptr && closed_;
      lock_.unlock();
    }
    return unlink_batch();
  }

  static std::shared_ptr<EventLoop> current_loop() {
    return EventLoop::current().shared_from_this();
  }

  // Needs lock_, and pop_lock_ too unless the inbox is known to be non-empty.
  [[nodiscard]] bool deliverable_locked() const noexcept {
    return started_ && listener_ != nullptr && (in_head_ != nullptr || out_head_ != nullptr) &&
           !(drop_on_close_ && closed_);
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
  // a deliver task if one is needed, and unlocks both locks (the caller holds both).
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
    pop_lock_.unlock();
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
    q.pop_lock_.lock();
    // Fast path, without lock_: a message waits in the batch and the receiver state (written
    // under both locks, so readable under either) says deliver it.
    if (budget != 0 && q.out_head_ != nullptr && q.loop_.get() == from && !q.gone_ &&
        q.started_ && q.listener_ != nullptr && !(q.drop_on_close_ && q.closed_)) {
      Node* n = q.unlink_batch();
      std::shared_ptr<Listener> l = q.listener_;
      call_listener(std::move(self), from, budget, l, q.take_and_unlock(n));
      return;
    }
    q.lock_.lock();
    if (q.loop_.get() != from) {  // re-bound elsewhere: that loop has its own task
      q.lock_.unlock();
      q.pop_lock_.unlock();
      return;
    }
    if (!q.gone_ && q.deliverable_locked()) {
      if (budget == 0) {  // yield to the rest of the loop; scheduled_ stays true
        std::shared_ptr<EventLoop> loop = q.loop_;
        q.lock_.unlock();
        q.pop_lock_.unlock();
        q.post_deliver(std::move(loop));
        return;
      }
      Node* n = q.unlink_both_locked();
      std::shared_ptr<Listener> l = q.listener_;
      q.lock_.unlock();
      call_listener(std::move(self), from, budget, l, q.take_and_unlock(n));
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
    q.pop_lock_.unlock();
    if (emit && on_close) on_close();
  }

  // Runs the listener on the message taken by deliver, then arms the next delivery.
  static void call_listener(std::shared_ptr<PortQueue>&& self, EventLoop* from,
                            std::size_t budget, const std::shared_ptr<Listener>& l,
                            std::optional<T>&& v) {
    try {
      (*l)(std::move(*v));
    } catch (...) {
      arm_next(self, from, budget - 1);  // the message is consumed; the rest still comes
      throw;
    }
    arm_next(self, from, budget - 1);
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

  mutable WordLock pop_lock_;  // taken before lock_
  // Guarded by pop_lock_ (the receivers' batch; refilled from the inbox under both locks):
  Node* out_head_ = nullptr;
  std::size_t out_size_ = 0;
  Spare* spare_out_ = nullptr;  // emptied nodes, for the senders' side
  Spare* spare_out_tail_ = nullptr;
  std::size_t spare_out_count_ = 0;
  mutable WordLock lock_;
  // Guarded by lock_; loop_, listener_, started_, gone_ and closed_ are written under both
  // locks, so the deliver task's fast path reads them under pop_lock_ alone:
  Node* in_head_ = nullptr;
  Node* in_tail_ = nullptr;
  std::size_t in_size_ = 0;
  Spare* spare_in_ = nullptr;  // node memory for emplace_if_open
  std::size_t spare_in_count_ = 0;
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
  std::atomic<std::size_t> spare_in_hint_{0};  // spare_in_count_, read without the lock
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint32_t> waiters_{0};
  std::atomic<std::uint32_t> incoming_{0};  // announced messages still being built
};

}  // namespace bobbin::detail
