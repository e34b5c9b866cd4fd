// happycoin: mine "Happycoins" (random 64-bit numbers that are happy and divisible by 10000),
// the running example of Multithreaded JavaScript, in every shape the book gives it:
//
//   --mode single    one thread (listings 1-7 … 1-9 in C, 3-7 … 3-9 in JavaScript)
//   --mode threads   N workers, each coin posted to the main thread as found (1-10 … 1-12,
//                    3-10 and 3-11); the main thread prints them from its event loop
//   --mode pool      a ThreadPool (the book's Piscina, 3-15 … 3-17), results batched per task
//   --mode batch     N workers, each mining its share and posting all its coins at once as
//                    one vector<uint64_t> (7-5 and 7-6, the book's AssemblyScript/WASM
//                    version, computed natively here); the main thread prints each batch as
//                    it arrives
//   --mode ring      N − 1 producer threads stream their coins through one SPSC RingBuffer
//                    each; the main thread mines a share too and drains the rings between
//                    its blocks, then sleeps on a futex "doorbell" until every ring closes
//   --mode plain     the baseline: a plain C++ loop on N std::threads, coins gathered in
//                    vectors, no library at all, so the cost of the library can be measured
//
// The book's ch1_happycoin / ch1_happycoin_threads / ch3_happycoin* / ch7_happycoin_batch
// listings are all covered by these modes (there is no separate program for each). Three ways
// to return results: one message per coin (threads), one result per pool task (pool, the book's
// string of coins), one vector per worker (batch, the book's WASM array of BigInt).
//
// Flags: --iterations N (draws, default 10,000,000), --threads N (default: the CPU count),
// --seed S (reproducible; default from std::random_device), --check (verify the output: every
// printed coin is happy by an independent test and divisible by 10000, the count matches, and
// the coins equal those of a single-threaded run over the same draws), --quiet (no coin list).
// The book runs its loop from 1 to below 10,000,000 (9,999,999 draws); here --iterations is the
// exact number of draws. See happycoin.hpp for the algorithm and the book bugs it fixes.
//
// Output: the coins separated by spaces, "count N", then one summary line with the rate. On a
// terminal, each coin gets its own line as it arrives and a progress line is drawn on stderr.
#include "example_support.hpp"
#include "happycoin.hpp"

#include <bobbin/atomics.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/ring_buffer.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/thread_pool.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace atomics = bobbin::atomics;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string mode = "single";
  std::uint64_t iterations = 10'000'000;
  unsigned threads = std::max(1U, std::thread::hardware_concurrency());
  std::uint64_t seed = 0;
  bool seeded = false;
  bool check = false;
  bool quiet = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "happycoin: %s\nusage: happycoin [--mode single|threads|pool|batch|ring|plain] "
               "[--iterations N] [--threads N] [--seed S] [--check] [--quiet]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  examples::FlagReader args(argc, argv, usage);
  while (args.next()) {
    if (args.is("--mode")) {
      options.mode = args.text();
    } else if (args.is("--iterations")) {
      options.iterations = args.number();
    } else if (args.is("--threads")) {
      options.threads = static_cast<unsigned>(args.number());
      if (options.threads == 0 || options.threads > 1024) usage("--threads must be 1..1024");
    } else if (args.is("--seed")) {
      options.seed = args.number();
      options.seeded = true;
    } else if (args.is("--check")) {
      options.check = true;
    } else if (args.is("--quiet")) {
      options.quiet = true;
    } else {
      args.unknown();
    }
  }
  if (!options.seeded) options.seed = examples::random_seed();
  return options;
}

// Draws done so far, for the progress line. Workers add once per block of draws.
std::atomic<std::uint64_t> g_progress{0};
constexpr std::uint64_t kBlock = 1 << 16;

// Where mine_block reports a coin: a plain function pointer and its context.
struct CoinSink {
  void (*call)(void* context, std::uint64_t coin);
  void* context;
};

// The hot loop, compiled once: every mode (and `plain`, the baseline) runs this same machine
// code on its draws, whatever it does with the rare coins, so that comparing modes compares
// the library's cost and not how the compiler happened to inline each mode's loop.
[[gnu::noinline]] void mine_block(happycoin::Draws draws, std::uint64_t begin, std::uint64_t end,
                                  CoinSink sink) {
  happycoin::mine(draws, begin, end, [sink](std::uint64_t coin) { sink.call(sink.context, coin); });
}

