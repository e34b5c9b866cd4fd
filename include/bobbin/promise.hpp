// bobbin/promise.hpp — Promise<T>, Async<T> coroutines, the combinators and sleep().
//
// A `Promise<T>` is JavaScript's promise: a value (or an error) that arrives later, settled
// once, observed through continuations that run on the event loop of the thread that attached
// them:
//
//   auto [promise, resolver] = bobbin::Promise<int>::with_resolvers();
//   promise.then([](int v) { return v * 2; })            // runs as a microtask on this loop
//          .catch_error([](std::exception_ptr) { return 0; })
//          .finally([] { std::puts("done"); });
//   std::thread([r = resolver] { r.resolve(21); }).detach();   // from any thread
//   bobbin::run();                                       // until nothing ref'd is left
//
//   bobbin::Async<int> twice(int v) { co_await bobbin::sleep(10ms); co_return v * 2; }
//   int x = twice(21).get();                             // 42; get() blocks (runs the loop)
//
//   bobbin::all(p1, p2)            -> Promise<std::tuple<T1, T2>>   (void -> std::monostate)
//   bobbin::all(std::vector<Promise<T>>)         -> Promise<std::vector<T>>
//   bobbin::all_settled(...)       -> Promise<std::tuple<Settled<T>...>> / <vector<Settled<T>>>
//   bobbin::race(...), bobbin::any(...)          -> Promise<T>
//   bobbin::sleep(d)               -> Promise<void>, fulfilled by a timer after at least `d`
//
// Rules:
//   - Settled once: `resolver.resolve(v)` / `resolver.reject(std::exception_ptr)` work from any
//     thread; only the first settlement counts (later ones return false and do nothing).
//   - `then(fn)`: `fn(const T&)` (or `fn()` for Promise<void>) returning `U` gives `Promise<U>`;
//     returning a `Promise<U>` (or `Async<U>`) gives `Promise<U>` that follows it. A rejection
//     skips `fn` and passes on. An exception thrown by `fn` rejects the returned promise.
//     `catch_error(fn)`: `fn(std::exception_ptr) -> T` (or a Promise<T>) recovers a rejection;
//     a fulfilment passes through. `finally(fn)`: `fn()` runs either way; the original result
//     passes through unless `fn` throws (or returns a promise that rejects).
//   - Continuations run as microtasks on the loop of the thread that attached them, even when
//     another thread settles the promise, in attachment order. A promise with a pending
//     continuation keeps that loop alive (`run()` does not return before it runs).
//   - `get()` blocks until settled and returns the value (a copy) or rethrows the rejection.
//     If the calling thread's loop has work it runs that loop meanwhile (so a promise settled
//     by a timer of this very thread does not deadlock); otherwise it parks in the parking lot
//     (a ThreadPool thread first runs its pool's queued tasks: see detail::WaitHelper).
//     An interrupted park (a worker being terminated) throws TerminatedError.
//   - An empty or moved-from Promise throws TypeError from every operation (`then`, `get`,
//     `co_await`, ...). `valid()` tells.
//   - `Async<T>` is a coroutine type that *is* a `Promise<T>`. It starts eagerly (like a JS
//     async function), `co_await promise` suspends and resumes as a microtask on the awaiting
//     thread's loop, an exception escaping the body rejects, `co_return v` fulfils. The frame
//     is freed when the body completes; a coroutine awaiting a promise that never settles
//     stays alive (as a JS closure would) until the promise's last handle is gone.
//   - Unhandled rejections: a promise that is rejected and is destroyed without anyone having
//     observed it (no then/catch_error/finally/co_await/get/combinator attached) is reported to
//     the handler set with `set_unhandled_rejection_handler` (default: one line on stderr). The
//     report happens when the last handle is destroyed, on that thread. Node additionally
//     crashes the process; bobbin leaves that choice to the handler.
//   - Combinators follow JavaScript: `all` rejects with the first rejection, `all_settled` never
//     rejects, `race` settles like the first input to settle, `any` fulfils with the first
//     fulfilment or rejects with `AggregateError` (errors in input order) when all reject.
//     Empty vectors: `all`/`all_settled` fulfil with an empty vector, `any` rejects with an
//     empty AggregateError, `race` stays pending forever.
//
// Lifetime: Promise, Resolver and Async are cheap handles on one reference-counted state.
//
// Thread safety: every operation may be called from any thread on distinct or shared handles.
// Continuations need the attaching thread's loop to run (`run()`, `run_once()` or `get()`).
//
// Memory ordering: a settlement writes the value, then publishes the state with a seq_cst store
// of the state word (seq_cst so that the parking-lot fast path in `get()` cannot miss it);
// everything the settling thread did before `resolve`/`reject` happens-before every
// continuation and every `get()` that observes the result (through the state's lock, the
// loop's post queue, or the acquire load of the state word).
//
// Needs from event_loop.hpp (nice to have, worked around today):
//   - `EventLoop::current_if_any()` (no creation): get() on a plain thread creates a loop
//     only to ask it `alive()`.
//   - `run_once()` should not wait when the ticks/microtasks it drained first ran something:
//     today a get() whose promise is settled by such a microtask would sleep in run_once(),
//     so get()'s own reaction posts an empty task to wake it.
//   - get() inside a callback after `stop()` was called: run_once() returns at once while the
//     stop is pending, so get() would spin until the promise settles. A nested run_once()
//     that ignores a pending stop (or a public `stop_requested()`) would let get() park.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "parking_lot.hpp"

