// Tests of bobbin/promise.hpp: Promise<T>, Resolver<T>, Async<T>, the combinators and sleep().
//
// Every test runs the calling thread's loop with bobbin::run() (or get()), so continuations
// that were queued but not run would show up as missing entries in the logs below. Threads
// that must be blocked are detected with parking_lot::parked, never with sleeps.
#include <bobbin/promise.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using bobbin::Async;
using bobbin::Promise;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::exception_ptr error(const char* what) {
  return std::make_exception_ptr(std::runtime_error(what));
}

std::string what_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

// Counts unhandled-rejection reports while alive.
struct UnhandledCounter {
  std::shared_ptr<std::atomic<int>> count = std::make_shared<std::atomic<int>>(0);
  bobbin::UnhandledRejectionHandler previous;
  UnhandledCounter() {
    previous = bobbin::set_unhandled_rejection_handler(
        [c = count](std::exception_ptr) { c->fetch_add(1); });
  }
  ~UnhandledCounter() { bobbin::set_unhandled_rejection_handler(previous); }
  int value() const { return count->load(); }
};

TEST(Promise, SettlesOnceFirstWins) {
  auto [p, r] = Promise<int>::with_resolvers();
  EXPECT_TRUE(p.pending());
  EXPECT_TRUE(r.resolve(1));
  EXPECT_FALSE(r.resolve(2));
  EXPECT_FALSE(r.reject(error("late")));
  EXPECT_TRUE(p.fulfilled());
  EXPECT_EQ(p.get(), 1);

  auto [q, s] = Promise<void>::with_resolvers();
  EXPECT_TRUE(s.reject(error("first")));
  EXPECT_FALSE(s.resolve());
  EXPECT_TRUE(q.rejected());
  EXPECT_THROW(q.get(), std::runtime_error);
}

TEST(Promise, ContinuationsRunAsMicrotasksNotSynchronously) {
  std::vector<std::string> log;
  auto [p, r] = Promise<int>::with_resolvers();
  p.then([&](int v) { log.push_back("then " + std::to_string(v)); });
  r.resolve(7);
  log.push_back("after resolve");
  bobbin::run();
  EXPECT_EQ(log, (std::vector<std::string>{"after resolve", "then 7"}));
}

TEST(Promise, ChainTransformsValuesAndPropagatesRejections) {
  std::vector<std::string> log;
  auto [p, r] = Promise<int>::with_resolvers();
  auto last = p.then([](int v) { return v * 2; })
                  .then([](int v) { return std::to_string(v); })
                  .then([&](const std::string& s) -> int {
                    log.push_back("got " + s);
                    throw std::runtime_error("boom");
                  })
                  .then([&](int) { log.push_back("skipped"); })
                  .catch_error([&](std::exception_ptr e) { log.push_back("caught " + what_of(e)); })
                  .finally([&] { log.push_back("finally"); });
  r.resolve(21);
  bobbin::run();
  EXPECT_EQ(log, (std::vector<std::string>{"got 42", "caught boom", "finally"}));
  EXPECT_TRUE(last.fulfilled());
}

TEST(Promise, ThenReturningAPromiseIsFollowed) {
  auto [p, r] = Promise<int>::with_resolvers();
  auto [inner, inner_r] = Promise<std::string>::with_resolvers();
  Promise<std::string> chained = p.then([inner = inner](int) { return inner; });
  r.resolve(1);
  bool was_pending = false;
  bobbin::set_timeout(
      [&, inner_r = inner_r] {  // after the microtasks: `chained` must still wait for `inner`
        was_pending = chained.pending();
        inner_r.resolve("inner");
      },
      0ms);
  EXPECT_EQ(chained.get(), "inner");
  EXPECT_TRUE(was_pending);
}

TEST(Promise, CatchErrorRecoversAndFulfilmentPassesThrough) {
  auto recovered = Promise<int>::rejected(error("x")).catch_error([](std::exception_ptr e) {
    return what_of(e) == "x" ? 5 : -1;
  });
  auto passed = Promise<int>::resolved(3).catch_error([](std::exception_ptr) { return -1; });
  EXPECT_EQ(recovered.get(), 5);
  EXPECT_EQ(passed.get(), 3);
}

