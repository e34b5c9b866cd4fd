// Node's MessageChannel / MessagePort behaviours, translated to bobbin's ports.
//
// One TEST per behaviour of the project's Node catalogue (node-api.md §3 A, numbered "A<n>"),
// each naming the Node test file it comes from (test/parallel/test-worker-<name>.js, or
// test-<name>.js where marked). Node's `'message'` listener is on_message, `onmessage` is the
// same listener, `receiveMessageOnPort` is receive_message_on_port / try_receive, a transfer
// list entry is a moved (std::move) value, a worker is a std::thread, possibly serving its own
// event loop.
//
// Behaviours with no C++ meaning, not translated:
//   A5/A33 (transfer-list argument shapes: C++ has copy and move, both covered by A5 below),
//   A22 (the same buffer or port twice in one transfer list: a moved value cannot be moved
//   twice), A26/A27 (markAsUntransferable / markAsUncloneable: a type is move-only or
//   non-copyable instead; tests/compile_fail/post_lvalue_*.cpp), A28 (functions and native
//   objects), A29 (messageerror on deserialisation), A31 (MessageEvent defaults).
#include <bobbin/array_buffer.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/parking_lot.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/sanitizers.hpp"

namespace {

using bobbin::ArrayBuffer;
using bobbin::EventLoop;
using bobbin::MessageChannel;
using bobbin::MessagePort;
namespace pl = bobbin::parking_lot;
using namespace std::chrono_literals;

using Object = std::map<std::string, int>;  // a plain JS object, deep-compared

// A1 — message-port: an object posted on port1 arrives deep-equal on port2's listener, and the
// close callback runs.
TEST(NodeMessagePort, A1_ObjectArrivesDeepEqualAndCloseCallbackRuns) {
  MessageChannel<Object> ch;
  const Object sent{{"hello", 1}, {"world", 2}};
  std::optional<Object> got;
  bool closed = false;
  ch.port2.on_message([&](Object o) {
    got = std::move(o);
    ch.port2.close();
  });
  ch.port2.on_close([&] { closed = true; });
  ch.port1.post_message(sent);
  EventLoop::current().run();
  EXPECT_EQ(got, sent);
  EXPECT_TRUE(closed);
}

// A2 — message-port: a message posted before any listener exists is delivered to a listener
// attached on a later tick.
TEST(NodeMessagePort, A2_BufferedUntilAListenerIsAttached) {
  MessageChannel<int> ch;
  ch.port1.post_message(42);
  std::optional<int> got;
  bobbin::set_immediate([&] {
    ch.port2.on_message([&](int v) {
      got = v;
      ch.port2.close();
    });
  });
  EventLoop::current().run();
  EXPECT_EQ(got, 42);
}

// A3 — message-port: a listener added then removed before the post; a new listener attached
// two ticks later still gets the message (pause, not drop).
TEST(NodeMessagePort, A3_RemovedListenerPausesAndALaterOneGetsTheMessage) {
  MessageChannel<int> ch;
  bool first_called = false;
  ch.port2.on_message([&](int) { first_called = true; });
  ch.port2.off_message();
  ch.port1.post_message(7);
  std::optional<int> got;
  bobbin::set_immediate([&] {
    bobbin::set_immediate([&] {
      ch.port2.on_message([&](int v) {
        got = v;
        ch.port2.close();
      });
    });
  });
  EventLoop::current().run();
  EXPECT_FALSE(first_called);
  EXPECT_EQ(got, 7);
}

// A4 — message-port: handlers on both ends; 2 is posted and echoed doubled; the first handler
// receives 4.
TEST(NodeMessagePort, A4_EchoDoubled) {
  MessageChannel<int> ch;
  std::optional<int> got;
  ch.port2.on_message([&](int v) { ch.port2.post_message(v * 2); });
  ch.port1.on_message([&](int v) {
    got = v;
    ch.port1.close();
  });
  ch.port1.post_message(2);
  EventLoop::current().run();
  EXPECT_EQ(got, 4);
}

// A5 — message-port: every way of posting without a transfer list delivers (lvalue, const
// lvalue, rvalue, temporary, explicit copy, braced value): six posts, six messages.
TEST(NodeMessagePort, A5_EveryPostFormDelivers) {
  MessageChannel<std::string> ch;
  std::string a = "a";
  const std::string b = "b";
  EXPECT_TRUE(ch.port1.post_message(a));
  EXPECT_TRUE(ch.port1.post_message(b));
  EXPECT_TRUE(ch.port1.post_message(std::string("c")));
  EXPECT_TRUE(ch.port1.post_message("d"));
  EXPECT_TRUE(ch.port1.post_message(std::string(a)));
  EXPECT_TRUE(ch.port1.post_message({"f"}));
  std::vector<std::string> got;
  while (auto m = ch.port2.try_receive()) got.push_back(*m);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c", "d", "a", "f"}));
}

// A6 — message-port: an ArrayBuffer in the transfer list: the sender's byte length is 0 at
// once, the receiver sees 10.
TEST(NodeMessagePort, A6_TransferredBufferDetachesAtOnce) {
  MessageChannel<ArrayBuffer> ch;
  ArrayBuffer buf(10);
  ch.port1.post_message(std::move(buf));
  EXPECT_EQ(buf.byte_length(), 0U);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(buf.detached());       // NOLINT(bugprone-use-after-move)
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->byte_length(), 10U);
}