namespace bobbin {

// The rejection of `any` when every input rejected: `errors()` in input order.
class AggregateError : public Error {
 public:
  explicit AggregateError(std::vector<std::exception_ptr> errors,
                          const std::string& message = "All promises were rejected")
      : Error(message), errors_(std::move(errors)) {}
  [[nodiscard]] const char* name() const noexcept override { return "AggregateError"; }
  [[nodiscard]] const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

template <class T>
class Promise;
template <class T>
class Resolver;
template <class T>
class Async;

// One outcome of `all_settled`: `fulfilled` and `value`, or `reason`.
template <class T>
struct Settled {
  bool fulfilled = false;
  std::optional<T> value;
  std::exception_ptr reason;
};
template <>
struct Settled<void> {
  bool fulfilled = false;
  std::exception_ptr reason;
};

// Called with the error of a rejected promise nobody observed (see the header comment).
using UnhandledRejectionHandler = std::function<void(std::exception_ptr)>;

namespace detail {

inline void print_unhandled_rejection(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bobbin: unhandled promise rejection: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "bobbin: unhandled promise rejection (not a std::exception)\n");
  }
}

struct UnhandledRejectionSlot {
  bobbin::detail::WordLock lock;
  UnhandledRejectionHandler handler = print_unhandled_rejection;
};

inline UnhandledRejectionSlot& unhandled_rejection_slot() {
  static UnhandledRejectionSlot slot;
  return slot;
}

inline void report_unhandled_rejection(std::exception_ptr error) noexcept {
  auto& slot = unhandled_rejection_slot();
  slot.lock.lock();
  UnhandledRejectionHandler handler = slot.handler;
  slot.lock.unlock();
  try {
    if (handler) handler(std::move(error));
  } catch (...) {
    // A throwing handler has nowhere to go: we are in a destructor.
  }
}

// The state word.
inline constexpr std::uint32_t kPending = 0;
inline constexpr std::uint32_t kFulfilled = 1;
inline constexpr std::uint32_t kRejected = 2;

struct StateBase;

// A continuation waiting for a state to settle: runs once, on `loop`, as a microtask.
struct Reaction {
  Reaction* next = nullptr;
  std::shared_ptr<EventLoop> loop;  // the attaching thread's loop (kept alive for posting)
  std::thread::id thread;
  std::shared_ptr<StateBase> source;  // set when dispatched; keeps the state alive until run
  virtual void run(StateBase& settled) noexcept = 0;
  virtual ~Reaction() = default;
};

template <class Fn>
struct FnReaction final : Reaction {
  explicit FnReaction(Fn f) : fn(std::move(f)) {}
  void run(StateBase& settled) noexcept override { fn(settled); }
  Fn fn;
};

template <class Fn>
Reaction* make_reaction(Fn&& fn) {
  return new FnReaction<std::decay_t<Fn>>(std::forward<Fn>(fn));
}

// Owns a reaction on its way through a loop's queues: runs it once, or, if the loop drops the
// callback (it closed because its thread exited), frees it. Either way it drops the loop
// reference the reaction took when it was attached.
class ReactionTask {
 public:
  explicit ReactionTask(Reaction* r) noexcept : r_(r) {}
  ReactionTask(ReactionTask&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
  ReactionTask& operator=(ReactionTask&&) = delete;
  ~ReactionTask() { discard(r_); }

  // Loop thread: runs the reaction.
  void operator()() noexcept {
    Reaction* r = std::exchange(r_, nullptr);
    std::shared_ptr<EventLoop> loop = std::move(r->loop);
    r->run(*r->source);
    delete r;
    loop->release_ref();
  }

  // Loop thread, posted task: the reaction becomes a microtask of this loop.
  void to_microtask() { r_->loop->queue_microtask(ReactionTask(std::exchange(r_, nullptr))); }

  static void discard(Reaction* r) noexcept {
    if (r == nullptr) return;
    std::shared_ptr<EventLoop> loop = std::move(r->loop);
    delete r;
    loop->release_ref();
  }

 private:
  Reaction* r_;
};

// Queues a settled state's reaction as a microtask on its loop: directly when we are on that
// loop's thread, otherwise through a posted task (the loop's post queue is FIFO, so one
// settlement's reactions keep their attachment order).
inline void dispatch(Reaction* r, std::shared_ptr<StateBase> settled) {
  r->source = std::move(settled);
  if (std::this_thread::get_id() == r->thread) {
    r->loop->queue_microtask(ReactionTask(r));
  } else {
    EventLoop* loop = r->loop.get();
    loop->post([task = ReactionTask(r)]() mutable { task.to_microtask(); });
  }
}

// The part of a promise's state that does not depend on T.
struct StateBase : std::enable_shared_from_this<StateBase> {
  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;