// mine() in blocks, counting progress: what every mode runs on its share of the draws.
// `between_blocks()` runs after each block (the ring mode's consumer drains its rings there).
template <class Found, class Between>
void mine_counted(const happycoin::Draws& draws, happycoin::Range range, Found&& found,
                  Between&& between_blocks) {
  using F = std::remove_reference_t<Found>;
  const CoinSink sink{[](void* f, std::uint64_t coin) { (*static_cast<F*>(f))(coin); },
                      static_cast<void*>(&found)};
  for (std::uint64_t at = range.first; at < range.last; at += kBlock) {
    const std::uint64_t end = std::min(range.last, at + kBlock);
    mine_block(draws, at, end, sink);
    g_progress.fetch_add(end - at, std::memory_order_relaxed);  // relaxed: a display counter
    between_blocks();
  }
}

template <class Found>
void mine_counted(const happycoin::Draws& draws, happycoin::Range range, Found&& found) {
  mine_counted(draws, range, found, [] {});
}

// On a terminal the coins and the progress line share the screen: both write under this lock.
std::mutex g_terminal;

// Prints each coin as it arrives and remembers it for --check. Off a terminal the coins go on
// one line, separated by spaces, as in the book; on a terminal each coin gets its own line
// above the progress line, flushed at once, so you see them arrive.
class Printer {
 public:
  explicit Printer(bool quiet) : quiet_(quiet), terminal_(isatty(STDOUT_FILENO) != 0) {}
  void coin(std::uint64_t n) {
    coins_.push_back(n);
    if (quiet_) return;
    if (!terminal_) {
      std::printf("%llu ", static_cast<unsigned long long>(n));
      return;
    }
    std::lock_guard lock(g_terminal);
    std::printf("\r\033[K%llu\n", static_cast<unsigned long long>(n));
    std::fflush(stdout);
  }
  void coins(const std::vector<std::uint64_t>& batch) {
    for (std::uint64_t n : batch) coin(n);
  }
  [[nodiscard]] const std::vector<std::uint64_t>& printed() const { return coins_; }

 private:
  bool quiet_;
  bool terminal_;
  std::vector<std::uint64_t> coins_;
};