TEST(Promise, FinallyPassesTheResultThroughUnlessItThrows) {
  int calls = 0;
  auto a = Promise<int>::resolved(4).finally([&] { ++calls; });
  auto b = Promise<int>::rejected(error("keep")).finally([&] { ++calls; });
  auto c = Promise<int>::resolved(4).finally([]() { throw std::runtime_error("replaced"); });
  auto d = Promise<int>::resolved(4).finally([] { return Promise<void>::rejected(error("async")); });
  EXPECT_EQ(a.get(), 4);
  try {
    b.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "keep");
  }
  try {
    c.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "replaced");
  }
  try {
    d.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "async");
  }
  EXPECT_EQ(calls, 2);
}

// Node: sync code, then nextTick, then promise reactions (in attachment order), then timers.
TEST(Promise, OrderingWithTicksMicrotasksAndTimers) {
  std::vector<std::string> log;
  bobbin::set_timeout([&] { log.push_back("timeout"); }, 0ms);
  auto p = Promise<int>::resolved(1);
  p.then([&](int) { log.push_back("then a"); }).then([&] { log.push_back("then a2"); });
  p.then([&](int) { log.push_back("then b"); });
  bobbin::queue_microtask([&] { log.push_back("microtask"); });
  bobbin::next_tick([&] { log.push_back("tick"); });
  log.push_back("sync");
  bobbin::run();
  EXPECT_EQ(log, (std::vector<std::string>{"sync", "tick", "then a", "then b", "microtask",
                                           "then a2", "timeout"}));
}

TEST(Promise, CrossThreadSettleRunsContinuationsOnTheAttachingThread) {
  const auto self = std::this_thread::get_id();
  std::vector<int> order;
  std::vector<std::thread::id> ran_on;
  auto [p, r] = Promise<int>::with_resolvers();
  for (int i = 0; i < 3; ++i) {
    p.then([&, i](int v) {
      order.push_back(i * 100 + v);
      ran_on.push_back(std::this_thread::get_id());
    });
  }
  std::thread settler([r = r] { r.resolve(7); });
  bobbin::run();  // kept alive by the pending continuations until they ran
  settler.join();
  EXPECT_EQ(order, (std::vector<int>{7, 107, 207}));
  for (auto id : ran_on) EXPECT_EQ(id, self);
}

TEST(Promise, AttachingOnAnotherThreadRunsThere) {
  auto [p, r] = Promise<int>::with_resolvers();
  std::thread::id ran_on;
  std::thread other([&, p = p] {
    p.then([&](int) { ran_on = std::this_thread::get_id(); });
    const auto id = std::this_thread::get_id();
    bobbin::run();
    EXPECT_EQ(ran_on, id);
  });
  r.resolve(1);  // from the main thread
  other.join();
}

TEST(Promise, GetWithoutALoopParksUntilAnotherThreadSettles) {
  auto [p, r] = Promise<int>::with_resolvers();
  std::thread waiter([p = p] { EXPECT_EQ(p.get(), 9); });
  // The waiter has no loop work: it parks on the state.
  while (bobbin::parking_lot::parked(bobbin::detail::state_of(p).get()) == 0) {
    std::this_thread::yield();
  }
  r.resolve(9);
  waiter.join();
}

TEST(Promise, GetRunsTheLoopWhenTheLoopSettlesThePromise) {
  auto [p, r] = Promise<std::string>::with_resolvers();
  bobbin::set_timeout([r = r] { r.resolve("from a timer"); }, 1ms);
  EXPECT_EQ(p.get(), "from a timer");
  EXPECT_EQ(bobbin::sleep(1ms).then([] { return 3; }).get(), 3);
}

TEST(Promise, GetWithALiveLoopAndACrossThreadSettle) {
  auto [p, r] = Promise<int>::with_resolvers();
  auto keep = bobbin::set_timeout([] {}, 1h);  // the loop has work, so get() runs it
  std::thread settler([r = r] { r.resolve(5); });
  EXPECT_EQ(p.get(), 5);
  settler.join();
  keep.clear();
  bobbin::run();
}

TEST(Promise, GetRethrowsTheRejection) {
  auto [p, r] = Promise<int>::with_resolvers();
  std::thread settler([r = r] { r.reject(std::make_exception_ptr(bobbin::RangeError("bad"))); });
  EXPECT_THROW(p.get(), bobbin::RangeError);
  settler.join();
}

TEST(Promise, MovedFromAndEmptyPromisesThrowTypeError) {
  auto p = Promise<int>::resolved(1);
  auto q = std::move(p);
  EXPECT_FALSE(p.valid());  // NOLINT(bugprone-use-after-move): that is the test
  EXPECT_THROW(p.get(), bobbin::TypeError);
  EXPECT_THROW(p.then([](int) {}), bobbin::TypeError);
  EXPECT_THROW((void)p.pending(), bobbin::TypeError);
  EXPECT_THROW(bobbin::all(std::vector<Promise<int>>{Promise<int>()}), bobbin::TypeError);
  bobbin::Resolver<int> none;
  EXPECT_THROW(none.resolve(1), bobbin::TypeError);
  EXPECT_EQ(q.get(), 1);
}