  ~StateBase() {
    // Reactions of a promise that can no longer settle: drop them and their loop references.
    for (Reaction* r = head; r != nullptr;) {
      Reaction* next = r->next;
      ReactionTask::discard(r);
      r = next;
    }
    if (status.load(std::memory_order_acquire) == kRejected &&  // acquire: pairs with settle()
        !handled.load(std::memory_order_relaxed)) {             // relaxed: we are the last owner
      report_unhandled_rejection(error);
    }
  }

  // Attaches `r` on the calling thread's loop; if already settled, queues it at once.
  void attach(Reaction* r) {
    // Owned here until it is linked or dispatched: creating this thread's loop may throw.
    std::unique_ptr<Reaction> owned(r);
    EventLoop& loop = EventLoop::current();
    owned.release();
    handled.store(true, std::memory_order_relaxed);  // relaxed: read by the last owner only
    r->loop = loop.shared_from_this();
    r->thread = std::this_thread::get_id();
    loop.add_ref();
    lock.lock();
    if (status.load(std::memory_order_relaxed) == kPending) {  // relaxed: under the lock
      (tail != nullptr ? tail->next : head) = r;
      tail = r;
      lock.unlock();
      return;
    }
    lock.unlock();
    dispatch(r, shared_from_this());
  }

  // First settlement wins: runs `write` (storing the value or error) and publishes `to`.
  template <class Write>
  bool settle(std::uint32_t to, Write&& write) {
    lock.lock();
    if (status.load(std::memory_order_relaxed) != kPending) {  // relaxed: under the lock
      lock.unlock();
      return false;
    }
    write();
    // seq_cst: the parking-lot store-buffering rule (get() validates with a seq_cst load).
    status.store(to, std::memory_order_seq_cst);
    Reaction* list = head;
    head = tail = nullptr;
    lock.unlock();
    if (list != nullptr) {
      std::shared_ptr<StateBase> self = shared_from_this();
      while (list != nullptr) {
        Reaction* next = list->next;
        dispatch(list, self);
        list = next;
      }
    }
    parking_lot::unpark_all(this);
    return true;
  }

  bool reject(std::exception_ptr e) {
    if (!e) e = std::make_exception_ptr(Error("promise rejected without a reason"));
    return settle(kRejected, [&] { error = std::move(e); });
  }

  [[nodiscard]] std::uint32_t load() const noexcept {
    return status.load(std::memory_order_acquire);  // acquire: pairs with the store in settle()
  }

  // Blocks until settled (see get()).
  void wait();

  bobbin::detail::WordLock lock;
  std::atomic<std::uint32_t> status{kPending};
  std::atomic<bool> handled{false};
  Reaction* head = nullptr;  // under `lock`
  Reaction* tail = nullptr;  // under `lock`
  std::exception_ptr error;  // written once, before status becomes kRejected
};

// A thread that can do useful work while it blocks (a ThreadPool thread running queued tasks)
// installs a helper for itself; StateBase::wait() calls `help_until(state)` instead of parking
// when the thread's loop has nothing to run. It returns once `state` is settled.
struct WaitHelper {
  virtual void help_until(StateBase& state) = 0;

