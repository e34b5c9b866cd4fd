// test262's Atomics, SharedArrayBuffer and ArrayBuffer behaviours, translated to C++ threads.
//
// Each test cites the behaviour it mirrors and the test262 file(s) it comes from (relative to
// test/built-ins/Atomics/ unless a directory is given). "§2 #N" is the number of the behaviour
// in the project's catalogue of test262 behaviours (section 2 of its study of Atomics,
// SharedArrayBuffer, ArrayBuffer transfer and structured clone); "§1.x" cites the semantics
// sections of the same study, for behaviours the spec states without a numbered test.
//
// Translation rules:
//   - test262's agents are std::threads; `$262.agent.tryYield()` choreography becomes polling
//     parking_lot::parked(address) until the expected number of threads is parked. Sleeping
//     is never used to order threads.
//   - A JavaScript timeout in ms is a std::chrono duration; NaN/undefined/+Infinity timeouts
//     use std::chrono::duration<double, std::milli> (or the overload without a timeout).
//   - Counts are any arithmetic type; `undefined` is the default argument or atomics::all.
//   - Coercions with no C++ meaning (Symbols, poisoned valueOf, string indices) are not
//     translated; nor is waitAsync, which bobbin does not have.
//   - Waits that a notify must end use a long timeout (kLong) that never fires in a passing
//     run. Waits that must time out use kShort. Where test262 gives a waiter a short timeout
//     only to show that something (a notify elsewhere, a plain write) did not wake it, the
//     waiter here waits with kLong instead, the test checks that it is still queued
//     (parking_lot::parked) after that something, and then ends it with a notify that must
//     count it: the outcome never depends on how fast the machine runs the test.
#include <bobbin/array_buffer.hpp>
#include <bobbin/atomics.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace atomics = bobbin::atomics;
namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;
using atomics::WaitResult;
using bobbin::ArrayBuffer;
using bobbin::ArrayBufferOptions;
using bobbin::BigInt64Array;
using bobbin::DataCloneError;
using bobbin::Int32Array;
using bobbin::RangeError;
using bobbin::SharedArrayBuffer;
using bobbin::SharedArrayBufferOptions;
using bobbin::TypeError;

constexpr auto kLong = 10s;     // never fires in a passing run
constexpr auto kShort = 100ms;  // for waits whose expected outcome is "timed-out"
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t kTwoTo53 = std::uint64_t{1} << 53;

// An Int32Array of 4 elements over a new SharedArrayBuffer: test262's `i32a`.
Int32Array make_i32(std::size_t length = 4) {
  return Int32Array(SharedArrayBuffer(length * sizeof(std::int32_t)));
}

// Waits (by yielding) until `n` threads are parked on `key`; false after a generous limit, so a
// broken library fails the test instead of hanging it.
[[nodiscard]] bool await_parked(const void* key, std::size_t n) {
  const auto give_up = Clock::now() + 30s;
  while (pl::parked(key) < n) {
    if (Clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// The agents (threads) of one test. join() waits for them. If the test leaves early (a failed
// ASSERT), the destructor keeps calling `release` (typically a notify) until they have all
// returned, so a failure never hangs or aborts the whole run.
class Agents {
 public:
  explicit Agents(std::function<void()> release = {}) : release_(std::move(release)) {}
  Agents(const Agents&) = delete;
  Agents& operator=(const Agents&) = delete;
  ~Agents() {
    if (threads_.empty()) return;
    while (finished_.load() < threads_.size()) {
      if (release_) release_();
      std::this_thread::yield();
    }
    join();
  }

  template <class F>
  void start(F body) {
    threads_.emplace_back([this, body = std::move(body)]() mutable {
      body();
      finished_.fetch_add(1);
    });
  }

  // How many agents have returned.
  [[nodiscard]] std::size_t finished() const { return finished_.load(); }

  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
    finished_.store(0);
  }

 private:
  std::function<void()> release_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> finished_{0};
};

// What one waiting agent saw. Written by the agent, read by the test after join().
struct Outcome {
  std::optional<WaitResult> result;
  bool terminated = false;
  Clock::duration waited{};
  Clock::time_point returned{};
};

// Starts an agent running `atomics::wait(view, index, expected, timeout)`.
template <class View, class Timeout>
void start_wait(Agents& agents, const View& view, std::size_t index, std::int64_t expected,
                Timeout timeout, Outcome& out) {
  agents.start([view, index, expected, timeout, &out] {
    const auto start = Clock::now();
    try {
      out.result = atomics::wait(view, index, expected, timeout);
    } catch (const bobbin::TerminatedError&) {
      out.terminated = true;
    }
    out.returned = Clock::now();
    out.waited = out.returned - start;
  });
}

// ... with no timeout (JavaScript's undefined: forever).
template <class View>
void start_wait_forever(Agents& agents, const View& view, std::size_t index, std::int64_t expected,
                        Outcome& out) {
  agents.start([view, index, expected, &out] {
    const auto start = Clock::now();
    out.result = atomics::wait(view, index, expected);
    out.returned = Clock::now();
    out.waited = out.returned - start;
  });
}

std::size_t count_of(const std::vector<Outcome>& outcomes, WaitResult r) {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                [r](const Outcome& o) { return o.result == r; }));
}

// Calls f.operator()<View>() for each of the 8 integer views.
template <class F>
void for_each_integer_view(F f) {
  f.template operator()<bobbin::Int8Array>();
  f.template operator()<bobbin::Uint8Array>();
  f.template operator()<bobbin::Int16Array>();
  f.template operator()<bobbin::Uint16Array>();
  f.template operator()<bobbin::Int32Array>();
  f.template operator()<bobbin::Uint32Array>();
  f.template operator()<bobbin::BigInt64Array>();
  f.template operator()<bobbin::BigUint64Array>();
}

// Every operation that takes (view, index) on an integer view, to check that it throws `E`.
template <class E, class View>
void every_operation_throws(const View& view, std::size_t index) {
  EXPECT_THROW((void)atomics::load(view, index), E) << index;
  EXPECT_THROW(atomics::store(view, index, 1), E) << index;
  EXPECT_THROW(atomics::add(view, index, 1), E) << index;
  EXPECT_THROW(atomics::sub(view, index, 1), E) << index;
  EXPECT_THROW(atomics::bit_and(view, index, 1), E) << index;
  EXPECT_THROW(atomics::bit_or(view, index, 1), E) << index;
  EXPECT_THROW(atomics::bit_xor(view, index, 1), E) << index;
  EXPECT_THROW(atomics::exchange(view, index, 1), E) << index;
  EXPECT_THROW(atomics::compare_exchange(view, index, 0, 1), E) << index;
}

// =============================================================================================
// §2.1 Type and argument validation

// §2 #5 wait/non-shared-bufferdata-throws.js (and bigint/non-shared-bufferdata-throws.js)
TEST(Test262Validation, WaitOnANonSharedBufferThrowsTypeError) {
  Int32Array i32a(4);  // over a new, non-shared ArrayBuffer
  EXPECT_THROW(atomics::wait(i32a, 0, 0, 0ms), TypeError);
  EXPECT_THROW(atomics::wait(i32a, 0, 0), TypeError);
  // The "poisoned index" variant: the buffer check comes before the index.
  EXPECT_THROW(atomics::wait(i32a, 1000, 0, 0ms), TypeError);
  BigInt64Array i64a(4);
  EXPECT_THROW(atomics::wait(i64a, 0, 0, 0ms), TypeError);
  EXPECT_THROW(atomics::wait(i64a, 1000, 0, 0ms), TypeError);
}

// §2 #6 notify/non-shared-bufferdata-returns-0.js (and the bigint version)
TEST(Test262Validation, NotifyOnANonSharedBufferReturnsZero) {
  Int32Array i32a(4);
  EXPECT_EQ(atomics::notify(i32a, 0, 0), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0), 0u);
  BigInt64Array i64a(4);
  EXPECT_EQ(atomics::notify(i64a, 0, 0), 0u);
  EXPECT_EQ(atomics::notify(i64a, 0, 1), 0u);
}

// §2 #7 notify/non-shared-bufferdata-index-evaluation-throws.js
TEST(Test262Validation, NotifyOnANonSharedBufferStillChecksTheIndex) {
  Int32Array i32a(4);
  EXPECT_THROW(atomics::notify(i32a, 4, 0), RangeError);
  EXPECT_THROW(atomics::notify(i32a, std::numeric_limits<std::size_t>::max()), RangeError);
  BigInt64Array i64a(4);
  EXPECT_THROW(atomics::notify(i64a, 4, 1), RangeError);
}

