// Stress tests of bobbin::MessageChannel / MessagePort (label: stress): many threads posting
// through many ports, ports moved to other threads while messages are in flight, close racing
// with posts, listeners on worker loops. Each checks exact accounting: every message whose
// post returned true is received exactly once, nothing else is, and each producer's messages
// arrive in the order it posted them. ThreadSanitizer runs them in CI.
#include <bobbin/array_buffer.hpp>
#include <bobbin/broadcast_channel.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/message_channel.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "support/sanitizers.hpp"

namespace {

using bobbin::EventLoop;
using bobbin::MessageChannel;
using bobbin::MessagePort;

constexpr int kScale = bobbin_test::kStressScale;

// A message: its producer and its sequence number within that producer.
struct Msg {
  int producer = 0;
  std::uint64_t seq = 0;
};

// Checks that `got` holds, for each producer p, exactly the sequence numbers 0..accepted[p]-1
// in order.
void expect_exact(const std::vector<Msg>& got, const std::vector<std::uint64_t>& accepted) {
  std::vector<std::uint64_t> next(accepted.size(), 0);
  for (const Msg& m : got) {
    ASSERT_GE(m.producer, 0);
    ASSERT_LT(static_cast<std::size_t>(m.producer), accepted.size());
    auto& n = next[static_cast<std::size_t>(m.producer)];
    ASSERT_EQ(m.seq, n) << "producer " << m.producer << ": lost, duplicated or reordered";
    ++n;
  }
  EXPECT_EQ(next, accepted);
}

// Checks messages spread over several receivers: each receiver saw each producer's messages in
// order, and together they hold, for each producer p, exactly 0..accepted[p]-1, each once.
void expect_exact_across(const std::vector<std::vector<Msg>>& lists,
                         const std::vector<std::uint64_t>& accepted) {
  std::vector<std::vector<std::uint64_t>> seqs(accepted.size());
  for (const auto& list : lists) {
    std::vector<std::int64_t> last(accepted.size(), -1);
    for (const Msg& m : list) {
      ASSERT_GE(m.producer, 0);
      ASSERT_LT(static_cast<std::size_t>(m.producer), accepted.size());
      auto& l = last[static_cast<std::size_t>(m.producer)];
      ASSERT_LT(l, static_cast<std::int64_t>(m.seq)) << "a receiver saw a producer out of order";
      l = static_cast<std::int64_t>(m.seq);
      seqs[static_cast<std::size_t>(m.producer)].push_back(m.seq);
    }
  }
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    auto& s = seqs[k];
    std::sort(s.begin(), s.end());
    ASSERT_EQ(s.size(), accepted[k]);
    for (std::uint64_t i = 0; i < s.size(); ++i) ASSERT_EQ(s[i], i) << "lost or duplicated";
  }
}

// Several channels, each port1 shared by several producer threads, each port2 drained by a
// consumer blocked in receive(); the producers close nothing, the main thread closes each
// channel once its producers are done.
TEST(MessageChannelStress, ManyProducersManyPorts) {
  constexpr int kChannels = 3;
  constexpr int kProducersPerChannel = 3;
  const std::uint64_t per_producer = 2000ULL * kScale;
  std::vector<std::unique_ptr<MessageChannel<Msg>>> channels;
  for (int c = 0; c < kChannels; ++c) channels.push_back(std::make_unique<MessageChannel<Msg>>());
  std::vector<std::vector<Msg>> received(kChannels);
  std::vector<std::thread> consumers;
  for (int c = 0; c < kChannels; ++c) {
    consumers.emplace_back(
        [&, c, p = std::move(channels[static_cast<std::size_t>(c)]->port2)]() mutable {
          while (auto m = p.receive()) received[static_cast<std::size_t>(c)].push_back(*m);
        });
  }
  std::vector<std::thread> producers;
  for (int c = 0; c < kChannels; ++c) {
    for (int k = 0; k < kProducersPerChannel; ++k) {
      producers.emplace_back([&, c, k] {
        auto& port = channels[static_cast<std::size_t>(c)]->port1;
        for (std::uint64_t i = 0; i < per_producer; ++i) ASSERT_TRUE(port.post_message(Msg{k, i}));
      });
    }
  }
  for (auto& t : producers) t.join();
  for (auto& ch : channels) ch->port1.close();
  for (auto& t : consumers) t.join();
  for (int c = 0; c < kChannels; ++c) {
    expect_exact(received[static_cast<std::size_t>(c)],
                 std::vector<std::uint64_t>(kProducersPerChannel, per_producer));
  }
}