 protected:
  ~WaitHelper() = default;
};
inline thread_local WaitHelper* wait_helper = nullptr;

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Not final: a ThreadPool task embeds its promise's state (one allocation per task).
template <class T>
struct State : StateBase {
  template <class... A>
  bool resolve(A&&... a) {
    // Build the value outside the lock; only the winner moves it in.
    stored_t<T> v(std::forward<A>(a)...);
    return settle(kFulfilled, [&] { value.emplace(std::move(v)); });
  }
  std::optional<stored_t<T>> value;  // written once, before status becomes kFulfilled
};

// Copies the outcome of `from` (settled) into `to`.
template <class T>
void copy_result(State<T>& from, State<T>& to) {
  if (from.load() == kRejected) {
    to.reject(from.error);
  } else if constexpr (std::is_void_v<T>) {
    to.resolve();
  } else {
    to.resolve(*from.value);
  }
}

template <class U>
struct unwrap {
  using type = U;
  static constexpr bool is_promise = false;
};
template <class U>
struct unwrap<Promise<U>> {
  using type = U;
  static constexpr bool is_promise = true;
};
template <class U>
struct unwrap<Async<U>> {
  using type = U;
  static constexpr bool is_promise = true;
};

template <class T, class F>
struct then_result {
  using type = std::invoke_result_t<F&, const T&>;
};
template <class F>
struct then_result<void, F> {
  using type = std::invoke_result_t<F&>;
};

template <class T>
std::shared_ptr<State<T>> state_of(const Promise<T>& p);
template <class T>
Promise<T> promise_of(std::shared_ptr<State<T>> s);

// `out` follows `inner`: settles the same way when inner settles.
template <class R>
void adopt(const std::shared_ptr<State<R>>& out, const Promise<R>& inner) {
  state_of(inner)->attach(make_reaction(
      [out](StateBase& s) noexcept { copy_result(static_cast<State<R>&>(s), *out); }));
}

// Settles `out` with what `fn()` returns (a value, nothing, or a promise to follow), or
// rejects it with what `fn()` throws.
template <class R, class Fn>
void resolve_with(const std::shared_ptr<State<R>>& out, Fn&& fn) noexcept {
  try {
    using U = decltype(fn());
    if constexpr (unwrap<std::decay_t<U>>::is_promise) {
      adopt<R>(out, fn());
    } else if constexpr (std::is_void_v<U>) {
      fn();
      out->resolve();
    } else {
      out->resolve(fn());
    }
  } catch (...) {
    out->reject(std::current_exception());
  }
}

struct TypeErrorOnEmpty {
  [[noreturn]] static void raise() {
    throw TypeError("bobbin::Promise: use of an empty or moved-from promise");
  }
};

}  // namespace detail

// Sets the handler for rejections nobody observed; returns the previous one.
inline UnhandledRejectionHandler set_unhandled_rejection_handler(UnhandledRejectionHandler handler) {
  auto& slot = detail::unhandled_rejection_slot();
  slot.lock.lock();
  std::swap(slot.handler, handler);
  slot.lock.unlock();
  return handler;
}

// The settling half of a promise. Copies settle the same promise; first settlement wins.
template <class T>
class Resolver {
 public:
  Resolver() = default;

  // Fulfils the promise; returns false (and does nothing) if it was already settled.
  template <class... A>
    requires(std::is_void_v<T> ? sizeof...(A) == 0 : std::is_constructible_v<T, A...>)
  bool resolve(A&&... value) const {
    return checked().resolve(std::forward<A>(value)...);
  }

  // Rejects the promise; returns false (and does nothing) if it was already settled.
  bool reject(std::exception_ptr error) const { return checked().reject(std::move(error)); }

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

 private:
  explicit Resolver(std::shared_ptr<detail::State<T>> s) : state_(std::move(s)) {}
  detail::State<T>& checked() const {
    if (!state_) detail::TypeErrorOnEmpty::raise();
    return *state_;
  }
  std::shared_ptr<detail::State<T>> state_;
  friend class Promise<T>;
};

template <class T>
class Promise {
 public:
  using value_type = T;

  struct WithResolvers {
    Promise promise;
    Resolver<T> resolver;
  };

  // An empty promise: every operation throws TypeError (as a moved-from one does).
  Promise() = default;

