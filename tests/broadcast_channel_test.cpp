// Unit tests of bobbin::BroadcastChannel: fan-out to every other channel of the name, never to
// the sender, creation order, close rules (ClosedError, drop on close), listeners and refs,
// the pull family, cross-thread delivery.
#include <bobbin/array_buffer.hpp>
#include <bobbin/broadcast_channel.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using bobbin::BroadcastChannel;
using bobbin::EventLoop;
namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;

TEST(BroadcastChannelTest, EveryOtherChannelOfTheNameReceives) {
  BroadcastChannel<int> a("bc-unit-1");
  BroadcastChannel<int> b("bc-unit-1");
  BroadcastChannel<int> c("bc-unit-1");
  BroadcastChannel<int> other("bc-unit-1-other");
  EXPECT_EQ(a.name(), "bc-unit-1");
  a.post_message(5);
  EXPECT_EQ(a.try_receive(), std::nullopt);  // never the sender
  EXPECT_EQ(b.try_receive(), std::optional<int>(5));
  EXPECT_EQ(bobbin::receive_message_on_port(c), std::optional<int>(5));
  EXPECT_EQ(bobbin::receive_message_on_port(c), std::nullopt);
  EXPECT_EQ(other.try_receive(), std::nullopt);
}

TEST(BroadcastChannelTest, DifferentMessageTypesNeverMeet) {
  BroadcastChannel<int> a("bc-unit-types");
  BroadcastChannel<std::string> b("bc-unit-types");
  a.post_message(1);
  EXPECT_EQ(b.try_receive(), std::nullopt);
}

TEST(BroadcastChannelTest, PostAfterCloseThrowsClosedError) {
  BroadcastChannel<int> a("bc-unit-closed");
  a.close();
  a.close();  // idempotent
  EXPECT_TRUE(a.closed());
  EXPECT_THROW(a.post_message(1), bobbin::ClosedError);
}

TEST(BroadcastChannelTest, ClosedChannelReceivesNothingEvenIfQueued) {
  BroadcastChannel<int> a("bc-unit-drop");
  BroadcastChannel<int> b("bc-unit-drop");
  a.post_message(1);
  b.close();
  EXPECT_EQ(b.try_receive(), std::nullopt);
  EXPECT_EQ(b.receive(), std::nullopt);  // closed: does not block
  a.post_message(2);                     // b has left: no error, nobody receives
}

TEST(BroadcastChannelTest, ListenersRunInCreationOrder) {
  std::vector<std::string> order;
  BroadcastChannel<int> sender("bc-unit-order");
  BroadcastChannel<int> r1("bc-unit-order");
  BroadcastChannel<int> r2("bc-unit-order");
  BroadcastChannel<int> r3("bc-unit-order");
  r2.on_message([&](int v) {
    order.push_back("r2:" + std::to_string(v));
    if (v == 2) r2.close();
  });
  r1.on_message([&](int v) {
    order.push_back("r1:" + std::to_string(v));
    if (v == 2) r1.close();
  });
  r3.on_message([&](int v) {
    order.push_back("r3:" + std::to_string(v));
    if (v == 2) r3.close();
  });
  sender.post_message(1);
  sender.post_message(2);
  EventLoop::current().run();
  EXPECT_EQ(order, (std::vector<std::string>{"r1:1", "r1:2", "r2:1", "r2:2", "r3:1", "r3:2"}));
}

TEST(BroadcastChannelTest, ClosingInTheHandlerStopsQueuedMessages) {
  BroadcastChannel<int> sender("bc-unit-stop");
  BroadcastChannel<int> r("bc-unit-stop");
  std::vector<int> got;
  r.on_message([&](int v) {
    got.push_back(v);
    r.close();
  });
  sender.post_message(1);
  sender.post_message(2);
  EventLoop::current().run();
  EXPECT_EQ(got, std::vector<int>{1});
}