// One producer posts a numbered stream; the receiving port is passed between three consumer
// threads (moved through carrier channels) while messages are in flight. Concatenated in
// hand-over order, what they received is exactly the stream.
TEST(MessageChannelStress, PortMovedBetweenThreadsWhileMessagesFly) {
  constexpr int kConsumers = 3;
  const std::uint64_t total = 20000ULL * kScale;
  MessageChannel<Msg> data;
  // carriers[i] hands the port to consumer i.
  std::vector<std::unique_ptr<MessageChannel<MessagePort<Msg>>>> carriers;
  for (int i = 0; i < kConsumers; ++i) {
    carriers.push_back(std::make_unique<MessageChannel<MessagePort<Msg>>>());
  }
  // Each consumer takes a slice, then hands the port on; the log records (consumer, msg).
  std::vector<std::vector<Msg>> logs(kConsumers);
  std::atomic<std::uint64_t> handoffs{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < kConsumers; ++i) {
    consumers.emplace_back([&, i] {
      auto& mine = logs[static_cast<std::size_t>(i)];
      auto& in = carriers[static_cast<std::size_t>(i)]->port2;
      auto& next = carriers[static_cast<std::size_t>((i + 1) % kConsumers)]->port1;
      while (auto port = in.receive()) {
        for (;;) {
          // Take up to 97 messages (or stop at the end of the stream), then pass the port on.
          for (int n = 0; n < 97; ++n) {
            auto m = port->receive();
            if (!m) {
              for (auto& c : carriers) c->port1.close();  // end of stream: stop everyone
              return;
            }
            mine.push_back(*m);
          }
          handoffs.fetch_add(1, std::memory_order_relaxed);
          try {
            if (!next.post_message(std::move(*port))) return;
            break;
          } catch (const bobbin::DataCloneError&) {
            // The stream closed meanwhile: a closed port cannot be transferred, and the failed
            // post left it untouched, so this consumer drains the rest.
            EXPECT_TRUE(port->valid());
          }
        }
      }
    });
  }
  carriers[0]->port1.post_message(std::move(data.port2));
  for (std::uint64_t i = 0; i < total; ++i) ASSERT_TRUE(data.port1.post_message(Msg{0, i}));
  data.port1.close();
  for (auto& t : consumers) t.join();
  // Every message was received once, in order within each consumer; merged they are exact.
  std::vector<Msg> all;
  for (auto& log : logs) all.insert(all.end(), log.begin(), log.end());
  std::sort(all.begin(), all.end(), [](const Msg& a, const Msg& b) { return a.seq < b.seq; });
  expect_exact(all, {total});
  for (auto& log : logs) {
    for (std::size_t j = 1; j < log.size(); ++j) ASSERT_LT(log[j - 1].seq, log[j].seq);
  }
  EXPECT_GT(handoffs.load(), 0U);
}

// Producers post until a closer thread closes the channel from the receiving side in the
// middle of the flood: each producer's accepted posts form a prefix, and the consumer (a
// listener on a worker loop) receives exactly those.
TEST(MessageChannelStress, CloseUnderLoad) {
  constexpr int kProducers = 4;
  const int rounds = 4 * kScale;
  for (int round = 0; round < rounds; ++round) {
    MessageChannel<Msg> ch;
    std::vector<std::uint64_t> accepted(kProducers, 0);
    std::vector<Msg> got;
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<bool> served{false};
    MessagePort<Msg> closer_handle = std::move(ch.port2);
    std::thread consumer([&, p = std::move(closer_handle)]() mutable {
      p.on_message([&](Msg m) {
        got.push_back(m);
        if (delivered.fetch_add(1, std::memory_order_relaxed) == 500) p.close();  // mid-flood
      });
      served = true;
      EventLoop::current().run();  // until the close event
    });
    while (!served) std::this_thread::yield();
    std::vector<std::thread> producers;
    for (int k = 0; k < kProducers; ++k) {
      producers.emplace_back([&, k] {
        std::uint64_t i = 0;
        while (ch.port1.post_message(Msg{k, i})) ++i;
        accepted[static_cast<std::size_t>(k)] = i;
      });
    }
    for (auto& t : producers) t.join();
    consumer.join();
    expect_exact(got, accepted);
  }
}

// Listeners on worker loops, both directions at once: each side echoes what it gets; the
// initiator counts replies and closes; every message is answered exactly once, in order.
TEST(MessageChannelStress, PingPongOnTwoLoops) {
  const int count = 5000 * kScale;
  MessageChannel<int> ch;
  std::thread echo([p = std::move(ch.port2)]() mutable {
    p.on_message([&](int v) { p.post_message(v); });
    EventLoop::current().run();
  });
  int next = 0;
  std::thread initiator([&, p = std::move(ch.port1)]() mutable {
    p.on_message([&](int v) {
      ASSERT_EQ(v, next);
      ++next;
      if (next == count) {
        p.close();
      } else {
        p.post_message(next);
      }
    });
    p.post_message(0);
    EventLoop::current().run();
  });
  initiator.join();
  echo.join();
  EXPECT_EQ(next, count);
}