  // Promise.withResolvers(): a pending promise and its resolver.
  [[nodiscard]] static WithResolvers with_resolvers() {
    auto s = std::make_shared<detail::State<T>>();
    return {Promise(s), Resolver<T>(s)};
  }

  // Promise.resolve(v) / Promise.reject(e): already settled.
  template <class... A>
  [[nodiscard]] static Promise resolved(A&&... value) {
    auto s = std::make_shared<detail::State<T>>();
    s->resolve(std::forward<A>(value)...);
    return Promise(std::move(s));
  }
  [[nodiscard]] static Promise rejected(std::exception_ptr error) {
    auto s = std::make_shared<detail::State<T>>();
    s->reject(std::move(error));
    return Promise(std::move(s));
  }

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }
  [[nodiscard]] bool pending() const { return checked().load() == detail::kPending; }
  [[nodiscard]] bool fulfilled() const { return checked().load() == detail::kFulfilled; }
  [[nodiscard]] bool rejected() const { return checked().load() == detail::kRejected; }

  // p.then(fn): see the header comment.
  template <class F>
  auto then(F&& fn) const {
    using U = typename detail::then_result<T, std::decay_t<F>>::type;
    using R = typename detail::unwrap<std::decay_t<U>>::type;
    auto& src = checked();
    auto out = std::make_shared<detail::State<R>>();
    src.attach(detail::make_reaction(
        [out, f = std::forward<F>(fn)](detail::StateBase& b) mutable noexcept {
          auto& s = static_cast<detail::State<T>&>(b);
          if (s.load() == detail::kRejected) {
            out->reject(s.error);
            return;
          }
          detail::resolve_with<R>(out, [&]() -> decltype(auto) {
            if constexpr (std::is_void_v<T>) {
              return f();
            } else {
              return f(std::as_const(*s.value));
            }
          });
        }));
    return Promise<R>(std::move(out));
  }

  // p.catch(fn): fn(std::exception_ptr) returns T (or a Promise<T>) to recover.
  template <class F>
  Promise<T> catch_error(F&& fn) const {
    using U = std::invoke_result_t<std::decay_t<F>&, std::exception_ptr>;
    static_assert(std::is_same_v<typename detail::unwrap<std::decay_t<U>>::type, T>,
                  "catch_error(fn): fn(std::exception_ptr) must return the promise's T "
                  "(or a Promise<T>)");
    auto& src = checked();
    auto out = std::make_shared<detail::State<T>>();
    src.attach(detail::make_reaction(
        [out, f = std::forward<F>(fn)](detail::StateBase& b) mutable noexcept {
          auto& s = static_cast<detail::State<T>&>(b);
          if (s.load() == detail::kFulfilled) {
            detail::copy_result(s, *out);
            return;
          }
          detail::resolve_with<T>(out, [&]() -> decltype(auto) { return f(s.error); });
        }));
    return Promise<T>(std::move(out));
  }

  // p.finally(fn): fn() runs either way; the result passes through unless fn throws (or
  // returns a promise that rejects).
  template <class F>
  Promise<T> finally(F&& fn) const {
    using U = std::invoke_result_t<std::decay_t<F>&>;
    auto& src = checked();
    auto out = std::make_shared<detail::State<T>>();
    src.attach(detail::make_reaction(
        [out, f = std::forward<F>(fn)](detail::StateBase& b) mutable noexcept {
          auto& s = static_cast<detail::State<T>&>(b);
          try {
            if constexpr (detail::unwrap<std::decay_t<U>>::is_promise) {
              auto after = f();
              auto original = std::static_pointer_cast<detail::State<T>>(s.shared_from_this());
              using V = typename detail::unwrap<std::decay_t<U>>::type;
              detail::state_of<V>(after)->attach(detail::make_reaction(
                  [out, original](detail::StateBase& a) noexcept {
                    if (a.load() == detail::kRejected) {
                      out->reject(a.error);
                    } else {
                      detail::copy_result(*original, *out);
                    }
                  }));
              return;
            } else {
              f();
            }
          } catch (...) {
            out->reject(std::current_exception());
            return;
          }
          detail::copy_result(s, *out);
        }));
    return Promise<T>(std::move(out));
  }

  // Blocks until settled; returns the value (a copy) or rethrows the rejection.
  T get() const {
    auto& s = checked();
    s.handled.store(true, std::memory_order_relaxed);  // relaxed: read by the last owner only
    if (s.load() == detail::kPending) s.wait();
    if (s.load() == detail::kRejected) std::rethrow_exception(s.error);
    if constexpr (!std::is_void_v<T>) return *s.value;
  }