// A7 — message-port: a port of another channel transferred in a message arrives as a port.
TEST(NodeMessagePort, A7_APortArrivesAsAPort) {
  MessageChannel<MessagePort<int>> carrier;
  MessageChannel<int> other;
  ASSERT_TRUE(carrier.port1.post_message(std::move(other.port1)));
  auto got = carrier.port2.try_receive();
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->valid());
  EXPECT_TRUE(got->post_message(1));
  EXPECT_EQ(other.port2.try_receive(), std::optional<int>(1));
}

// A8 — message-port: the port's surface is exactly close, hasRef, onmessage, postMessage,
// ref, start, unref (plus the pull family and on_close, which Node spells differently).
template <class P>
concept NodePortSurface = requires(P& p, const P& cp, int v) {
  p.close();
  { cp.has_ref() } -> std::same_as<bool>;
  p.on_message([](int) {});
  p.off_message();
  p.on_close([] {});
  { p.post_message(v) } -> std::same_as<bool>;
  p.ref();
  p.start();
  p.unref();
  { p.try_receive() } -> std::same_as<std::optional<int>>;
  { p.receive() } -> std::same_as<std::optional<int>>;
};
TEST(NodeMessagePort, A8_PortSurface) {
  static_assert(NodePortSurface<MessagePort<int>>);
  SUCCEED();
}

// A9 — message-port-constructor: user code cannot construct a MessagePort, only a channel
// makes them; a port is move-only.
TEST(NodeMessagePort, A9_PortsAreMadeOnlyByChannels) {
  static_assert(!std::is_default_constructible_v<MessagePort<int>>);
  static_assert(!std::is_copy_constructible_v<MessagePort<int>>);
  static_assert(std::is_nothrow_move_constructible_v<MessagePort<int>>);
  static_assert(std::is_default_constructible_v<MessageChannel<int>>);
  SUCCEED();
}

// A10 — message-port-receive-message: empty gives nothing; after two posts m1, m2, nothing;
// with a listener attached, a synchronously dequeued message never reaches the listener.
TEST(NodeMessagePort, A10_ReceiveMessageOnPort) {
  MessageChannel<int> ch;
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::nullopt);
  ch.port1.post_message(1);
  ch.port1.post_message(2);
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::optional<int>(1));
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::optional<int>(2));
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::nullopt);

  std::vector<int> heard;
  ch.port2.on_message([&](int v) { heard.push_back(v); });
  ch.port1.post_message(3);
  EXPECT_EQ(bobbin::receive_message_on_port(ch.port2), std::optional<int>(3));
  ch.port1.post_message(4);
  ch.port1.close();
  EventLoop::current().run();
  EXPECT_EQ(heard, std::vector<int>{4});
}

// A11 — message-port-close: adding and removing listeners before or after close, and inside
// the close callback, is harmless; transferring a closed port fails (DataCloneError).
TEST(NodeMessagePort, A11_ListenersAroundCloseAreHarmlessAndAClosedPortCannotMove) {
  MessageChannel<int> ch;
  ch.port1.on_message([](int) {});
  ch.port1.off_message();
  ch.port1.close();
  ch.port1.on_message([](int) {});
  ch.port1.on_close([&] {
    ch.port1.on_message([](int) {});
    ch.port1.off_message();
  });
  ch.port1.off_message();
  ch.port1.on_message([](int) {});
  EventLoop::current().run();

  MessageChannel<MessagePort<int>> carrier;
  EXPECT_THROW(carrier.port1.post_message(std::move(ch.port2)), bobbin::DataCloneError);
  EXPECT_TRUE(ch.port2.valid());  // NOLINT(bugprone-use-after-move)
}