TEST(BroadcastChannelTest, RefRules) {
  BroadcastChannel<int> r("bc-unit-ref");
  EXPECT_FALSE(r.has_ref());
  r.on_message([](int) {});
  EXPECT_TRUE(r.has_ref());
  r.unref();
  EXPECT_FALSE(r.has_ref());
  EventLoop::current().run();  // an unref'd listener does not hold the loop
  r.ref();
  EXPECT_TRUE(r.has_ref());
  r.close();
  EventLoop::current().run();  // the close event releases the loop
  EXPECT_FALSE(r.has_ref());
}

TEST(BroadcastChannelTest, DetachedBufferThrowsAndNothingIsDelivered) {
  BroadcastChannel<bobbin::ArrayBuffer> a("bc-unit-clone");
  BroadcastChannel<bobbin::ArrayBuffer> b("bc-unit-clone");
  bobbin::ArrayBuffer buf(4);
  bobbin::ArrayBuffer taken = std::move(buf);
  EXPECT_THROW(a.post_message(buf), bobbin::DataCloneError);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.try_receive(), std::nullopt);
  a.post_message(taken);  // a clone: the source keeps its bytes
  EXPECT_EQ(taken.byte_length(), 4U);
  auto got = b.try_receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->byte_length(), 4U);
}

TEST(BroadcastChannelTest, SharedArrayBufferIsSharedWithEveryReceiver) {
  BroadcastChannel<bobbin::SharedArrayBuffer> a("bc-unit-sab");
  BroadcastChannel<bobbin::SharedArrayBuffer> b("bc-unit-sab");
  BroadcastChannel<bobbin::SharedArrayBuffer> c("bc-unit-sab");
  bobbin::SharedArrayBuffer sab(8);
  a.post_message(sab);
  auto x = b.try_receive();
  auto y = c.try_receive();
  ASSERT_TRUE(x && y);
  bobbin::Int32Array view(sab);
  view[1] = 77;
  EXPECT_EQ(static_cast<int>(bobbin::Int32Array(*x)[1]), 77);
  EXPECT_EQ(static_cast<int>(bobbin::Int32Array(*y)[1]), 77);
}

TEST(BroadcastChannelTest, CrossesThreadsBothWays) {
  BroadcastChannel<int> main_side("bc-unit-threads");
  std::atomic<bool> joined{false};
  std::thread t([&] {
    BroadcastChannel<int> worker_side("bc-unit-threads");
    joined = true;
    auto v = worker_side.receive();
    ASSERT_TRUE(v);
    worker_side.post_message(*v + 1);
  });
  while (!joined) std::this_thread::yield();
  main_side.post_message(41);
  EXPECT_EQ(main_side.receive(), std::optional<int>(42));
  t.join();
}

TEST(BroadcastChannelTest, BlockedReceiveWakesOnCloseAndOnInterrupt) {
  BroadcastChannel<int> a("bc-unit-wake");
  pl::ThreadHandle handle;
  std::atomic<bool> ready{false};
  std::atomic<bool> threw{false};
  std::thread t([&] {
    BroadcastChannel<int> b("bc-unit-wake");
    handle = pl::this_thread();
    ready = true;
    try {
      (void)b.receive();
    } catch (const bobbin::TerminatedError&) {
      threw = true;
    }
    pl::clear_interrupt();
  });
  while (!ready) std::this_thread::yield();
  pl::interrupt(handle);
  t.join();
  EXPECT_TRUE(threw);
  EXPECT_EQ(a.receive_for(1ms), std::nullopt);
}

TEST(BroadcastChannelTest, MovedChannelKeepsItsMembership) {
  BroadcastChannel<int> a("bc-unit-move");
  BroadcastChannel<int> b("bc-unit-move");
  BroadcastChannel<int> moved = std::move(b);
  a.post_message(3);
  EXPECT_EQ(moved.try_receive(), std::optional<int>(3));
  EXPECT_TRUE(b.closed());  // NOLINT(bugprone-use-after-move)
}

}  // namespace