  // `co_await promise`: suspends, resumes as a microtask on this thread's loop.
  auto operator co_await() const {
    struct Awaiter {
      std::shared_ptr<detail::State<T>> state;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) {
        state->attach(detail::make_reaction([h](detail::StateBase&) noexcept { h.resume(); }));
      }
      T await_resume() const {
        if (state->load() == detail::kRejected) std::rethrow_exception(state->error);
        if constexpr (!std::is_void_v<T>) return *state->value;
      }
    };
    checked();
    return Awaiter{state_};
  }

 protected:
  explicit Promise(std::shared_ptr<detail::State<T>> s) : state_(std::move(s)) {}

 private:
  detail::State<T>& checked() const {
    if (!state_) detail::TypeErrorOnEmpty::raise();
    return *state_;
  }

  std::shared_ptr<detail::State<T>> state_;

  template <class>
  friend class Promise;
  template <class>
  friend class Async;
  template <class U>
  friend std::shared_ptr<detail::State<U>> detail::state_of(const Promise<U>&);
  template <class U>
  friend Promise<U> detail::promise_of(std::shared_ptr<detail::State<U>>);
};

namespace detail {

template <class T>
std::shared_ptr<State<T>> state_of(const Promise<T>& p) {
  if (!p.state_) TypeErrorOnEmpty::raise();
  return p.state_;
}

// A promise over a state made elsewhere (a ThreadPool task that embeds its state).
template <class T>
Promise<T> promise_of(std::shared_ptr<State<T>> s) {
  return Promise<T>(std::move(s));
}

template <class T>
struct AsyncPromiseBase {
  std::shared_ptr<State<T>> state = std::make_shared<State<T>>();
  std::suspend_never initial_suspend() const noexcept { return {}; }
  std::suspend_never final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { state->reject(std::current_exception()); }
};

}  // namespace detail

// A coroutine returning a Promise<T>: starts at once, `co_await` promises inside, `co_return`.
template <class T>
class Async : public Promise<T> {
 public:
  struct promise_type : detail::AsyncPromiseBase<T> {
    Async get_return_object() { return Async(this->state); }
    template <class U = T>
    void return_value(U&& value) {
      this->state->resolve(std::forward<U>(value));
    }
  };

  Async() = default;

 private:
  explicit Async(std::shared_ptr<detail::State<T>> s) : Promise<T>(std::move(s)) {}
};

template <>
class Async<void> : public Promise<void> {
 public:
  struct promise_type : detail::AsyncPromiseBase<void> {
    Async get_return_object() { return Async(this->state); }
    void return_void() { this->state->resolve(); }
  };

  Async() = default;

 private:
  explicit Async(std::shared_ptr<detail::State<void>> s) : Promise<void>(std::move(s)) {}
};

namespace detail {

// Blocks until this state settles, without deadlocking the calling thread's own loop.
[[gnu::noinline]] inline void StateBase::wait() {
  EventLoop& loop = EventLoop::current();
  if (loop.alive()) {
    // The loop may hold what settles us (a timer, a continuation): run it. A no-op reaction
    // makes a settlement from another thread post to this loop, so run_once() wakes up.
    // The reaction also posts an empty task: run_once() waits when its turn ran nothing,
    // even if the microtasks it drained first settled us (see "Needs from event_loop.hpp").
    attach(make_reaction([](StateBase&) noexcept { EventLoop::current().post([] {}); }));
    while (load() == kPending) loop.run_once();
    return;
  }
  if (wait_helper != nullptr) {
    wait_helper->help_until(*this);
    return;
  }
  while (load() == kPending) {
    const auto result = parking_lot::park(this, [this] {
      // seq_cst: the validating half of the store-buffering pair in parking_lot.hpp.
      return status.load(std::memory_order_seq_cst) == kPending;
    });
    if (result == parking_lot::ParkResult::interrupted) {
      throw TerminatedError("Promise::get: the thread was interrupted (terminated)");
    }
  }
}

template <class T>
using value_or_monostate_t = stored_t<T>;

template <class T>
value_or_monostate_t<T> take_value(State<T>& s) {
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return *s.value;
  }
}

template <class T>
Settled<T> settled_of(State<T>& s) {
  Settled<T> r;
  if (s.load() == kRejected) {
    r.reason = s.error;
  } else {
    r.fulfilled = true;
    if constexpr (!std::is_void_v<T>) r.value = *s.value;
  }
  return r;
}

}  // namespace detail

