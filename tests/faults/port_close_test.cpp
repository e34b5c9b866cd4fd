// Fault injection: ports closed (or destroyed) from either side while messages are in flight,
// listeners that throw, and actors that crash under load.
//
// Exact accounting: every message whose post returned true is received exactly once, in
// order, even when the close raced the post (a MessagePort drains after close); every post
// after the close returns false; both ends see close; blocked receivers wake. Actors: every
// accepted message is handled exactly once or counted in dropped(); every ask settles.
#include <bobbin/actor.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>
#include <bobbin/promise.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/sanitizers.hpp"

namespace {

constexpr int kRounds = 25 * bobbin_test::kStressScale;
constexpr int kMessages = 2000;

// One sender thread posts 0, 1, 2, ... until a post fails; a receiver thread blocks in
// receive() until nullopt; a third party closes (the sender's port, the receiver's port, or
// destroys the receiver's port's peer) at a point decided by a handshake.
TEST(PortClose, CloseFromEitherSideWhileInFlightDeliversExactlyTheAcceptedPosts) {
  for (int round = 0; round < kRounds; ++round) {
    bobbin::MessageChannel<std::int64_t> ch;
    std::atomic<std::int64_t> accepted{0};
    std::atomic<bool> sender_saw_close{false};
    std::vector<std::int64_t> got;
    std::thread receiver([&] {
      while (auto m = ch.port2.receive()) got.push_back(*m);
    });
    std::thread sender([&] {
      for (std::int64_t i = 0; i < kMessages; ++i) {
        if (!ch.port1.post_message(i)) {
          sender_saw_close.store(true);
          return;
        }
        accepted.store(i + 1);
      }
    });
    const std::int64_t when = (round * 97) % kMessages;
    while (accepted.load() < when) std::this_thread::yield();
    if (round % 2 == 0) {
      ch.port1.close();
    } else {
      ch.port2.close();
    }
    sender.join();
    receiver.join();
    ASSERT_EQ(static_cast<std::int64_t>(got.size()), accepted.load());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<std::int64_t>(i));
    EXPECT_TRUE(ch.port1.closed());
    EXPECT_TRUE(ch.port2.closed());
    EXPECT_FALSE(ch.port1.post_message(std::int64_t{-1}));
    EXPECT_FALSE(ch.port2.post_message(std::int64_t{-1}));
    EXPECT_EQ(sender_saw_close.load(), accepted.load() < kMessages);
  }
}

// Two channels, both directions busy, both ports closed concurrently by two threads, with a
// listener on the event loop as the receiver: the close event comes after every accepted
// message, exactly once, and the loop ends (no leaked ref).
TEST(PortClose, ConcurrentCloseOfBothEndsWithAListenerDeliversThenClosesOnce) {
  for (int round = 0; round < kRounds; ++round) {
    bobbin::MessageChannel<std::int64_t> ch;
    std::atomic<std::int64_t> accepted{0};
    std::vector<std::int64_t> got;
    int closes = 0;
    bool message_after_close = false;
    ch.port2.on_message([&](std::int64_t v) {
      message_after_close = message_after_close || closes > 0;
      got.push_back(v);
    });
    ch.port2.on_close([&] { ++closes; });
    std::atomic<bool> sender_done{false};
    std::thread sender([&] {
      for (std::int64_t i = 0; i < kMessages; ++i) {
        if (!ch.port1.post_message(i)) break;
        accepted.store(i + 1);
      }
      sender_done.store(true);
    });
    // Each closer closes once enough has been sent, or once the other close stopped the sender.
    auto closer = [&](auto& port, std::int64_t after) {
      while (accepted.load() < after && !sender_done.load()) std::this_thread::yield();
      port.close();
    };
    std::thread closer1([&] { closer(ch.port1, round % 50); });
    std::thread closer2([&] { closer(ch.port2, round % 70); });
    closer1.join();
    closer2.join();
    sender.join();
    bobbin::run();  // returns once the close event has run: nothing keeps the loop alive
    EXPECT_EQ(closes, 1);
    EXPECT_FALSE(message_after_close);
    ASSERT_EQ(static_cast<std::int64_t>(got.size()), accepted.load());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<std::int64_t>(i));
  }
}

// Destroying the sending port while a receiver is parked wakes it with nullopt after the
// queued messages.
TEST(PortClose, DestroyingThePeerWakesAParkedReceiverAfterTheQueue) {
  for (int round = 0; round < kRounds; ++round) {
    bobbin::MessageChannel<int> ch;
    auto sender = std::make_unique<bobbin::MessagePort<int>>(std::move(ch.port1));
    std::vector<int> got;
    std::thread receiver([&] {
      while (auto m = ch.port2.receive()) got.push_back(*m);
    });
    const void* key = bobbin::detail::port_park_key(ch.port2);
    for (int i = 0; i < round % 5; ++i) ASSERT_TRUE(sender->post_message(i));
    // Handshake: the receiver has drained the queue and parked (for rounds > 0 it may also
    // still be draining: the destroy then races the drain, which is the point).
    if (round % 3 == 0) {
      while (bobbin::parking_lot::parked(key) == 0) std::this_thread::yield();
    }
    sender.reset();
    receiver.join();
    std::vector<int> want;
    for (int i = 0; i < round % 5; ++i) want.push_back(i);
    EXPECT_EQ(got, want);
  }
}

