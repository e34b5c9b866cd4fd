// Unit tests of bobbin::MessageChannel / MessagePort: clone and transfer, listeners on the
// event loop (start, pause, close, ref), the blocking receive family, receive_message_on_port,
// DataCloneError checks, interrupts.
#include <bobbin/array_buffer.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/detail/port_queue.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using bobbin::EventLoop;
using bobbin::MessageChannel;
using bobbin::MessagePort;
namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;

TEST(MessageChannelTest, PostThenTryReceiveInOrder) {
  MessageChannel<int> ch;
  EXPECT_FALSE(ch.port2.try_receive().has_value());
  EXPECT_TRUE(ch.port1.post_message(1));
  EXPECT_TRUE(ch.port1.post_message(2));
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::optional<int>(1));
  EXPECT_EQ(ch.port2.try_receive(), std::optional<int>(2));
  EXPECT_FALSE(ch.port2.try_receive().has_value());
  EXPECT_FALSE(ch.port1.try_receive().has_value());  // nothing travels back
}

TEST(MessageChannelTest, TwoTypesOneForEachDirection) {
  MessageChannel<int, std::string> ch;
  static_assert(std::is_same_v<decltype(ch.port1), MessagePort<int, std::string>>);
  static_assert(std::is_same_v<decltype(ch.port2), MessagePort<std::string, int>>);
  EXPECT_TRUE(ch.port1.post_message(7));
  EXPECT_TRUE(ch.port2.post_message(std::string("seven")));
  EXPECT_EQ(ch.port2.try_receive(), std::optional<int>(7));
  EXPECT_EQ(ch.port1.try_receive(), std::optional<std::string>("seven"));
}

TEST(MessageChannelTest, OnMessageDeliversOnTheCurrentLoop) {
  MessageChannel<int> ch;
  std::vector<int> got;
  ch.port1.post_message(1);  // queued before the listener: kept
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    if (v == 3) ch.port2.close();
  });
  ch.port1.post_message(2);
  ch.port1.post_message(3);
  EXPECT_TRUE(got.empty());    // asynchronous
  EventLoop::current().run();  // the listener keeps the loop alive until close
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(MessageChannelTest, ReceiveBlocksAcrossThreads) {
  MessageChannel<int> ch;
  std::thread t([p = std::move(ch.port2)]() mutable {
    while (auto v = p.receive()) {
      if (!p.post_message(*v * 2)) break;
    }
  });
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(ch.port1.post_message(i));
    EXPECT_EQ(ch.port1.receive(), std::optional<int>(i * 2));
  }
  ch.port1.close();
  t.join();
}

TEST(MessageChannelTest, RemovingTheListenerPausesWithoutDropping) {
  MessageChannel<int> ch;
  std::vector<int> got;
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    ch.port2.off_message();  // pause after the first message
  });
  for (int i = 0; i < 4; ++i) ch.port1.post_message(i);
  EventLoop::current().run();  // unref'd by off_message: run returns
  EXPECT_EQ(got, std::vector<int>{0});
  EXPECT_FALSE(ch.port2.has_ref());
  EXPECT_EQ(bobbin::detail::port_pending(ch.port2), 3U);
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    if (v == 3) ch.port2.on_message(nullptr);
  });
  EventLoop::current().run();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
}

TEST(MessageChannelTest, CloseIsSeenByBothEndsAfterQueuedMessages) {
  MessageChannel<int> ch;
  std::vector<std::string> events;
  ch.port2.on_message([&](int v) { events.push_back("msg" + std::to_string(v)); });
  ch.port2.on_close([&] { events.push_back("close2"); });
  ch.port1.on_close([&] { events.push_back("close1"); });
  ch.port1.post_message(1);
  ch.port1.post_message(2);
  ch.port1.close();
  ch.port1.close();                        // idempotent
  EXPECT_FALSE(ch.port1.post_message(3));  // dropped, no throw
  EXPECT_FALSE(ch.port2.post_message(4));
  EXPECT_TRUE(events.empty());  // asynchronous
  EventLoop::current().run();
  // port2 sees its queued messages before its close event; port1 sees close too.
  std::vector<std::string> port2_events;
  for (const auto& e : events) {
    if (e != "close1") port2_events.push_back(e);
  }
  EXPECT_EQ(port2_events, (std::vector<std::string>{"msg1", "msg2", "close2"}));
  EXPECT_EQ(std::count(events.begin(), events.end(), "close1"), 1);
  EXPECT_TRUE(ch.port1.closed());
  EXPECT_TRUE(ch.port2.closed());
}

