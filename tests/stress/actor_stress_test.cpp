// Stress tests of bobbin's actors (run under ThreadSanitizer in CI): many senders and many
// actors, restarts under load, stops under load, bounded mailboxes under load, actors feeding
// actors. Exact accounting everywhere: every accepted message is handled exactly once or
// counted in dropped(), per-sender order holds, and every ask settles.
#include <bobbin/actor.hpp>
#include <bobbin/errors.hpp>
#include <bobbin/promise.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/sanitizers.hpp"

namespace {

using bobbin::ActorSystem;
using bobbin::MailboxOverflow;
using bobbin::Supervision;

constexpr int kScale = bobbin_test::kStressScale;

struct Msg {
  int sender;
  int seq;
};

struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};

// Per-sender order check kept outside the handler (so restarts do not reset it).
struct OrderBook {
  explicit OrderBook(int senders) : last(static_cast<std::size_t>(senders), -1) {}
  void see(const Msg& m) {
    int& l = last[static_cast<std::size_t>(m.sender)];
    if (m.seq <= l) ++out_of_order;
    l = m.seq;
    ++handled;
  }
  std::vector<int> last;  // the actor's
  int out_of_order = 0;
  std::int64_t handled = 0;
};

// How an ask ended: 1 fulfilled with the expected value, 2 rejected with E, 0 otherwise.
template <class E, class T, class V>
int outcome(const bobbin::Promise<T>& p, const V& expected) {
  try {
    if constexpr (std::is_void_v<T>) {
      p.get();
      static_cast<void>(expected);
      return 1;
    } else {
      return p.get() == expected ? 1 : 0;
    }
  } catch (const E&) {
    return 2;
  } catch (...) {
    return 0;
  }
}