// A12 — message-port-close: port2 closed, then port2 posts: no throw, port1 hears nothing.
TEST(NodeMessagePort, A12_PostAfterCloseIsSilentlyDropped) {
  MessageChannel<int> ch;
  int heard = 0;
  ch.port1.on_message([&](int) { ++heard; });
  ch.port2.close();
  EXPECT_NO_THROW(EXPECT_FALSE(ch.port2.post_message(1)));
  EventLoop::current().run();
  EXPECT_EQ(heard, 0);
}

// A13 — message-port-close-while-receiving: two queued messages; the listener closes the port
// in the first callback; it still runs exactly twice.
TEST(NodeMessagePort, A13_CloseWhileReceivingStillDrains) {
  MessageChannel<int> ch;
  int calls = 0;
  ch.port1.post_message(1);
  ch.port1.post_message(2);
  ch.port2.on_message([&](int) {
    ++calls;
    ch.port2.close();
  });
  EventLoop::current().run();
  EXPECT_EQ(calls, 2);
}

// A14 — message-port-message-before-close: a worker posts 'first', 'last', then closes its
// port; repeated, the parent always receives both, in order.
TEST(NodeMessagePort, A14_MessagesBeforeCloseAlwaysArrive) {
  const int rounds = 100 * bobbin_test::kStressScale;
  for (int i = 0; i < rounds; ++i) {
    MessageChannel<std::string> ch;
    std::thread worker([p = std::move(ch.port2)]() mutable {
      p.post_message("first");
      p.post_message("last");
      p.close();
    });
    std::vector<std::string> got;
    ch.port1.on_message([&](std::string s) { got.push_back(std::move(s)); });
    EventLoop::current().run();  // until the close event
    worker.join();
    ASSERT_EQ(got, (std::vector<std::string>{"first", "last"})) << "round " << i;
  }
}

// A15 — message-channel: port2.close() fires close on port1 and on port2.
TEST(NodeMessagePort, A15_CloseFiresOnBothEnds) {
  MessageChannel<int> ch;
  int closes = 0;
  ch.port1.on_close([&] { ++closes; });
  ch.port2.on_close([&] { ++closes; });
  ch.port2.close();
  EventLoop::current().run();
  EXPECT_EQ(closes, 2);
}

// A16 — message-channel: a typed array transferred via its buffer arrives equal and the
// sender's buffer is empty; a port sent to a worker lets the worker reply.
TEST(NodeMessagePort, A16_TypedArrayTransferAndAWorkerReplyingOnASentPort) {
  MessageChannel<bobbin::Int32Array> ch;
  bobbin::Int32Array view(4);
  for (std::size_t i = 0; i < 4; ++i) view[i] = static_cast<std::int32_t>(i * 10);
  ch.port1.post_message(std::move(view));
  EXPECT_EQ(view.buffer().byte_length(), 0U);  // NOLINT(bugprone-use-after-move)
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->length(), 4U);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(static_cast<std::int32_t>((*got)[i]), i * 10);

  MessageChannel<MessagePort<int>> to_worker;
  MessageChannel<int> reply;
  std::thread worker([&] {
    auto port = to_worker.port2.receive();
    ASSERT_TRUE(port);
    port->post_message(123);
  });
  to_worker.port1.post_message(std::move(reply.port2));
  EXPECT_EQ(reply.port1.receive(), std::optional<int>(123));
  worker.join();
}

// A17 — message-port-infinite-message-loop: a handler that re-posts to its peer forever does
// not starve a 0 ms timer scheduled on its first call.
TEST(NodeMessagePort, A17_ReentrantPostingDoesNotStarveTimers) {
  MessageChannel<int> ch;
  int count = 0;
  bool timer_scheduled = false;
  ch.port2.on_message([&](int) {
    ch.port1.post_message(0);
    ++count;
    if (!timer_scheduled) {
      timer_scheduled = true;
      bobbin::set_timeout([&] { ch.port2.close(); }, 0ms);
    }
    ASSERT_LT(count, 10000);
  });
  ch.port1.post_message(0);
  EventLoop::current().run();
  EXPECT_LT(count, 10000);
  EXPECT_TRUE(ch.port1.closed());
}