TEST(Promise, UnhandledRejectionIsReportedOnceWhenTheLastHandleGoes) {
  UnhandledCounter counter;
  { auto p = Promise<int>::rejected(error("nobody looks")); }
  EXPECT_EQ(counter.value(), 1);
  {
    auto p = Promise<int>::rejected(error("handled"));
    p.catch_error([](std::exception_ptr) { return 0; });
    bobbin::run();
  }
  EXPECT_EQ(counter.value(), 1);
  {
    // A rejection passed on to a derived promise nobody observes is reported for that one.
    auto p = Promise<int>::rejected(error("passed on"));
    p.then([](int v) { return v; });
    bobbin::run();
  }
  EXPECT_EQ(counter.value(), 2);
}

TEST(Promise, NeverSettledPromiseReleasesItsLoop) {
  {
    auto [p, r] = Promise<int>::with_resolvers();
    p.then([](int) {});
  }  // promise and resolver gone: the continuation can never run
  bobbin::run();  // returns: nothing ref'd is left
  SUCCEED();
}

TEST(Promise, SettlingAfterTheAttachingThreadExitedFreesTheContinuation) {
  auto [p, r] = Promise<int>::with_resolvers();
  bool ran = false;
  std::thread([&, p = p] { p.then([&](int) { ran = true; }); }).join();  // never runs its loop
  EXPECT_TRUE(r.resolve(1));  // the post to the closed loop fails; nothing leaks (ASan)
  bobbin::run();
  EXPECT_FALSE(ran);
}

// ---- Coroutines -------------------------------------------------------------------------

Async<int> add_later(Promise<int> a, Promise<int> b) {
  const int x = co_await a;
  const int y = co_await b;
  co_return x + y;
}

Async<int> throws_after_await(Promise<void> p) {
  co_await p;
  throw std::runtime_error("from the coroutine");
}

Async<int> nested(int depth) {
  if (depth == 0) co_return 1;
  co_await bobbin::sleep(0ms);
  co_return 1 + co_await nested(depth - 1);
}

Async<void> catches(Promise<int> p, std::string& out) {
  try {
    co_await p;
  } catch (const std::exception& e) {
    out = e.what();
  }
}

TEST(Async, AwaitsPromisesAndFulfils) {
  auto [a, ra] = Promise<int>::with_resolvers();
  auto [b, rb] = Promise<int>::with_resolvers();
  Promise<int> sum = add_later(a, b);
  std::thread settler([ra = ra, rb = rb] {
    rb.resolve(2);
    ra.resolve(40);
  });
  EXPECT_EQ(sum.get(), 42);
  settler.join();
}

TEST(Async, ResumesOnTheAwaitingThread) {
  auto [p, r] = Promise<int>::with_resolvers();
  const auto self = std::this_thread::get_id();
  std::thread::id resumed_on;
  auto body = [&](Promise<int> in) -> Async<void> {
    co_await in;
    resumed_on = std::this_thread::get_id();
  };
  auto done = body(p);
  std::thread settler([r = r] { r.resolve(1); });
  done.get();
  settler.join();
  EXPECT_EQ(resumed_on, self);
}

TEST(Async, ExceptionRejectsItsPromise) {
  auto [p, r] = Promise<void>::with_resolvers();
  Promise<int> result = throws_after_await(p);
  r.resolve();
  EXPECT_THROW(result.get(), std::runtime_error);
  std::string caught;
  auto c = catches(Promise<int>::rejected(error("awaited rejection")), caught);
  c.get();
  EXPECT_EQ(caught, "awaited rejection");
}

TEST(Async, NestedAwaits) { EXPECT_EQ(nested(20).get(), 21); }

TEST(Async, StartsEagerlyLikeAJsAsyncFunction) {
  std::vector<std::string> log;
  auto body = [&]() -> Async<void> {
    log.push_back("body starts");
    co_await Promise<void>::resolved();
    log.push_back("body resumes");
  };
  { auto ignored = body(); }  // dropped at once; it still finishes (and frees its frame)
  log.push_back("caller");
  bobbin::run();
  EXPECT_EQ(log, (std::vector<std::string>{"body starts", "caller", "body resumes"}));
}