// §2 #8 */null-bufferdata-throws.js: a detached buffer is a TypeError before anything else.
TEST(Test262Validation, DetachedBufferThrowsTypeErrorBeforeTheIndex) {
  ArrayBuffer buffer(16);
  Int32Array i32a(buffer);
  BigInt64Array i64a(buffer);
  ArrayBuffer taker = std::move(buffer);  // transfer detaches `buffer`
  ASSERT_TRUE(buffer.detached());         // NOLINT(bugprone-use-after-move): the point
  for (std::size_t index : {std::size_t{0}, std::size_t{4}, std::size_t{100}}) {
    every_operation_throws<TypeError>(i32a, index);
    every_operation_throws<TypeError>(i64a, index);
    EXPECT_THROW(atomics::wait(i32a, index, 0, 0ms), TypeError);
    EXPECT_THROW(atomics::wait(i64a, index, 0, 0ms), TypeError);
    EXPECT_THROW(atomics::notify(i32a, index, 0), TypeError);
    EXPECT_THROW(atomics::notify(i64a, index), TypeError);
  }
}

// §2 #9 add/non-shared-bufferdata.js, compareExchange/non-shared-bufferdata.js, exchange/,
// load/, or/, store/, sub/, xor/non-shared-bufferdata.js
TEST(Test262Validation, OperationsOnNonSharedIntegerViewsWork) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    View view(4);
    EXPECT_EQ(atomics::load(view, 0), T{0});
    EXPECT_EQ(atomics::add(view, 0, 1), T{0});
    EXPECT_EQ(atomics::load(view, 0), T{1});
    EXPECT_EQ(atomics::bit_and(view, 0, 1), T{1});
    EXPECT_EQ(atomics::compare_exchange(view, 0, 1, 2), T{1});
    EXPECT_EQ(atomics::exchange(view, 0, 1), T{2});
    EXPECT_EQ(atomics::bit_or(view, 0, 1), T{1});
    EXPECT_EQ(atomics::store(view, 0, 3), 3);
    EXPECT_EQ(atomics::sub(view, 0, 1), T{3});
    EXPECT_EQ(atomics::bit_xor(view, 0, 1), T{2});
    EXPECT_EQ(atomics::load(view, 0), T{3});
  });
}

// =============================================================================================
// §2.2 Index validation

// §2 #10 */bad-range.js, notify/out-of-range-index-throws.js, wait/negative-index-throws.js
TEST(Test262Index, BadIndicesThrowRangeErrorForEveryOperation) {
  const std::size_t minus_one = static_cast<std::size_t>(-1);
  for_each_integer_view([&]<class View>() {
    View view(SharedArrayBuffer(4 * sizeof(typename View::value_type)));
    for (std::size_t bad : {std::size_t{4}, std::size_t{8}, std::size_t{125}, minus_one}) {
      every_operation_throws<RangeError>(view, bad);
    }
  });
  Int32Array i32a = make_i32();
  BigInt64Array i64a(SharedArrayBuffer(32));
  for (std::size_t bad : {std::size_t{4}, std::size_t{8}, std::size_t{125}, minus_one}) {
    EXPECT_THROW(atomics::wait(i32a, bad, 0, 0ms), RangeError);
    EXPECT_THROW(atomics::wait(i64a, bad, 0, 0ms), RangeError);
    EXPECT_THROW(atomics::notify(i32a, bad), RangeError);
    EXPECT_THROW(atomics::notify(i64a, bad, 0), RangeError);
  }
}

// §2 #11 */good-views.js (testWithAtomicsInBoundsIndices): 0 and length - 1 are accepted.
TEST(Test262Index, InBoundsIndicesAreAccepted) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    View view(SharedArrayBuffer(4 * sizeof(T)));
    for (std::size_t good : {std::size_t{0}, std::size_t{3}}) {
      EXPECT_EQ(atomics::store(view, good, 37), 37);
      EXPECT_EQ(atomics::load(view, good), T{37});
      EXPECT_EQ(atomics::add(view, good, 1), T{37});
      EXPECT_EQ(atomics::compare_exchange(view, good, 38, 0), T{38});
    }
  });
  Int32Array i32a = make_i32();
  EXPECT_EQ(atomics::wait(i32a, 3, 0, 0ms), WaitResult::timed_out);
  EXPECT_EQ(atomics::notify(i32a, 3), 0u);
}

// §2 #12 */good-views.js: `new TA(sab, 32, 20)` at index k touches byte 32 + k * size.
TEST(Test262Index, AByteOffsetViewTouchesTheBytesAtItsOffset) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    SharedArrayBuffer sab(256);
    View view(sab, 32, 20);
    View whole(sab);  // element 32 / size + k is the same memory as view[k]
    bobbin::Uint8Array bytes(sab);
    const std::size_t k = 5;
    const std::size_t shift = 32 / sizeof(T);
    EXPECT_EQ(atomics::store(view, k, -1), -1);
    EXPECT_EQ(atomics::load(whole, shift + k), static_cast<T>(-1));
    for (std::size_t i = 0; i < 256; ++i) {
      const bool inside = i >= 32 + k * sizeof(T) && i < 32 + (k + 1) * sizeof(T);
      EXPECT_EQ(static_cast<int>(bytes[i]), inside ? 0xFF : 0) << "byte " << i;
    }
    EXPECT_EQ(atomics::add(whole, shift + k, 1), static_cast<T>(-1));
    EXPECT_EQ(atomics::load(view, k), T{0});
    EXPECT_THROW((void)atomics::load(view, 20), RangeError);  // the view's length, not the buffer's
  });
  // The same for wait and notify: a waiter on view[3] is the waiter on whole[8 + 3].
  SharedArrayBuffer sab(256);
  Int32Array view(sab, 32, 20);
  Int32Array whole(sab);
  Outcome out;
  Agents agents([&] { atomics::notify(whole, 11); });
  start_wait(agents, view, 3, 0, kLong, out);
  ASSERT_TRUE(await_parked(view.element(3), 1));
  EXPECT_EQ(view.element(3), whole.element(11));
  EXPECT_EQ(atomics::notify(whole, 3), 0u);
  EXPECT_EQ(atomics::notify(whole, 11), 1u);
  agents.join();
  EXPECT_EQ(out.result, WaitResult::ok);
}

// §2 #15 wait/retrieve-length-before-index-coercion.js, notify/retrieve-length-before-index-
// coercion.js: a length-tracking view of an empty growable SAB has no valid index; once grown,
// it has.
TEST(Test262Index, TrackingViewOfAnEmptyGrowableBufferHasNoValidIndex) {
  SharedArrayBuffer gsab(0, SharedArrayBufferOptions{.max_byte_length = 4});
  Int32Array ta(gsab);
  EXPECT_THROW(atomics::wait(ta, 0, 0, 0ms), RangeError);
  EXPECT_THROW(atomics::notify(ta, 0), RangeError);
  gsab.grow(4);
  EXPECT_EQ(atomics::notify(ta, 0), 0u);
  EXPECT_EQ(atomics::wait(ta, 0, 0, 0ms), WaitResult::timed_out);
  EXPECT_EQ(atomics::wait(ta, 0, 1, 0ms), WaitResult::not_equal);
}

// =============================================================================================
// §2.3 Value and timeout coercion for wait (each in an agent, as test262 does)

// §2 #17 wait/negative-timeout.js, negative-timeout-agent.js
TEST(Test262WaitTimeout, NegativeTimeoutsTimeOut) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(4);
  Agents agents;
  agents.start([&] {
    outs[0].result = atomics::wait(i32a, 0, 0, -1ms);
    outs[1].result = atomics::wait(i32a, 0, 0, -5ms);
    outs[2].result = atomics::wait(i32a, 0, 0, Ms(-1.0));
    outs[3].result = atomics::wait(i32a, 0, 0, Ms(-kInf));
  });
  agents.join();
  for (const Outcome& o : outs) EXPECT_EQ(o.result, WaitResult::timed_out);
}

// §2 #18 wait/false-for-timeout.js, null-for-timeout.js, object-for-timeout.js (all mean 0)
TEST(Test262WaitTimeout, ZeroTimeoutsTimeOutAtOnce) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(4);
  Agents agents;
  agents.start([&] {
    outs[0].result = atomics::wait(i32a, 0, 0, 0ms);
    outs[1].result = atomics::wait(i32a, 0, 0, Ms(0.0));
    outs[2].result = atomics::wait(i32a, 0, 0, Ms(-0.0));
    outs[3].result = atomics::wait(i32a, 0, 0, std::chrono::nanoseconds(0));
  });
  agents.join();
  for (const Outcome& o : outs) EXPECT_EQ(o.result, WaitResult::timed_out);
  EXPECT_EQ(pl::parked(i32a.element(0)), 0u);
}

// §2 #19 wait/true-for-timeout.js, true-for-timeout-agent.js (true is 1 ms)
TEST(Test262WaitTimeout, OneMillisecondTimesOutAfterAtLeastOneMillisecond) {
  Int32Array i32a = make_i32();
  Outcome a, b;
  Agents agents;
  start_wait(agents, i32a, 0, 0, 1ms, a);
  start_wait(agents, i32a, 1, 0, Ms(1.0), b);
  agents.join();
  EXPECT_EQ(a.result, WaitResult::timed_out);
  EXPECT_EQ(b.result, WaitResult::timed_out);
  EXPECT_GE(a.waited, 1ms);
  EXPECT_GE(b.waited, 1ms);
}

