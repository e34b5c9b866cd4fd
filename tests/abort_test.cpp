// Tests of bobbin::AbortController and bobbin::AbortSignal.
#include <bobbin/abort.hpp>
#include <bobbin/event_loop.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bobbin::AbortController;
using bobbin::AbortSignal;

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

TEST(Abort, DefaultReasonIsAbortError) {
  AbortController controller;
  AbortSignal signal = controller.signal();
  EXPECT_FALSE(signal.aborted());
  EXPECT_EQ(signal.reason(), nullptr);
  EXPECT_NO_THROW(signal.throw_if_aborted());
  controller.abort();
  EXPECT_TRUE(signal.aborted());
  EXPECT_THROW(signal.throw_if_aborted(), bobbin::AbortError);
  EXPECT_EQ(what_of(signal.reason()), "This operation was aborted");
}

TEST(Abort, FirstAbortWins) {
  AbortController controller;
  controller.abort(std::make_exception_ptr(std::runtime_error("first")));
  controller.abort(std::make_exception_ptr(std::runtime_error("second")));
  controller.abort();
  EXPECT_EQ(what_of(controller.signal().reason()), "first");
}

TEST(Abort, ListenersRunOnceInOrderSynchronously) {
  AbortController controller;
  std::vector<std::string> log;
  controller.signal().on_abort([&] { log.push_back("a"); });
  controller.signal().on_abort(
      [&](std::exception_ptr why) { log.push_back("b:" + what_of(why)); });
  EXPECT_TRUE(log.empty());
  controller.abort(std::make_exception_ptr(std::runtime_error("why")));
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b:why"}));
  controller.abort();
  EXPECT_EQ(log.size(), 2u);
}

TEST(Abort, ListenerOnAbortedSignalRunsAtOnce) {
  AbortSignal signal = AbortSignal::abort();
  EXPECT_TRUE(signal.aborted());
  bool ran = false;
  EXPECT_EQ(signal.on_abort([&] { ran = true; }), 0u);
  EXPECT_TRUE(ran);
  EXPECT_THROW(signal.throw_if_aborted(), bobbin::AbortError);
}

TEST(Abort, OffAbortRemovesAListener) {
  AbortController controller;
  int calls = 0;
  auto id = controller.signal().on_abort([&] { ++calls; });
  EXPECT_TRUE(controller.signal().off_abort(id));
  EXPECT_FALSE(controller.signal().off_abort(id));
  controller.abort();
  EXPECT_EQ(calls, 0);
}

TEST(Abort, ThrowingListenerDoesNotStopTheOthers) {
  AbortController controller;
  int calls = 0;
  controller.signal().on_abort([] { throw std::runtime_error("listener"); });
  controller.signal().on_abort([&] { ++calls; });
  EXPECT_THROW(controller.abort(), std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(controller.signal().aborted());
}

TEST(Abort, DefaultSignalNeverAborts) {
  AbortSignal signal;
  EXPECT_FALSE(signal.aborted());
  EXPECT_EQ(signal.on_abort([] {}), 0u);
  EXPECT_NO_THROW(signal.throw_if_aborted());
}

TEST(Abort, TimeoutAbortsWithTimeoutErrorWithoutKeepingTheLoop) {
  const auto start = std::chrono::steady_clock::now();
  AbortSignal signal = AbortSignal::timeout(5ms);
  std::chrono::steady_clock::time_point aborted_at{};
  signal.on_abort([&] { aborted_at = std::chrono::steady_clock::now(); });
  bobbin::run();  // the timer is unref'd: returns at once
  EXPECT_FALSE(signal.aborted());
  bobbin::set_timeout([] {}, 20ms);  // something that keeps the loop alive
  bobbin::run();
  ASSERT_TRUE(signal.aborted());
  EXPECT_THROW(signal.throw_if_aborted(), bobbin::TimeoutError);
  EXPECT_EQ(what_of(signal.reason()), "The operation was aborted due to timeout");
  EXPECT_GE(aborted_at - start, 5ms);
}

TEST(Abort, AnyFollowsTheFirstSource) {
  AbortController a;
  AbortController b;
  AbortSignal both = AbortSignal::any({a.signal(), b.signal()});
  EXPECT_FALSE(both.aborted());
  b.abort(std::make_exception_ptr(std::runtime_error("b")));
  EXPECT_TRUE(both.aborted());
  EXPECT_EQ(what_of(both.reason()), "b");
  a.abort();
  EXPECT_EQ(what_of(both.reason()), "b");
}

TEST(Abort, AnyOfAnAbortedSourceIsAborted) {
  AbortController a;
  AbortSignal done = AbortSignal::abort(std::make_exception_ptr(std::runtime_error("done")));
  AbortSignal any = AbortSignal::any(std::vector<AbortSignal>{a.signal(), done});
  EXPECT_TRUE(any.aborted());
  EXPECT_EQ(what_of(any.reason()), "done");
  EXPECT_FALSE(AbortSignal::any({}).aborted());
}

TEST(Abort, AnyDroppedBeforeItsSourceAborts) {
  AbortController a;
  { AbortSignal any = AbortSignal::any({a.signal()}); }
  EXPECT_NO_THROW(a.abort());
}

TEST(Abort, CrossThreadAbortRunsEachListenerExactlyOnce) {
  for (int round = 0; round < 200; ++round) {
    AbortController controller;
    std::atomic<int> calls{0};
    constexpr int kListeners = 50;
    std::thread adder([&] {
      for (int i = 0; i < kListeners; ++i) controller.signal().on_abort([&] { ++calls; });
    });
    std::thread aborter([&] { controller.abort(); });
    adder.join();
    aborter.join();
    EXPECT_EQ(calls.load(), kListeners);
    EXPECT_TRUE(controller.signal().aborted());
  }
}

}  // namespace