// ---- Combinators over a vector -------------------------------------------------------------
// Every reaction of one combinator runs on the calling thread's loop, so their shared
// bookkeeping needs no lock.

// Promise.all: the values in input order, or the first rejection.
template <class T>
auto all(const std::vector<Promise<T>>& inputs)
    -> Promise<std::conditional_t<std::is_void_v<T>, void, std::vector<detail::stored_t<T>>>> {
  using R = std::conditional_t<std::is_void_v<T>, void, std::vector<detail::stored_t<T>>>;
  auto [out, resolver] = Promise<R>::with_resolvers();
  struct Shared {
    Resolver<R> resolver;
    std::vector<std::optional<detail::stored_t<T>>> slots;
    std::size_t remaining;
  };
  auto shared = std::make_shared<Shared>(
      Shared{resolver, std::vector<std::optional<detail::stored_t<T>>>(inputs.size()),
             inputs.size()});
  if (inputs.empty()) {
    if constexpr (std::is_void_v<R>) {
      resolver.resolve();
    } else {
      resolver.resolve(R{});
    }
    return out;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    detail::state_of(inputs[i])->attach(
        detail::make_reaction([shared, i](detail::StateBase& b) noexcept {
          auto& s = static_cast<detail::State<T>&>(b);
          if (s.load() == detail::kRejected) {
            shared->resolver.reject(s.error);
            return;
          }
          shared->slots[i] = detail::take_value(s);
          if (--shared->remaining != 0) return;
          if constexpr (std::is_void_v<R>) {
            shared->resolver.resolve();
          } else {
            try {
              R values;
              values.reserve(shared->slots.size());
              for (auto& slot : shared->slots) values.push_back(std::move(*slot));
              shared->resolver.resolve(std::move(values));
            } catch (...) {
              shared->resolver.reject(std::current_exception());
            }
          }
        }));
  }
  return out;
}

// Promise.allSettled: every outcome, in input order; never rejects.
template <class T>
Promise<std::vector<Settled<T>>> all_settled(const std::vector<Promise<T>>& inputs) {
  using R = std::vector<Settled<T>>;
  auto [out, resolver] = Promise<R>::with_resolvers();
  struct Shared {
    Resolver<R> resolver;
    R results;
    std::size_t remaining;
  };
  auto shared = std::make_shared<Shared>(Shared{resolver, R(inputs.size()), inputs.size()});
  if (inputs.empty()) {
    resolver.resolve(R{});
    return out;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    detail::state_of(inputs[i])->attach(
        detail::make_reaction([shared, i](detail::StateBase& b) noexcept {
          try {
            shared->results[i] = detail::settled_of(static_cast<detail::State<T>&>(b));
            if (--shared->remaining == 0) shared->resolver.resolve(std::move(shared->results));
          } catch (...) {
            shared->resolver.reject(std::current_exception());
          }
        }));
  }
  return out;
}

// Promise.race: settles like the first input to settle (an empty vector never settles).
template <class T>
Promise<T> race(const std::vector<Promise<T>>& inputs) {
  auto [out, resolver] = Promise<T>::with_resolvers();
  auto target = detail::state_of(out);
  for (const auto& input : inputs) {
    detail::state_of(input)->attach(detail::make_reaction([target](detail::StateBase& b) noexcept {
      try {
        detail::copy_result(static_cast<detail::State<T>&>(b), *target);
      } catch (...) {
        target->reject(std::current_exception());
      }
    }));
  }
  return out;
}

// Promise.any: the first fulfilment, or AggregateError when every input rejected.
template <class T>
Promise<T> any(const std::vector<Promise<T>>& inputs) {
  auto [out, resolver] = Promise<T>::with_resolvers();
  struct Shared {
    Resolver<T> resolver;
    std::vector<std::exception_ptr> errors;
    std::size_t remaining;
  };
  auto shared = std::make_shared<Shared>(
      Shared{resolver, std::vector<std::exception_ptr>(inputs.size()), inputs.size()});
  if (inputs.empty()) {
    resolver.reject(std::make_exception_ptr(AggregateError({})));
    return out;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    detail::state_of(inputs[i])->attach(
        detail::make_reaction([shared, i](detail::StateBase& b) noexcept {
          auto& s = static_cast<detail::State<T>&>(b);
          try {
            if (s.load() == detail::kFulfilled) {
              if constexpr (std::is_void_v<T>) {
                shared->resolver.resolve();
              } else {
                shared->resolver.resolve(*s.value);
              }
              return;
            }
            shared->errors[i] = s.error;
            if (--shared->remaining == 0) {
              shared->resolver.reject(
                  std::make_exception_ptr(AggregateError(std::move(shared->errors))));
            }
          } catch (...) {
            shared->resolver.reject(std::current_exception());
          }
        }));
  }
  return out;
}