// §2 #20 wait/nan-for-timeout.js, undefined-for-timeout.js (NaN/undefined wait forever)
TEST(Test262WaitTimeout, NaNInfinityAndNoTimeoutWaitUntilNotified) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(3);
  Agents agents([&] { atomics::notify(i32a, 0); });
  start_wait(agents, i32a, 0, 0, Ms(kNaN), outs[0]);
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  start_wait(agents, i32a, 0, 0, Ms(kInf), outs[1]);
  ASSERT_TRUE(await_parked(i32a.element(0), 2));
  start_wait_forever(agents, i32a, 0, 0, outs[2]);
  ASSERT_TRUE(await_parked(i32a.element(0), 3));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(atomics::notify(i32a, 0, 1), 1u) << i;
  agents.join();
  for (const Outcome& o : outs) EXPECT_EQ(o.result, WaitResult::ok);
}

// §2 #22 wait/wait-index-value-not-equal.js: the value goes through ToInt32.
TEST(Test262WaitValue, ADifferentValueIsNotEqualAtOnce) {
  Int32Array i32a = make_i32();
  const std::int64_t wraps_to_251 = (std::int64_t{1} << 32) + 251;
  std::vector<Outcome> outs(3);
  Agents agents;
  start_wait(agents, i32a, 0, 44, kLong, outs[0]);
  start_wait(agents, i32a, 0, 251, kLong, outs[1]);
  start_wait(agents, i32a, 0, wraps_to_251, kLong, outs[2]);
  agents.join();
  for (const Outcome& o : outs) {
    EXPECT_EQ(o.result, WaitResult::not_equal);
    EXPECT_LT(o.waited, kLong);
  }
  // ... while a value that wraps to the stored 0 is equal.
  EXPECT_EQ(atomics::wait(i32a, 0, std::int64_t{1} << 32, 0ms), WaitResult::timed_out);
}

// §2 #23 wait/value-not-equal.js
TEST(Test262WaitValue, AnAgentThatStoredAValueSeesNotEqual) {
  Int32Array i32a = make_i32();
  std::optional<WaitResult> result;
  Agents agents;
  agents.start([&] {
    atomics::store(i32a, 0, 42);
    result = atomics::wait(i32a, 0, 0);  // no timeout: must not block
  });
  agents.join();
  EXPECT_EQ(result, WaitResult::not_equal);
}

// §2 #24 wait/good-views.js (and bigint/good-views.js)
TEST(Test262WaitValue, GoodViews) {
  std::vector<std::optional<WaitResult>> reports;
  Agents agents;
  agents.start([&] {
    Int32Array i32a(SharedArrayBuffer(32));             // 8 elements
    reports.push_back(atomics::wait(i32a, 0, 0, 0ms));  // timed-out
    SharedArrayBuffer sab(1024);
    Int32Array view(sab, 32, 20);
    view[0] = 0;
    reports.push_back(atomics::wait(view, 0, 0, 0ms));   // timed-out
    reports.push_back(atomics::wait(view, 0, 37, 0ms));  // not-equal
    for (std::size_t idx : {std::size_t{0}, view.length() - 1}) {
      view.fill(0);
      atomics::store(view, idx, 37);
      reports.push_back(atomics::wait(view, idx, 0));  // not-equal
    }
    BigInt64Array big(sab, 32, 20);
    big.fill(0);
    reports.push_back(atomics::wait(big, 0, 0, 0ms));  // timed-out
    atomics::store(big, 19, 37);
    reports.push_back(atomics::wait(big, 19, 0));  // not-equal
  });
  agents.join();
  const std::vector<std::optional<WaitResult>> expected = {
      WaitResult::timed_out, WaitResult::timed_out, WaitResult::not_equal, WaitResult::not_equal,
      WaitResult::not_equal, WaitResult::timed_out, WaitResult::not_equal};
  EXPECT_EQ(reports, expected);
}

// =============================================================================================
// §2.4 Blocking policy

// §2 #25 wait/cannot-suspend-throws.js, wait/bigint/cannot-suspend-throws.js
TEST(Test262Blocking, AThreadThatCannotBlockGetsTypeError) {
  Int32Array i32a = make_i32();
  BigInt64Array i64a(SharedArrayBuffer(32));
  bool i32_threw = false, i64_threw = false, not_equal_threw = false, forever_threw = false;
  bool later_ok = false;
  Agents agents;
  agents.start([&] {
    atomics::set_can_block(false);
    try {
      (void)atomics::wait(i32a, 0, 0, 0ms);
    } catch (const TypeError&) {
      i32_threw = true;
    }
    try {
      (void)atomics::wait(i64a, 0, 0, 0ms);
    } catch (const TypeError&) {
      i64_threw = true;
    }
    // Even when the value would be "not-equal" (the check comes after value coercion).
    try {
      (void)atomics::wait(i32a, 0, 1, 0ms);
    } catch (const TypeError&) {
      not_equal_threw = true;
    }
    try {
      (void)atomics::wait(i32a, 0, 0);
    } catch (const TypeError&) {
      forever_threw = true;
    }
    atomics::set_can_block(true);
    later_ok = atomics::wait(i32a, 0, 0, 0ms) == WaitResult::timed_out;
  });
  agents.join();
  EXPECT_TRUE(i32_threw);
  EXPECT_TRUE(i64_threw);
  EXPECT_TRUE(not_equal_threw);
  EXPECT_TRUE(forever_threw);
  EXPECT_TRUE(later_ok);
  EXPECT_TRUE(atomics::can_block());  // the flag is per thread
}

// =============================================================================================
// §2.5 Single-waiter wake/timeout behaviour

// §2 #27 wait/no-spurious-wakeup-no-operation.js (and bigint)
TEST(Test262SingleWaiter, NoOperationMeansTimedOutNoEarlierThanTheTimeout) {
  Int32Array i32a = make_i32();
  BigInt64Array i64a(SharedArrayBuffer(32));
  Outcome a, b;
  Agents agents;
  start_wait(agents, i32a, 0, 0, kShort, a);
  start_wait(agents, i64a, 0, 0, kShort, b);
  agents.join();
  EXPECT_EQ(a.result, WaitResult::timed_out);
  EXPECT_EQ(b.result, WaitResult::timed_out);
  EXPECT_GE(a.waited, kShort);
  EXPECT_GE(b.waited, kShort);
  EXPECT_EQ(atomics::notify(i32a, 0), 0u);  // nobody is left to wake
  EXPECT_EQ(atomics::notify(i64a, 0), 0u);
}

// §2 #28 wait/no-spurious-wakeup-on-{add,and,compareExchange,exchange,or,store,sub,xor}.js:
// writing the watched element without a notify wakes nobody. (test262's waiters time out;
// these are still queued after the writes, and only the notify that follows ends them.)
template <class View>
void no_spurious_wakeup_on_writes() {
  View view(SharedArrayBuffer(16 * sizeof(typename View::value_type)));
  constexpr std::size_t kOps = 9;
  std::vector<Outcome> outs(kOps);
  Agents agents([&] {
    for (std::size_t i = 0; i < kOps; ++i) atomics::notify(view, i);
  });
  for (std::size_t i = 0; i < kOps; ++i) start_wait(agents, view, i, 0, kLong, outs[i]);
  for (std::size_t i = 0; i < kOps; ++i) ASSERT_TRUE(await_parked(view.element(i), 1)) << i;
  atomics::add(view, 0, 1);
  atomics::bit_and(view, 1, 1);
  atomics::compare_exchange(view, 2, 0, 1);
  atomics::exchange(view, 3, 1);
  atomics::bit_or(view, 4, 1);
  atomics::store(view, 5, 1);
  atomics::sub(view, 6, 1);
  atomics::bit_xor(view, 7, 1);
  view[8] = 1;  // a plain (unordered) write
  for (std::size_t i = 0; i < kOps; ++i) {
    EXPECT_EQ(pl::parked(view.element(i)), 1u) << "operation " << i;
  }
  EXPECT_EQ(agents.finished(), 0u);
  for (std::size_t i = 0; i < kOps; ++i) {
    EXPECT_EQ(atomics::notify(view, i), 1u) << "operation " << i;  // it was still waiting
  }
  agents.join();
  for (std::size_t i = 0; i < kOps; ++i) {
    EXPECT_EQ(outs[i].result, WaitResult::ok) << "operation " << i;
  }
}

TEST(Test262SingleWaiter, NoSpuriousWakeupOnWritesInt32) {
  no_spurious_wakeup_on_writes<Int32Array>();
}

TEST(Test262SingleWaiter, NoSpuriousWakeupOnWritesBigInt64) {
  no_spurious_wakeup_on_writes<BigInt64Array>();
}

// §2 #29 wait/was-woken-before-timeout.js
TEST(Test262SingleWaiter, NotifyWakesBeforeTheTimeout) {
  Int32Array i32a = make_i32();
  Outcome out;
  Agents agents([&] { atomics::notify(i32a, 0); });
  start_wait(agents, i32a, 0, 0, kLong, out);
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_EQ(atomics::notify(i32a, 0), 1u);
  agents.join();
  EXPECT_EQ(out.result, WaitResult::ok);
  EXPECT_LT(out.waited, kLong);
}