// The progress line: a thread that redraws it every 200 ms until `done` is set. Only on a
// terminal. It waits on a shared cell with a timeout, so it ends as soon as the run does.
class Progress {
 public:
  explicit Progress(std::uint64_t total) : cells_(bobbin::SharedArrayBuffer(4)) {
    if (isatty(STDERR_FILENO) == 0) return;
    thread_ = std::thread([this, total] {
      while (atomics::wait(cells_, 0, 0, 200ms) == atomics::WaitResult::timed_out) {
        const std::uint64_t done = g_progress.load(std::memory_order_relaxed);  // relaxed: display
        std::lock_guard lock(g_terminal);
        std::fprintf(stderr, "\r\033[K%5.1f%% of %llu draws", 100.0 * double(done) / double(total),
                     static_cast<unsigned long long>(total));
      }
      std::lock_guard lock(g_terminal);
      std::fprintf(stderr, "\r\033[K");
    });
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { finish(); }
  void finish() {
    atomics::store(cells_, 0, 1);
    atomics::notify(cells_, 0);
    if (thread_.joinable()) thread_.join();
  }

 private:
  bobbin::Int32Array cells_;
  std::thread thread_;
};

// ---- the modes -------------------------------------------------------------------------------

void run_single(const Options& o, Printer& out) {
  mine_counted(happycoin::Draws(o.seed), {0, o.iterations}, [&](std::uint64_t n) { out.coin(n); });
}

// The baseline: the same split of the same draws on std::threads, nothing from bobbin.
void run_plain(const Options& o, Printer& out) {
  const happycoin::Draws draws(o.seed);
  std::vector<std::vector<std::uint64_t>> found(o.threads);
  std::vector<std::thread> threads;
  for (unsigned k = 0; k < o.threads; ++k) {
    threads.emplace_back([&, k] {
      mine_counted(draws, happycoin::part(o.iterations, o.threads, k),
                   [&](std::uint64_t n) { found[k].push_back(n); });
    });
  }
  for (unsigned k = 0; k < o.threads; ++k) {
    threads[k].join();
    out.coins(found[k]);
  }
}

// The book's 3-10/3-11: N workers, each posting every coin to the main thread as it finds it;
// the main thread prints them from its event loop as they arrive (interleaved between workers).
// The book's workers post a final 'done'; here the worker's exit event, which comes after every
// message it posted, plays that part.
void run_threads(const Options& o, Printer& out) {
  const happycoin::Draws draws(o.seed);
  std::vector<bobbin::Worker<int, std::uint64_t>> workers;
  unsigned running = o.threads;
  for (unsigned k = 0; k < o.threads; ++k) {
    workers.emplace_back(
        bobbin::WorkerOptions{.name = "happycoin-" + std::to_string(k)},
        [](bobbin::ParentPort<int, std::uint64_t>& parent, happycoin::Draws draws,
           happycoin::Range range) {
          mine_counted(draws, range, [&](std::uint64_t coin) { parent.post_message(coin); });
        },
        draws, happycoin::part(o.iterations, o.threads, k));
    workers.back().on_message([&](std::uint64_t coin) { out.coin(coin); });
    workers.back().on_exit([&](int code) {
      if (code != 0) std::fprintf(stderr, "happycoin: a worker exited with %d\n", code);
      --running;
    });
  }
  bobbin::run();  // until every worker's exit has been delivered
  if (running != 0) std::fprintf(stderr, "happycoin: %u workers still running\n", running);
}

// The book's 7-5 and 7-6: N workers, each mining its share of the draws and posting all its
// coins once, as one vector (the book's WASM getHappycoins returns an array that the worker
// converts to BigInts and posts whole); the main thread prints each batch from its event loop
// as it arrives (in the order the workers finish) and counts them. Against `threads` this is
// one message per worker instead of one per coin; against `pool` one worker per share and no
// queue.
void run_batch(const Options& o, Printer& out) {
  const happycoin::Draws draws(o.seed);
  using Batch = std::vector<std::uint64_t>;
  std::vector<bobbin::Worker<int, Batch>> workers;
  unsigned batches = 0;
  for (unsigned k = 0; k < o.threads; ++k) {
    workers.emplace_back(
        bobbin::WorkerOptions{.name = "happycoin-" + std::to_string(k)},
        [](bobbin::ParentPort<int, Batch>& parent, happycoin::Draws draws, happycoin::Range range) {
          Batch coins;
          mine_counted(draws, range, [&](std::uint64_t coin) { coins.push_back(coin); });
          parent.post_message(std::move(coins));  // moved: the vector's buffer is transferred
        },
        draws, happycoin::part(o.iterations, o.threads, k));
    workers.back().on_message([&](Batch coins) {
      ++batches;
      out.coins(coins);
    });
    workers.back().on_exit([](int code) {
      if (code != 0) std::fprintf(stderr, "happycoin: a worker exited with %d\n", code);
    });
  }
  bobbin::run();  // until every worker's exit has been delivered (after its one message)
  if (batches != o.threads) {
    std::fprintf(stderr, "happycoin: %u batches for %u workers\n", batches, o.threads);
    workers.clear();  // joins the threads
    std::exit(1);
  }
}

// The book's 3-15 … 3-17: a pool of N threads (Piscina with minThreads = maxThreads = N); each
// task mines a batch of draws and returns its coins in one result, which the main thread prints
// from its event loop as each task settles. The book runs one task per thread; here the draws
// are cut into 4 tasks per thread so that a thread that finishes early takes more work.
void run_pool(const Options& o, Printer& out) {
  const happycoin::Draws draws(o.seed);
  bobbin::ThreadPool pool({.min_threads = o.threads,
                           .max_threads = static_cast<int>(o.threads),
                           .idle_timeout = std::chrono::nanoseconds::max()});
  const std::uint64_t tasks = std::uint64_t{o.threads} * 4;
  bool failed = false;
  for (std::uint64_t k = 0; k < tasks; ++k) {
    pool.run(
            [draws](happycoin::Range range) {
              std::vector<std::uint64_t> coins;
              mine_counted(draws, range, [&](std::uint64_t coin) { coins.push_back(coin); });
              return coins;
            },
            happycoin::part(o.iterations, tasks, k))
        .then([&](std::vector<std::uint64_t> coins) { out.coins(coins); })
        .catch_error([&](std::exception_ptr) { failed = true; });
  }
  bobbin::run();  // until every task's continuation has run
  if (failed) std::fprintf(stderr, "happycoin: a pool task failed\n");
}

// N threads in all: N − 1 producer threads, each streaming its coins through an SPSC ring of
// its own (RingBuffer is single-producer, single-consumer), and the main thread, which mines
// the first share itself and fans the rings in. It drains the rings between its own blocks of
// draws (try_pop, never blocking); once its share is done it sleeps on a shared "doorbell"
// cell instead: a producer rings it (add + notify) after each push and after closing its ring;
// the consumer reads the bell, drains every ring, and waits only while the bell still holds
// what it read, so a coin pushed after the drain is never missed (wait returns not_equal).
//
// Why the main thread mines too: a consumer thread of its own would be an (N + 1)-th thread on
// N cores. Each coin would wake it on a core a producer is using (a futex wake that preempts
// the producer), and it would spin and yield in the parking lot before sleeping again; with
// the main thread draining between blocks (every 65536 draws, a few ms) nothing is woken while
// the producers run, and the same N threads mine as in `plain`.
void run_ring(const Options& o, Printer& out) {
  const happycoin::Draws draws(o.seed);
  bobbin::SharedArrayBuffer bell_memory(4);
  std::vector<bobbin::SharedArrayBuffer> rings;
  for (unsigned k = 1; k < o.threads; ++k)
    rings.push_back(bobbin::RingBuffer<std::uint64_t>(1024).buffer());

  std::vector<std::thread> producers;
  for (unsigned k = 1; k < o.threads; ++k) {
    producers.emplace_back([&draws, &o, k, ring_memory = rings[k - 1], bell_memory] {
      bobbin::RingBuffer<std::uint64_t> ring(ring_memory);  // this producer's end
      bobbin::Int32Array bell(bell_memory);
      auto ring_bell = [&] {
        atomics::add(bell, 0, 1);
        atomics::notify(bell, 0);
      };
      mine_counted(draws, happycoin::part(o.iterations, o.threads, k), [&](std::uint64_t n) {
        ring.push(n);  // blocks only if the consumer fell 1024 coins behind
        ring_bell();
      });
      ring.close();
      ring_bell();
    });
  }

  bobbin::Int32Array bell(bell_memory);
  std::vector<bobbin::RingBuffer<std::uint64_t>> ends;  // the consumer's ends
  ends.reserve(rings.size());
  for (auto& memory : rings) ends.emplace_back(memory);
  std::size_t open = ends.size();
  std::vector<bool> finished(ends.size(), false);
  auto drain = [&] {
    for (std::size_t k = 0; k < ends.size(); ++k) {
      if (finished[k]) continue;
      const bool closed = ends[k].closed();  // read before draining: a closed ring gets no more
      while (auto coin = ends[k].try_pop()) out.coin(*coin);
      if (closed) {
        finished[k] = true;
        --open;
      }
    }
  };
  // The main thread's own share, its coins printed directly, the rings drained between blocks.
  mine_counted(
      draws, happycoin::part(o.iterations, o.threads, 0), [&](std::uint64_t n) { out.coin(n); },
      drain);
  while (open > 0) {
    const std::int32_t seen = atomics::load(bell, 0);
    drain();
    if (open > 0) atomics::wait(bell, 0, seen);
  }
  for (auto& producer : producers) producer.join();
}

// ---- the check -------------------------------------------------------------------------------

bool check(const Options& o, const std::vector<std::uint64_t>& printed) {
  for (std::uint64_t n : printed) {
    if (n % 10000 != 0 || !happycoin::is_happy_floyd(n)) {
      std::printf("check: FAILED: %llu is not a Happycoin\n", static_cast<unsigned long long>(n));
      return false;
    }
  }
  // The reference: the same draws on one thread, with the independent happy test.
  std::vector<std::uint64_t> expected;
  const happycoin::Draws draws(o.seed);
  for (std::uint64_t i = 0; i < o.iterations; ++i) {
    const std::uint64_t n = draws.at(i);
    if (n % 10000 == 0 && happycoin::is_happy_floyd(n)) expected.push_back(n);
  }
  std::vector<std::uint64_t> got = printed;
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  if (got != expected) {
    std::printf("check: FAILED: %zu coins printed, the single-threaded reference finds %zu\n",
                got.size(), expected.size());
    return false;
  }
  std::printf(
      "check: ok (%zu coins, each happy and divisible by 10000, the same as a "
      "single-threaded run)\n",
      got.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const unsigned threads = o.mode == "single" ? 1 : o.threads;
  Printer out(o.quiet);
  Progress progress(o.iterations);
  const auto start = std::chrono::steady_clock::now();
  if (o.mode == "single") {
    run_single(o, out);
  } else if (o.mode == "plain") {
    run_plain(o, out);
  } else if (o.mode == "threads") {
    run_threads(o, out);
  } else if (o.mode == "pool") {
    run_pool(o, out);
  } else if (o.mode == "batch") {
    run_batch(o, out);
  } else if (o.mode == "ring") {
    run_ring(o, out);
  } else {
    usage("unknown mode");
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  progress.finish();
  std::printf("\ncount %zu\n", out.printed().size());
  std::printf(
      "happycoin: mode %s, %llu draws on %u thread%s in %.3f s (%.2f M draws/s), seed %llu\n",
      o.mode.c_str(), static_cast<unsigned long long>(o.iterations), threads,
      threads == 1 ? "" : "s", took.count(), double(o.iterations) / took.count() / 1e6,
      static_cast<unsigned long long>(o.seed));
  if (o.check && !check(o, out.printed())) return 1;
  return 0;
}