TEST(Async, AwaitingAMovedFromPromiseThrowsTypeError) {
  auto body = []() -> Async<int> {
    Promise<int> p = Promise<int>::resolved(1);
    Promise<int> q = std::move(p);
    co_return co_await p;  // NOLINT(bugprone-use-after-move)
  };
  EXPECT_THROW(body().get(), bobbin::TypeError);
}

// ---- Combinators ------------------------------------------------------------------------

TEST(Combinators, AllOverAPackGivesATuple) {
  auto [a, ra] = Promise<int>::with_resolvers();
  auto [b, rb] = Promise<std::string>::with_resolvers();
  auto [c, rc] = Promise<void>::with_resolvers();
  auto all = bobbin::all(a, b, c);
  rb.resolve("b");
  rc.resolve();
  ra.resolve(1);
  auto [x, y, z] = all.get();
  EXPECT_EQ(x, 1);
  EXPECT_EQ(y, "b");
  (void)z;  // std::monostate
}

TEST(Combinators, AllOverAVectorKeepsInputOrderAndRejectsWithTheFirst) {
  std::vector<Promise<int>> ps;
  std::vector<bobbin::Resolver<int>> rs;
  for (int i = 0; i < 4; ++i) {
    auto [p, r] = Promise<int>::with_resolvers();
    ps.push_back(p);
    rs.push_back(r);
  }
  auto all = bobbin::all(ps);
  for (int i = 3; i >= 0; --i) rs[static_cast<std::size_t>(i)].resolve(i * 10);
  EXPECT_EQ(all.get(), (std::vector<int>{0, 10, 20, 30}));

  auto rejected = bobbin::all(std::vector<Promise<int>>{
      Promise<int>::resolved(1), Promise<int>::rejected(error("first")),
      Promise<int>::rejected(error("second"))});
  try {
    rejected.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_TRUE(bobbin::all(std::vector<Promise<int>>{}).get().empty());
  bobbin::all(std::vector<Promise<void>>{}).get();
}

TEST(Combinators, AllSettled) {
  auto settled = bobbin::all_settled(std::vector<Promise<int>>{
      Promise<int>::resolved(1), Promise<int>::rejected(error("no"))}).get();
  ASSERT_EQ(settled.size(), 2u);
  EXPECT_TRUE(settled[0].fulfilled);
  EXPECT_EQ(settled[0].value, 1);
  EXPECT_FALSE(settled[1].fulfilled);
  EXPECT_EQ(what_of(settled[1].reason), "no");
  EXPECT_TRUE(bobbin::all_settled(std::vector<Promise<int>>{}).get().empty());
  auto [s1, s2] =
      bobbin::all_settled(Promise<void>::resolved(), Promise<int>::rejected(error("x"))).get();
  EXPECT_TRUE(s1.fulfilled);
  EXPECT_FALSE(s2.fulfilled);
}

TEST(Combinators, RaceSettlesWithTheFirst) {
  auto [slow, rs] = Promise<int>::with_resolvers();
  auto fast = bobbin::sleep(1ms).then([] { return 2; });
  EXPECT_EQ(bobbin::race(slow, fast).get(), 2);
  auto rejected = bobbin::race(Promise<int>::rejected(error("r")), slow);
  EXPECT_THROW(rejected.get(), std::runtime_error);
  auto never = bobbin::race(std::vector<Promise<int>>{});
  EXPECT_TRUE(never.pending());
  rs.resolve(0);
  bobbin::run();
}

TEST(Combinators, AnyFulfilsWithTheFirstFulfilmentOrAggregates) {
  EXPECT_EQ(bobbin::any(Promise<int>::rejected(error("a")), Promise<int>::resolved(7)).get(), 7);
  try {
    bobbin::any(Promise<int>::rejected(error("a")), Promise<int>::rejected(error("b"))).get();
    FAIL();
  } catch (const bobbin::AggregateError& e) {
    ASSERT_EQ(e.errors().size(), 2u);
    EXPECT_EQ(what_of(e.errors()[0]), "a");
    EXPECT_EQ(what_of(e.errors()[1]), "b");
    EXPECT_STREQ(e.name(), "AggregateError");
  }
  try {
    bobbin::any(std::vector<Promise<int>>{}).get();
    FAIL();
  } catch (const bobbin::AggregateError& e) {
    EXPECT_TRUE(e.errors().empty());
  }
}

TEST(Sleep, NeverEarly) {
  for (auto d : {0ms, 1ms, 5ms}) {
    const auto start = Clock::now();
    bobbin::sleep(d).get();
    EXPECT_GE(Clock::now() - start, d);
  }
}

}  // namespace