// A18 — messageport-hasref: new ports are not ref'd; ref/unref toggle; a listener refs; after
// peer.close() both stay ref'd until close fires; inside the close handlers both are not.
TEST(NodeMessagePort, A18_HasRef) {
  MessageChannel<int> ch;
  EXPECT_FALSE(ch.port1.has_ref());
  EXPECT_FALSE(ch.port2.has_ref());
  ch.port1.ref();
  EXPECT_TRUE(ch.port1.has_ref());
  ch.port1.unref();
  EXPECT_FALSE(ch.port1.has_ref());
  ch.port1.on_message([](int) {});
  ch.port2.on_message([](int) {});
  EXPECT_TRUE(ch.port1.has_ref());
  EXPECT_TRUE(ch.port2.has_ref());
  int in_handler_refs = 0;
  ch.port1.on_close([&] { in_handler_refs += ch.port1.has_ref() + ch.port2.has_ref(); });
  ch.port2.on_close([&] { in_handler_refs += ch.port1.has_ref() + ch.port2.has_ref(); });
  ch.port2.close();
  EXPECT_TRUE(ch.port1.has_ref());
  EXPECT_TRUE(ch.port2.has_ref());
  EventLoop::current().run();
  // The first close handler may still see the other port (whose event is pending) ref'd, as
  // in Node; each port reports false in its own handler and after.
  EXPECT_LE(in_handler_refs, 1);
  EXPECT_FALSE(ch.port1.has_ref());
  EXPECT_FALSE(ch.port2.has_ref());
}

// A19 — message-port-message-port-transferring: port A transferred across channel B; the
// receiver posts on A and A's original peer receives it; closing works.
TEST(NodeMessagePort, A19_TransferredPortStaysEntangled) {
  MessageChannel<int> a;
  MessageChannel<MessagePort<int>> b;
  b.port1.post_message(std::move(a.port2));
  auto moved = b.port2.try_receive();
  ASSERT_TRUE(moved);
  std::optional<int> got;
  bool closed = false;
  a.port1.on_message([&](int v) { got = v; });
  a.port1.on_close([&] { closed = true; });
  moved->post_message(9);
  moved->close();
  EventLoop::current().run();
  EXPECT_EQ(got, 9);
  EXPECT_TRUE(closed);
}

// A20 — message-port-multiple-sharedarraybuffers: nested arrays of SABs (sizes 0 to 3)
// arrive equal: the same shared memory.
TEST(NodeMessagePort, A20_NestedSharedArrayBuffersArriveShared) {
  using Nested = std::vector<std::vector<bobbin::SharedArrayBuffer>>;
  MessageChannel<Nested> ch;
  Nested sent;
  for (std::size_t n = 0; n <= 3; ++n) {
    std::vector<bobbin::SharedArrayBuffer> row;
    for (std::size_t i = 0; i < n; ++i) row.emplace_back(8);
    sent.push_back(std::move(row));
  }
  ch.port1.post_message(sent);
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 4U);
  for (std::size_t n = 0; n <= 3; ++n) {
    ASSERT_EQ((*got)[n].size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      bobbin::Int32Array mine(sent[n][i]);
      bobbin::Int32Array theirs((*got)[n][i]);
      mine[0] = static_cast<std::int32_t>(n * 10 + i);
      EXPECT_EQ(static_cast<std::int32_t>(theirs[0]), static_cast<std::int32_t>(n * 10 + i));
    }
  }
}

// A21 — message-port-arraybuffer: a Uint32Array over a transferred buffer arrives with the
// same contents; re-posting the detached buffer throws DataCloneError.
TEST(NodeMessagePort, A21_RetransferringADetachedBufferThrows) {
  MessageChannel<ArrayBuffer> ch;
  ArrayBuffer buf(16);
  bobbin::Uint32Array view(buf);
  for (std::size_t i = 0; i < 4; ++i) view[i] = static_cast<std::uint32_t>(i + 1);
  ch.port1.post_message(std::move(buf));
  auto got = ch.port2.try_receive();
  ASSERT_TRUE(got);
  bobbin::Uint32Array arrived(*got);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(static_cast<std::uint32_t>(arrived[i]), i + 1);
  EXPECT_THROW(ch.port1.post_message(std::move(buf)), bobbin::DataCloneError);  // NOLINT
  EXPECT_EQ(ch.port2.try_receive(), std::nullopt);
}