// ---- Combinators over a pack ----------------------------------------------------------------

namespace detail {

template <class... Ts, std::size_t... I>
auto all_pack(std::index_sequence<I...>, const Promise<Ts>&... inputs)
    -> Promise<std::tuple<stored_t<Ts>...>> {
  using R = std::tuple<stored_t<Ts>...>;
  auto [out, resolver] = Promise<R>::with_resolvers();
  struct Shared {
    Resolver<R> resolver;
    std::tuple<std::optional<stored_t<Ts>>...> slots;
    std::size_t remaining = sizeof...(Ts);
  };
  auto shared = std::make_shared<Shared>();
  shared->resolver = resolver;
  auto one = [&shared]<std::size_t K, class T>(const Promise<T>& input) {
    state_of(input)->attach(make_reaction([shared](StateBase& b) noexcept {
      auto& s = static_cast<State<T>&>(b);
      if (s.load() == kRejected) {
        shared->resolver.reject(s.error);
        return;
      }
      try {
        std::get<K>(shared->slots) = take_value(s);
        if (--shared->remaining == 0) {
          shared->resolver.resolve(R(std::move(*std::get<I>(shared->slots))...));
        }
      } catch (...) {
        shared->resolver.reject(std::current_exception());
      }
    }));
  };
  (one.template operator()<I>(inputs), ...);
  return out;
}

template <class... Ts, std::size_t... I>
auto all_settled_pack(std::index_sequence<I...>, const Promise<Ts>&... inputs)
    -> Promise<std::tuple<Settled<Ts>...>> {
  using R = std::tuple<Settled<Ts>...>;
  auto [out, resolver] = Promise<R>::with_resolvers();
  struct Shared {
    Resolver<R> resolver;
    R results;
    std::size_t remaining = sizeof...(Ts);
  };
  auto shared = std::make_shared<Shared>();
  shared->resolver = resolver;
  auto one = [&shared]<std::size_t K, class T>(const Promise<T>& input) {
    state_of(input)->attach(make_reaction([shared](StateBase& b) noexcept {
      try {
        std::get<K>(shared->results) = settled_of(static_cast<State<T>&>(b));
        if (--shared->remaining == 0) shared->resolver.resolve(std::move(shared->results));
      } catch (...) {
        shared->resolver.reject(std::current_exception());
      }
    }));
  };
  (one.template operator()<I>(inputs), ...);
  return out;
}

}  // namespace detail

// Promise.all over a pack: Promise<std::tuple<T...>> (a void input gives std::monostate).
template <class T, class... Ts>
auto all(const Promise<T>& first, const Promise<Ts>&... rest) {
  return detail::all_pack<T, Ts...>(std::index_sequence_for<T, Ts...>{}, first, rest...);
}

// Promise.allSettled over a pack: Promise<std::tuple<Settled<T>...>>.
template <class T, class... Ts>
auto all_settled(const Promise<T>& first, const Promise<Ts>&... rest) {
  return detail::all_settled_pack<T, Ts...>(std::index_sequence_for<T, Ts...>{}, first, rest...);
}

// Promise.race / Promise.any over a pack of promises of one type.
template <class T, class... Ts>
  requires(std::is_same_v<T, Ts> && ...)
Promise<T> race(const Promise<T>& first, const Promise<Ts>&... rest) {
  return race(std::vector<Promise<T>>{first, rest...});
}

template <class T, class... Ts>
  requires(std::is_same_v<T, Ts> && ...)
Promise<T> any(const Promise<T>& first, const Promise<Ts>&... rest) {
  return any(std::vector<Promise<T>>{first, rest...});
}

// A promise fulfilled by a timer on this thread's loop after at least `duration`.
template <class Rep, class Period>
Promise<void> sleep(std::chrono::duration<Rep, Period> duration) {
  auto [promise, resolver] = Promise<void>::with_resolvers();
  set_timeout([resolver = resolver] { resolver.resolve(); }, duration);
  return promise;
}

}  // namespace bobbin