// A listener that throws: the exception leaves run() (no uncaught handler), the message that
// threw is consumed, the rest are delivered by the next run, each exactly once.
TEST(PortClose, ThrowingListenerConsumesOnlyItsMessage) {
  bobbin::MessageChannel<int> ch;
  std::vector<int> got;
  int throws = 0;
  ch.port2.on_message([&](int v) {
    if (v % 10 == 3) {
      ++throws;
      throw std::runtime_error("listener failed");
    }
    got.push_back(v);
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ch.port1.post_message(i));
  ch.port1.close();
  int escaped = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    try {
      bobbin::run();
      break;
    } catch (const std::runtime_error&) {
      ++escaped;
    }
  }
  EXPECT_EQ(throws, 10);
  EXPECT_EQ(escaped, 10);
  std::vector<int> want;
  for (int i = 0; i < 100; ++i) {
    if (i % 10 != 3) want.push_back(i);
  }
  EXPECT_EQ(got, want);
}

// Actors crashing under load, restart policy: every accepted message is handled exactly once
// (a throw counts as handled: it consumed the message), restarts() counts the throws, and
// every ask settles (fulfilled, or rejected with the handler's exception).
TEST(ActorCrash, RestartUnderLoadHandlesEveryAcceptedMessageOnce) {
  bobbin::ActorSystem actors(2);
  std::atomic<std::int64_t> handled_sum{0};
  std::atomic<std::int64_t> handled{0};
  std::atomic<std::int64_t> threw{0};
  auto ref = actors.spawn<std::int64_t>([&](std::int64_t v) {
    handled.fetch_add(1);
    if (v % 7 == 0) {
      threw.fetch_add(1);
      throw std::runtime_error("actor crashed");
    }
    handled_sum.fetch_add(v);
    return v;
  });
  constexpr int kSenders = 3;
  const std::int64_t per = 500 * bobbin_test::kStressScale;
  std::vector<std::int64_t> accepted_sum(kSenders, 0), accepted(kSenders, 0);
  std::vector<std::vector<bobbin::Promise<std::int64_t>>> asks(kSenders);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (std::int64_t i = 0; i < per; ++i) {
        const std::int64_t v = s * per + i + 1;
        if (i % 5 == 0) {
          asks[static_cast<std::size_t>(s)].push_back(ref.ask(v));
          ++accepted[static_cast<std::size_t>(s)];
          if (v % 7 != 0) accepted_sum[static_cast<std::size_t>(s)] += v;
        } else if (ref.tell(v)) {
          ++accepted[static_cast<std::size_t>(s)];
          if (v % 7 != 0) accepted_sum[static_cast<std::size_t>(s)] += v;
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  std::int64_t fulfilled = 0, rejected = 0;
  for (auto& v : asks) {
    for (auto& p : v) {
      try {
        (void)p.get();
        ++fulfilled;
      } catch (const std::runtime_error&) {
        ++rejected;
      }
    }
  }
  ref.stop().get();
  std::int64_t want_sum = 0, want_count = 0;
  for (int s = 0; s < kSenders; ++s) {
    want_sum += accepted_sum[static_cast<std::size_t>(s)];
    want_count += accepted[static_cast<std::size_t>(s)];
  }
  EXPECT_EQ(want_count, kSenders * per);  // an unbounded, running actor refuses nothing
  EXPECT_EQ(handled.load(), want_count);
  EXPECT_EQ(handled_sum.load(), want_sum);
  EXPECT_EQ(static_cast<std::int64_t>(ref.restarts()), threw.load());
  EXPECT_EQ(ref.dropped(), 0u);
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(fulfilled + rejected, static_cast<std::int64_t>(asks[0].size() * kSenders));
  actors.stop().get();
}

// Stop policy under load: the first throw stops the actor; every accepted message is either
// handled or counted in dropped(), exactly: handled + dropped == accepted.
TEST(ActorCrash, StopUnderLoadAccountsEveryAcceptedMessage) {
  for (int round = 0; round < 5; ++round) {
    bobbin::ActorSystem actors(2);
    std::atomic<std::int64_t> handled{0};
    const std::int64_t fatal = 100 + round * 50;
    auto ref = actors.spawn<std::int64_t>(
        [&](std::int64_t v) {
          handled.fetch_add(1);
          if (v == fatal) throw std::runtime_error("actor crashed");
        },
        {.supervision = bobbin::Supervision::stop});
    constexpr int kSenders = 2;
    std::atomic<std::int64_t> accepted{0};
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([&, s] {
        for (std::int64_t i = 0; i < 1000; ++i) {
          if (ref.tell(s == 0 ? i : 10000 + i)) accepted.fetch_add(1);
        }
      });
    }
    for (auto& t : senders) t.join();
    ref.stop().get();
    EXPECT_TRUE(ref.closed());
    EXPECT_FALSE(ref.tell(1));
    EXPECT_EQ(handled.load() + static_cast<std::int64_t>(ref.dropped()), accepted.load());
    EXPECT_GE(handled.load(), 1);
    actors.stop().get();
  }
}

}  // namespace