// §2 #30 notify/notify-renotify-noop.js
TEST(Test262SingleWaiter, ASecondNotifyFindsNobody) {
  Int32Array i32a = make_i32();
  Outcome out;
  Agents agents([&] { atomics::notify(i32a, 0); });
  start_wait(agents, i32a, 0, 0, kLong, out);
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 1u);
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 0u);
  agents.join();
  EXPECT_EQ(out.result, WaitResult::ok);
}

// =============================================================================================
// §2.6 Count semantics

// §2 #31 notify/count-boundary-cases.js
TEST(Test262Count, BoundaryCountsWithNoWaitersReturnZero) {
  Int32Array i32a = make_i32();
  EXPECT_EQ(atomics::notify(i32a, 0, -3), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, kInf), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, atomics::all), 0u);  // undefined
  EXPECT_EQ(atomics::notify(i32a, 0, 33), 0u);            // '33'
  EXPECT_EQ(atomics::notify(i32a, 0, 8.0), 0u);           // {valueOf: 8}
  EXPECT_EQ(atomics::notify(i32a, 0), 0u);
}

// §2 #32 notify/count-from-nans.js
TEST(Test262Count, NaNCountsReturnZero) {
  Int32Array i32a = make_i32();
  EXPECT_EQ(atomics::notify(i32a, 0, kNaN), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, -kNaN), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, std::numeric_limits<double>::signaling_NaN()), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, std::numeric_limits<float>::quiet_NaN()), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, std::numeric_limits<long double>::quiet_NaN()), 0u);
}

// Starts `n` agents waiting (in order) on i32a[index] with `timeout`.
template <class Timeout>
void start_waiters_in_order(Agents& agents, const Int32Array& i32a, std::size_t index,
                            std::vector<Outcome>& outs, Timeout timeout) {
  for (std::size_t i = 0; i < outs.size(); ++i) {
    start_wait(agents, i32a, index, 0, timeout, outs[i]);
    if (!await_parked(i32a.element(index), i + 1)) return;
  }
}

// §2 #34 notify/count-defaults-to-infinity-missing.js
TEST(Test262Count, AMissingCountWakesAllFour) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(4);
  Agents agents([&] { atomics::notify(i32a, 1); });
  for (auto& o : outs) start_wait_forever(agents, i32a, 1, 0, o);
  ASSERT_TRUE(await_parked(i32a.element(1), 4));
  EXPECT_EQ(atomics::notify(i32a, 1), 4u);
  agents.join();
  EXPECT_EQ(count_of(outs, WaitResult::ok), 4u);
}

// §2 #35 notify/count-defaults-to-infinity-undefined.js (undefined is atomics::all; +Infinity too)
TEST(Test262Count, AnAllOrInfiniteCountWakesAllFour) {
  Int32Array i32a = make_i32();
  for (int round = 0; round < 2; ++round) {
    std::vector<Outcome> outs(4);
    Agents agents([&] { atomics::notify(i32a, 1); });
    for (auto& o : outs) start_wait_forever(agents, i32a, 1, 0, o);
    ASSERT_TRUE(await_parked(i32a.element(1), 4));
    EXPECT_EQ(round == 0 ? atomics::notify(i32a, 1, atomics::all) : atomics::notify(i32a, 1, kInf),
              4u);
    agents.join();
    EXPECT_EQ(count_of(outs, WaitResult::ok), 4u);
  }
}

// A count that wakes `woken` of three waiters: the rest stay queued. (test262's other waiters
// time out; these are still queued after the notify, and a second notify must count them.)
template <class Count>
void notify_some_of_three(Count count, std::size_t woken) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(3);
  Agents agents([&] { atomics::notify(i32a, 0); });
  for (auto& o : outs) start_wait(agents, i32a, 0, 0, kLong, o);
  ASSERT_TRUE(await_parked(i32a.element(0), outs.size()));
  EXPECT_EQ(atomics::notify(i32a, 0, count), woken) << count;
  EXPECT_EQ(pl::parked(i32a.element(0)), outs.size() - woken) << count;
  EXPECT_EQ(atomics::notify(i32a, 0), outs.size() - woken) << count;
  agents.join();
  EXPECT_EQ(count_of(outs, WaitResult::ok), outs.size()) << count;
}

// §2 #36 notify/notify-zero.js
TEST(Test262Count, ZeroWakesNobody) { notify_some_of_three(0, 0); }

// §2 #37 notify/negative-count.js, notify/notify-nan.js
TEST(Test262Count, NegativeAndNaNCountsWakeNobody) {
  notify_some_of_three(-1, 0);
  notify_some_of_three(-1.0, 0);
  notify_some_of_three(kNaN, 0);
  notify_some_of_three(-kInf, 0);
}

// §2 #38 notify/notify-one.js
TEST(Test262Count, OneWakesOne) {
  notify_some_of_three(1, 1);
  notify_some_of_three(1.5, 1);  // ToIntegerOrInfinity truncates
}

// §2 #39 notify/notify-two.js
TEST(Test262Count, TwoWakesTwo) {
  notify_some_of_three(2, 2);
  notify_some_of_three(2.9, 2);
}

// §2 #40 notify/notify-all.js
TEST(Test262Count, AllWakesAllThree) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(3);
  Agents agents([&] { atomics::notify(i32a, 0); });
  for (auto& o : outs) start_wait_forever(agents, i32a, 0, 0, o);
  ASSERT_TRUE(await_parked(i32a.element(0), 3));
  EXPECT_EQ(atomics::notify(i32a, 0), 3u);
  agents.join();
  EXPECT_EQ(count_of(outs, WaitResult::ok), 3u);
}

// =============================================================================================
// §2.7 Per-location lists and FIFO order

// §2 #41 notify/notify-all-on-loc.js
// (test262's index-1 waiter times out; this one is still queued after the notify of index 0,
// and only the notify of index 1 ends it.)
TEST(Test262Location, NotifyWakesOnlyItsLocation) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> at0(3);
  Outcome at1;
  Agents agents([&] {
    atomics::notify(i32a, 0);
    atomics::notify(i32a, 1);
  });
  for (auto& o : at0) start_wait(agents, i32a, 0, 0, kLong, o);
  start_wait(agents, i32a, 1, 0, kLong, at1);
  ASSERT_TRUE(await_parked(i32a.element(0), 3));
  ASSERT_TRUE(await_parked(i32a.element(1), 1));
  EXPECT_EQ(atomics::notify(i32a, 0), 3u);
  EXPECT_EQ(pl::parked(i32a.element(1)), 1u);  // the index-1 waiter is still waiting
  EXPECT_EQ(atomics::notify(i32a, 1), 1u);
  agents.join();
  EXPECT_EQ(count_of(at0, WaitResult::ok), 3u);
  EXPECT_EQ(at1.result, WaitResult::ok);
}

// §2 #42 wait/waiterlist-block-indexedposition-wake.js (and bigint/…)
template <class View>
void indexed_position_wake() {
  View view(SharedArrayBuffer(5 * sizeof(typename View::value_type)));
  Outcome a, b;
  Agents agents([&] {
    atomics::notify(view, 0);
    atomics::notify(view, 2);
  });
  start_wait(agents, view, 0, 0, kLong, a);
  start_wait(agents, view, 2, 0, kLong, b);
  ASSERT_TRUE(await_parked(view.element(0), 1));
  ASSERT_TRUE(await_parked(view.element(2), 1));
  EXPECT_EQ(atomics::notify(view, 1), 0u);
  EXPECT_EQ(atomics::notify(view, 3), 0u);
  EXPECT_EQ(atomics::notify(view, 4), 0u);
  EXPECT_EQ(atomics::notify(view, 2), 1u);
  EXPECT_EQ(atomics::notify(view, 0), 1u);
  agents.join();
  EXPECT_EQ(a.result, WaitResult::ok);
  EXPECT_EQ(b.result, WaitResult::ok);
}

TEST(Test262Location, WaitersOnOtherIndicesAreNotWokenInt32) {
  indexed_position_wake<Int32Array>();
}
TEST(Test262Location, WaitersOnOtherIndicesAreNotWokenBigInt64) {
  indexed_position_wake<BigInt64Array>();
}