// BroadcastChannel: producers on several threads broadcast; each receiver gets exactly every
// other channel's messages, per-sender in order.
TEST(MessageChannelStress, BroadcastManySenders) {
  constexpr int kMembers = 4;
  const std::uint64_t per_sender = 500ULL * kScale;
  std::vector<std::unique_ptr<bobbin::BroadcastChannel<Msg>>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::make_unique<bobbin::BroadcastChannel<Msg>>("stress-broadcast"));
  }
  std::vector<std::vector<Msg>> got(kMembers);
  std::vector<std::thread> threads;
  std::atomic<int> started{0};
  for (int i = 0; i < kMembers; ++i) {
    threads.emplace_back([&, i] {
      auto& me = *members[static_cast<std::size_t>(i)];
      ++started;
      for (std::uint64_t n = 0; n < per_sender; ++n) me.post_message(Msg{i, n});
      // Drain what the others send: (kMembers - 1) * per_sender messages.
      auto& mine = got[static_cast<std::size_t>(i)];
      while (mine.size() < (kMembers - 1) * per_sender) {
        auto m = me.receive();
        ASSERT_TRUE(m);
        mine.push_back(*m);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kMembers; ++i) {
    std::vector<std::uint64_t> expected(kMembers, per_sender);
    expected[static_cast<std::size_t>(i)] = 0;  // never its own
    expect_exact(got[static_cast<std::size_t>(i)], expected);
  }
}

// Several threads block in receive() on the same port while two producers post bursts (the
// receivers take the queue in batches, so one receiver may hold a batch while the others
// park). Every accepted message is received exactly once, each receiver sees each producer's
// messages in order, and every receiver returns nullopt after the close.
TEST(MessageChannelStress, ManyBlockingReceiversOnOnePort) {
  constexpr int kReceivers = 3;
  constexpr int kProducers = 2;
  const std::uint64_t per_producer = 5000ULL * kScale;
  MessageChannel<Msg> ch;
  std::vector<std::vector<Msg>> got(kReceivers);
  std::vector<std::thread> receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.emplace_back([&, r] {
      while (auto m = ch.port2.receive()) got[static_cast<std::size_t>(r)].push_back(*m);
    });
  }
  std::vector<std::thread> producers;
  for (int k = 0; k < kProducers; ++k) {
    producers.emplace_back([&, k] {
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        ASSERT_TRUE(ch.port1.post_message(Msg{k, i}));
        if (i % 64 == 63) std::this_thread::yield();  // bursts: receivers drain and park
      }
    });
  }
  for (auto& t : producers) t.join();
  ch.port1.close();
  for (auto& t : receivers) t.join();
  expect_exact_across(got, std::vector<std::uint64_t>(kProducers, per_producer));
}

// Large clones (announced to the receivers before their copy, PortQueue::announce) from several
// producers to blocking receivers, with the channel closed while posts are still in flight:
// every accepted clone arrives once, per-producer in order, with the bytes it was posted with,
// and every receiver returns once the channel is closed and drained (no receiver sleeps
// through a message or waits forever on an announcement that ended).
TEST(MessageChannelStress, AnnouncedClonesWithCloseUnderLoad) {
  constexpr int kReceivers = 2;
  constexpr int kProducers = 2;
  constexpr std::size_t kBytes = std::size_t{40} << 10;  // above the announce threshold
  const std::uint64_t per_producer = 300ULL * kScale;
  MessageChannel<bobbin::ArrayBuffer> ch;
  std::vector<std::vector<Msg>> got(kReceivers);
  std::atomic<int> bad{0};
  std::vector<std::thread> receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.emplace_back([&, r] {
      while (auto b = ch.port2.receive()) {
        Msg m{};
        std::memcpy(&m, b->data(), sizeof m);
        const auto tail = static_cast<std::byte>(m.seq & 0xff);
        if (b->byte_length() != kBytes || b->data()[kBytes - 1] != tail) ++bad;
        got[static_cast<std::size_t>(r)].push_back(m);
      }
    });
  }
  std::vector<std::uint64_t> accepted(kProducers, 0);  // each written by its producer only
  std::atomic<std::uint64_t> posted{0};
  std::vector<std::thread> producers;
  for (int k = 0; k < kProducers; ++k) {
    producers.emplace_back([&, k] {
      bobbin::ArrayBuffer buf(kBytes);
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        const Msg m{k, accepted[static_cast<std::size_t>(k)]};
        std::memcpy(buf.data(), &m, sizeof m);
        buf.data()[kBytes - 1] = static_cast<std::byte>(m.seq & 0xff);
        if (!ch.port1.post_message(buf)) return;  // closed
        ++accepted[static_cast<std::size_t>(k)];
        ++posted;
        buf.data()[kBytes - 1] = std::byte{0xee};  // after the post: never seen
        if (i % 16 == 15) std::this_thread::yield();  // bursts: receivers drain and park
      }
    });
  }
  // Close once about half of the messages are through, while posts are still being made.
  while (posted.load() < per_producer) std::this_thread::yield();
  ch.port1.close();
  for (auto& t : producers) t.join();
  for (auto& t : receivers) t.join();
  EXPECT_EQ(bad.load(), 0);
  expect_exact_across(got, accepted);
}

}  // namespace