TEST(MessageChannelTest, RefRules) {
  MessageChannel<int> ch;
  EXPECT_FALSE(ch.port1.has_ref());
  ch.port1.ref();
  EXPECT_TRUE(ch.port1.has_ref());
  ch.port1.unref();
  EXPECT_FALSE(ch.port1.has_ref());
  ch.port1.on_message([](int) {});
  ch.port2.on_message([](int) {});
  EXPECT_TRUE(ch.port1.has_ref());
  bool in_close1 = false;
  bool in_close2 = false;
  ch.port1.on_close([&] {
    in_close1 = true;
    EXPECT_FALSE(ch.port1.has_ref());
  });
  ch.port2.on_close([&] {
    in_close2 = true;
    EXPECT_FALSE(ch.port2.has_ref());
  });
  ch.port2.close();
  EXPECT_TRUE(ch.port1.has_ref());  // until the close event
  EXPECT_TRUE(ch.port2.has_ref());
  EventLoop::current().run();
  EXPECT_TRUE(in_close1);
  EXPECT_TRUE(in_close2);
  EXPECT_FALSE(ch.port1.has_ref());
}

TEST(MessageChannelTest, UnrefdListenerDoesNotHoldTheLoop) {
  MessageChannel<int> ch;
  int got = 0;
  ch.port2.on_message([&](int) { ++got; });
  ch.port2.unref();
  EventLoop::current().run();  // returns although the port is open
  EXPECT_EQ(got, 0);
  ch.port1.post_message(1);
  ch.port2.ref();
  ch.port2.on_message([&](int) {
    ++got;
    ch.port2.close();
  });
  EventLoop::current().run();
  EXPECT_EQ(got, 1);
}

TEST(MessageChannelTest, CloneCopiesAndTransferDetaches) {
  MessageChannel<bobbin::ArrayBuffer> ch;
  bobbin::ArrayBuffer buf(10);
  buf.data()[0] = std::byte{42};
  ASSERT_TRUE(ch.port1.post_message(buf));  // clone
  EXPECT_EQ(buf.byte_length(), 10U);
  buf.data()[0] = std::byte{7};                        // does not affect the clone
  ASSERT_TRUE(ch.port1.post_message(std::move(buf)));  // transfer
  EXPECT_TRUE(buf.detached());                         // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(buf.byte_length(), 0U);                    // NOLINT(bugprone-use-after-move)
  auto a = ch.port2.try_receive();
  auto b = ch.port2.try_receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->data()[0], std::byte{42});
  EXPECT_EQ(b->data()[0], std::byte{7});
  EXPECT_EQ(b->byte_length(), 10U);
}

TEST(MessageChannelTest, DetachedBufferThrowsDataCloneErrorAndSendsNothing) {
  MessageChannel<bobbin::ArrayBuffer> ch;
  bobbin::ArrayBuffer buf(8);
  bobbin::ArrayBuffer taken = std::move(buf);
  EXPECT_THROW(ch.port1.post_message(buf), bobbin::DataCloneError);             // NOLINT
  EXPECT_THROW(ch.port1.post_message(std::move(buf)), bobbin::DataCloneError);  // NOLINT
  EXPECT_FALSE(ch.port2.try_receive().has_value());
  EXPECT_EQ(taken.byte_length(), 8U);
}

