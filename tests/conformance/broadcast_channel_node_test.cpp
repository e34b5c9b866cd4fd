// Node's BroadcastChannel behaviours, translated to bobbin::BroadcastChannel.
//
// One TEST per behaviour of the project's Node catalogue (node-api.md §3 C, numbered "C<n>"),
// each naming the Node test file it comes from (test/parallel/test-worker-broadcastchannel.js
// and test-worker-broadcastchannel-wpt.js). Workers are std::threads.
//
// Not translated: name coercion and a missing or Symbol name (a C++ name is a std::string),
// postMessage() without an argument, calls with the wrong `this`, Symbol messages. Broadcasting
// a MessagePort is a compile error (tests/compile_fail/post_lvalue_broadcast_port.cpp).
#include <bobbin/array_buffer.hpp>
#include <bobbin/broadcast_channel.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using bobbin::BroadcastChannel;
using bobbin::EventLoop;

// C88 — worker-broadcastchannel: close() twice is fine; posting after close throws
// "BroadcastChannel is closed".
TEST(NodeBroadcastChannel, C88_CloseTwiceAndPostAfterCloseThrows) {
  BroadcastChannel<int> bc("c88");
  bc.close();
  EXPECT_NO_THROW(bc.close());
  try {
    bc.post_message(1);
    ADD_FAILURE() << "no ClosedError";
  } catch (const bobbin::ClosedError& e) {
    EXPECT_STREQ(e.what(), "BroadcastChannel is closed");
  }
}

// C89 — worker-broadcastchannel: three 'channel1' and one 'channel2'; when one 'channel1'
// posts, the other two receive it, the sender and 'channel2' do not.
TEST(NodeBroadcastChannel, C89_OtherChannelsOfTheNameReceive) {
  BroadcastChannel<std::string> a("c89-channel1");
  BroadcastChannel<std::string> b("c89-channel1");
  BroadcastChannel<std::string> c("c89-channel1");
  BroadcastChannel<std::string> d("c89-channel2");
  std::vector<std::string> heard;
  a.on_message([&](std::string) { heard.push_back("a"); });
  b.on_message([&](std::string m) {
    heard.push_back("b:" + m);
    b.close();
  });
  c.on_message([&](std::string m) {
    heard.push_back("c:" + m);
    c.close();
  });
  d.on_message([&](std::string) { heard.push_back("d"); });
  a.unref();
  d.unref();
  a.post_message("hi");
  EventLoop::current().run();
  EXPECT_EQ(heard, (std::vector<std::string>{"b:hi", "c:hi"}));
}

// C90 — worker-broadcastchannel: broadcasts cross threads in both directions.
TEST(NodeBroadcastChannel, C90_CrossesThreadsBothWays) {
  BroadcastChannel<int> main_side("c90");
  std::atomic<bool> joined{false};
  std::thread worker([&] {
    BroadcastChannel<int> worker_side("c90");
    worker_side.on_message([&](int v) {
      worker_side.post_message(v + 1);  // worker -> main
      worker_side.close();
    });
    joined = true;
    EventLoop::current().run();
  });
  while (!joined) std::this_thread::yield();
  main_side.post_message(1);  // main -> worker
  EXPECT_EQ(main_side.receive(), std::optional<int>(2));
  worker.join();
}

// C91 — worker-broadcastchannel: a SharedArrayBuffer broadcast arrives as the same shared
// memory at every receiver.
TEST(NodeBroadcastChannel, C91_SharedArrayBufferIsShared) {
  BroadcastChannel<bobbin::SharedArrayBuffer> a("c91");
  BroadcastChannel<bobbin::SharedArrayBuffer> b("c91");
  BroadcastChannel<bobbin::SharedArrayBuffer> c("c91");
  bobbin::SharedArrayBuffer sab(4);
  a.post_message(sab);
  auto x = b.try_receive();
  auto y = c.try_receive();
  ASSERT_TRUE(x && y);
  bobbin::Int32Array view(sab);
  view[0] = 5;
  EXPECT_EQ(static_cast<int>(bobbin::Int32Array(*x)[0]), 5);
  EXPECT_EQ(static_cast<int>(bobbin::Int32Array(*y)[0]), 5);
}