// A23/A24 — message-port-transfer-self / -transfer-target: a port cannot be posted through its
// own channel. In bobbin the channel's message type would have to contain its own port type,
// so the type system rules it out; a normal post afterwards works.
template <class P, class M>
concept CanPost = requires(P& p, M&& m) {
  p.post_message(std::forward<M>(m));
};
TEST(NodeMessagePort, A23_A24_APortCannotTravelThroughItsOwnChannel) {
  static_assert(!CanPost<MessagePort<int>, MessagePort<int>>);
  static_assert(CanPost<MessagePort<MessagePort<int>>, MessagePort<int>>);  // another channel's
  MessageChannel<int> ch;
  EXPECT_TRUE(ch.port1.post_message(1));
  EXPECT_EQ(ch.port2.try_receive(), std::optional<int>(1));
}

// A25 — message-port-transfer-closed: a closed port plus an ArrayBuffer in one message throws
// "MessagePort in transfer list is already detached" and the buffer keeps its 10 bytes; for
// either end closed and for both.
TEST(NodeMessagePort, A25_ClosedPortInATransferThrowsAndDetachesNothing) {
  using Bundle = std::pair<MessagePort<int>, ArrayBuffer>;
  MessageChannel<Bundle> carrier;
  for (int which = 0; which < 3; ++which) {
    MessageChannel<int> ch;
    if (which == 0 || which == 2) ch.port1.close();
    if (which == 1 || which == 2) ch.port2.close();
    Bundle bundle(std::move(ch.port1), ArrayBuffer(10));
    try {
      carrier.port1.post_message(std::move(bundle));
      ADD_FAILURE() << "no DataCloneError";
    } catch (const bobbin::DataCloneError& e) {
      EXPECT_STREQ(e.what(), "MessagePort in transfer list is already detached");
    }
    EXPECT_EQ(bundle.second.byte_length(), 10U);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(carrier.port2.try_receive(), std::nullopt);
  }
}

// A30 — message-port-jstransferable-nested-untransferable: a custom transferable whose own
// contents hold an already-moved port makes post_message throw DataCloneError.
struct Custom {
  MessagePort<int> port;
  int payload = 0;
};
void bobbin_validate_message(const Custom& c) { bobbin::detail::check_transfer(c.port); }

TEST(NodeMessagePort, A30_NestedUntransferableThrows) {
  MessageChannel<Custom> carrier;
  MessageChannel<int> ch;
  MessagePort<int> taken = std::move(ch.port1);
  Custom c{std::move(ch.port1), 5};  // NOLINT(bugprone-use-after-move): a moved-from port
  EXPECT_THROW(carrier.port1.post_message(std::move(c)), bobbin::DataCloneError);
  EXPECT_EQ(c.payload, 5);  // NOLINT(bugprone-use-after-move)
  Custom ok{std::move(taken), 6};
  EXPECT_TRUE(carrier.port1.post_message(std::move(ok)));
  EXPECT_EQ(carrier.port2.try_receive()->payload, 6);
}

// A32 — message-port-transfer-terminate: transferring a fresh port to a worker and then
// terminating the worker at once does not crash (10 times).
TEST(NodeMessagePort, A32_TransferToAWorkerThenTerminate) {
  for (int i = 0; i < 10; ++i) {
    MessageChannel<MessagePort<int>> to_worker;
    MessageChannel<int> fresh;
    pl::ThreadHandle handle;
    std::atomic<bool> ready{false};
    std::thread worker([&, p = std::move(to_worker.port2)]() mutable {
      handle = pl::this_thread();
      ready = true;
      try {
        while (auto port = p.receive()) (void)port->receive();
      } catch (const bobbin::TerminatedError&) {
      }
      pl::clear_interrupt();
    });
    to_worker.port1.post_message(std::move(fresh.port2));
    while (!ready) std::this_thread::yield();
    pl::interrupt(handle);  // terminate
    worker.join();
    // Whether or not the worker got the port before it was stopped, the port is destroyed
    // (with the worker's stack, or with the carrier's queue): nothing crashes or leaks.
  }
  SUCCEED();
}

}  // namespace