TEST(MessageChannelTest, TypedArrayCloneTransferAndDetached) {
  MessageChannel<bobbin::Uint32Array> ch;
  bobbin::Uint32Array view(4);
  view[1] = 5;
  ASSERT_TRUE(ch.port1.post_message(std::move(view)));
  EXPECT_TRUE(view.buffer().detached());  // NOLINT(bugprone-use-after-move)
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(static_cast<std::uint32_t>((*got)[1]), 5U);
  EXPECT_THROW(ch.port1.post_message(view), bobbin::DataCloneError);             // NOLINT
  EXPECT_THROW(ch.port1.post_message(std::move(view)), bobbin::DataCloneError);  // NOLINT
  EXPECT_FALSE(ch.port2.try_receive().has_value());
}

TEST(MessageChannelTest, SharedArrayBufferIsShared) {
  MessageChannel<bobbin::SharedArrayBuffer> ch;
  bobbin::SharedArrayBuffer sab(16);
  ASSERT_TRUE(ch.port1.post_message(sab));
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  bobbin::Int32Array mine(sab);
  bobbin::Int32Array theirs(*got);
  mine[2] = 99;
  EXPECT_EQ(static_cast<std::int32_t>(theirs[2]), 99);
}

TEST(MessageChannelTest, PortsTravelInMessagesAndStayEntangled) {
  MessageChannel<MessagePort<int>> carrier;
  MessageChannel<int> inner;
  inner.port1.post_message(1);  // queued for port2: moves with it
  ASSERT_TRUE(carrier.port1.post_message(std::move(inner.port2)));
  EXPECT_FALSE(inner.port2.valid());  // NOLINT(bugprone-use-after-move)
  std::thread t([&] {
    auto p = carrier.port2.receive();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->receive(), std::optional<int>(1));
    EXPECT_EQ(p->receive(), std::optional<int>(2));
    p->post_message(3);
  });
  inner.port1.post_message(2);
  EXPECT_EQ(inner.port1.receive(), std::optional<int>(3));
  t.join();
  // The received port was destroyed with the thread's optional: the channel is closed.
  EXPECT_EQ(inner.port1.receive(), std::nullopt);
}

TEST(MessageChannelTest, ClosedOrMovedFromPortCannotBeTransferred) {
  MessageChannel<MessagePort<int>> carrier;
  MessageChannel<int> a;
  a.port1.close();
  EXPECT_THROW(carrier.port1.post_message(std::move(a.port2)), bobbin::DataCloneError);
  EXPECT_TRUE(a.port2.valid());  // nothing was consumed  NOLINT(bugprone-use-after-move)
  MessageChannel<int> b;
  MessagePort<int> taken = std::move(b.port1);
  EXPECT_THROW(carrier.port1.post_message(std::move(b.port1)),  // NOLINT
               bobbin::DataCloneError);
  EXPECT_FALSE(carrier.port2.try_receive().has_value());
}

TEST(MessageChannelTest, PostOnClosedTransferLeavesTheSourceUntouched) {
  MessageChannel<bobbin::ArrayBuffer> ch;
  ch.port2.close();
  bobbin::ArrayBuffer buf(4);
  EXPECT_FALSE(ch.port1.post_message(std::move(buf)));
  EXPECT_EQ(buf.byte_length(), 4U);  // NOLINT(bugprone-use-after-move)
}

TEST(MessageChannelTest, MoveOnlyMessages) {
  MessageChannel<std::unique_ptr<int>> ch;
  ASSERT_TRUE(ch.port1.post_message(std::make_unique<int>(5)));
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, 5);
}

TEST(MessageChannelTest, ReceiveReturnsNulloptOnceClosedAndDrained) {
  MessageChannel<int> ch;
  ch.port1.post_message(1);
  ch.port1.close();
  EXPECT_EQ(ch.port2.receive(), std::optional<int>(1));
  EXPECT_EQ(ch.port2.receive(), std::nullopt);
  EXPECT_EQ(ch.port1.receive(), std::nullopt);
}