// §2 #43 notify/notify-in-order.js, notify/notify-in-order-one-time.js
template <class View>
void wakes_in_order(std::size_t waiters) {
  View view(SharedArrayBuffer(4 * sizeof(typename View::value_type)));
  std::mutex mutex;
  std::vector<std::size_t> order;
  auto woken = [&] {
    std::lock_guard lock(mutex);
    return order.size();
  };
  Agents agents([&] { atomics::notify(view, 0); });
  for (std::size_t id = 0; id < waiters; ++id) {
    agents.start([&, id] {
      EXPECT_EQ(atomics::wait(view, 0, 0, kLong), WaitResult::ok) << id;
      std::lock_guard lock(mutex);
      order.push_back(id);
    });
    ASSERT_TRUE(await_parked(view.element(0), id + 1));  // admit them one at a time
  }
  for (std::size_t i = 0; i < waiters; ++i) {
    EXPECT_EQ(atomics::notify(view, 0, 1), 1u) << i;
    while (woken() < i + 1) std::this_thread::yield();  // let it record itself first
  }
  agents.join();
  std::vector<std::size_t> expected(waiters);
  for (std::size_t i = 0; i < waiters; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
}

TEST(Test262Fifo, NotifyOneAtATimeWakesInWaitOrder) {
  wakes_in_order<Int32Array>(3);
  wakes_in_order<Int32Array>(6);
  wakes_in_order<BigInt64Array>(4);
}

// notify(…, 2) removes the two oldest waiters.
TEST(Test262Fifo, NotifyTwoWakesTheTwoOldest) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(4);
  Agents agents([&] { atomics::notify(i32a, 0); });
  start_waiters_in_order(agents, i32a, 0, outs, kLong);
  ASSERT_TRUE(await_parked(i32a.element(0), 4));
  EXPECT_EQ(atomics::notify(i32a, 0, 2), 2u);
  ASSERT_TRUE(await_parked(i32a.element(0), 2));
  while (agents.finished() < 2) std::this_thread::yield();
  EXPECT_EQ(pl::parked(i32a.element(0)), 2u);
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 1u);  // the third
  while (agents.finished() < 3) std::this_thread::yield();
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 1u);  // the fourth
  agents.join();
  // The first two returned before the third, and the third before the fourth.
  EXPECT_LE(outs[0].returned, outs[2].returned);
  EXPECT_LE(outs[1].returned, outs[2].returned);
  EXPECT_LE(outs[2].returned, outs[3].returned);
  EXPECT_EQ(count_of(outs, WaitResult::ok), 4u);
}

// §2 #44 wait/waiterlist-order-of-operations-is-fifo.js: agents take a spin lock made of
// compareExchange, record their id, and wait; the lock is released (by the test) only once
// the holder is parked, so the list order is the recorded order.
TEST(Test262Fifo, SpinLockOrderedWaitersWakeInThatOrder) {
  constexpr std::size_t kAgents = 4;
  constexpr std::size_t kWait = 0, kLock = 1;
  Int32Array i32a = make_i32();
  std::mutex mutex;
  std::vector<std::size_t> entered, woken;
  Agents agents([&] { atomics::notify(i32a, kWait); });
  for (std::size_t id = 0; id < kAgents; ++id) {
    agents.start([&, id] {
      while (atomics::compare_exchange(i32a, kLock, 0, 1) != 0) atomics::pause();
      {
        std::lock_guard lock(mutex);
        entered.push_back(id);
      }
      const WaitResult r = atomics::wait(i32a, kWait, 0, kLong);
      std::lock_guard lock(mutex);
      if (r == WaitResult::ok) woken.push_back(id);
    });
  }
  for (std::size_t n = 1; n <= kAgents; ++n) {
    ASSERT_TRUE(await_parked(i32a.element(kWait), n));
    EXPECT_EQ(atomics::store(i32a, kLock, 0), 0);  // let the next agent take the lock
  }
  for (std::size_t n = 1; n <= kAgents; ++n) {
    EXPECT_EQ(atomics::notify(i32a, kWait, 1), 1u);
    for (;;) {
      std::lock_guard lock(mutex);
      if (woken.size() == n) break;
    }
  }
  agents.join();
  EXPECT_EQ(entered.size(), kAgents);
  EXPECT_EQ(woken, entered);
}

// §2 #45 notify/notify-with-no-agents-waiting.js, notify-with-no-matching-agents-waiting.js
TEST(Test262Location, NotifyWithNoMatchingWaitersReturnsZero) {
  Int32Array i32a = make_i32();
  {
    Agents agents;
    agents.start([&] { atomics::add(i32a, 1, 1); });  // an agent that never waits
    agents.join();
  }
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 0u);
  Outcome out;
  Agents agents([&] { atomics::notify(i32a, 0); });
  start_wait(agents, i32a, 0, 0, kLong, out);
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_EQ(atomics::notify(i32a, 1, 1), 0u);  // nobody waits at index 1
  EXPECT_EQ(atomics::notify(i32a, 2), 0u);
  EXPECT_EQ(atomics::notify(i32a, 0, 1), 1u);
  agents.join();
  EXPECT_EQ(out.result, WaitResult::ok);
}

// §1.6 step 5: two views naming the same byte position share one waiter list, whatever their
// type or byte offset; a different byte position in the same element range does not.
TEST(Test262Location, ViewsNamingTheSameBytesShareWaiters) {
  SharedArrayBuffer sab(32);
  Int32Array from0(sab);     // from0[2] is bytes 8..11
  Int32Array from8(sab, 8);  // from8[0] is bytes 8..11
  BigInt64Array big(sab);    // big[1] is bytes 8..15 (byte index 8)
  std::vector<Outcome> outs(3);
  Agents agents([&] {
    atomics::notify(from0, 2);
    atomics::notify(from0, 3);
  });
  start_wait(agents, from0, 2, 0, kLong, outs[0]);
  ASSERT_TRUE(await_parked(big.element(1), 1));
  start_wait(agents, big, 1, 0, kLong, outs[1]);
  ASSERT_TRUE(await_parked(from8.element(0), 2));
  start_wait(agents, from0, 3, 0, kLong, outs[2]);  // byte index 12: another list
  ASSERT_TRUE(await_parked(from0.element(3), 1));

  EXPECT_EQ(atomics::notify(big, 1, 1), 1u);  // the oldest on byte 8: outs[0], via another type
  while (agents.finished() < 1) std::this_thread::yield();
  EXPECT_EQ(atomics::notify(from8, 0), 1u);  // the BigInt64 waiter, via another offset
  while (agents.finished() < 2) std::this_thread::yield();
  EXPECT_EQ(atomics::notify(big, 1), 0u);
  EXPECT_EQ(pl::parked(from0.element(3)), 1u);  // the byte-12 waiter is untouched
  EXPECT_EQ(atomics::notify(from8, 1), 1u);
  agents.join();
  EXPECT_LE(outs[0].returned, outs[1].returned);
  EXPECT_EQ(count_of(outs, WaitResult::ok), 3u);
}

// §1.6 step 5: waiters on the same index of a different SharedArrayBuffer are unaffected; a
// copy of the handle is the same buffer.
TEST(Test262Location, OtherBuffersHaveTheirOwnWaiters) {
  SharedArrayBuffer sab1(16), sab2(16);
  Int32Array a(sab1), b(sab2);
  Outcome out;
  Agents agents([&] { atomics::notify(a, 0); });
  start_wait(agents, a, 0, 0, kLong, out);
  ASSERT_TRUE(await_parked(a.element(0), 1));
  EXPECT_EQ(atomics::notify(b, 0), 0u);
  EXPECT_EQ(pl::parked(a.element(0)), 1u);
  SharedArrayBuffer same = sab1;  // NOLINT(performance-unnecessary-copy-initialization)
  Int32Array c(same);
  EXPECT_EQ(atomics::notify(c, 0), 1u);
  agents.join();
  EXPECT_EQ(out.result, WaitResult::ok);
}

// §1.7: a notify racing a waiter's timeout gives exactly one outcome. If the notify counted
// the waiter, the waiter returns "ok"; otherwise it returns "timed-out".
TEST(Test262Race, NotifyRacingATimeoutHasExactlyOneOutcome) {
  Int32Array i32a = make_i32();
  const std::chrono::microseconds timeouts[] = {0us, 10us, 50us, 200us, 1000us};
  std::size_t oks = 0, timeouts_seen = 0;
  for (int round = 0; round < 250; ++round) {
    const auto timeout = timeouts[round % 5];
    Outcome out;
    Agents agents;
    start_wait(agents, i32a, 0, 0, timeout, out);
    while (pl::parked(i32a.element(0)) == 0 && agents.finished() == 0) std::this_thread::yield();
    for (int spin = 0; spin < (round % 7) * 40; ++spin) atomics::pause();
    const std::size_t n = atomics::notify(i32a, 0, 1);
    agents.join();
    ASSERT_TRUE(out.result.has_value());
    EXPECT_NE(*out.result, WaitResult::not_equal);
    EXPECT_EQ(n == 1, *out.result == WaitResult::ok)
        << "round " << round << ": notify counted " << n << ", waiter saw " << *out.result;
    if (*out.result == WaitResult::timed_out) {
      EXPECT_GE(out.waited, timeout);
    }
    (*out.result == WaitResult::ok ? oks : timeouts_seen) += 1;
  }
  EXPECT_EQ(pl::parked(i32a.element(0)), 0u);
  RecordProperty("ok", static_cast<int>(oks));
  RecordProperty("timed_out", static_cast<int>(timeouts_seen));
}

