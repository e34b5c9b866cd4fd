// bobbin/actor.hpp — ActorSystem and ActorRef<Msg, R>: actors with a mailbox each, run one
// message at a time by a fixed set of scheduler threads.
//
//   bobbin::ActorSystem actors(2);                    // two scheduler threads of its own
//   auto total = actors.spawn<int>([sum = 0](int n) mutable { return sum += n; });
//   total.tell(5);                                    // fire and forget; false if not taken
//   bobbin::Promise<int> now = total.ask(1);          // 6: what the handler returned
//   auto log = actors.spawn<std::string>([](const std::string& s) { std::puts(s.c_str()); },
//       {.mailbox_capacity = 1024, .overflow = bobbin::MailboxOverflow::fail,
//        .supervision = bobbin::Supervision::stop});
//   if (!log.try_tell("x")) { /* full or stopped */ }  // never blocks
//   log.try_tell_for("y", 10ms);  log.try_tell_until("z", deadline);
//   log.dropped();  log.restarts();  log.waiting_senders();  log.closed();  // snapshots
//   actors.on_error([](std::exception_ptr e) { /* an escalated handler error */ });
//   log.stop().get();                                 // handles what was accepted, then stops
//   actors.stop().get();                              // every actor, gracefully
//
// Usage rules:
//   - `spawn<Msg>(handler, options)` makes an actor whose handler is called as
//     `handler(Msg&&)` (so it may take `Msg`, `const Msg&` or `Msg&&`); `R` is what it returns
//     (without reference or cv), `void` included. The handler is the actor's state: a mutable
//     lambda keeps state in its captures, and the actor owns it.
//   - One message at a time: an actor's handler never runs on two threads at once, and
//     everything one handler call did happens-before the next call.
//   - FIFO per sender: two messages sent by one thread (or one handler) to one actor are handled
//     in the order sent. Messages from different senders interleave in no promised order.
//   - `tell(msg)` returns true when the mailbox accepted the message, false when the actor is
//     stopped or the overflow policy refused it. `ask(msg)` returns a `Promise<R>` settled by
//     the handler's result; a handler that throws rejects it with that exception. An ask the
//     mailbox refuses rejects with `ClosedError` (stopped) or `QueueFullError` (full). Every
//     send takes its message by value: a refused message is destroyed, not handed back.
//   - Mailboxes are unbounded unless `ActorOptions::mailbox_capacity` says otherwise (0 throws
//     `RangeError`). When a bounded mailbox is full, `overflow` decides:
//       block        (the default) `tell`/`ask` wait for room; `try_tell` fails at once and the
//                    timed forms wait until their deadline. An interrupted wait (a worker being
//                    terminated) throws `TerminatedError`, having sent nothing.
//       fail         `tell` returns false, `ask` rejects with `QueueFullError`.
//       drop_newest  as fail (the new message is refused), and the refusal is counted in
//                    `dropped()`, for senders that ignore `tell`'s result.
//       drop_oldest  the new message is accepted and the oldest message not yet started is
//                    discarded instead (counted in `dropped()`; an ask among them rejects with
//                    `QueueFullError`). The discard is decided at send time and carried out when
//                    the actor next takes a message.
//     Nothing is dropped silently: every message a mailbox accepted is handled exactly once,
//     or counted in `dropped()` (and, for an ask, its promise rejected).
//   - Supervision, for a handler that throws (`ActorOptions::supervision`):
//       restart      (the default) the actor goes on with the next message and a fresh handler,
//                    copied from the one given to spawn (so it needs a copyable handler:
//                    spawning a move-only one with `restart` throws `TypeError`).
//       stop         the actor stops: later sends fail, and every message still queued is
//                    dropped (counted; asks reject with `ClosedError`).
//       escalate     the exception goes to the system's `on_error` handler (default: one line
//                    on stderr), then the actor stops as above.
//   - `ref.stop()` closes the mailbox (later `tell`s return false, `ask`s reject with
//     `ClosedError`), lets the actor handle everything accepted before, and returns a
//     `Promise<void>` fulfilled once it has (also after a supervision stop). `system.stop()`
//     does that for every actor and fulfils once all have stopped; `spawn` then throws
//     `ClosedError`. The destructor stops the system, waits, and joins its threads.
//   - `ActorRef` is a cheap handle (one reference count): copy it anywhere, use it from any
//     thread, inside handlers too (actors telling actors). An empty (default-constructed or
//     moved-from) ref throws `TypeError` from every operation. An actor lives until it stops,
//     even if every ref is gone; a ref outlives its system safely (sends then fail).
//   - `ActorSystem(0)` throws `RangeError`; `ActorSystem()` uses one thread per core.
//   - Handlers should not block waiting for another actor of the same system (`ask(..).get()`
//     inside a handler). It works while another scheduler thread is free (an idle thread takes
//     over, within milliseconds, an actor left waiting behind a blocked or long handler), but
//     with one thread, or once every thread blocks, it waits forever. Scheduler threads run no
//     event loop either, so a continuation attached
//     inside a handler (`then`, `co_await`) never runs. To use another actor's answer, have it
//     tell the answer to an actor, or return its promise from the handler (the asker then gets
//     a `Promise<Promise<U>>` and chains on its own loop). A handler telling a full `block`
//     mailbox waits as any sender does; prefer `fail` between actors that form a cycle.
//   - Destroying a system from one of its own handlers terminates the program (it would wait
//     for itself forever).
//
// Design: the mailbox is a lock-free LIFO inbox (a Treiber stack: a send is one CAS on `head`)
// plus a FIFO cache that only the running actor touches: it takes the whole stack at once and
// reverses it (CAF's technique). The two low bits of `head` carry the actor's state: `idle`
// (empty and not scheduled) and `closed`. A send that finds the mailbox idle is the one that
// schedules the actor, so an actor is queued on a run queue only when its mailbox goes from
// empty to non-empty, and is never in two places. A scheduler thread runs up to `kBatch`
// messages of one actor, then re-queues it behind the others if more are waiting, or marks it
// idle with one CAS. An actor made ready by a handler goes to the running thread's "next" slot
// (Go's runnext): it runs right after the current batch on the same core, with no wake-up, so
// actors that talk to each other stay on one cache; other ready actors go to a shared FIFO run
// queue guarded by a small lock, and a sleeping scheduler thread is woken only when one is
// parked. Idle scheduler threads spin briefly on the run queue, then park in the parking lot
// (which spins and yields a little more before sleeping). A parked thread also wakes on its
// own, at intervals growing from 1 ms to 64 ms while nothing happens, to steal the "next"
// actor of a thread that has not started a batch since its last look: a blocked or long
// handler cannot strand the actor behind it while another thread is free. Bounded mailboxes add a
// counter of queued messages; a full `block` mailbox parks senders on that counter.
//
// Envelopes: a tell's envelope is the link, two flags and the message (16 bytes for an int);
// only an ask's carries the resolver. Each sending thread carves envelopes one after another
// out of a 16 KiB slab of its own (a pointer bump, no allocator call); the handling thread
// frees one with a decrement of its slab's live count, and the last of the frees and the
// sender's retirement of the full slab recycles it (up to 128 spare slabs, 2 MiB, are kept for
// reuse process-wide; the rest go back to the allocator). So a fan-in's backlog lies in
// address order per sender, which the actor walks at prefetch speed, and the senders' memory
// never crosses threads through malloc's arenas. A slab lives while any envelope in it does;
// each thread that sends holds one until it exits. Envelopes over 1 KiB or over-aligned, and
// sends from a thread that is running its thread_local destructors, use operator new.
//
// Lifetime: ActorSystem is neither copyable nor movable. Actors and the scheduler state are
// reference-counted, so refs, in-flight sends and promises stay valid after the system is gone.
//
// Thread safety: every member of ActorRef and ActorSystem may be called from any thread.
//
// Memory ordering: a send publishes its message with a release CAS of `head`; the actor takes
// the inbox with an acquire CAS (RMWs continue release sequences, so every sender in the taken
// stack is covered): a send happens-before the handler call that receives it. A handler call
// happens-before the next one on the same actor, wherever it runs (the actor passes between
// threads through the run queue's lock, or through its `head` word: the idle CAS is a release,
// and the send that finds the actor idle reads it with an acq_rel CAS before it queues the
// actor, or a thread's "next" slot, which only that thread touches). Settling an ask's promise
// orders as promise.hpp says. No wake-up is lost, by the store-buffering argument: a waiter (idle
// thread, blocked sender) announces itself with a seq_cst increment and re-checks the state
// (seq_cst) inside the parking lot's validate; the other side changes the state with a seq_cst
// operation and then reads the waiter count (seq_cst).
// Envelope slabs: a slab's blocks are written only by its sending thread until sent (published
// by the `head` CAS above) and by the handler after; every free and the retirement is an acq_rel
// decrement of the slab's count, so the one that reaches zero has all earlier uses of the slab
// happen-before its recycling, and a recycled slab passes to its next owner under the spare
// list's lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/platform.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "parking_lot.hpp"
#include "promise.hpp"