// C92 — worker-broadcastchannel: an uncloneable message throws DataCloneError; after close,
// the closed error takes precedence.
TEST(NodeBroadcastChannel, C92_CloneErrorsAndClosedTakesPrecedence) {
  BroadcastChannel<bobbin::ArrayBuffer> a("c92");
  BroadcastChannel<bobbin::ArrayBuffer> b("c92");
  bobbin::ArrayBuffer buf(4);
  bobbin::ArrayBuffer taken = std::move(buf);
  EXPECT_THROW(a.post_message(buf), bobbin::DataCloneError);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.try_receive(), std::nullopt);
  a.close();
  EXPECT_THROW(a.post_message(buf), bobbin::ClosedError);  // NOLINT(bugprone-use-after-move)
}

// C93 — worker-broadcastchannel: receiveMessageOnPort on a BroadcastChannel returns the
// message once, then nothing.
TEST(NodeBroadcastChannel, C93_ReceiveMessageOnPort) {
  BroadcastChannel<int> a("c93");
  BroadcastChannel<int> b("c93");
  a.post_message(7);
  EXPECT_EQ(bobbin::receive_message_on_port(b), std::optional<int>(7));
  EXPECT_EQ(bobbin::receive_message_on_port(b), std::nullopt);
}

// C94 — worker-broadcastchannel-wpt: delivery to multiple receivers follows channel creation
// order.
TEST(NodeBroadcastChannel, C94_CreationOrder) {
  BroadcastChannel<int> sender("c94-order");
  std::vector<BroadcastChannel<int>> receivers;
  for (int i = 0; i < 5; ++i) receivers.emplace_back("c94-order");
  std::vector<int> order;
  for (int i = 4; i >= 0; --i) {  // listeners attached in reverse: order is creation order
    auto& r = receivers[static_cast<std::size_t>(i)];
    r.on_message([&order, &r, i](int) {
      order.push_back(i);
      r.close();
    });
  }
  sender.post_message(0);
  EventLoop::current().run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

// C94 — worker-broadcastchannel-wpt: an unref'd channel does not hold the loop.
TEST(NodeBroadcastChannel, C94_UnrefdChannelDoesNotHoldTheLoop) {
  BroadcastChannel<int> a("c94-unref");
  a.on_message([](int) {});
  a.unref();
  EventLoop::current().run();  // returns
  EXPECT_FALSE(a.has_ref());
}

// C94 — worker-broadcastchannel-wpt: a channel closed before, or after, the post receives
// nothing.
TEST(NodeBroadcastChannel, C94_ClosedBeforeOrAfterThePostReceivesNothing) {
  BroadcastChannel<int> sender("c94-closed");
  BroadcastChannel<int> before("c94-closed");
  BroadcastChannel<int> after("c94-closed");
  BroadcastChannel<int> open("c94-closed");
  int heard_closed = 0;
  before.on_message([&](int) { ++heard_closed; });
  after.on_message([&](int) { ++heard_closed; });
  std::optional<int> heard_open;
  open.on_message([&](int v) {
    heard_open = v;
    open.close();
  });
  before.close();
  sender.post_message(3);
  after.close();
  EventLoop::current().run();
  EXPECT_EQ(heard_closed, 0);
  EXPECT_EQ(heard_open, 3);
}

// C95 — worker-broadcastchannel-wpt: closing a channel in its own handler prevents
// already-queued messages reaching it.
TEST(NodeBroadcastChannel, C95_CloseInHandlerDropsQueued) {
  BroadcastChannel<int> sender("c95-drop");
  BroadcastChannel<int> r("c95-drop");
  std::vector<int> got;
  r.on_message([&](int v) {
    got.push_back(v);
    r.close();
  });
  sender.post_message(1);
  sender.post_message(2);
  sender.post_message(3);
  EventLoop::current().run();
  EXPECT_EQ(got, std::vector<int>{1});
}

// C95 — worker-broadcastchannel-wpt: a channel created inside a handler receives only later
// messages.
TEST(NodeBroadcastChannel, C95_ChannelCreatedInAHandlerGetsOnlyLaterMessages) {
  BroadcastChannel<int> sender("c95-late");
  BroadcastChannel<int> first("c95-late");
  std::optional<BroadcastChannel<int>> late;
  std::vector<int> late_got;
  first.on_message([&](int v) {
    if (v == 1) {
      late.emplace("c95-late");
      late->on_message([&](int w) {
        late_got.push_back(w);
        late->close();
      });
    }
    if (v == 2) first.close();
  });
  sender.post_message(1);
  EventLoop::current().run_once();  // delivers 1: `late` joins
  sender.post_message(2);
  EventLoop::current().run();
  EXPECT_EQ(late_got, std::vector<int>{2});
}

}  // namespace