TEST(MessageChannelTest, CloseWakesABlockedReceiver) {
  MessageChannel<int> ch;
  std::optional<int> got{-1};
  std::thread t([&] { got = ch.port2.receive(); });
  while (pl::parked(bobbin::detail::port_park_key(ch.port2)) == 0) std::this_thread::yield();
  ch.port1.close();
  t.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST(MessageChannelTest, TimedReceiveTimesOut) {
  MessageChannel<int> ch;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ch.port2.receive_for(5ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 5ms);  // never early
  EXPECT_EQ(ch.port2.receive_until(std::chrono::steady_clock::now() - 1s), std::nullopt);
  ch.port1.post_message(3);
  EXPECT_EQ(ch.port2.receive_for(0ms), std::optional<int>(3));
  EXPECT_EQ(ch.port2.receive_for(-1s), std::nullopt);
}

TEST(MessageChannelTest, InterruptWakesAReceiverWithTerminatedError) {
  MessageChannel<int> ch;
  std::atomic<bool> threw{false};
  pl::ThreadHandle handle;
  std::atomic<bool> ready{false};
  std::thread t([&] {
    handle = pl::this_thread();
    ready = true;
    try {
      (void)ch.port2.receive();
    } catch (const bobbin::TerminatedError&) {
      threw = true;
    }
    pl::clear_interrupt();
  });
  while (!ready || pl::parked(bobbin::detail::port_park_key(ch.port2)) == 0) {
    std::this_thread::yield();
  }
  pl::interrupt(handle);
  t.join();
  EXPECT_TRUE(threw);
  EXPECT_TRUE(ch.port1.post_message(1));  // the channel is unaffected
  EXPECT_EQ(ch.port2.try_receive(), std::optional<int>(1));
}

TEST(MessageChannelTest, DestroyingAPortClosesTheChannel) {
  MessageChannel<int> ch;
  { MessagePort<int> gone = std::move(ch.port2); }
  EXPECT_TRUE(ch.port1.closed());
  EXPECT_FALSE(ch.port1.post_message(1));
}

TEST(MessageChannelTest, MovedFromPortIsInert) {
  MessageChannel<int> ch;
  MessagePort<int> p = std::move(ch.port1);
  EXPECT_FALSE(ch.port1.valid());               // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(ch.port1.post_message(1));       // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(ch.port1.receive(), std::nullopt);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(ch.port1.has_ref());             // NOLINT(bugprone-use-after-move)
  ch.port1.close();                             // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(p.post_message(2));
  EXPECT_EQ(ch.port2.try_receive(), std::optional<int>(2));
}

TEST(MessageChannelTest, ListenerOnAnotherThreadsLoop) {
  MessageChannel<int> ch;
  std::vector<int> got;
  std::thread t([&, p = std::move(ch.port2)]() mutable {
    p.on_message([&](int v) {
      got.push_back(v);
      if (v == 99) p.close();
    });
    EventLoop::current().run();  // served until the close event
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ch.port1.post_message(i));
  t.join();
  ASSERT_EQ(got.size(), 100U);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
}

TEST(MessageChannelTest, ListenerExceptionReachesTheLoopAndDeliveryGoesOn) {
  MessageChannel<int> ch;
  std::vector<int> got;
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    if (v == 1) throw std::runtime_error("boom");
    if (v == 3) ch.port2.close();
  });
  for (int i = 1; i <= 3; ++i) ch.port1.post_message(i);
  EXPECT_THROW(EventLoop::current().run(), std::runtime_error);
  EventLoop::current().run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(MessageChannelTest, ManyMessagesAreDeliveredInBatches) {
  MessageChannel<int> ch;
  int got = 0;
  int timer_ran_at = -1;
  constexpr int kCount = 2000;
  ch.port2.on_message([&](int v) {
    EXPECT_EQ(v, got);
    ++got;
    if (got == kCount) ch.port2.close();
  });
  for (int i = 0; i < kCount; ++i) ch.port1.post_message(i);
  bobbin::set_timeout([&] { timer_ran_at = got; }, 0ms);
  EventLoop::current().run();
  EXPECT_EQ(got, kCount);
  EXPECT_GE(timer_ran_at, 0);
  EXPECT_LT(timer_ran_at, kCount);  // the timer was not starved by the batch
}

TEST(MessageChannelTest, ChecksLookInsideStandardContainers) {
  using Bundle =
      std::tuple<int, std::vector<bobbin::ArrayBuffer>, std::optional<bobbin::ArrayBuffer>>;
  MessageChannel<Bundle> ch;
  bobbin::ArrayBuffer detached(4);
  bobbin::ArrayBuffer keep = std::move(detached);
  std::vector<bobbin::ArrayBuffer> bufs;
  bufs.emplace_back(8);
  bufs.push_back(std::move(detached));  // NOLINT(bugprone-use-after-move): a detached buffer
  Bundle bad{1, std::move(bufs), std::nullopt};
  EXPECT_THROW(ch.port1.post_message(bad), bobbin::DataCloneError);
  EXPECT_THROW(ch.port1.post_message(std::move(bad)), bobbin::DataCloneError);
  EXPECT_EQ(std::get<1>(bad).size(), 2U);            // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(std::get<1>(bad)[0].byte_length(), 8U);  // untouched
  std::vector<bobbin::ArrayBuffer> good;
  good.emplace_back(3);
  EXPECT_TRUE(ch.port1.post_message(Bundle{2, std::move(good), std::move(keep)}));
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<0>(*got), 2);
  EXPECT_EQ(std::get<2>(*got)->byte_length(), 4U);
  EXPECT_FALSE(ch.port2.try_receive().has_value());
}

