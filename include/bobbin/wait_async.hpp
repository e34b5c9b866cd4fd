// bobbin/wait_async.hpp — atomics::wait_async: JavaScript's Atomics.waitAsync.
//
// Waits for a notify on an Int32Array/BigInt64Array element without blocking the caller:
//
//   auto [async, value] = atomics::wait_async(cells, 0, 0, 100ms);
//   if (!async) { /* value is already settled: not_equal, or timed_out for a zero timeout */ }
//   value.then([](atomics::WaitResult r) { /* ok or timed_out, on this thread's loop */ });
//
// Rules (ECMAScript DoWait in async mode, see atomics.hpp for the shared ones):
//   - Same checks as `wait`: a view of a detached buffer or a non-shared buffer → TypeError,
//     index out of range → RangeError. Unlike `wait`, allowed on any thread (also one marked
//     `set_can_block(false)`): it never blocks for the notify.
//   - The element differs from `expected` → `{async = false, value = not_equal}`; a timeout of
//     zero or less → `{async = false, value = timed_out}`; both settled already, no waiter.
//   - Otherwise `{async = true, value}`: the waiter is queued on the element *before*
//     wait_async returns, in the same FIFO as synchronous `wait`ers, and counted alike by
//     `notify`. `value` fulfils with `ok` (a notify removed the waiter) or `timed_out` (its
//     deadline passed first; never earlier than the timeout) and is never rejected. Floating
//     timeouts: NaN and +infinity wait forever.
//   - `value` is resolved on the calling thread's loop (a posted task), as ECMAScript resolves
//     it in the waiting agent; continuations run on their attaching thread's loop, like every
//     promise's. A pending async wait keeps the caller's loop alive (`run()` does not return
//     before it settles), the behaviour Node is adopting (nodejs/node#61941): a wait with no
//     timeout that nobody notifies keeps `run()` going forever. If the caller's thread has
//     exited, the result is resolved by the thread that ended the wait.
//
// How: each pending async wait is a parking-lot waiter with no thread behind it
// (parking_lot::AsyncWaiter): it sits in the element's FIFO queue beside synchronous waiters and
// is counted alike by `notify`. A notify calls it back on the notifying thread, which only posts
// the result to the waiter's loop; a finite timeout is a timer on the waiter's loop that removes
// the waiter (parking_lot::cancel_async) unless a notify got there first. One allocation and, for
// a finite timeout, one timer per wait; no thread.
//
// Thread safety: may be called from any thread.
//
// Memory ordering: as `wait`: everything a thread did before `notify` happens-before the
// continuations of an `ok` result (notify's bucket lock orders it before the callback, whose
// post hands the result to the waiter's loop through the loop's queue).
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "atomics.hpp"
#include "errors.hpp"
#include "parking_lot.hpp"
#include "promise.hpp"
#include "typed_array.hpp"

namespace bobbin::atomics {

// The result of `wait_async`: `async` false means `value` is settled already.
struct WaitAsyncResult {
  bool async = false;
  Promise<WaitResult> value;
};

namespace detail {

// One pending async wait. It keeps itself alive (`self`) from the moment it is queued until its
// result has been delivered on the waiter's loop.
template <class T>
class AsyncWait final : public parking_lot::AsyncWaiter {
 public:
  AsyncWait(const TypedArray<T>& v, Resolver<WaitResult> r, std::shared_ptr<EventLoop> l)
      : view(v), resolver(std::move(r)), loop(std::move(l)) {}

  TypedArray<T> view;  // keeps the buffer, and so the waited-on address, alive
  Resolver<WaitResult> resolver;
  std::shared_ptr<EventLoop> loop;  // the waiter's loop, ref'd while the wait is pending
  std::shared_ptr<AsyncWait> self;  // set while queued
  Timer timer;                      // the finite timeout, on `loop` (loop thread only)

  // A notify removed us (on the notifying thread).
  void on_unpark() noexcept override { deliver(WaitResult::ok); }

  // The timer fired (on the loop thread): time out unless a notify already removed us.
  void on_timeout() noexcept {
    if (parking_lot::cancel_async(*this)) deliver(WaitResult::timed_out);
  }