// AddressSanitizer builds poison envelope slabs' free blocks (see EnvelopeSlabs).
#if defined(__SANITIZE_ADDRESS__)
#define BOBBIN_ACTOR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BOBBIN_ACTOR_ASAN 1
#endif
#endif
#ifndef BOBBIN_ACTOR_ASAN
#define BOBBIN_ACTOR_ASAN 0
#endif
#if BOBBIN_ACTOR_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace bobbin {

// What a bounded mailbox does with a message that finds it full (see the header comment).
enum class MailboxOverflow { block, fail, drop_newest, drop_oldest };

// What happens to an actor whose handler throws (see the header comment).
enum class Supervision { restart, stop, escalate };

// The capacity of a mailbox without a bound.
inline constexpr std::size_t unbounded_mailbox = std::numeric_limits<std::size_t>::max();

// Options of `ActorSystem::spawn`, in this order for designated initializers.
struct ActorOptions {
  std::size_t mailbox_capacity = unbounded_mailbox;  // 0 throws RangeError
  MailboxOverflow overflow = MailboxOverflow::block;
  Supervision supervision = Supervision::restart;
};

template <class Msg, class R>
class ActorRef;
class ActorSystem;

namespace detail {

struct ActorCore;

// A message in a mailbox; the typed envelope derives from it.
struct ActorEnvelopeBase {
  ActorEnvelopeBase* next = nullptr;
  bool ask = false;     // an ActorAskEnvelope (carries a resolver)
  bool pooled = false;  // in an envelope slab (see EnvelopeSlabs), not from operator new
};

// How many messages an actor handles before it lets another run; how many times in a row a
// thread takes its "next" slot before it looks at the shared run queue; how long an idle
// thread polls the run queue before it parks.
inline constexpr unsigned kActorBatch = 128;
inline constexpr unsigned kActorNextStreak = 64;
inline constexpr unsigned kActorIdleSpins = 256;

struct ActorScheduler;

// How long an idle thread sleeps, at first and at most, before it looks for an actor stuck in
// a busy thread's "next" slot.
inline constexpr auto kActorWatchMin = std::chrono::milliseconds(1);
inline constexpr auto kActorWatchMax = std::chrono::milliseconds(64);

// A scheduler thread's own state.
struct alignas(64) ActorWorker {
  ActorScheduler* scheduler = nullptr;
  // Runs next, on this thread (Go's runnext). Set and taken by the owner; an idle thread
  // steals it if the owner stays inside one batch for a whole watch period.
  std::atomic<ActorCore*> next{nullptr};
  std::atomic<std::uint64_t> batches{0};  // batches the owner started (read by watchers)
  unsigned streak = 0;                    // owner: consecutive runs taken from `next`

  // Owner: takes the actor in `next`, if any.
  ActorCore* take_next() noexcept {
    // relaxed: a hint that saves the exchange when empty.
    if (next.load(std::memory_order_relaxed) == nullptr) return nullptr;
    // acquire: pairs with the acq_rel exchange in schedule() (a thief's, or our own).
    return next.exchange(nullptr, std::memory_order_acquire);
  }
};

inline ActorWorker*& current_actor_worker() noexcept {
  thread_local ActorWorker* worker = nullptr;
  return worker;
}

// The state shared by a system, its threads and its actors: the run queue and the registry.
struct ActorScheduler {
  // ---- run queue: a FIFO of ready actors, linked through ActorCore::next_ready ----
  bobbin::detail::WordLock lock;
  ActorCore* head = nullptr;  // under `lock`
  ActorCore* tail = nullptr;  // under `lock`
  std::atomic<std::size_t> ready{0};       // actors in the queue (written under `lock`)
  std::atomic<std::uint32_t> sleepers{0};  // threads parked on this scheduler
  std::atomic<bool> shutdown{false};       // set once every actor has stopped

  // ---- registry: every actor not yet stopped, holding a reference on each ----
  bobbin::detail::WordLock registry_lock;
  ActorCore* actors = nullptr;  // under `registry_lock`
  bool stopping = false;        // under `registry_lock`
  std::atomic<std::size_t> live{0};  // actors not yet stopped (written under `registry_lock`)
  Promise<void> all_stopped;
  Resolver<void> all_stopped_resolver;

  bobbin::detail::WordLock error_lock;
  std::function<void(std::exception_ptr)> on_error;  // under `error_lock`

