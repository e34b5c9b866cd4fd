// bobbin/abort.hpp — AbortController and AbortSignal: cancellation, the Web way.
//
//   AbortController controller;
//   AbortSignal signal = controller.signal();      // a cheap shared handle; copy it anywhere
//   signal.on_abort([](std::exception_ptr reason) { /* ... */ });   // or a no-argument fn
//   controller.abort();                            // reason: bobbin::AbortError
//   signal.aborted(); signal.reason(); signal.throw_if_aborted();
//   AbortSignal::timeout(100ms);                   // aborts with bobbin::TimeoutError
//   AbortSignal::any({a, b});                      // aborts when the first of them does
//   AbortSignal::abort(reason);                    // already aborted
//
// Rules:
//   - The first `abort()` wins; later ones change nothing. The default reason is an
//     `AbortError` ("This operation was aborted"); `timeout` uses a `TimeoutError` ("The
//     operation was aborted due to timeout"), as in the Web platform.
//   - `on_abort(fn)` runs `fn` exactly once: synchronously on the thread that aborts, in the
//     order the listeners were added, or at once (on the calling thread) if the signal is
//     already aborted. It returns an id for `off_abort(id)` (0 if `fn` already ran). `fn` may
//     take the reason (`std::exception_ptr`) or nothing. A listener that throws does not stop
//     the others; `abort()` rethrows the first such exception after every listener ran.
//   - `timeout(d)` arms an unref'd timer on the calling thread's event loop: it never keeps
//     that loop alive, and it fires only while that loop runs (Node's behaviour).
//   - `any(signals)` listens on each source; a source keeps that small listener until it
//     aborts itself (the listener holds the combined signal weakly).
//   - A default-constructed `AbortSignal` never aborts (every operation is a cheap no-op).
//
// Thread safety: every member is thread-safe; a signal may be aborted on one thread while
// others test it or add listeners.
//
// Lifetime: the state is shared by the controller and every signal copy; listeners are
// destroyed once they ran, when removed, or with the last handle.
//
// Memory ordering: the reason is written before the aborted flag is set with a release store;
// `aborted()` is an acquire load (pairs with it), so a thread that sees `aborted() == true`
// also sees the reason and everything the aborting thread did before `abort()`. Listeners are
// added and taken under a small lock, so each runs exactly once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"

namespace bobbin {

namespace detail {

struct AbortState {
  using Listener = std::function<void(const std::exception_ptr&)>;

  std::atomic<bool> aborted{false};
  std::exception_ptr reason;  // written once, under lock, before `aborted` is set
  WordLock lock;
  std::vector<std::pair<std::uint64_t, Listener>> listeners;  // guarded by lock
  std::uint64_t next_id = 1;                                    // guarded by lock

  // Returns false if the state was aborted already.
  bool abort(std::exception_ptr why) {
    lock.lock();
    if (aborted.load(std::memory_order_relaxed)) {  // relaxed: only written under lock
      lock.unlock();
      return false;
    }
    reason = std::move(why);
    aborted.store(true, std::memory_order_release);  // release: pairs with aborted()'s acquire
    std::vector<std::pair<std::uint64_t, Listener>> taken;
    taken.swap(listeners);
    lock.unlock();
    std::exception_ptr first_error;
    for (auto& entry : taken) {
      try {
        entry.second(reason);
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (first_error) std::rethrow_exception(first_error);
    return true;
  }

  std::uint64_t add(Listener fn) {
    lock.lock();
    if (!aborted.load(std::memory_order_relaxed)) {  // relaxed: only written under lock
      std::uint64_t id = next_id++;
      try {
        listeners.emplace_back(id, std::move(fn));
      } catch (...) {
        lock.unlock();
        throw;
      }
      lock.unlock();
      return id;
    }
    lock.unlock();
    fn(reason);  // reason is immutable once aborted
    return 0;
  }

  bool remove(std::uint64_t id) {
    Listener dropped;
    lock.lock();
    bool found = false;
    for (auto it = listeners.begin(); it != listeners.end(); ++it) {
      if (it->first == id) {
        dropped = std::move(it->second);
        listeners.erase(it);
        found = true;
        break;
      }
    }
    lock.unlock();
    return found;
  }
};

inline std::exception_ptr default_abort_reason() {
  return std::make_exception_ptr(AbortError("This operation was aborted"));
}

inline std::exception_ptr default_timeout_reason() {
  return std::make_exception_ptr(TimeoutError("The operation was aborted due to timeout"));
}

}  // namespace detail

class AbortSignal {
 public:
  AbortSignal() noexcept = default;  // never aborts