TEST(MessageChannelTest, TransferringAPortDropsItsSendingSideListener) {
  MessageChannel<MessagePort<int>> carrier;
  MessageChannel<int> inner;
  int old_listener_calls = 0;
  inner.port2.on_message([&](int) { ++old_listener_calls; });
  EXPECT_TRUE(inner.port2.has_ref());
  carrier.port1.post_message(std::move(inner.port2));
  auto moved = carrier.port2.try_receive();
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->has_ref());  // the listener and its ref stayed behind (and were dropped)
  inner.port1.post_message(5);
  EventLoop::current().run();  // nothing holds the loop: the message waits for a new listener
  EXPECT_EQ(old_listener_calls, 0);
  EXPECT_EQ(moved->try_receive(), std::optional<int>(5));
}

TEST(MessageChannelTest, ListenerMayReplaceItselfAndReceiveInside) {
  MessageChannel<int> ch;
  std::vector<std::string> log;
  ch.port2.on_message([&](int v) {
    log.push_back("first:" + std::to_string(v));
    if (auto extra = ch.port2.try_receive()) log.push_back("pulled:" + std::to_string(*extra));
    ch.port2.on_message([&](int w) {
      log.push_back("second:" + std::to_string(w));
      ch.port2.close();
    });
  });
  for (int i = 1; i <= 3; ++i) ch.port1.post_message(i);
  EventLoop::current().run();
  EXPECT_EQ(log, (std::vector<std::string>{"first:1", "pulled:2", "second:3"}));
}

TEST(MessageChannelTest, MoveAssignmentClosesTheOldChannel) {
  MessageChannel<int> a;
  MessageChannel<int> b;
  a.port1 = std::move(b.port1);
  EXPECT_TRUE(a.port2.closed());  // a's old port1 was destroyed
  EXPECT_TRUE(a.port1.post_message(1));
  EXPECT_EQ(b.port2.try_receive(), std::optional<int>(1));
}