 private:
  // Exactly one of on_unpark / a winning on_timeout gets here. Resolves on the waiter's own
  // loop (ECMAScript: the notifier only enqueues a job for the waiting agent); if that loop has
  // closed (its thread exited), resolves here so other observers still see the result.
  void deliver(WaitResult result) noexcept {
    std::shared_ptr<AsyncWait> keep = std::move(self);
    EventLoop* const l = loop.get();
    bool posted = false;
    try {
      posted = l->post([keep, result] {
        keep->timer.clear();
        keep->resolver.resolve(result);
        keep->loop->release_ref();
      });
    } catch (...) {
      posted = false;  // out of memory: resolve right here instead
    }
    if (!posted) {
      keep->resolver.resolve(result);
      l->release_ref();
    }
  }
};

template <class T, class V>
WaitAsyncResult wait_async_impl(const TypedArray<T>& view, std::size_t index, V expected_value,
                                bool zero_timeout, parking_lot::detail::Deadline deadline) {
  if (view.out_of_bounds()) {
    throw TypeError("Atomics.waitAsync: the view's buffer is detached or out of bounds");
  }
  if (!view.shared()) throw TypeError("Atomics.waitAsync needs a view of a SharedArrayBuffer");
  T* const address = view.element(index);  // RangeError when out of range
  const T expected = static_cast<T>(expected_value);
  if (std::atomic_ref<T>(*address).load(std::memory_order_seq_cst) != expected) {
    return {false, Promise<WaitResult>::resolved(WaitResult::not_equal)};
  }
  if (zero_timeout) return {false, Promise<WaitResult>::resolved(WaitResult::timed_out)};

  auto [promise, resolver] = Promise<WaitResult>::with_resolvers();
  EventLoop& loop = EventLoop::current();
  auto wait = std::make_shared<AsyncWait<T>>(view, resolver, loop.shared_from_this());
  wait->self = wait;
  loop.add_ref();  // released by the delivered result
  bool queued = false;
  try {
    queued = parking_lot::park_async(
        address,
        // seq_cst: the validating half of the store-buffering pair in parking_lot.hpp.
        [&] { return std::atomic_ref<T>(*address).load(std::memory_order_seq_cst) == expected; },
        *wait);
  } catch (...) {
    wait->self.reset();
    loop.release_ref();
    throw;
  }
  if (!queued) {  // the element changed between the check above and the queue's lock
    wait->self.reset();
    loop.release_ref();
    return {false, Promise<WaitResult>::resolved(WaitResult::not_equal)};
  }
  if (deadline != parking_lot::detail::kNoDeadline) {
    // A notify may already have removed the waiter: its posted result clears this timer, and
    // runs only after we return to the loop. The raw pointer is safe for the same reason: the
    // wait lives until that posted result has run, and the timer is cleared there.
    const auto left = deadline - parking_lot::detail::SteadyClock::now();
    AsyncWait<T>* const raw = wait.get();
    wait->timer = loop.set_timeout([raw] { raw->on_timeout(); },
                                   left < left.zero() ? left.zero() : left);
    wait->timer.unref();  // the pending wait itself keeps the loop alive
  }
  return {true, std::move(promise)};
}

template <class Rep, class Period>
bool is_zero_timeout(std::chrono::duration<Rep, Period> timeout) noexcept {
  const long double ns = parking_lot::detail::LongNanoseconds(timeout).count();
  return ns == ns && !(ns > 0);  // NaN waits forever; zero, negatives and -infinity are zero
}

}  // namespace detail

// Waits asynchronously for a notify on the element, if it holds `expected`.
template <class T, std::integral V>
WaitAsyncResult wait_async(const TypedArray<T>& view, std::size_t index, V expected) {
  static_assert(detail::is_waitable_element_v<T>,
                "atomics::wait_async works on Int32Array and BigInt64Array only, as in "
                "JavaScript");
  return detail::wait_async_impl(view, index, expected, false,
                                 parking_lot::detail::kNoDeadline);
}

// ... or until `timeout` passes.
template <class T, std::integral V, class Rep, class Period>
WaitAsyncResult wait_async(const TypedArray<T>& view, std::size_t index, V expected,
                           std::chrono::duration<Rep, Period> timeout) {
  static_assert(detail::is_waitable_element_v<T>,
                "atomics::wait_async works on Int32Array and BigInt64Array only, as in "
                "JavaScript");
  return detail::wait_async_impl(view, index, expected, detail::is_zero_timeout(timeout),
                                 parking_lot::detail::deadline_after(timeout));
}

}  // namespace bobbin::atomics