TEST(Test262Race, NotifyAllRacingTimeoutsCountsExactlyTheOkWaiters) {
  Int32Array i32a = make_i32();
  for (int round = 0; round < 60; ++round) {
    std::vector<Outcome> outs(3);
    Agents agents;
    start_wait(agents, i32a, 0, 0, 100us, outs[0]);
    start_wait(agents, i32a, 0, 0, 500us, outs[1]);
    start_wait(agents, i32a, 0, 0, std::chrono::microseconds(50 * (round % 20)), outs[2]);
    while (pl::parked(i32a.element(0)) < 2 && agents.finished() < 2) std::this_thread::yield();
    const std::size_t n = atomics::notify(i32a, 0);
    agents.join();
    EXPECT_EQ(count_of(outs, WaitResult::ok), n) << "round " << round;
    EXPECT_EQ(count_of(outs, WaitResult::ok) + count_of(outs, WaitResult::timed_out), 3u);
  }
}

// §1.5 step 7: a waiter may return later than its timeout, never earlier (steady clock).
TEST(Test262Timeout, TimeoutsNeverReturnEarly) {
  Int32Array i32a = make_i32();
  std::vector<Outcome> outs(5);
  Agents agents;
  start_wait(agents, i32a, 0, 0, 1ms, outs[0]);
  start_wait(agents, i32a, 1, 0, 7ms, outs[1]);
  start_wait(agents, i32a, 2, 0, Ms(12.5), outs[2]);
  start_wait(agents, i32a, 3, 0, 30ms, outs[3]);
  start_wait(agents, i32a, 3, 0, 2500us, outs[4]);
  agents.join();
  const Clock::duration expected[] = {1ms, 7ms, std::chrono::microseconds(12500), 30ms, 2500us};
  for (std::size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(outs[i].result, WaitResult::timed_out) << i;
    EXPECT_GE(outs[i].waited, expected[i]) << i;
  }
  // An absolute deadline is never beaten either.
  const auto deadline = Clock::now() + 15ms;
  EXPECT_EQ(atomics::wait_until(i32a, 0, 0, deadline), WaitResult::timed_out);
  EXPECT_GE(Clock::now(), deadline);
}

// §1.9: everything the notifier did before notify happens-before what the woken agent does
// after "ok" (checked by ThreadSanitizer on plain memory).
TEST(Test262MemoryModel, NotifyPublishesEarlierWrites) {
  Int32Array i32a = make_i32();
  std::vector<int> payload(3, 0);
  std::vector<int> seen;
  Agents agents([&] { atomics::notify(i32a, 0); });
  agents.start([&] {
    if (atomics::wait(i32a, 0, 0, kLong) == WaitResult::ok) seen = payload;
  });
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  payload = {1, 2, 3};
  EXPECT_EQ(atomics::notify(i32a, 0), 1u);
  agents.join();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

// A worker being terminated: parking_lot::interrupt wakes a thread blocked in atomics::wait
// with TerminatedError; clear_interrupt() restores normal waits.
TEST(Test262Terminate, InterruptWakesAWaiterWithTerminatedError) {
  Int32Array i32a = make_i32();
  std::promise<pl::ThreadHandle> handle_promise;
  std::future<pl::ThreadHandle> handle = handle_promise.get_future();
  bool terminated = false, sticky = false, requested = false, cleared = false;
  std::string name;
  std::optional<WaitResult> after_clear, short_after_clear;
  Agents agents([&] { atomics::notify(i32a, 0); });
  agents.start([&] {
    handle_promise.set_value(pl::this_thread());
    try {
      (void)atomics::wait(i32a, 0, 0, kLong);
    } catch (const bobbin::TerminatedError& e) {
      terminated = true;
      name = e.name();
    }
    requested = pl::interrupt_requested();
    try {
      (void)atomics::wait(i32a, 0, 0, kLong);  // still interrupted: throws at once
    } catch (const bobbin::TerminatedError&) {
      sticky = true;
    }
    pl::clear_interrupt();
    cleared = !pl::interrupt_requested();
    short_after_clear = atomics::wait(i32a, 1, 0, 1ms);  // index 1: the test watches index 0
    after_clear = atomics::wait(i32a, 0, 0, kLong);
  });
  const pl::ThreadHandle waiter = handle.get();
  ASSERT_TRUE(waiter);
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_TRUE(pl::interrupt(waiter));
  // Once the agent is parked again (after clear_interrupt), a notify wakes it normally.
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_EQ(atomics::notify(i32a, 0), 1u);
  agents.join();
  EXPECT_TRUE(terminated);
  EXPECT_EQ(name, "TerminatedError");
  EXPECT_TRUE(requested);
  EXPECT_TRUE(sticky);
  EXPECT_TRUE(cleared);
  EXPECT_EQ(short_after_clear, WaitResult::timed_out);
  EXPECT_EQ(after_clear, WaitResult::ok);
}

TEST(Test262Terminate, AnInterruptBeforeTheWaitMakesItThrow) {
  Int32Array i32a = make_i32();
  std::promise<pl::ThreadHandle> handle_promise;
  std::future<pl::ThreadHandle> handle = handle_promise.get_future();
  std::atomic<bool> go{false};
  bool terminated = false;
  Agents agents([&] { go.store(true); });
  agents.start([&] {
    handle_promise.set_value(pl::this_thread());
    while (!go.load()) std::this_thread::yield();
    try {
      (void)atomics::wait(i32a, 0, 0, kLong);
    } catch (const bobbin::TerminatedError&) {
      terminated = true;
    }
    pl::clear_interrupt();
  });
  EXPECT_FALSE(pl::interrupt(handle.get()));  // it was not parked: nothing woken now ...
  go.store(true);
  agents.join();
  EXPECT_TRUE(terminated);  // ... but its wait was cut short
  EXPECT_EQ(atomics::notify(i32a, 0), 0u);
}

TEST(Test262Terminate, AnInterruptedWaiterIsNotCountedByNotify) {
  Int32Array i32a = make_i32();
  std::promise<pl::ThreadHandle> handle_promise;
  std::future<pl::ThreadHandle> handle = handle_promise.get_future();
  Outcome interrupted, other;
  Agents agents([&] { atomics::notify(i32a, 0); });
  agents.start([&] {
    handle_promise.set_value(pl::this_thread());
    try {
      interrupted.result = atomics::wait(i32a, 0, 0, kLong);
    } catch (const bobbin::TerminatedError&) {
      interrupted.terminated = true;
    }
  });
  const pl::ThreadHandle h = handle.get();
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  start_wait(agents, i32a, 0, 0, kLong, other);
  ASSERT_TRUE(await_parked(i32a.element(0), 2));
  EXPECT_TRUE(pl::interrupt(h));
  while (agents.finished() < 1) std::this_thread::yield();
  EXPECT_EQ(atomics::notify(i32a, 0), 1u);  // only the other waiter
  agents.join();
  EXPECT_TRUE(interrupted.terminated);
  EXPECT_FALSE(interrupted.result.has_value());
  EXPECT_EQ(other.result, WaitResult::ok);
}

// Known bug, reported: a ThreadHandle of a thread that has exited can interrupt an unrelated
// thread that parks at the same stack address (a new thread reusing the old one's stack).
// Enable once parking_lot::interrupt matches the owner rather than the node's address.
TEST(Test262Terminate, AHandleOfAnExitedThreadInterruptsNobody) {
  Int32Array i32a = make_i32();
  // Both agents run the same code, so the second (which the C library may start on the first
  // one's cached stack) parks its queue node at the same address as the first did.
  auto waiter = [&i32a](pl::ThreadHandle* publish, Ms timeout, Outcome* out) {
    return [&i32a, publish, timeout, out] {
      if (publish != nullptr) *publish = pl::this_thread();
      try {
        out->result = atomics::wait(i32a, 0, 0, timeout);
      } catch (const bobbin::TerminatedError&) {
        out->terminated = true;
      }
    };
  };
  pl::ThreadHandle old_handle;
  Outcome first, second;
  {
    Agents agents;
    agents.start(waiter(&old_handle, Ms(1.0), &first));
    agents.join();
  }
  EXPECT_EQ(first.result, WaitResult::timed_out);
  Agents agents([&] { atomics::notify(i32a, 0); });
  agents.start(waiter(nullptr, Ms(1e4), &second));
  ASSERT_TRUE(await_parked(i32a.element(0), 1));
  EXPECT_FALSE(pl::interrupt(old_handle));  // the old thread is gone: nobody to interrupt
  EXPECT_EQ(atomics::notify(i32a, 0), 1u);
  agents.join();
  EXPECT_FALSE(second.terminated);
  EXPECT_EQ(second.result, WaitResult::ok);
}

// =============================================================================================
// §2.9 Arithmetic operations

// §2 #55 add/good-views.js, sub/, and/, or/, xor/, exchange/good-views.js (+ bigint)
TEST(Test262Arithmetic, GoodViewsReturnTheOldValue) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    SharedArrayBuffer sab(256);
    View view(sab, 32, 20);
    view[8] = 0;
    EXPECT_EQ(atomics::add(view, 8, 10), T{0});
    EXPECT_EQ(static_cast<T>(view[8]), T{10});
    EXPECT_EQ(atomics::add(view, 8, -5), T{10});
    EXPECT_EQ(static_cast<T>(view[8]), T{5});
    EXPECT_EQ(atomics::sub(view, 8, 5), T{5});
    EXPECT_EQ(static_cast<T>(view[8]), T{0});
    view[8] = 0x5A;
    EXPECT_EQ(atomics::bit_and(view, 8, 0x0F), T{0x5A});
    EXPECT_EQ(atomics::bit_or(view, 8, 0x30), T{0x0A});
    EXPECT_EQ(atomics::bit_xor(view, 8, 0x3A), T{0x3A});
    EXPECT_EQ(atomics::exchange(view, 8, 7), T{0});
    EXPECT_EQ(static_cast<T>(view[8]), T{7});
  });
}