TEST(MessageChannelTest, TicksAndMicrotasksOfAListenerRunBeforeTheNextMessage) {
  MessageChannel<int> ch;
  std::vector<std::string> log;
  ch.port2.on_message([&](int v) {
    log.push_back("msg" + std::to_string(v));
    bobbin::EventLoop::current().queue_microtask([&log, v] {
      log.push_back("micro" + std::to_string(v));
      bobbin::EventLoop::current().queue_microtask(
          [&log, v] { log.push_back("chained" + std::to_string(v)); });
    });
    bobbin::EventLoop::current().next_tick(
        [&log, v] { log.push_back("tick" + std::to_string(v)); });
    if (v == 2) ch.port2.close();
  });
  ch.port1.post_message(1);
  ch.port1.post_message(2);
  EventLoop::current().run();
  EXPECT_EQ(log, (std::vector<std::string>{"msg1", "tick1", "micro1", "chained1", "msg2", "tick2",
                                           "micro2", "chained2"}));
}

// The receiver takes queued messages in batches: a pull that takes the first message leaves
// the rest of the batch for a later listener, in order, and posts made meanwhile follow them.
TEST(MessageChannelTest, PullThenListenerKeepsOrderAcrossTheBatch) {
  bobbin::MessageChannel<int> ch;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ch.port1.post_message(i));
  ASSERT_EQ(ch.port2.try_receive(), 0);  // the batch now holds 1..4
  EXPECT_EQ(bobbin::detail::port_pending(ch.port2), 4u);
  for (int i = 5; i < 8; ++i) ASSERT_TRUE(ch.port1.post_message(i));
  EXPECT_EQ(bobbin::detail::port_pending(ch.port2), 7u);
  std::vector<int> seen;
  ch.port2.on_message([&](int v) {
    seen.push_back(v);
    if (v == 3) ch.port2.off_message();  // pauses with 4..7 still queued
  });
  bobbin::run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(ch.port2.try_receive(), 4);
  ch.port1.close();
  ch.port2.on_message([&](int v) { seen.push_back(v); });
  bobbin::run();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 5, 6, 7}));
  EXPECT_EQ(ch.port2.receive(), std::nullopt);
}

// Node memory is recycled from the receiver back to the senders: over many clones and
// transfers, interleaved with receives, every message arrives once, in order, and every
// value constructed is destroyed exactly once (nothing leaked or destroyed twice).
struct Counted {
  static inline int live = 0;
  int v = 0;
  explicit Counted(int x) noexcept : v(x) { ++live; }
  Counted(const Counted& o) noexcept : v(o.v) { ++live; }
  Counted(Counted&& o) noexcept : v(o.v) { ++live; }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) = default;
  ~Counted() { --live; }
};

TEST(MessageChannelTest, RecycledNodesCarryEveryMessageOnce) {
  {
    MessageChannel<Counted> ch;
    int next = 0;
    int expect = 0;
    for (int round = 0; round < 50; ++round) {
      for (int i = 0; i < 100; ++i) {
        const Counted c(next++);
        if (i % 2 == 0) {
          ASSERT_TRUE(ch.port1.post_message(c));  // clone
        } else {
          ASSERT_TRUE(ch.port1.post_message(Counted(c)));  // transfer
        }
      }
      const int take = round % 3 == 0 ? 100 : 60;  // sometimes leave some queued
      for (int i = 0; i < take; ++i) {
        auto m = ch.port2.try_receive();
        ASSERT_TRUE(m.has_value());
        ASSERT_EQ(m->v, expect++);
      }
    }
    while (auto m = ch.port2.try_receive()) ASSERT_EQ(m->v, expect++);
    EXPECT_EQ(expect, next);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(ch.port1.post_message(Counted(i)));
  }  // the channel is destroyed with 10 messages queued and spare nodes on both sides
  EXPECT_EQ(Counted::live, 0);
}