TEST(ActorStress, ManySendersManyActorsTellsAndAsks) {
  constexpr int kSenders = 4;
  constexpr int kActors = 8;
  const int each = 300 * kScale;  // per sender per actor
  ActorSystem actors(3);
  std::vector<std::unique_ptr<OrderBook>> books;
  std::vector<bobbin::ActorRef<Msg, int>> refs;
  for (int a = 0; a < kActors; ++a) {
    books.push_back(std::make_unique<OrderBook>(kSenders));
    OrderBook* book = books.back().get();
    refs.push_back(actors.spawn<Msg>([book](Msg m) {
      book->see(m);
      return m.seq;
    }));
  }
  std::vector<std::vector<bobbin::Promise<int>>> asks(kSenders);
  std::vector<std::vector<int>> ask_seq(kSenders);
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < each; ++i) {
        for (int a = 0; a < kActors; ++a) {
          if (i % 16 == s) {
            asks[s].push_back(refs[a].ask(Msg{s, i}));
            ask_seq[s].push_back(i);
          } else {
            ASSERT_TRUE(refs[a].tell(Msg{s, i}));
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int s = 0; s < kSenders; ++s) {
    for (std::size_t k = 0; k < asks[s].size(); ++k) {
      EXPECT_EQ(asks[s][k].get(), ask_seq[s][k]);
    }
  }
  actors.stop().get();
  for (auto& b : books) {
    EXPECT_EQ(b->out_of_order, 0);
    EXPECT_EQ(b->handled, std::int64_t{kSenders} * each);
  }
}

TEST(ActorStress, RestartsUnderLoad) {
  constexpr int kSenders = 3;
  const int each = 2000 * kScale;
  ActorSystem actors(2);
  OrderBook book(kSenders);
  std::atomic<int> fresh_states{0};
  struct Handler {
    OrderBook* book;
    std::atomic<int>* fresh;
    int calls = 0;  // reset by every restart
    int operator()(Msg m) {
      if (calls++ == 0) fresh->fetch_add(1);
      book->see(m);
      if (m.seq % 7 == 3) throw Boom();
      return m.seq;
    }
  };
  auto a = actors.spawn<Msg>(Handler{&book, &fresh_states, 0});
  std::vector<std::vector<bobbin::Promise<int>>> asks(kSenders);
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < each; ++i) {
        if (i % 2 == 0) {
          asks[s].push_back(a.ask(Msg{s, i}));
        } else {
          ASSERT_TRUE(a.tell(Msg{s, i}));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  int rejected = 0;
  int fulfilled = 0;
  for (int s = 0; s < kSenders; ++s) {
    for (std::size_t k = 0; k < asks[s].size(); ++k) {
      const int seq = static_cast<int>(2 * k);
      const int r = outcome<Boom>(asks[s][k], seq);
      EXPECT_EQ(r, seq % 7 == 3 ? 2 : 1);
      (r == 2 ? rejected : fulfilled) += 1;
    }
  }
  a.stop().get();
  int throws = 0;
  for (int i = 0; i < each; ++i) throws += i % 7 == 3 ? kSenders : 0;
  EXPECT_EQ(book.out_of_order, 0);
  EXPECT_EQ(book.handled, std::int64_t{kSenders} * each);
  EXPECT_EQ(a.restarts(), static_cast<std::size_t>(throws));
  EXPECT_EQ(a.dropped(), 0u);
  EXPECT_GE(fresh_states.load(), 1);
  EXPECT_EQ(rejected + fulfilled, kSenders * ((each + 1) / 2));
}

// Senders keep sending while another thread stops the actor: what was accepted is handled
// exactly once, in per-sender order; every ask settles (fulfilled, or ClosedError if refused).
void stop_under_load(bobbin::ActorOptions options) {
  constexpr int kSenders = 3;
  const int each = 3000 * kScale;
  for (int round = 0; round < 4; ++round) {
    ActorSystem actors(2);
    OrderBook book(kSenders);
    auto a = actors.spawn<Msg>(
        [&book](Msg m) {
          book.see(m);
          return m.seq;
        },
        options);
    std::vector<std::int64_t> accepted(kSenders, 0);
    std::vector<std::vector<bobbin::Promise<int>>> asks(kSenders);
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int s = 0; s < kSenders; ++s) {
      threads.emplace_back([&, s] {
        started.fetch_add(1);
        for (int i = 0; i < each; ++i) {
          if (i % 5 == 0) {
            asks[s].push_back(a.ask(Msg{s, i}));
          } else if (a.tell(Msg{s, i})) {
            ++accepted[s];
          }
        }
      });
    }
    while (started.load() < kSenders) std::this_thread::yield();
    bobbin::Promise<void> stopped = a.stop();
    for (auto& t : threads) t.join();
    stopped.get();
    std::int64_t total = 0;
    for (int s = 0; s < kSenders; ++s) {
      total += accepted[s];
      for (std::size_t k = 0; k < asks[s].size(); ++k) {
        const int r = outcome<bobbin::ClosedError>(asks[s][k], static_cast<int>(5 * k));
        EXPECT_NE(r, 0);  // fulfilled with its value, or refused with ClosedError
        if (r == 1) ++total;
      }
    }
    EXPECT_EQ(book.out_of_order, 0);
    EXPECT_EQ(book.handled, total);
    EXPECT_EQ(a.dropped(), 0u);
  }
}

TEST(ActorStress, StopUnderLoadUnbounded) { stop_under_load({}); }

TEST(ActorStress, StopUnderLoadBoundedBlock) {
  stop_under_load({.mailbox_capacity = 8, .overflow = MailboxOverflow::block});
}

TEST(ActorStress, SupervisionStopUnderLoadDropsAreCounted) {
  constexpr int kSenders = 3;
  const int each = 2000 * kScale;
  ActorSystem actors(2);
  std::int64_t handled = 0;
  auto a = actors.spawn<Msg>(
      [&handled](Msg m) {
        ++handled;
        if (m.sender == 0 && m.seq == 500) throw Boom();
      },
      {.supervision = Supervision::stop});
  std::vector<std::int64_t> accepted(kSenders, 0);
  std::vector<std::vector<bobbin::Promise<void>>> asks(kSenders);
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < each; ++i) {
        if (i % 3 == 0) {
          asks[s].push_back(a.ask(Msg{s, i}));
        } else if (a.tell(Msg{s, i})) {
          ++accepted[s];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  a.stopped().get();
  // Accepted = tells that returned true + asks not refused at the door. A refused ask rejects
  // with ClosedError("... is stopped"); an accepted one that was dropped rejects with
  // ClosedError("... before this message") and is counted in dropped().
  std::int64_t total = 0;
  for (int s = 0; s < kSenders; ++s) {
    total += accepted[s];
    for (auto& p : asks[s]) {
      try {
        p.get();
        ++total;
      } catch (const Boom&) {
        ++total;  // the failing message itself was handled
      } catch (const bobbin::ClosedError& e) {
        if (std::string(e.what()).find("before this message") != std::string::npos) ++total;
      }
    }
  }
  EXPECT_EQ(handled + static_cast<std::int64_t>(a.dropped()), total);
  EXPECT_FALSE(a.tell(Msg{0, 0}));
}

// What one run of tell_under_load saw.
struct LoadResult {
  explicit LoadResult(int senders) : book(senders) {}
  OrderBook book;
  std::int64_t accepted = 0;  // tells that returned true
  std::size_t dropped = 0;  // the actor's dropped() after stop
};

// Spawns an actor with a 4-slot mailbox under `overflow`, has `senders` threads tell it `each`
// numbered messages, stops it and reports what it handled, accepted and dropped.
LoadResult tell_under_load(MailboxOverflow overflow, int senders, int each) {
  ActorSystem actors(2);
  LoadResult r(senders);
  auto a = actors.spawn<Msg>([&r](Msg m) { r.book.see(m); },
                             {.mailbox_capacity = 4, .overflow = overflow});
  std::vector<std::int64_t> accepted(static_cast<std::size_t>(senders), 0);
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      std::int64_t& mine = accepted[static_cast<std::size_t>(s)];
      for (int i = 0; i < each; ++i) mine += a.tell(Msg{s, i}) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  a.stop().get();
  for (const std::int64_t n : accepted) r.accepted += n;
  r.dropped = a.dropped();
  return r;
}

TEST(ActorStress, BoundedBlockUnderLoadKeepsOrderAndCount) {
  constexpr int kSenders = 4;
  const int each = 2000 * kScale;
  const LoadResult r = tell_under_load(MailboxOverflow::block, kSenders, each);
  EXPECT_EQ(r.accepted, std::int64_t{kSenders} * each);
  EXPECT_EQ(r.book.out_of_order, 0);
  EXPECT_EQ(r.book.handled, std::int64_t{kSenders} * each);
}

TEST(ActorStress, DropOldestUnderLoadAccountsForEveryMessage) {
  constexpr int kSenders = 3;
  const int each = 3000 * kScale;
  const LoadResult r = tell_under_load(MailboxOverflow::drop_oldest, kSenders, each);
  EXPECT_EQ(r.accepted, std::int64_t{kSenders} * each);
  EXPECT_EQ(r.book.out_of_order, 0);
  EXPECT_EQ(r.book.handled + static_cast<std::int64_t>(r.dropped), std::int64_t{kSenders} * each);
}

TEST(ActorStress, FailPolicyUnderLoadAccountsForEveryMessage) {
  constexpr int kSenders = 3;
  const int each = 3000 * kScale;
  const LoadResult r = tell_under_load(MailboxOverflow::fail, kSenders, each);
  EXPECT_EQ(r.book.out_of_order, 0);
  EXPECT_EQ(r.book.handled, r.accepted);
  EXPECT_EQ(r.dropped, 0u);
}

TEST(ActorStress, PipelineOfActorsTellingActors) {
  constexpr int kStages = 4;
  constexpr int kSenders = 2;
  const int each = 2000 * kScale;
  ActorSystem actors(3);
  OrderBook book(kSenders);
  std::vector<bobbin::ActorRef<Msg, void>> stages(kStages);
  stages[kStages - 1] = actors.spawn<Msg>([&book](Msg m) { book.see(m); });
  for (int k = kStages - 2; k >= 0; --k) {
    stages[k] = actors.spawn<Msg>([next = stages[k + 1]](Msg m) { next.tell(m); });
  }
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < each; ++i) ASSERT_TRUE(stages[0].tell(Msg{s, i}));
    });
  }
  for (auto& t : threads) t.join();
  for (auto& stage : stages) stage.stop().get();  // in pipeline order: each drains into the next
  EXPECT_EQ(book.out_of_order, 0);
  EXPECT_EQ(book.handled, std::int64_t{kSenders} * each);
}