// §2 #56 */expected-return-value.js: op(i32a, 0, 0x01008081) on 0 returns 0.
TEST(Test262Arithmetic, ExpectedReturnValues) {
  const std::int32_t v = 0x01008081;
  Int32Array i32a = make_i32();
  EXPECT_EQ(atomics::add(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), v);
  atomics::store(i32a, 0, 0);
  EXPECT_EQ(atomics::sub(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), -v);
  atomics::store(i32a, 0, 0);
  EXPECT_EQ(atomics::bit_and(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), 0);
  EXPECT_EQ(atomics::bit_or(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), v);
  atomics::store(i32a, 0, 0);
  EXPECT_EQ(atomics::bit_xor(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), v);
  atomics::store(i32a, 0, 0);
  EXPECT_EQ(atomics::exchange(i32a, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), v);
  atomics::store(i32a, 0, 0);
  EXPECT_EQ(atomics::compare_exchange(i32a, 0, 0, v), 0);
  EXPECT_EQ(atomics::load(i32a, 0), v);
  EXPECT_EQ(atomics::store(i32a, 0, v), v);
  EXPECT_EQ(atomics::load(i32a, 0), v);
}

// §2 #57 compareExchange/good-views.js (+ bigint)
TEST(Test262Arithmetic, CompareExchangeGoodViews) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    SharedArrayBuffer sab(256);
    View view(sab, 32, 20);
    view[8] = 0;
    EXPECT_EQ(atomics::compare_exchange(view, 8, 0, 10), T{0});
    EXPECT_EQ(static_cast<T>(view[8]), T{10});
    view[8] = 0;
    EXPECT_EQ(atomics::compare_exchange(view, 8, 1, 10), T{0});
    EXPECT_EQ(static_cast<T>(view[8]), T{0});
    view[8] = static_cast<T>(-1);
    EXPECT_EQ(atomics::compare_exchange(view, 8, -1, -5), static_cast<T>(-1));
    EXPECT_EQ(static_cast<T>(view[8]), static_cast<T>(-5));
  });
}

// §2 #58 store/good-views.js: the return value is the input; the element equals a plain store
// into a control array (with wrap-around).
TEST(Test262Arithmetic, StoreReturnsItsInputAndStoresLikeAPlainWrite) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    SharedArrayBuffer sab(256);
    View view(sab, 32, 20);
    View control(1);
    for (std::int64_t v : {std::int64_t{10}, std::int64_t{-5}, std::int64_t{12345},
                           std::int64_t{123456789}, std::int64_t{33}, std::int64_t{0}}) {
      EXPECT_EQ(atomics::store(view, 3, v), v);
      control[0] = static_cast<T>(v);
      EXPECT_EQ(static_cast<T>(view[3]), static_cast<T>(control[0])) << v;
    }
  });
}

// §2 #60 store/good-views.js: store then load at each good index.
TEST(Test262Arithmetic, StoreThenLoadAtEveryGoodIndex) {
  for_each_integer_view([]<class View>() {
    using T = typename View::value_type;
    SharedArrayBuffer sab(256);
    View view(sab, 32, 20);
    for (std::size_t idx : {std::size_t{0}, view.length() - 1}) {
      view.fill(0);
      EXPECT_EQ(atomics::store(view, idx, 37), 37);
      EXPECT_EQ(atomics::load(view, idx), T{37});
    }
  });
}

// =============================================================================================
// §2.10 isLockFree and pause

// §2 #61 isLockFree/expected-return-value.js
TEST(Test262IsLockFree, ExpectedReturnValues) {
  EXPECT_TRUE(atomics::is_lock_free(4));
  for (std::int64_t n : {1, 2, 8}) {
    const bool answer = atomics::is_lock_free(n);
    EXPECT_EQ(atomics::is_lock_free(n), answer);
    bool from_agent = !answer;
    Agents agents;
    agents.start([&] { from_agent = atomics::is_lock_free(n); });
    agents.join();
    EXPECT_EQ(from_agent, answer) << n;  // the same in every agent
  }
}

// §2 #62 isLockFree/corner-cases.js (NaN, -1, 3.14 and the others truncate to these)
TEST(Test262IsLockFree, CornerCases) {
  EXPECT_FALSE(atomics::is_lock_free(0));  // NaN → 0
  EXPECT_FALSE(atomics::is_lock_free(-1));
  EXPECT_FALSE(atomics::is_lock_free(3));  // 3.14 → 3
  EXPECT_FALSE(atomics::is_lock_free(16));
  EXPECT_EQ(atomics::is_lock_free(true), atomics::is_lock_free(1));  // true → 1
}

// §2 #63 pause/returns-undefined.js, pause/length.js (no argument)
TEST(Test262Pause, ReturnsNothing) {
  static_assert(std::is_void_v<decltype(atomics::pause())>);
  atomics::pause();
  for (std::uint32_t n : {0u, 42u, 0xFFFFFFFFu}) atomics::pause(n);  // the extension never throws
  SUCCEED();
}

// =============================================================================================
// §2.11 SharedArrayBuffer, growable (test/built-ins/SharedArrayBuffer/)

// §2 #64 prototype/growable/return-growable.js, prototype/maxByteLength/*
TEST(Test262SharedArrayBuffer, GrowableAndMaxByteLength) {
  SharedArrayBuffer fixed(1);
  EXPECT_FALSE(fixed.growable());
  EXPECT_EQ(fixed.max_byte_length(), 1u);
  SharedArrayBuffer growable(1, SharedArrayBufferOptions{.max_byte_length = 1});
  EXPECT_TRUE(growable.growable());
  EXPECT_EQ(growable.max_byte_length(), 1u);
  SharedArrayBuffer larger(1, SharedArrayBufferOptions{.max_byte_length = 64});
  EXPECT_EQ(larger.max_byte_length(), 64u);
  EXPECT_EQ(larger.byte_length(), 1u);
}

// §2 #65 options-maxbytelength-diminuitive.js, options-maxbytelength-excessive.js
TEST(Test262SharedArrayBuffer, BadMaximumsAreRangeErrors) {
  EXPECT_THROW((void)SharedArrayBuffer(1, SharedArrayBufferOptions{.max_byte_length = 0}),
               RangeError);
  EXPECT_THROW((void)SharedArrayBuffer(0, SharedArrayBufferOptions{.max_byte_length = kTwoTo53}),
               RangeError);
  EXPECT_THROW((void)SharedArrayBuffer(kTwoTo53), RangeError);
}

// §2 #66 prototype/grow/new-length-excessive.js
TEST(Test262SharedArrayBuffer, GrowPastTheMaximumIsARangeError) {
  SharedArrayBuffer sab(4, SharedArrayBufferOptions{.max_byte_length = 4});
  EXPECT_THROW(sab.grow(5), RangeError);
  EXPECT_THROW(sab.grow(kTwoTo53), RangeError);
  EXPECT_EQ(sab.byte_length(), 4u);
}

// §2 #67 prototype/grow/grow-larger-size.js, grow-same-size.js, grow-smaller-size.js
TEST(Test262SharedArrayBuffer, GrowLargerSameAndSmaller) {
  SharedArrayBuffer larger(4, SharedArrayBufferOptions{.max_byte_length = 5});
  EXPECT_NO_THROW(larger.grow(5));
  EXPECT_EQ(larger.byte_length(), 5u);
  SharedArrayBuffer same(4, SharedArrayBufferOptions{.max_byte_length = 4});
  EXPECT_NO_THROW(same.grow(4));
  EXPECT_EQ(same.byte_length(), 4u);
  SharedArrayBuffer smaller(4, SharedArrayBufferOptions{.max_byte_length = 4});
  EXPECT_THROW(smaller.grow(3), RangeError);  // the spec algorithm's answer
  EXPECT_EQ(smaller.byte_length(), 4u);
}

// §2 #68 prototype/grow/this-is-not-resizable-arraybuffer-object.js
TEST(Test262SharedArrayBuffer, GrowOfAFixedBufferIsATypeError) {
  SharedArrayBuffer sab(4);
  EXPECT_THROW(sab.grow(4), TypeError);
  EXPECT_THROW(sab.grow(8), TypeError);
}