  ActorScheduler() {
    auto [p, r] = Promise<void>::with_resolvers();
    all_stopped = std::move(p);
    all_stopped_resolver = std::move(r);
  }

  inline void push(ActorCore* actor, bool wake) noexcept;
  inline ActorCore* pop() noexcept;
  inline void schedule(ActorCore* actor) noexcept;
  inline void wake_one() noexcept;
  inline void add(ActorCore* actor);
  inline void finished(ActorCore* actor) noexcept;
  inline void report(std::exception_ptr error) noexcept;
  static inline void run_thread(std::shared_ptr<ActorScheduler> self, std::size_t index) noexcept;
  inline ActorCore* steal(std::size_t self_index, std::vector<std::uint64_t>& seen) noexcept;

  // The scheduler threads' states, one per thread; fixed before the threads start.
  std::unique_ptr<ActorWorker[]> workers;
  std::size_t worker_count = 0;
};

// The part of an actor that does not depend on its types: reference count, mailbox word,
// bounded-mailbox accounting, closing and stopping.
struct ActorCore {
  // `head` holds a pointer to the newest queued envelope, or null, with two flag bits.
  static constexpr std::uintptr_t kClosed = 1;  // no more sends
  static constexpr std::uintptr_t kIdle = 2;    // empty and not scheduled (alone, or with kClosed
                                                // once stopped for good)
  static constexpr std::uintptr_t kFlags = 3;
  static constexpr std::uintptr_t kStopped = kClosed | kIdle;

  enum class Sent { sent, full, closed };

  ActorCore(std::shared_ptr<ActorScheduler> s, const ActorOptions& o)
      : scheduler(std::move(s)), capacity(o.mailbox_capacity), overflow(o.overflow),
        supervision(o.supervision) {
    auto [p, r] = Promise<void>::with_resolvers();
    stopped = std::move(p);
    stopped_resolver = std::move(r);
  }
  ActorCore(const ActorCore&) = delete;
  ActorCore& operator=(const ActorCore&) = delete;
  virtual ~ActorCore() = default;

  // Handles up to kActorBatch messages; returns true if the actor must be queued again.
  virtual bool run() noexcept = 0;