// A large clone is announced to the receiver before its copy (PortQueue::announce); the
// receiver still gets the bytes as they were at post time, whether it was asleep or awake.
TEST(MessageChannelTest, LargeClonesCarryTheirPostTimeBytes) {
  MessageChannel<bobbin::ArrayBuffer, int> ch;
  constexpr int kRounds = 6;
  const void* key = bobbin::detail::port_park_key(ch.port2);
  std::thread t([p = std::move(ch.port2)]() mutable {
    for (int i = 0; i < kRounds; ++i) {
      auto b = p.receive();
      ASSERT_TRUE(b.has_value());
      const auto want = static_cast<std::byte>(i + 1);
      const bool all = std::all_of(b->data(), b->data() + b->byte_length(),
                                   [&](std::byte x) { return x == want; });
      p.post_message(all ? static_cast<int>(b->byte_length()) : -1);
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    const std::size_t bytes = i % 2 == 0 ? (std::size_t{64} << 10) : (std::size_t{1} << 20);
    bobbin::ArrayBuffer buf(bytes);
    std::fill(buf.data(), buf.data() + bytes, static_cast<std::byte>(i + 1));
    if (i >= 2) {  // the receiver is asleep in receive() when the post starts
      while (pl::parked(key) == 0) std::this_thread::yield();
    }
    ASSERT_TRUE(ch.port1.post_message(buf));
    std::fill(buf.data(), buf.data() + bytes, std::byte{0xee});  // after the post: not seen
    EXPECT_EQ(ch.port1.receive(), static_cast<int>(bytes));
  }
  t.join();
}

// An announcement that ends without a message (the copy failed, or the queue was closed) lets
// a waiting receiver park again, and the next message still wakes it.
TEST(MessageChannelTest, RetractedAnnouncementLetsTheReceiverPark) {
  auto q = std::make_shared<bobbin::detail::PortQueue<int>>(
      bobbin::detail::PortQueue<int>::on_close_drain);
  q->announce();
  std::optional<int> got;
  std::thread t([&] { got = q->pop_until(bobbin::detail::kNoDeadline); });
  q->retract();
  while (pl::parked(q->park_key()) == 0) std::this_thread::yield();
  ASSERT_TRUE(q->push(new bobbin::detail::PortNode<int>(7)));
  t.join();
  EXPECT_EQ(got, 7);
}

// A receiver waits awake for an announced message only for a bounded time, then parks; the
// message, when it comes, still wakes it.
TEST(MessageChannelTest, EndlessAnnouncementStillLetsTheReceiverPark) {
  auto q = std::make_shared<bobbin::detail::PortQueue<int>>(
      bobbin::detail::PortQueue<int>::on_close_drain);
  using Announcement = bobbin::detail::PortQueue<int>::Announcement;
  std::optional<int> got;
  {
    Announcement announced(q.get());
    std::thread t([&] { got = q->pop_until(bobbin::detail::kNoDeadline); });
    while (pl::parked(q->park_key()) == 0) std::this_thread::yield();
    ASSERT_TRUE(q->push(new bobbin::detail::PortNode<int>(8)));
    t.join();
  }
  EXPECT_EQ(got, 8);
  // And with the announcement still open, a timed wait still times out and close still wakes.
  Announcement announced(q.get());
  EXPECT_EQ(q->pop_until(pl::detail::deadline_after(std::chrono::milliseconds(1))), std::nullopt);
  std::thread t([&] { got = q->pop_until(bobbin::detail::kNoDeadline); });
  q->close();
  t.join();
  EXPECT_EQ(got, std::nullopt);
}

// Interrupting a receiver that waits awake for an announced message ends its wait with
// TerminatedError, as for a parked one.
TEST(MessageChannelTest, InterruptEndsAnAnnouncedWait) {
  auto q = std::make_shared<bobbin::detail::PortQueue<int>>(
      bobbin::detail::PortQueue<int>::on_close_drain);
  q->announce();
  std::atomic<bool> threw{false};
  std::atomic<pl::ThreadHandle*> handle{nullptr};
  pl::ThreadHandle h;
  std::thread t([&] {
    h = pl::this_thread();
    handle.store(&h);
    try {
      (void)q->pop_until(bobbin::detail::kNoDeadline);
    } catch (const bobbin::TerminatedError&) {
      threw = true;
    }
  });
  while (handle.load() == nullptr) std::this_thread::yield();
  pl::interrupt(*handle.load());
  t.join();
  q->retract();
  EXPECT_TRUE(threw);
}

}  // namespace