// §1.10: racing grows are totally ordered and never lost: grow(10) racing grow(20) never
// shrinks the buffer, and throws RangeError if 20 won.
TEST(Test262SharedArrayBuffer, RacingGrowsAreNeverLost) {
  for (int round = 0; round < 100; ++round) {
    SharedArrayBuffer sab(0, SharedArrayBufferOptions{.max_byte_length = 32});
    std::atomic<int> go{0};
    bool ten_threw = false, twenty_threw = false;
    Agents agents;
    agents.start([&] {
      go.fetch_add(1);
      while (go.load() < 2) std::this_thread::yield();
      try {
        sab.grow(10);
      } catch (const RangeError&) {
        ten_threw = true;
      }
    });
    agents.start([&] {
      go.fetch_add(1);
      while (go.load() < 2) std::this_thread::yield();
      try {
        sab.grow(20);
      } catch (const RangeError&) {
        twenty_threw = true;
      }
    });
    agents.join();
    EXPECT_EQ(sab.byte_length(), 20u);
    EXPECT_FALSE(twenty_threw);
    (void)ten_threw;  // either order is fine
  }
}

// =============================================================================================
// §2.12 ArrayBuffer transfer / resize / detached (test/built-ins/ArrayBuffer/prototype/)

ArrayBuffer bytes_1234(std::optional<std::size_t> max = std::nullopt) {
  ArrayBuffer ab =
      max ? ArrayBuffer(4, ArrayBufferOptions{.max_byte_length = max}) : ArrayBuffer(4);
  for (std::size_t i = 0; i < 4; ++i) ab.bytes()[i] = static_cast<std::byte>(i + 1);
  return ab;
}

std::vector<int> contents(const ArrayBuffer& ab) {
  std::vector<int> out;
  for (std::byte b : ab.bytes()) out.push_back(std::to_integer<int>(b));
  return out;
}

// §2 #69 detached/detached-buffer.js
TEST(Test262ArrayBuffer, DetachedIsFalseThenTrue) {
  ArrayBuffer ab(1);
  bobbin::Uint8Array view(ab);
  EXPECT_FALSE(ab.detached());
  ArrayBuffer taker = std::move(ab);
  EXPECT_TRUE(ab.detached());  // NOLINT(bugprone-use-after-move): the point
  EXPECT_EQ(ab.byte_length(), 0u);
  EXPECT_TRUE(view.out_of_bounds());
  EXPECT_FALSE(taker.detached());
}

// §2 #70 transfer/from-fixed-to-smaller.js, -larger.js, -same.js, -zero.js
TEST(Test262ArrayBuffer, TransferFromFixed) {
  {
    ArrayBuffer source = bytes_1234();
    ArrayBuffer dest = source.transfer(3);
    EXPECT_EQ(source.byte_length(), 0u);
    EXPECT_TRUE(source.detached());
    EXPECT_THROW((void)source.slice(), TypeError);
    EXPECT_FALSE(dest.resizable());
    EXPECT_EQ(dest.byte_length(), 3u);
    EXPECT_EQ(dest.max_byte_length(), 3u);
    EXPECT_EQ(contents(dest), (std::vector<int>{1, 2, 3}));
  }
  {
    ArrayBuffer source = bytes_1234();
    ArrayBuffer dest = source.transfer(5);
    EXPECT_TRUE(source.detached());
    EXPECT_FALSE(dest.resizable());
    EXPECT_EQ(dest.max_byte_length(), 5u);
    EXPECT_EQ(contents(dest), (std::vector<int>{1, 2, 3, 4, 0}));
  }
  {
    ArrayBuffer source = bytes_1234();
    ArrayBuffer dest = source.transfer();
    EXPECT_TRUE(source.detached());
    EXPECT_EQ(contents(dest), (std::vector<int>{1, 2, 3, 4}));
  }
  {
    ArrayBuffer source = bytes_1234();
    ArrayBuffer dest = source.transfer(0);
    EXPECT_TRUE(source.detached());
    EXPECT_FALSE(dest.detached());
    EXPECT_EQ(dest.byte_length(), 0u);
  }
}

// §2 #71 transfer/from-resizable-to-larger.js
TEST(Test262ArrayBuffer, TransferFromResizableStaysResizable) {
  ArrayBuffer source = bytes_1234(8);
  ArrayBuffer dest = source.transfer(5);
  EXPECT_TRUE(source.detached());
  EXPECT_TRUE(dest.resizable());
  EXPECT_EQ(dest.byte_length(), 5u);
  EXPECT_EQ(dest.max_byte_length(), 8u);
  EXPECT_EQ(contents(dest), (std::vector<int>{1, 2, 3, 4, 0}));
  ArrayBuffer too_big = bytes_1234(8);
  EXPECT_THROW((void)too_big.transfer(9), RangeError);  // above the kept maximum
  EXPECT_FALSE(too_big.detached());
}

// §2 #72 transferToFixedLength/from-resizable-to-larger.js
TEST(Test262ArrayBuffer, TransferToFixedLengthFromResizable) {
  ArrayBuffer source = bytes_1234(8);
  ArrayBuffer dest = source.transfer_to_fixed_length(5);
  EXPECT_TRUE(source.detached());
  EXPECT_FALSE(dest.resizable());
  EXPECT_EQ(dest.byte_length(), 5u);
  EXPECT_EQ(dest.max_byte_length(), 5u);
  EXPECT_EQ(contents(dest), (std::vector<int>{1, 2, 3, 4, 0}));
}

// §2 #73 transfer/new-length-excessive.js, transfer/this-is-detached.js
TEST(Test262ArrayBuffer, TransferErrors) {
  ArrayBuffer ab = bytes_1234();
  EXPECT_THROW((void)ab.transfer(kTwoTo53), RangeError);
  EXPECT_FALSE(ab.detached());  // nothing happened
  ArrayBuffer dest = ab.transfer();
  EXPECT_THROW((void)ab.transfer(), TypeError);
  EXPECT_THROW((void)ab.transfer_to_fixed_length(1), TypeError);
}

// §2 #74 resize/new-length-excessive.js, resize/resize-shrink.js; and a fixed buffer
// (resize/this-is-not-resizable-arraybuffer-object.js)
TEST(Test262ArrayBuffer, ResizeBoundsAndShrink) {
  ArrayBuffer ab(4, ArrayBufferOptions{.max_byte_length = 4});
  EXPECT_THROW(ab.resize(5), RangeError);
  EXPECT_EQ(ab.byte_length(), 4u);
  ab.resize(3);
  EXPECT_EQ(ab.byte_length(), 3u);
  EXPECT_FALSE(ab.detached());
  ab.resize(0);
  EXPECT_FALSE(ab.detached());  // shrinking to 0 leaves it attached
  ArrayBuffer fixed(4);
  EXPECT_THROW(fixed.resize(4), TypeError);
}

// §2 #75 resize/coerced-new-length-detach.js, translated: resizing a detached resizable buffer
// is a TypeError (C++ has no coercion hook that could detach it mid-call).
TEST(Test262ArrayBuffer, ResizeOfADetachedBufferIsATypeError) {
  ArrayBuffer ab(4, ArrayBufferOptions{.max_byte_length = 8});
  bobbin::Uint8Array view(ab);
  ArrayBuffer taker = std::move(ab);
  EXPECT_TRUE(ab.resizable());  // NOLINT(bugprone-use-after-move): stays true after detach
  EXPECT_THROW(ab.resize(2), TypeError);
  ArrayBuffer lone(4, ArrayBufferOptions{.max_byte_length = 8});  // no view: the block moves
  ArrayBuffer lone_taker = std::move(lone);
  EXPECT_TRUE(lone.resizable());  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(lone.resize(2), TypeError);
}

// =============================================================================================
// §2.13 Structured clone and transfer (WPT)

// §2 #76 WPT transferables "ArrayBuffer": moving a buffer is transferring it.
TEST(Test262Clone, TransferringABufferDetachesTheSource) {
  bobbin::Uint8Array u8(1);
  u8[0] = 1;
  ArrayBuffer buffer = u8.buffer().array_buffer();
  ArrayBuffer copy = std::move(buffer);
  EXPECT_EQ(buffer.byte_length(), 0u);  // NOLINT(bugprone-use-after-move): the point
  EXPECT_EQ(copy.byte_length(), 1u);
  EXPECT_EQ(contents(copy), std::vector<int>{1});
  EXPECT_TRUE(u8.out_of_bounds());
}

// §2 #77 WPT "A detached ArrayBuffer cannot be transferred": cloning a detached buffer is a
// DataCloneError; transfer() of one is a TypeError.
TEST(Test262Clone, ADetachedBufferCannotBeClonedOrTransferred) {
  ArrayBuffer buffer(1);
  ArrayBuffer taker = std::move(buffer);
  EXPECT_THROW((void)ArrayBuffer{buffer}, DataCloneError);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)buffer.transfer(), TypeError);
  ArrayBuffer shared_identity(4);
  bobbin::Int32Array view(shared_identity);
  ArrayBuffer gone = std::move(shared_identity);
  EXPECT_THROW((void)bobbin::Int32Array{view}, DataCloneError);  // copying a view clones its buffer
}

}  // namespace