TEST(ActorStress, HandlersBlockedOnOtherActorsAreTakenOver) {
  // Two front actors block on asks to a back actor; with three threads the back actor must
  // always find a thread, even when it was made ready behind a blocked handler.
  constexpr int kSenders = 2;
  const int each = 50 * kScale;
  ActorSystem actors(3);
  auto back = actors.spawn<int>([](int n) { return n * 2; });
  std::vector<bobbin::ActorRef<int, int>> fronts;
  for (int f = 0; f < 2; ++f) {
    fronts.push_back(actors.spawn<int>([back](int n) { return back.ask(n).get() + 1; }));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      std::vector<bobbin::Promise<int>> asks;
      for (int i = 0; i < each; ++i) asks.push_back(fronts[static_cast<std::size_t>(s)].ask(i));
      for (int i = 0; i < each; ++i) {
        if (asks[static_cast<std::size_t>(i)].get() != 2 * i + 1) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  actors.stop().get();
}

TEST(ActorStress, SystemDestroyedWhileSendersRun) {
  constexpr int kSenders = 3;
  for (int round = 0; round < 5; ++round) {
    std::atomic<std::int64_t> handled{0};
    std::vector<std::int64_t> accepted(kSenders, 0);
    std::vector<std::thread> threads;
    std::atomic<int> started{0};
    {
      ActorSystem actors(2);
      auto a = actors.spawn<Msg>([&handled](Msg) { handled.fetch_add(1); });
      for (int s = 0; s < kSenders; ++s) {
        threads.emplace_back([&, s, a] {
          started.fetch_add(1);
          for (int i = 0;; ++i) {
            if (!a.tell(Msg{s, i})) break;
            ++accepted[s];
          }
        });
      }
      while (started.load() < kSenders) std::this_thread::yield();
    }  // ~ActorSystem: stops the actor, which drains what it accepted
    for (auto& t : threads) t.join();
    EXPECT_EQ(handled.load(), accepted[0] + accepted[1] + accepted[2]);
  }
}

// Envelope slabs under churn: rounds of short-lived sender threads tell (and ask) several
// actors whose handlers also tell a downstream actor, so slabs are retired by exiting threads
// while their envelopes still wait, freed by scheduler threads, and recycled to other senders.
// Exact accounting and per-sender order at both stages.
TEST(ActorStress, ShortLivedSendersRecycleEnvelopeSlabs) {
  constexpr int kSenders = 4;
  constexpr int kActors = 3;
  constexpr int kRounds = 6;
  const int each = 1500 * kScale;  // per sender per actor per round: several slabs per thread
  ActorSystem actors(2);
  auto sink_book = std::make_unique<OrderBook>(kActors);
  OrderBook* sink_book_ptr = sink_book.get();
  auto sink = actors.spawn<Msg>([sink_book_ptr](Msg m) { sink_book_ptr->see(m); });
  std::vector<std::unique_ptr<OrderBook>> books;
  std::vector<bobbin::ActorRef<Msg, int>> refs;
  std::vector<int> forwarded(kActors, 0);  // each actor's own counter
  for (int a = 0; a < kActors; ++a) {
    books.push_back(std::make_unique<OrderBook>(kSenders * kRounds));
    OrderBook* book = books.back().get();
    int* next = &forwarded[static_cast<std::size_t>(a)];
    refs.push_back(actors.spawn<Msg>([book, sink, a, next](Msg m) {
      book->see(m);
      EXPECT_TRUE(sink.tell(Msg{a, (*next)++}));
      return m.seq;
    }));
  }
  std::int64_t ask_errors = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    std::vector<std::int64_t> wrong(kSenders, 0);
    for (int s = 0; s < kSenders; ++s) {
      threads.emplace_back([&, s] {
        const int sender = round * kSenders + s;
        std::vector<std::pair<bobbin::Promise<int>, int>> asks;
        for (int i = 0; i < each; ++i) {
          for (int a = 0; a < kActors; ++a) {
            if (i % 64 == s) {
              asks.emplace_back(refs[static_cast<std::size_t>(a)].ask(Msg{sender, i}), i);
            } else {
              ASSERT_TRUE(refs[static_cast<std::size_t>(a)].tell(Msg{sender, i}));
            }
          }
        }
        for (auto& [p, i] : asks) {
          if (p.get() != i) ++wrong[static_cast<std::size_t>(s)];
        }
      });  // the thread exits with envelopes of its last slab possibly still queued
    }
    for (auto& t : threads) t.join();
    for (std::int64_t w : wrong) ask_errors += w;
  }
  for (auto& r : refs) r.stop().get();
  sink.stop().get();
  EXPECT_EQ(ask_errors, 0);
  const std::int64_t per_actor = std::int64_t{kSenders} * kRounds * each;
  for (auto& b : books) {
    EXPECT_EQ(b->out_of_order, 0);
    EXPECT_EQ(b->handled, per_actor);
  }
  EXPECT_EQ(sink_book->out_of_order, 0);
  EXPECT_EQ(sink_book->handled, per_actor * kActors);
  actors.stop().get();
}

}  // namespace