  void add_ref() noexcept {
    refs.fetch_add(1, std::memory_order_relaxed);  // relaxed: the caller already holds one
  }
  void release() noexcept {
    // acq_rel: the last release sees every other owner's writes before it deletes.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  [[nodiscard]] bool bounded() const noexcept { return capacity != unbounded_mailbox; }

  static ActorEnvelopeBase* pointer(std::uintptr_t word) noexcept {
    return reinterpret_cast<ActorEnvelopeBase*>(word & ~kFlags);
  }

  // Links `e` into the inbox; false if the mailbox is closed. Schedules an idle actor.
  bool push(ActorEnvelopeBase* e) noexcept {
    std::uintptr_t h = head.load(std::memory_order_relaxed);  // relaxed: checked by the CAS
    for (;;) {
      if ((h & kClosed) != 0) return false;
      e->next = pointer(h);
      // acq_rel: the release publishes the message to the acquire CAS in take_inbox(); the
      // acquire, when we find the actor idle, pairs with the release CAS in settle(), so the
      // batch that made it idle happens-before the one we schedule.
      if (head.compare_exchange_weak(h, reinterpret_cast<std::uintptr_t>(e),
                                     std::memory_order_acq_rel, std::memory_order_relaxed)) {
        break;
      }
    }
    if (h == kIdle) scheduler->schedule(this);
    return true;
  }

  // Bounded mailboxes: takes a place if there is one.
  bool try_reserve() noexcept {
    std::size_t s = size.load(std::memory_order_relaxed);  // relaxed: checked by the CAS
    while (s < capacity) {
      // seq_cst: the store-buffering pair with blocked senders' validate (see the header).
      if (size.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst,
                                     std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  // Bounded mailboxes: gives a place back (a message left the mailbox) and wakes a sender.
  void unreserve() noexcept {
    size.fetch_sub(1, std::memory_order_seq_cst);  // seq_cst: as in try_reserve()
    if (send_waiters.load(std::memory_order_seq_cst) != 0) parking_lot::unpark_one(&size);
  }

  // The slow path of a `block` send: waits for a place until `deadline`. Returns true with a
  // place taken, false on timeout or when the mailbox closed; throws TerminatedError when
  // interrupted.
  [[gnu::noinline]] bool reserve_slow(bobbin::detail::Deadline deadline) {
    // A ready actor parked in this thread's "next" slot may be the very one we wait for.
    ActorWorker* w = current_actor_worker();
    if (w != nullptr) {
      if (ActorCore* next = w->take_next()) w->scheduler->push(next, true);
    }
    for (;;) {
      if (try_reserve()) return true;
      if (closed()) return false;
      send_waiters.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see unreserve()
      const parking_lot::ParkResult r = parking_lot::park_until(
          &size,
          [this] {
            return size.load(std::memory_order_seq_cst) >= capacity &&
                   (head.load(std::memory_order_seq_cst) & kClosed) == 0;
          },
          parking_lot::detail::NoOp{}, deadline);
      // relaxed: only a count; wakers read it after their own seq_cst state change.
      send_waiters.fetch_sub(1, std::memory_order_relaxed);
      if (r == parking_lot::ParkResult::interrupted) {
        throw TerminatedError("bobbin::ActorRef: interrupted while waiting for mailbox room");
      }
      if (r == parking_lot::ParkResult::timed_out) return try_reserve();
    }
  }

  // Decides whether a message may enter (bounded mailboxes); `Sent::sent` means go ahead.
  Sent admit(bool may_block, bobbin::detail::Deadline deadline) {
    if (!bounded()) return Sent::sent;
    switch (overflow) {
      case MailboxOverflow::drop_oldest:
        // If the push then finds the mailbox closed, the eviction stays owed: the actor
        // discards (and counts) the message ours would have pushed out, which is the outcome
        // of the send had it won the race.
        if (closed()) return Sent::closed;
        // seq_cst: the store-buffering pair with blocked senders (none for this policy, but
        // unreserve() is shared).
        if (size.fetch_add(1, std::memory_order_seq_cst) >= capacity) {
          evict.fetch_add(1, std::memory_order_relaxed);  // relaxed: read by the actor only
        }
        return Sent::sent;
      case MailboxOverflow::block:
        if (try_reserve()) return Sent::sent;
        if (may_block && reserve_slow(deadline)) return Sent::sent;
        return closed() ? Sent::closed : Sent::full;
      case MailboxOverflow::drop_newest:
      case MailboxOverflow::fail:
        if (try_reserve()) return Sent::sent;
        if (closed()) return Sent::closed;
        if (overflow == MailboxOverflow::drop_newest) {
          dropped.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
        }
        return Sent::full;
    }
    return Sent::full;
  }

  [[nodiscard]] bool closed() const noexcept {
    return (head.load(std::memory_order_seq_cst) & kClosed) != 0;
  }

  // Closes the mailbox; returns false if it already was. An idle actor is scheduled so that
  // a scheduler thread stops it.
  bool close() noexcept {
    std::uintptr_t h = head.load(std::memory_order_relaxed);  // relaxed: checked by the CAS
    for (;;) {
      if ((h & kClosed) != 0) return false;
      const std::uintptr_t to = h == kIdle ? kClosed : (h | kClosed);
      // seq_cst: the store-buffering pair with blocked senders' validate; also acquires the
      // idle actor's last batch, as push() does.
      if (head.compare_exchange_weak(h, to, std::memory_order_seq_cst,
                                     std::memory_order_relaxed)) {
        break;
      }
    }
    if (bounded()) parking_lot::unpark_all(&size);
    if (h == kIdle) scheduler->schedule(this);
    return true;
  }

  // Actor: moves the inbox into the FIFO cache (which must be empty); false if it was empty.
  bool take_inbox() noexcept {
    std::uintptr_t h = head.load(std::memory_order_relaxed);  // relaxed: checked by the CAS
    for (;;) {
      if (pointer(h) == nullptr) return false;
      // acquire: pairs with the release CAS in push().
      if (head.compare_exchange_weak(h, h & kClosed, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
        break;
      }
    }
    ActorEnvelopeBase* list = pointer(h);
    ActorEnvelopeBase* fifo = nullptr;
    while (list != nullptr) {
      ActorEnvelopeBase* const next = list->next;
      list->next = fifo;
      fifo = list;
      list = next;
    }
    cache = fifo;
    return true;
  }

  // Actor: the next envelope in FIFO order, or null.
  ActorEnvelopeBase* next_envelope() noexcept {
    if (cache == nullptr && !take_inbox()) return nullptr;
    ActorEnvelopeBase* e = cache;
    cache = e->next;
    if (bounded()) unreserve();
    return e;
  }

  // Actor: whether the next envelope must be discarded (drop_oldest).
  bool must_evict() noexcept {
    if (overflow != MailboxOverflow::drop_oldest || !bounded()) return false;
    // relaxed: a count only this thread decrements; the message it stands for is ordered by
    // the inbox CAS.
    if (evict.load(std::memory_order_relaxed) == 0) return false;
    evict.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as above
    return true;
  }

  // Actor, at the end of a batch with an empty cache: marks the actor idle, or stops it once
  // closed and drained. Returns true if messages arrived meanwhile (queue the actor again).
  bool settle() noexcept {
    std::uintptr_t h = head.load(std::memory_order_acquire);  // acquire: as take_inbox()
    for (;;) {
      if (pointer(h) != nullptr) return true;
      if (h == kClosed) {
        finish();
        return false;
      }
      // release: pairs with the send whose CAS reads kIdle and schedules us (our writes
      // happen-before the next batch on whichever thread).
      if (head.compare_exchange_weak(h, kIdle, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        return false;
      }
    }
  }

  // Actor: closed and drained; stops for good.
  void finish() noexcept {
    head.store(kStopped, std::memory_order_seq_cst);
    if (bounded()) parking_lot::unpark_all(&size);
    on_finish();
    stopped_resolver.resolve();
    scheduler->finished(this);
  }

  // Actor: stops after a handler threw (stop/escalate): later messages are dropped.
  void fail() noexcept {
    failed = true;
    close();
  }

  virtual void on_finish() noexcept {}

  std::atomic<std::size_t> refs{1};
  std::shared_ptr<ActorScheduler> scheduler;
  ActorCore* next_ready = nullptr;  // run-queue link, owned by whoever has the actor queued
  ActorCore* registry_prev = nullptr;  // under the scheduler's registry_lock
  ActorCore* registry_next = nullptr;  // under the scheduler's registry_lock
  const std::size_t capacity;
  const MailboxOverflow overflow;
  const Supervision supervision;
  Promise<void> stopped;
  Resolver<void> stopped_resolver;
  std::atomic<std::size_t> dropped{0};
  std::atomic<std::size_t> restarts{0};
  ActorEnvelopeBase* cache = nullptr;  // the FIFO cache: touched by the running actor only
  bool failed = false;            // the running actor only

  alignas(64) std::atomic<std::uintptr_t> head{kIdle};
  alignas(64) std::atomic<std::size_t> size{0};  // bounded: messages queued
  std::atomic<std::uint32_t> send_waiters{0};     // bounded: senders parked on `size`
  std::atomic<std::size_t> evict{0};              // drop_oldest: discards still to make
};

inline void ActorScheduler::wake_one() noexcept {
  // seq_cst: the store-buffering pair with an idle thread's increment and validate.
  if (sleepers.load(std::memory_order_seq_cst) != 0) parking_lot::unpark_one(this);
}

inline void ActorScheduler::push(ActorCore* actor, bool wake) noexcept {
  lock.lock();
  actor->next_ready = nullptr;
  (tail != nullptr ? tail->next_ready : head) = actor;
  tail = actor;
  // seq_cst: the state change idle threads validate against (see wake_one()).
  ready.fetch_add(1, std::memory_order_seq_cst);
  lock.unlock();
  if (wake) wake_one();
}

inline ActorCore* ActorScheduler::pop() noexcept {
  // relaxed: a hint; the list is read under the lock.
  if (ready.load(std::memory_order_relaxed) == 0) return nullptr;
  lock.lock();
  ActorCore* actor = head;
  if (actor != nullptr) {
    head = actor->next_ready;
    if (head == nullptr) tail = nullptr;
    ready.fetch_sub(1, std::memory_order_relaxed);  // relaxed: written under the lock
  }
  lock.unlock();
  return actor;
}

inline void ActorScheduler::schedule(ActorCore* actor) noexcept {
  actor->add_ref();  // the queue's reference, dropped when the actor goes idle or stops
  ActorWorker* w = current_actor_worker();
  if (w != nullptr && w->scheduler == this) {
    // Runs right after the current batch, on this thread; an actor already waiting there
    // moves to the shared queue, where another thread may take it.
    // acq_rel: the release publishes the actor to whoever takes it (owner or thief); the
    // acquire covers an actor we displace.
    if (ActorCore* previous = w->next.exchange(actor, std::memory_order_acq_rel)) {
      push(previous, true);
    }
    return;
  }
  push(actor, true);
}

inline void ActorScheduler::add(ActorCore* actor) {
  registry_lock.lock();
  if (stopping) {
    registry_lock.unlock();
    throw ClosedError("bobbin::ActorSystem: spawn after stop()");
  }
  actor->add_ref();  // the registry's reference
  actor->registry_prev = nullptr;
  actor->registry_next = actors;
  if (actors != nullptr) actors->registry_prev = actor;
  actors = actor;
  live.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: read by the destructor's validate
  registry_lock.unlock();
}

inline void ActorScheduler::finished(ActorCore* actor) noexcept {
  registry_lock.lock();
  (actor->registry_prev != nullptr ? actor->registry_prev->registry_next : actors) =
      actor->registry_next;
  if (actor->registry_next != nullptr) actor->registry_next->registry_prev = actor->registry_prev;
  // seq_cst: the state change the destructor's park validates against.
  const bool last = live.fetch_sub(1, std::memory_order_seq_cst) == 1;
  const bool resolve = last && stopping;
  registry_lock.unlock();
  if (resolve) all_stopped_resolver.resolve();
  if (last) parking_lot::unpark_all(&live);
  actor->release();  // the registry's reference (the running thread still holds one)
}

inline void ActorScheduler::report(std::exception_ptr error) noexcept {
  error_lock.lock();
  std::function<void(std::exception_ptr)> handler = on_error;
  error_lock.unlock();
  try {
    if (handler) {
      handler(error);
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bobbin::ActorSystem: an actor's handler threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "bobbin::ActorSystem: an actor's handler threw a non-exception\n");
    }
  } catch (...) {
    // A throwing error handler has nowhere to go.
  }
}

// An idle thread's watch: takes the actor waiting in another thread's "next" slot if that
// thread has not started a batch since the last watch (its handler is long or blocked).
inline ActorCore* ActorScheduler::steal(std::size_t self_index,
                                        std::vector<std::uint64_t>& seen) noexcept {
  ActorCore* stolen = nullptr;
  for (std::size_t i = 0; i < worker_count; ++i) {
    if (i == self_index) continue;
    ActorWorker& victim = workers[i];
    // relaxed: a progress counter compared with our own earlier reading.
    const std::uint64_t b = victim.batches.load(std::memory_order_relaxed);
    // relaxed: a hint that saves the exchange when empty.
    if (stolen == nullptr && b == seen[i] &&
        victim.next.load(std::memory_order_relaxed) != nullptr) {
      // acquire: pairs with the acq_rel exchange in schedule().
      stolen = victim.next.exchange(nullptr, std::memory_order_acquire);
    }
    seen[i] = b;
  }
  return stolen;
}

inline void ActorScheduler::run_thread(std::shared_ptr<ActorScheduler> self,
                                       std::size_t index) noexcept {
  ActorWorker& w = self->workers[index];
  current_actor_worker() = &w;
  std::vector<std::uint64_t> seen;  // other threads' batch counts at the last watch
  try {
    seen.assign(self->worker_count, ~std::uint64_t{0});
  } catch (...) {
    // No watch without memory; everything else works.
  }
  auto watch = kActorWatchMin;
  for (;;) {
    ActorCore* actor = nullptr;
    if (w.streak < kActorNextStreak) actor = w.take_next();
    if (actor != nullptr) {
      ++w.streak;
    } else {
      w.streak = 0;
      actor = self->pop();
      if (actor == nullptr) actor = w.take_next();
    }
    if (actor == nullptr) {
      // acquire: pairs with the destructor's store, after every actor stopped.
      if (self->shutdown.load(std::memory_order_acquire)) break;
      bool found = false;
      for (unsigned i = 0; i < kActorIdleSpins && !found; ++i) {
        bobbin::detail::cpu_relax();
        // relaxed: a hint; pop() takes the lock.
        found = self->ready.load(std::memory_order_relaxed) != 0 ||
                self->shutdown.load(std::memory_order_relaxed);
      }
      if (found) continue;
      self->sleepers.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see wake_one()
      const parking_lot::ParkResult r = parking_lot::park_for(
          self.get(),
          [&] {
            return self->ready.load(std::memory_order_seq_cst) == 0 &&
                   !self->shutdown.load(std::memory_order_seq_cst);
          },
          watch);
      // relaxed: only a count; wakers read it after their own seq_cst state change.
      self->sleepers.fetch_sub(1, std::memory_order_relaxed);
      if (r != parking_lot::ParkResult::timed_out) continue;
      if (seen.size() == self->worker_count) actor = self->steal(index, seen);
      if (actor == nullptr) {
        watch = watch * 2 < kActorWatchMax ? watch * 2 : kActorWatchMax;
        continue;
      }
    }
    watch = kActorWatchMin;
    // relaxed: a progress counter for watchers; orders nothing.
    w.batches.store(w.batches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (actor->run()) {
      // More messages: behind the other ready actors. Wake a helper only if this thread has
      // other work of its own to do first.
      // relaxed: a hint.
      self->push(actor, w.next.load(std::memory_order_relaxed) != nullptr);
    } else {
      actor->release();  // the queue's reference
    }
  }
  current_actor_worker() = nullptr;
}

// Envelope memory. Each sending thread carves its envelopes one after another out of a slab of
// its own (kEnvelopeSlab bytes, aligned to its size), so a send is a pointer bump and the
// actor walks a backlog in address order (the hardware prefetcher follows it) instead of
// chasing blocks the allocator scattered. The slab's header counts its live envelopes: the
// handling thread frees one with a decrement (found by masking the address), and the sender
// retires a full slab by subtracting the bias the count started with, so the count reaches 0
// exactly once, after the last free and the retirement, whoever comes last recycles the slab
// (a few are kept for reuse). A slab lives while any envelope in it does. Threads that are
// exiting, and envelopes too large for a slab, use operator new.
inline constexpr std::size_t kEnvelopeSlab = std::size_t{16} * 1024;
inline constexpr std::size_t kEnvelopeSlabMax = 1024;  // larger envelopes use operator new
inline constexpr unsigned kEnvelopeSpareSlabs = 128;  // 2 MiB

// A slab's header (its first cache line; envelopes follow).
struct alignas(64) EnvelopeSlab {
  std::atomic<std::uint64_t> live{0};  // bias - frees, until retired; then carved - frees
  EnvelopeSlab* next_spare = nullptr;  // in the spare list
};

// Recycled slabs, process-wide.
struct EnvelopeSpareSlabs {
  WordLock lock;
  EnvelopeSlab* slabs = nullptr;
  unsigned count = 0;
};
static_assert(std::is_trivially_destructible_v<EnvelopeSpareSlabs>);

class EnvelopeSlabs {
 public:
  // `size` bytes aligned to 16 (`size` at most kEnvelopeSlabMax, a multiple of 16), or null:
  // then the caller uses operator new. Throws std::bad_alloc.
  static void* allocate(std::size_t size) {
    Local& l = local;
    if (l.end - l.cursor < static_cast<std::ptrdiff_t>(size)) [[unlikely]] {
      if (!refill(l)) return nullptr;
    }
    void* p = l.cursor;
    l.cursor += size;
    ++l.carved;
    poison(p, size, false);
    return p;
  }

  // Frees a block of `size` bytes from allocate(), on any thread.
  static void deallocate(void* p, std::size_t size) noexcept {
    poison(p, size, true);
    auto* s = reinterpret_cast<Slab*>(reinterpret_cast<std::uintptr_t>(p) &
                                      ~(std::uintptr_t{kEnvelopeSlab} - 1));
    // acq_rel: the release orders our use of the block before the recycling; the acquire,
    // if we are last, pairs with every other release (the retirement's and the frees').
    if (s->live.fetch_sub(1, std::memory_order_acq_rel) == 1) recycle(s);
  }

 private:
  using Slab = EnvelopeSlab;
  using Spares = EnvelopeSpareSlabs;
  static constexpr std::uint64_t kBias = std::uint64_t{1} << 62;
  static_assert(kEnvelopeSlab > sizeof(Slab) + kEnvelopeSlabMax);

  // AddressSanitizer: blocks not carved yet, or freed, are poisoned, so a use after free of an
  // envelope is still reported although the slab stays allocated.
  static void poison([[maybe_unused]] void* p, [[maybe_unused]] std::size_t size,
                     [[maybe_unused]] bool on) noexcept {
#if BOBBIN_ACTOR_ASAN
    if (on) {
      __asan_poison_memory_region(p, size);
    } else {
      __asan_unpoison_memory_region(p, size);
    }
#endif
  }

  enum : unsigned char { kNew, kLive, kGone };
  struct Local {
    char* cursor;
    char* end;
    Slab* slab;
    std::uint64_t carved;  // blocks handed out from `slab`
    unsigned char state;
  };
  // Retires this thread's slab at its exit.
  struct Guard {
    Guard() noexcept { local.state = kLive; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() {
      local.state = kGone;
      retire(local);
    }
  };

  // Constant-initialized and trivially destructible: usable from any thread at any time,
  // during static destruction too, and nothing to allocate.
  static Spares& spares() noexcept { return spare_slabs; }

  static void retire(Local& l) noexcept {
    Slab* s = std::exchange(l.slab, nullptr);
    l.cursor = l.end = nullptr;
    if (s == nullptr) return;
    const std::uint64_t unused = kBias - l.carved;
    // acq_rel: as in deallocate().
    if (s->live.fetch_sub(unused, std::memory_order_acq_rel) == unused) recycle(s);
  }

  static void recycle(Slab* s) noexcept {
    Spares& sp = spares();
    sp.lock.lock();
    if (sp.count < kEnvelopeSpareSlabs) {
      s->next_spare = sp.slabs;
      sp.slabs = s;
      ++sp.count;
      s = nullptr;
    }
    sp.lock.unlock();
    if (s != nullptr) {
      poison(s + 1, kEnvelopeSlab - sizeof(Slab), false);
      s->~Slab();
      ::operator delete(static_cast<void*>(s), std::align_val_t{kEnvelopeSlab});
    }
  }

  // Retires the current slab and starts another; false if this thread keeps none (exiting).
  [[gnu::noinline]] static bool refill(Local& l) {
    if (l.state == kGone) return false;
    if (l.state == kNew) {
      thread_local Guard guard;  // its destructor retires the last slab
      static_cast<void>(guard);
    }
    retire(l);
    Spares& sp = spares();
    sp.lock.lock();
    Slab* s = sp.slabs;
    if (s != nullptr) {
      sp.slabs = s->next_spare;
      --sp.count;
    }
    sp.lock.unlock();
    if (s == nullptr) {
      s = ::new (::operator new(kEnvelopeSlab, std::align_val_t{kEnvelopeSlab})) Slab;
    }
    // relaxed: pairs with nothing; the slab is ours alone until a block of it is sent (the
    // send publishes it) or it is retired (an acq_rel RMW of this count).
    s->live.store(kBias, std::memory_order_relaxed);
    l.slab = s;
    l.carved = 0;
    l.cursor = reinterpret_cast<char*>(s) + sizeof(Slab);
    poison(l.cursor, kEnvelopeSlab - sizeof(Slab), true);  // until carved
    l.end = reinterpret_cast<char*>(s) + kEnvelopeSlab;
    return true;
  }

  static constinit inline thread_local Local local{nullptr, nullptr, nullptr, 0, kNew};
  static constinit inline Spares spare_slabs{};
};

// Envelope `E` built from `args`, in a slab when it fits (E::pooled says which).
template <class E, class... Args>
E* new_envelope(Args&&... args) {
  constexpr std::size_t size = (sizeof(E) + 15) / 16 * 16;
  if constexpr (alignof(E) <= 16 && size <= kEnvelopeSlabMax) {
    if (void* p = EnvelopeSlabs::allocate(size)) {
      E* e = nullptr;
      try {
        e = ::new (p) E(std::forward<Args>(args)...);
      } catch (...) {
        EnvelopeSlabs::deallocate(p, size);
        throw;
      }
      e->pooled = true;
      return e;
    }
  }
  return new E(std::forward<Args>(args)...);
}

// Destroys and frees an envelope from new_envelope<E>.
template <class E>
void delete_envelope(E* e) noexcept {
  if (e->pooled) {
    e->~E();
    EnvelopeSlabs::deallocate(e, (sizeof(E) + 15) / 16 * 16);
  } else {
    delete e;
  }
}

// A tell's envelope: the message and the link only, so that a fan-in's backlog, which the
// actor walks twice (reversing, then handling), spans as few cache lines as it can.
template <class Msg, class R>
struct ActorEnvelope : ActorEnvelopeBase {
  template <class M>
  explicit ActorEnvelope(M&& m) : msg(std::forward<M>(m)) {}
  Msg msg;
};

// An ask's envelope: also the resolver of the asker's promise.
template <class Msg, class R>
struct ActorAskEnvelope final : ActorEnvelope<Msg, R> {
  template <class M>
  ActorAskEnvelope(M&& m, Resolver<R> r) : ActorEnvelope<Msg, R>(std::forward<M>(m)),
                                           reply(std::move(r)) {
    this->ask = true;
  }
  Resolver<R> reply;
};

// The typed half of an actor that senders see.
template <class Msg, class R>
struct ActorCell : ActorCore {
  using ActorCore::ActorCore;
  using Env = ActorEnvelope<Msg, R>;
  using AskEnv = ActorAskEnvelope<Msg, R>;

  // Frees an envelope by its dynamic type (no virtual destructor: the `ask` flag tells).
  static void destroy(Env* e) noexcept {
    if (e->ask) {
      delete_envelope(static_cast<AskEnv*>(e));
    } else {
      delete_envelope(e);
    }
  }

  // Sends `msg` (with `reply` for an ask). On anything but `sent`, `msg` is left in a valid
  // state (possibly moved from).
  template <class M>
  Sent send(M&& msg, Resolver<R> reply, bool may_block, bobbin::detail::Deadline deadline) {
    const Sent admitted = admit(may_block, deadline);
    if (admitted != Sent::sent) return admitted;
    Env* e = nullptr;
    try {
      if (reply.valid()) {
        e = new_envelope<AskEnv>(std::forward<M>(msg), std::move(reply));
      } else {
        e = new_envelope<Env>(std::forward<M>(msg));
      }
    } catch (...) {
      if (bounded()) unreserve();
      throw;
    }
    if (!push(e)) {
      destroy(e);
      if (bounded()) unreserve();
      return Sent::closed;
    }
    return Sent::sent;
  }

  // Discards an envelope that will not be handled.
  void drop(ActorEnvelopeBase* base, bool full) noexcept {
    Env* e = static_cast<Env*>(base);
    dropped.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    if (e->ask) {
      Resolver<R>& reply = static_cast<AskEnv*>(e)->reply;
      try {
        if (full) {
          reply.reject(std::make_exception_ptr(
              QueueFullError("bobbin::ActorRef: message dropped from a full mailbox")));
        } else {
          reply.reject(std::make_exception_ptr(
              ClosedError("bobbin::ActorRef: the actor stopped before this message")));
        }
      } catch (...) {
        // Out of memory for the error: the promise stays pending.
      }
    }
    destroy(e);
  }
};

// An actor with its handler.
template <class Msg, class R, class H>
struct HandlerCell final : ActorCell<Msg, R> {
  using Base = ActorCell<Msg, R>;
  using Env = ActorEnvelope<Msg, R>;
  using AskEnv = ActorAskEnvelope<Msg, R>;

  HandlerCell(std::shared_ptr<ActorScheduler> s, const ActorOptions& o, H h)
      : Base(std::move(s), o) {
    if constexpr (std::is_copy_constructible_v<H>) {
      if (o.supervision == Supervision::restart) original.emplace(h);
    }
    handler.emplace(std::move(h));
  }

  bool run() noexcept override {
    for (unsigned n = 0; n < kActorBatch; ++n) {
      ActorEnvelopeBase* e = this->next_envelope();
      if (e == nullptr) break;
      if (this->must_evict()) {
        this->drop(e, true);
      } else if (this->failed) {
        this->drop(e, false);
      } else {
        deliver(static_cast<Env*>(e));
      }
    }
    if (this->cache != nullptr) return true;
    return this->settle();
  }

  void deliver(Env* e) noexcept {
    if (!e->ask) [[likely]] {
      try {
        static_cast<void>(std::invoke(*handler, std::move(e->msg)));
      } catch (...) {
        supervise(std::current_exception());
      }
      delete_envelope(e);
      return;
    }
    AskEnv* a = static_cast<AskEnv*>(e);
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(*handler, std::move(a->msg));
        a->reply.resolve();
      } else {
        a->reply.resolve(std::invoke(*handler, std::move(a->msg)));
      }
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      a->reply.reject(error);
      supervise(std::move(error));
    }
    delete_envelope(a);
  }

  void supervise(std::exception_ptr error) noexcept {
    switch (this->supervision) {
      case Supervision::restart:
        if constexpr (std::is_copy_constructible_v<H>) {
          handler.reset();
          try {
            handler.emplace(*original);
            this->restarts.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
            return;
          } catch (...) {
            this->scheduler->report(std::current_exception());
          }
        }
        break;
      case Supervision::escalate:
        this->scheduler->report(std::move(error));
        break;
      case Supervision::stop:
        break;
    }
    this->fail();
  }

  void on_finish() noexcept override {
    // The handler's state goes with the actor's thread, not with the last ref.
    handler.reset();
    original.reset();
  }

  std::optional<H> handler;
  std::optional<H> original;  // restart: the pristine copy
};

}  // namespace detail

// A handle on an actor that takes `Msg` and answers `R`. Cheap to copy; see the header comment.
template <class Msg, class R>
class ActorRef {
 public:
  using message_type = Msg;
  using result_type = R;

  ActorRef() = default;  // empty: every operation throws TypeError
  ActorRef(const ActorRef& other) noexcept : cell_(other.cell_) {
    if (cell_ != nullptr) cell_->add_ref();
  }
  ActorRef(ActorRef&& other) noexcept : cell_(std::exchange(other.cell_, nullptr)) {}
  ActorRef& operator=(ActorRef other) noexcept {
    std::swap(cell_, other.cell_);
    return *this;
  }
  ~ActorRef() {
    if (cell_ != nullptr) cell_->release();
  }

  // Sends `msg`; under a full `block` mailbox waits for room. True if the mailbox took it.
  bool tell(Msg msg) const {
    return checked().send(std::move(msg), Resolver<R>{}, true, bobbin::detail::kNoDeadline) ==
           Sent::sent;
  }

  // Sends `msg` without ever waiting. True if the mailbox took it.
  [[nodiscard]] bool try_tell(Msg msg) const {
    return checked().send(std::move(msg), Resolver<R>{}, false, bobbin::detail::kNoDeadline) ==
           Sent::sent;
  }

  // Sends `msg`, waiting for room in a full `block` mailbox until the timeout or deadline.
  template <class Rep, class Period>
  [[nodiscard]] bool try_tell_for(Msg msg, std::chrono::duration<Rep, Period> timeout) const {
    return checked().send(std::move(msg), Resolver<R>{}, true,
                          parking_lot::detail::deadline_after(timeout)) == Sent::sent;
  }
  template <class Clock, class Duration>
  [[nodiscard]] bool try_tell_until(Msg msg,
                                    std::chrono::time_point<Clock, Duration> deadline) const {
    return checked().send(std::move(msg), Resolver<R>{}, true,
                          parking_lot::detail::to_deadline(deadline)) == Sent::sent;
  }

  // Sends `msg` and returns a promise of the handler's result (see the header comment).
  [[nodiscard]] Promise<R> ask(Msg msg) const {
    auto& cell = checked();
    auto [promise, resolver] = Promise<R>::with_resolvers();
    switch (cell.send(std::move(msg), std::move(resolver), true, bobbin::detail::kNoDeadline)) {
      case Sent::sent:
        return std::move(promise);
      case Sent::full:
        return Promise<R>::rejected(
            std::make_exception_ptr(QueueFullError("bobbin::ActorRef::ask: mailbox full")));
      case Sent::closed:
        break;
    }
    return Promise<R>::rejected(
        std::make_exception_ptr(ClosedError("bobbin::ActorRef::ask: the actor is stopped")));
  }

  // Closes the mailbox; the promise is fulfilled once everything accepted was handled.
  Promise<void> stop() const {
    auto& cell = checked();
    cell.close();
    return cell.stopped;
  }

  // Fulfilled once the actor has stopped (by stop(), its system's stop or supervision).
  [[nodiscard]] Promise<void> stopped() const { return checked().stopped; }

  // Whether the mailbox refuses new messages (stopping or stopped).
  [[nodiscard]] bool closed() const { return checked().closed(); }

  // Messages discarded by the overflow policy or after a supervision stop (a snapshot).
  [[nodiscard]] std::size_t dropped() const {
    return checked().dropped.load(std::memory_order_relaxed);  // relaxed: a statistic
  }

  // How many times supervision restarted the handler (a snapshot).
  [[nodiscard]] std::size_t restarts() const {
    return checked().restarts.load(std::memory_order_relaxed);  // relaxed: a statistic
  }

  [[nodiscard]] std::size_t mailbox_capacity() const { return checked().capacity; }

  // Senders parked on a full `block` mailbox (a snapshot, for tests and monitoring).
  [[nodiscard]] std::size_t waiting_senders() const {
    return checked().send_waiters.load(std::memory_order_relaxed);  // relaxed: a snapshot
  }

  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }
  [[nodiscard]] explicit operator bool() const noexcept { return valid(); }

  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept {
    return a.cell_ == b.cell_;
  }

 private:
  using Cell = detail::ActorCell<Msg, R>;
  using Sent = detail::ActorCore::Sent;

  explicit ActorRef(Cell* cell) noexcept : cell_(cell) {}  // adopts one reference

  Cell& checked() const {
    if (cell_ == nullptr) throw TypeError("bobbin::ActorRef: use of an empty or moved-from ref");
    return *cell_;
  }

  Cell* cell_ = nullptr;
  friend class ActorSystem;
};

// A set of scheduler threads that run actors (see the header comment).
class ActorSystem {
 public:
  // `threads` scheduler threads; 0 throws RangeError.
  explicit ActorSystem(std::size_t threads)
      : scheduler_(std::make_shared<detail::ActorScheduler>()) {
    if (threads == 0) throw RangeError("bobbin::ActorSystem: needs at least one thread");
    scheduler_->workers = std::make_unique<detail::ActorWorker[]>(threads);
    scheduler_->worker_count = threads;
    for (std::size_t i = 0; i < threads; ++i) scheduler_->workers[i].scheduler = scheduler_.get();
    threads_.reserve(threads);
    try {
      for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back(detail::ActorScheduler::run_thread, scheduler_, i);
      }
    } catch (...) {
      shutdown();
      throw;
    }
  }

  // One thread per core (at least one).
  ActorSystem() : ActorSystem(default_threads()) {}

  ActorSystem(const ActorSystem&) = delete;
  ActorSystem& operator=(const ActorSystem&) = delete;

  // Stops every actor (each handles what it accepted), waits for them, joins the threads.
  ~ActorSystem() {
    detail::ActorWorker* w = detail::current_actor_worker();
    if (w != nullptr && w->scheduler == scheduler_.get()) {
      // It would wait for itself forever.
      std::fputs("bobbin::ActorSystem: destroyed by one of its own handlers\n", stderr);
      std::terminate();
    }
    static_cast<void>(stop());
    for (;;) {
      // seq_cst: pairs with the decrement in ActorScheduler::finished().
      if (scheduler_->live.load(std::memory_order_seq_cst) == 0) break;
      const auto r = parking_lot::park(&scheduler_->live, [this] {
        return scheduler_->live.load(std::memory_order_seq_cst) != 0;
      });
      if (r == parking_lot::ParkResult::interrupted) std::this_thread::yield();
    }
    shutdown();
  }

  // Starts an actor running `handler` on each message (see the header comment).
  template <class Msg, class Handler>
  auto spawn(Handler handler, ActorOptions options = {}) {
    using H = std::decay_t<Handler>;
    static_assert(std::is_move_constructible_v<Msg> && !std::is_reference_v<Msg>,
                  "bobbin::ActorSystem::spawn<Msg>: Msg must be a movable object type");
    static_assert(std::is_invocable_v<H&, Msg&&>,
                  "bobbin::ActorSystem::spawn<Msg>: the handler must be callable as "
                  "handler(Msg&&) (take Msg, const Msg& or Msg&&)");
    using R = std::remove_cvref_t<std::invoke_result_t<H&, Msg&&>>;
    if (options.mailbox_capacity == 0) {
      throw RangeError("bobbin::ActorSystem::spawn: mailbox_capacity must be at least 1");
    }
    if constexpr (!std::is_copy_constructible_v<H>) {
      if (options.supervision == Supervision::restart) {
        throw TypeError("bobbin::ActorSystem::spawn: restart needs a copyable handler");
      }
    }
    auto* cell = new detail::HandlerCell<Msg, R, H>(scheduler_, options, std::move(handler));
    ActorRef<Msg, R> ref(cell);
    scheduler_->add(cell);
    return ref;
  }

  // Sets the handler for errors that actors escalate (called on a scheduler thread).
  void on_error(std::function<void(std::exception_ptr)> handler) {
    scheduler_->error_lock.lock();
    std::swap(scheduler_->on_error, handler);
    scheduler_->error_lock.unlock();
  }

  // Stops every actor gracefully; fulfilled once all have stopped. Idempotent.
  Promise<void> stop() {
    detail::ActorScheduler& s = *scheduler_;
    std::vector<detail::ActorCore*> actors;
    s.registry_lock.lock();
    s.stopping = true;
    try {
      for (detail::ActorCore* a = s.actors; a != nullptr; a = a->registry_next) {
        actors.push_back(a);
        a->add_ref();
      }
    } catch (...) {
      for (detail::ActorCore* a : actors) a->release();
      s.registry_lock.unlock();
      throw;
    }
    const bool none = s.live.load(std::memory_order_relaxed) == 0;  // relaxed: under the lock
    s.registry_lock.unlock();
    if (none) s.all_stopped_resolver.resolve();
    for (detail::ActorCore* a : actors) {
      a->close();
      a->release();
    }
    return s.all_stopped;
  }

  [[nodiscard]] std::size_t threads() const noexcept { return threads_.size(); }

 private:
  static std::size_t default_threads() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }

  void shutdown() noexcept {
    // release: pairs with the scheduler threads' acquire load before they exit.
    scheduler_->shutdown.store(true, std::memory_order_seq_cst);
    parking_lot::unpark_all(scheduler_.get());
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  std::shared_ptr<detail::ActorScheduler> scheduler_;
  std::vector<std::thread> threads_;
};

}  // namespace bobbin