  // Whether the signal was aborted.
  [[nodiscard]] bool aborted() const noexcept {
    // acquire: pairs with the release store in AbortState::abort().
    return state_ != nullptr && state_->aborted.load(std::memory_order_acquire);
  }

  // The reason, or null while not aborted.
  [[nodiscard]] std::exception_ptr reason() const noexcept {
    return aborted() ? state_->reason : std::exception_ptr();
  }

  // Throws the reason if aborted.
  void throw_if_aborted() const {
    if (aborted()) std::rethrow_exception(state_->reason);
  }

  // Runs `fn` (taking the reason or nothing) once when the signal aborts; see the contract.
  template <class F>
  std::uint64_t on_abort(F&& fn) const {
    if (state_ == nullptr) return 0;
    if constexpr (std::is_invocable_v<F&, const std::exception_ptr&>) {
      return state_->add(detail::AbortState::Listener(std::forward<F>(fn)));
    } else {
      static_assert(std::is_invocable_v<F&>, "on_abort takes fn() or fn(std::exception_ptr)");
      return state_->add([f = std::forward<F>(fn)](const std::exception_ptr&) mutable { f(); });
    }
  }

  // Removes a listener that has not run yet; returns whether it was found.
  bool off_abort(std::uint64_t id) const { return state_ != nullptr && state_->remove(id); }

  // A signal aborted already, with `reason` (default: an AbortError).
  static AbortSignal abort(std::exception_ptr reason = {}) {
    AbortSignal s(std::make_shared<detail::AbortState>());
    s.state_->abort(reason ? std::move(reason) : detail::default_abort_reason());
    return s;
  }

  // A signal that aborts with a TimeoutError after `delay`, on the calling thread's loop
  // (through an unref'd timer: it does not keep the loop alive).
  template <class Rep, class Period>
  static AbortSignal timeout(std::chrono::duration<Rep, Period> delay) {
    AbortSignal s(std::make_shared<detail::AbortState>());
    std::weak_ptr<detail::AbortState> weak = s.state_;
    EventLoop::current()
        .set_timeout(
            [weak] {
              if (auto state = weak.lock()) state->abort(detail::default_timeout_reason());
            },
            delay)
        .unref();
    return s;
  }

  // A signal that aborts as soon as any of `signals` does, with that signal's reason.
  static AbortSignal any(const std::vector<AbortSignal>& signals) {
    AbortSignal s(std::make_shared<detail::AbortState>());
    for (const AbortSignal& source : signals) {
      if (source.aborted()) {
        s.state_->abort(source.state_->reason);
        return s;
      }
    }
    std::weak_ptr<detail::AbortState> weak = s.state_;
    for (const AbortSignal& source : signals) {
      source.on_abort([weak](const std::exception_ptr& why) {
        if (auto state = weak.lock()) state->abort(why);
      });
    }
    return s;
  }

  static AbortSignal any(std::initializer_list<AbortSignal> signals) {
    return any(std::vector<AbortSignal>(signals));
  }

  // Whether two handles share one signal.
  friend bool operator==(const AbortSignal&, const AbortSignal&) = default;

 private:
  friend class AbortController;
  explicit AbortSignal(std::shared_ptr<detail::AbortState> state) noexcept
      : state_(std::move(state)) {}
  std::shared_ptr<detail::AbortState> state_;
};

class AbortController {
 public:
  AbortController() : signal_(std::make_shared<detail::AbortState>()) {}

  [[nodiscard]] AbortSignal signal() const noexcept { return signal_; }

  // Aborts the signal with `reason` (default: an AbortError). Only the first call counts.
  // Listeners run here, on the calling thread.
  void abort(std::exception_ptr reason = {}) {
    signal_.state_->abort(reason ? std::move(reason) : detail::default_abort_reason());
  }

 private:
  AbortSignal signal_;
};

}  // namespace bobbin
