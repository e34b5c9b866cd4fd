// game_of_life: Conway's Game of Life on shared memory, after Multithreaded JavaScript 5-6 …
// 5-17 (gol.js, then thread-gol.js).
//
// The layout is the book's: one SharedArrayBuffer holds two generations (grid A at [0, n²),
// grid B at [n², 2n²), one byte per cell, cell (x, y) at n·x + y), then the Int32 cells that
// synchronise the threads. N compute workers (bobbin::Worker, named gol-worker-i) compute the
// generations; a coordinator worker (gol-coordination) starts and stops them and, when the
// grid is drawn live, hands every generation to the main thread, as in the book. Two protocols
// synchronise them (--protocol); both use the same kernel and the same rows (below), so only the
// synchronisation differs, and both must give the single-threaded grid (--verify).
//
// --protocol book: the book's own (5-14 … 5-17). The sync cells are one Int32 per worker, side
// by side after the grids (sync[i]: 0 = idle, 1 = go; -1 = stop, which the book does not have:
// its workers run until the page closes). Worker i computes its own band of rows, always the same:
//
//   compute worker i, forever:  wait while sync[i] is idle (atomics::wait); stop on -1
//                               compute my band of generation g from grid (g - 1) % 2 into
//                               grid g % 2; g += 1 (the book's swap of its two views)
//                               store(sync[i], idle) + notify(sync[i])
//   coordinator, per generation: for each i: store(sync[i], go) + notify(sync[i])
//                               for each i: wait while sync[i] is go
//                               when live: post the frame to the main thread, receive its
//                               acknowledgement; then the next generation
//                               after the last one: for each i: store(sync[i], -1) + notify
//
// So every generation costs two hand-offs through a sleeping thread: the coordinator wakes each
// worker, then the last worker to finish wakes the coordinator, which wakes them all again. Each
// is a futex wake (several µs, more to wake an idle core) on a generation of 1–2 ms at
// 1000×1000, and a worker that the OS preempts holds up the whole generation with its fixed band.
//
// --protocol barrier (the default, the faster one): the generation is a barrier among the workers
// themselves, with one hand-off per generation instead of two, and no thread to wake at all when
// the waiters are still spinning or yielding:
//
//   compute worker, forever:  wait until `generation` moves past the one I computed
//                             (atomics::wait: spin, yield, park); stop on kStop
//                             claim chunks of rows (add(claimed[band], 1)) and compute
//                             them: my own band first, then the others' leftovers
//                             add(finished, 1); the worker that brings it to N is the last:
//                               it resets the counters, then either advances
//                               `generation` itself (store + notify: one hand-off) or, when
//                               the coordinator must see this generation (the last one, or
//                               a live frame), stores it in `completed` and notifies that
//   coordinator:              store(generation, 1) + notify; then wait on `completed`;
//                             for a live frame: post it, receive the main thread's
//                             acknowledgement, store(generation, g + 1) + notify;
//                             after the last one: store(generation, kStop) + notify
//
// So the coordinator sleeps in atomics::wait while the workers compute (it never spins on a
// core they need), and off a terminal nobody waits for a thread to be woken between
// generations: the last worker advances the generation and the others, which finished at most
// one chunk earlier, are usually still spinning or yielding in atomics::wait when it does.
//
// In both protocols every store comes before its notify, and every wait re-checks the value
// first (a loop around atomics::wait, which returns not_equal at once if the value moved), so a
// notify that comes before the other side waits is never lost (the book's lost wake-up, §12.4 of
// its quirks, cannot happen here). The plain (non-atomic) cell reads and writes are ordered by
// those seq_cst atomics. Book: a worker writes its rows before its store(idle); the coordinator
// loads every idle before its next store(go), which each worker loads before it reads the grid.
// Barrier: a worker's rows of generation g are written before its add(finished, 1); the last
// worker's add reads every other worker's, and its store(generation, g + 1) (or completed, then
// the coordinator's store) is what the others load before they read generation g's rows. The
// counters are reset before that store, after every worker has made its last claim of the
// generation (a worker claims from each band until it gets a chunk number past the band's end,
// then adds to `finished`, and touches none of them again this generation).
//
// The rows: they are cut into chunks of a few rows, and the chunks into one band per worker
// (band i: chunks [chunks·i/N, chunks·(i+1)/N)). With --protocol book worker i computes band i,
// chunk by chunk. With barrier each band's chunks are claimed from the band's counter, first by
// its owner (which so computes the same rows every generation, warm in its core's cache), then by
// any worker that has finished its own band early, so that a preempted worker does not hold up
// the generation: the workers finish within about a chunk of each other. Chunk borders fall on
// 64-byte boundaries when the row length allows it, so two workers never write the same cache
// line; the barrier's Int32 sync cells have a cache line each (the book's sit side by side).
//
// The main thread only renders: on a terminal it draws each generation (ANSI, downscaled) when
// the coordinator posts it a frame, and posts back an acknowledgement, like the book's
// postMessage / requestAnimationFrame handshake; off a terminal nothing is drawn and the
// generations run back to back. The main loop returns once every worker has exited.
//
// Differences from the book: by default the barrier above instead of per-worker go/idle cells
// (--protocol book has those); bands of rows (whole rows, in chunks) instead of the book's fixed
// columns of every row (same algorithm, better locality); a stop value in the sync cells; the
// book's coordinator views the whole buffer as cells and its image view runs into the sync cells
// (§12.8) — here every view has its exact range; there is no RGBA image in the buffer: --png
// writes the last generation instead. The coordinator is a separate worker, as in the book (whose
// browser main thread may not wait), although a C++ main thread could coordinate itself.
//
// Timing: the printed time runs from the coordinator's start of generation 1 to the end of the last
// generation, less the time it waits for the main thread to draw a live frame (the first touch of
// both grids and the drawing are outside it; --quiet turns the live view off on a terminal).
// `--single` runs the same kernel, chunk by chunk, on the main thread, timed the same way: the
// baseline for parallel efficiency, T(single) / (N · T(N workers)).
//
// Flags: --size N (1000), --generations K (100), --workers N (the CPU count), --seed S (random by
// default), --protocol book|barrier (barrier), --single, --quiet, --png FILE, --verify (compare
// with a single-threaded run of the book's naive iterate(): the grids must be equal, whichever the
// protocol), --glider (a glider on an 8×8 torus must move one cell diagonally every 4 generations
// and come home after 32, computed by the workers with the chosen protocol), --help.
#include <bobbin/atomics.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <unistd.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "example_support.hpp"
#include "life.hpp"

namespace atomics = bobbin::atomics;

namespace {

// How the compute workers and the coordinator synchronise each generation (see the top).
enum class Protocol { barrier, book };

const char* name_of(Protocol protocol) { return protocol == Protocol::book ? "book" : "barrier"; }

struct Options {
  std::size_t size = 1000;
  std::size_t generations = 100;
  std::size_t workers = std::max(1U, std::thread::hardware_concurrency());
  std::uint64_t seed = 0;
  std::string png;
  Protocol protocol = Protocol::barrier;
  bool single = false;
  bool quiet = false;
  bool verify = false;
  bool glider = false;
};

constexpr const char* kUsage =
    "usage: game_of_life [--size N] [--generations K] [--workers N] [--seed S]\n"
    "                    [--protocol book|barrier] [--single] [--quiet] [--png FILE] [--verify]\n"
    "                    [--glider] [--help]\n"
    "  --size N          an N x N torus (1000)\n"
    "  --generations K   generations to compute (100)\n"
    "  --workers N       compute workers, besides the coordinator worker (the CPU count)\n"
    "  --seed S          the seed of the random first generation (random)\n"
    "  --protocol P      how the workers synchronise each generation:\n"
    "                      barrier (default): the workers' own barrier, the last one to finish\n"
    "                        starts the next generation: one hand-off per generation\n"
    "                      book: the book's one sync cell per worker: the coordinator stores go\n"
    "                        and notifies each worker, each stores idle and notifies it back:\n"
    "                        two hand-offs per generation\n"
    "  --single          the same kernel on the main thread, no workers (the baseline)\n"
    "  --quiet           do not draw the generations on a terminal\n"
    "  --png FILE        write the last generation as a PNG\n"
    "  --verify          check the grid against a single-threaded naive run\n"
    "  --glider          check that a glider crosses an 8x8 torus (computed by the workers)\n";

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "game_of_life: %s\n%s", why, kUsage);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  bool seeded = false;
  examples::FlagReader args(argc, argv, usage);
  while (args.next()) {
    if (args.is("--size")) {
      o.size = args.number();
    } else if (args.is("--generations")) {
      o.generations = args.number();
    } else if (args.is("--workers")) {
      o.workers = args.number();
    } else if (args.is("--seed")) {
      o.seed = args.number();
      seeded = true;
    } else if (args.is("--single")) {
      o.single = true;
    } else if (args.is("--quiet")) {
      o.quiet = true;
    } else if (args.is("--png")) {
      o.png = args.text();
    } else if (args.is("--verify")) {
      o.verify = true;
    } else if (args.is("--glider")) {
      o.glider = true;
    } else if (args.is("--protocol")) {
      const std::string_view p = args.text();
      if (p == "book") {
        o.protocol = Protocol::book;
      } else if (p == "barrier") {
        o.protocol = Protocol::barrier;
      } else {
        usage("--protocol must be book or barrier");
      }
    } else if (args.is("--help")) {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      args.unknown();
    }
  }
  if (o.size == 0 || o.size > 20000) usage("--size must be 1..20000");
  if (o.workers == 0 || o.workers > 256) usage("--workers must be 1..256");
  if (o.generations > 1'000'000'000) usage("--generations must be at most 10^9");
  if (!seeded) o.seed = examples::random_seed();
  return o;
}

// The barrier protocol's synchronisation cells, each on a cache line of its own (16 Int32s apart).
constexpr std::size_t kLine = 16;
constexpr std::size_t kGeneration = 0 * kLine;  // the generation being computed (from 1)
constexpr std::size_t kFinished = 1 * kLine;    // workers done with it
constexpr std::size_t kCompleted = 2 * kLine;   // the last generation handed to the coordinator
constexpr std::size_t kClaimed = 3 * kLine;     // + kLine * i: chunks of band i claimed so far
constexpr std::int32_t kStop = -1;              // in `generation`: the workers return

// The book protocol's: sync[i] for worker i, side by side, as in the book.
constexpr std::int32_t kIdle = 0;  // worker i has computed the generation (or not begun)
constexpr std::int32_t kGo = 1;    // worker i must compute the next generation
// and kStop (-1): worker i returns.

// Where everything lives in the one SharedArrayBuffer, and how the rows are cut into chunks
// and the chunks into one band per worker.
struct Layout {
  std::size_t size;
  std::size_t workers;
  Protocol protocol = Protocol::barrier;
  [[nodiscard]] std::size_t cells() const { return size * size; }
  [[nodiscard]] std::size_t sync_offset() const { return (2 * cells() + 63) / 64 * 64; }
  [[nodiscard]] std::size_t sync_cells() const {
    return protocol == Protocol::book ? workers : kClaimed + kLine * workers;
  }
  [[nodiscard]] std::size_t bytes() const { return sync_offset() + 4 * sync_cells(); }
  // Rows per chunk: about 8 KiB of cells, but at least 8 chunks per worker (so that stealing
  // can even out the bands), rounded down to a multiple of the rows that make a chunk start on
  // a 64-byte boundary (size · rows % 64 == 0) when there are that many.
  [[nodiscard]] std::size_t chunk_rows() const {
    const std::size_t align = 64 / std::gcd(size, std::size_t{64});
    const std::size_t most = std::max<std::size_t>(1, size / (8 * workers));
    const std::size_t rows = std::min((8192 + size - 1) / size, most);
    return rows >= align ? rows / align * align : rows;
  }
  [[nodiscard]] std::size_t chunks() const { return (size + chunk_rows() - 1) / chunk_rows(); }
  // Band b: chunks [band_first(b), band_first(b + 1)).
  [[nodiscard]] std::size_t band_first(std::size_t b) const { return chunks() * b / workers; }
};

std::uint8_t* grid(const bobbin::SharedArrayBuffer& memory, const Layout& layout, int which) {
  return reinterpret_cast<std::uint8_t*>(memory.data()) + (which == 0 ? 0 : layout.cells());
}

// Generation g is computed from grid (g - 1) % 2 into grid g % 2: the book's swap of the two
// views once per generation, kept as arithmetic on the generation number.
int grid_of(std::int32_t generation) { return static_cast<int>(generation & 1); }

// Computes chunk c of a generation: the same kernel for the workers and for the
// single-threaded baseline.
void compute_chunk(const Layout& layout, const std::uint8_t* cur, std::uint8_t* next,
                   std::size_t c) {
  const std::size_t rows = layout.chunk_rows();
  life::step_rows(cur, next, layout.size, c * rows, std::min(layout.size, (c + 1) * rows));
}

// Waits until sync[kGeneration] is no longer `seen` and returns it. atomics::wait parks in the
// parking lot, which spins ~2 µs, then yields for ~20 µs, then sleeps on the futex. A worker that
// has finished its chunks waits at most about a chunk (~25 µs at 1000×1000) for the last one,
// which advances the generation itself, so it usually sees the new generation while spinning or
// yielding, without a futex wake; a long wait (a live frame, a preempted worker) costs no CPU. No
// longer spin of our own: on a loaded machine the two workers can share a core, and a spinning
// waiter would then delay the very worker it waits for (the yields let that one run).
std::int32_t await_generation(const bobbin::Int32Array& sync, std::int32_t seen) {
  for (;;) {
    if (const std::int32_t now = atomics::load(sync, kGeneration); now != seen) return now;
    atomics::wait(sync, kGeneration, seen);  // not_equal at once if it moved meanwhile
  }
}

// Compute worker i: one generation after another until kStop, as described at the top. It
// claims the chunks of its own band first (so it computes the same rows every generation and
// they stay in its core's cache), then helps with the other bands, in order after its own.
void compute_worker(bobbin::SharedArrayBuffer memory, Layout layout, std::size_t i,
                    std::size_t generations, bool live) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.sync_cells());
  const auto workers = static_cast<std::int32_t>(layout.workers);
  std::int32_t g = 0;
  for (;;) {
    g = await_generation(sync, g);
    if (g == kStop) return;
    const std::uint8_t* cur = grid(memory, layout, grid_of(g - 1));
    std::uint8_t* next = grid(memory, layout, grid_of(g));
    for (std::size_t j = 0; j < layout.workers; ++j) {
      const std::size_t band = (i + j) % layout.workers;
      const std::size_t first = layout.band_first(band);
      const auto count = static_cast<std::int32_t>(layout.band_first(band + 1) - first);
      for (std::int32_t k; (k = atomics::add(sync, kClaimed + kLine * band, 1)) < count;) {
        compute_chunk(layout, cur, next, first + static_cast<std::size_t>(k));
      }
    }
    if (atomics::add(sync, kFinished, 1) != workers - 1) continue;
    // The last worker of generation g: everyone has made their last claims and finished.
    for (std::size_t band = 0; band < layout.workers; ++band) {
      atomics::store(sync, kClaimed + kLine * band, 0);
    }
    atomics::store(sync, kFinished, 0);
    if (!live && static_cast<std::size_t>(g) < generations) {
      atomics::store(sync, kGeneration, g + 1);
      atomics::notify(sync, kGeneration);
    } else {
      atomics::store(sync, kCompleted, g);
      atomics::notify(sync, kCompleted);
    }
  }
}

// Compute worker i of the book protocol (5-14, 5-15): wait for "go" in sync[i], compute my
// band (always the same chunks, no claims), store "idle" and notify the coordinator. Like the
// book's worker it counts the generations itself (the book swaps its two views each time).
void book_worker(bobbin::SharedArrayBuffer memory, Layout layout, std::size_t i) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.sync_cells());
  const std::size_t first = layout.band_first(i);
  const std::size_t end = layout.band_first(i + 1);
  for (std::int32_t g = 1;; ++g) {
    std::int32_t state = kIdle;
    while ((state = atomics::load(sync, i)) == kIdle) {
      atomics::wait(sync, i, kIdle);  // not_equal at once if the coordinator stored meanwhile
    }
    if (state == kStop) return;
    const std::uint8_t* cur = grid(memory, layout, grid_of(g - 1));
    std::uint8_t* next = grid(memory, layout, grid_of(g));
    for (std::size_t c = first; c < end; ++c) compute_chunk(layout, cur, next, c);
    atomics::store(sync, i, kIdle);  // store, then notify: a coordinator that has not yet
    atomics::notify(sync, i);        // begun to wait sees idle and does not wait at all
  }
}

// What the coordinator posts to the main thread after each generation (when live) and at the
// end: which grid (0 or 1) holds generation `generation`, and (at the end) how long the
// generations took.
struct Frame {
  std::size_t generation;
  int current;
  bool last;
  double seconds;
};

// The coordinators' clock and live hand-off: the time of the generations, less the time spent
// waiting for the main thread to draw a live frame.
class FrameClock {
 public:
  // Posts generation `g` (held in grid `current`) to the main thread and waits for its "drawn,
  // go on" (the book's postMessage / requestAnimationFrame round trip); that wait is not timed.
  void show(bobbin::ParentPort<int, Frame>& parent, std::size_t g, int current) {
    const auto posted = Clock::now();
    parent.post_message(Frame{g, current, false, 0});
    parent.port().receive();
    drawing_ += Clock::now() - posted;
  }
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_ - drawing_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_ = Clock::now();
  Clock::duration drawing_{0};
};

// The coordinator worker: runs `generations` generations. When `live`, the workers hand it
// every generation; it posts each to the main thread and waits for its acknowledgement before
// starting the next one (the book's postMessage / requestAnimationFrame round trip), so the
// main thread draws a grid that nobody is writing.
void coordinate(bobbin::ParentPort<int, Frame>& parent, bobbin::SharedArrayBuffer memory,
                Layout layout, std::size_t generations, bool live) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.sync_cells());
  FrameClock clock;
  const auto last = static_cast<std::int32_t>(generations);
  std::int32_t done = 0;
  if (last > 0) {
    atomics::store(sync, kGeneration, 1);
    atomics::notify(sync, kGeneration);
    for (std::int32_t running = 1;;) {
      // Live, the workers hand over every generation; otherwise only the last one.
      const std::int32_t target = live ? running : last;
      while ((done = atomics::load(sync, kCompleted)) < target) {
        atomics::wait(sync, kCompleted, done);  // not_equal at once if it moved meanwhile
      }
      if (done >= last) break;
      clock.show(parent, static_cast<std::size_t>(done), grid_of(done));
      running = done + 1;
      atomics::store(sync, kGeneration, running);
      atomics::notify(sync, kGeneration);
    }
  }
  const double took = clock.seconds();
  atomics::store(sync, kGeneration, kStop);
  atomics::notify(sync, kGeneration);
  parent.post_message(Frame{generations, grid_of(done), true, took});
}

// The coordinator of the book protocol (5-16, 5-17): for each generation, "go" to every worker,
// then wait until every one is idle again; when `live`, hand the generation to the main thread
// and wait for its acknowledgement before the next one (the book does so for every generation).
// Same signature, messages and timing as coordinate().
void coordinate_book(bobbin::ParentPort<int, Frame>& parent, bobbin::SharedArrayBuffer memory,
                     Layout layout, std::size_t generations, bool live) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.sync_cells());
  FrameClock clock;
  for (std::size_t g = 1; g <= generations; ++g) {
    for (std::size_t i = 0; i < layout.workers; ++i) {
      atomics::store(sync, i, kGo);
      atomics::notify(sync, i);
    }
    for (std::size_t i = 0; i < layout.workers; ++i) {
      while (atomics::load(sync, i) == kGo) {
        atomics::wait(sync, i, kGo);  // not_equal at once if worker i finished meanwhile
      }
    }
    if (live && g < generations) clock.show(parent, g, grid_of(static_cast<std::int32_t>(g)));
  }
  const double took = clock.seconds();
  for (std::size_t i = 0; i < layout.workers; ++i) {
    atomics::store(sync, i, kStop);
    atomics::notify(sync, i);
  }
  parent.post_message(Frame{generations, grid_of(static_cast<std::int32_t>(generations)), true, took});
}

// ---- rendering -------------------------------------------------------------------------------

void render(const std::uint8_t* cells, std::size_t size, std::size_t generation) {
  const std::size_t cols = std::min<std::size_t>(size, 80);
  const std::size_t rows = std::max<std::size_t>(1, std::min<std::size_t>(size / 2, 40));
  static constexpr std::string_view ramp = " .:-=+*#%@";
  std::string screen = "\033[H";
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t x0 = size * r / rows, x1 = std::max(x0 + 1, size * (r + 1) / rows);
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t y0 = size * c / cols, y1 = std::max(y0 + 1, size * (c + 1) / cols);
      std::size_t alive = 0;
      for (std::size_t x = x0; x < x1; ++x) {
        for (std::size_t y = y0; y < y1; ++y) alive += cells[x * size + y];
      }
      const std::size_t area = (x1 - x0) * (y1 - y0);
      screen += ramp[std::min(ramp.size() - 1, alive * ramp.size() / (area + 1))];
    }
    screen += '\n';
  }
  screen += "generation " + std::to_string(generation) + ", alive " +
            std::to_string(life::population(cells, size)) + "\033[K\n";
  std::fwrite(screen.data(), 1, screen.size(), stdout);
  std::fflush(stdout);
}

bool write_png(const std::string& file, const std::uint8_t* cells, std::size_t size) {
  std::vector<std::uint8_t> pixels(size * size);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = cells[i] != 0 ? 0 : 255;  // alive = black
  const int n = static_cast<int>(size);
  return stbi_write_png(file.c_str(), n, n, 1, pixels.data(), n) != 0;
}

// ---- a run -----------------------------------------------------------------------------------

struct Result {
  std::vector<std::uint8_t> cells;  // the last generation
  double seconds;
};

// A SharedArrayBuffer laid out for `layout`, with `initial` in grid A. Grid B is written once
// here so that its pages are faulted in before the timed generations, as grid A's are.
bobbin::SharedArrayBuffer make_memory(const Layout& layout,
                                      const std::vector<std::uint8_t>& initial) {
  bobbin::SharedArrayBuffer memory(layout.bytes());
  std::copy(initial.begin(), initial.end(), grid(memory, layout, 0));
  std::fill_n(grid(memory, layout, 1), layout.cells(), std::uint8_t{0});
  return memory;
}

// Runs `generations` generations of `initial` on `workers` compute workers plus a coordinator
// worker. With `live`, the main thread draws every generation from its event loop.
Result run_threaded(const std::vector<std::uint8_t>& initial, std::size_t size, std::size_t workers,
                    std::size_t generations, bool live, Protocol protocol) {
  const Layout layout{size, std::min(workers, size), protocol};
  bobbin::SharedArrayBuffer memory = make_memory(layout, initial);
  if (live) std::fputs("\033[2J", stdout);

  std::vector<bobbin::Worker<int>> compute;
  for (std::size_t i = 0; i < layout.workers; ++i) {
    bobbin::WorkerOptions options{.name = "gol-worker-" + std::to_string(i)};
    if (protocol == Protocol::book) {
      compute.emplace_back(std::move(options), book_worker, memory, layout, i);
    } else {
      compute.emplace_back(std::move(options), compute_worker, memory, layout, i, generations,
                           live);
    }
  }
  int last = 0;
  double seconds = 0;
  auto* const coordinator_entry = protocol == Protocol::book ? coordinate_book : coordinate;
  bobbin::Worker<int, Frame> coordinator(bobbin::WorkerOptions{.name = "gol-coordination"},
                                         coordinator_entry, memory, layout, generations, live);
  coordinator.on_message([&](const Frame& frame) {
    if (frame.last) {
      last = frame.current;
      seconds = frame.seconds;
      return;
    }
    render(grid(memory, layout, frame.current), size, frame.generation);
    coordinator.post_message(0);
  });
  bobbin::run();  // until every worker has exited
  const std::uint8_t* cells = grid(memory, layout, last);
  if (live) render(cells, size, generations);
  return {std::vector<std::uint8_t>(cells, cells + layout.cells()), seconds};
}

// The single-threaded baseline: the same kernel and memory layout as the workers, chunk by chunk
// in order on the calling thread, with no synchronisation at all.
Result run_single(const std::vector<std::uint8_t>& initial, std::size_t size,
                  std::size_t generations) {
  const Layout layout{size, 1};
  bobbin::SharedArrayBuffer memory = make_memory(layout, initial);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t g = 1; g <= generations; ++g) {
    const std::uint8_t* cur = grid(memory, layout, static_cast<int>((g - 1) & 1));
    std::uint8_t* next = grid(memory, layout, static_cast<int>(g & 1));
    for (std::size_t c = 0; c < layout.chunks(); ++c) compute_chunk(layout, cur, next, c);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const std::uint8_t* cells = grid(memory, layout, static_cast<int>(generations & 1));
  return {std::vector<std::uint8_t>(cells, cells + layout.cells()), took.count()};
}

std::vector<std::uint8_t> run_reference(std::vector<std::uint8_t> cells, std::size_t size,
                                        std::size_t generations) {
  std::vector<std::uint8_t> next(cells.size());
  for (std::size_t g = 0; g < generations; ++g) {
    life::step_reference(cells, next, size);
    cells.swap(next);
  }
  return cells;
}

// A glider on an 8×8 torus moves one cell down and one right every 4 generations, and is home
// again after 32.
bool glider_test(std::size_t workers, Protocol protocol) {
  constexpr std::size_t n = 8;
  auto glider_at = [](std::size_t dx, std::size_t dy) {
    std::vector<std::uint8_t> cells(n * n);
    const std::size_t shape[5][2] = {{0, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}};
    for (const auto& xy : shape) cells[(xy[0] + dx) % n * n + (xy[1] + dy) % n] = 1;
    return cells;
  };
  const auto start = glider_at(0, 0);
  for (std::size_t k = 1; k <= 8; ++k) {
    const auto got = run_threaded(start, n, workers, 4 * k, false, protocol).cells;
    if (got != glider_at(k, k)) {
      std::printf("glider: FAILED after %zu generations\n", 4 * k);
      return false;
    }
  }
  if (run_threaded(start, n, workers, 32, false, protocol).cells != start) return false;
  std::printf(
      "glider: ok (moves (1, 1) every 4 generations on %zu worker(s), %s protocol; home after "
      "32)\n",
      std::min(workers, n), name_of(protocol));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.glider) return glider_test(o.workers, o.protocol) ? 0 : 1;

  std::vector<std::uint8_t> initial(o.size * o.size);
  life::seed_grid(initial.data(), o.size, o.seed);
  const bool live = !o.quiet && isatty(STDOUT_FILENO) != 0;
  const Result result =
      o.single ? run_single(initial, o.size, o.generations)
               : run_threaded(initial, o.size, o.workers, o.generations, live, o.protocol);
  const std::string on = o.single ? std::string("the main thread (--single)")
                                  : std::to_string(std::min(o.workers, o.size)) + " worker(s), " +
                                        name_of(o.protocol) + " protocol";
  std::printf(
      "game_of_life: %zux%zu, %zu generations on %s in %.3f s (%.1f "
      "generations/s), seed %llu, alive %zu\n",
      o.size, o.size, o.generations, on.c_str(), result.seconds,
      double(o.generations) / result.seconds, static_cast<unsigned long long>(o.seed),
      life::population(result.cells.data(), o.size));
  if (!o.png.empty()) {
    if (!write_png(o.png, result.cells.data(), o.size)) {
      std::printf("png: FAILED to write %s\n", o.png.c_str());
      return 1;
    }
    std::printf("png: wrote %s\n", o.png.c_str());
  }
  if (o.verify) {
    const std::string run =
        o.single ? std::string("--single") : std::string(name_of(o.protocol)) + " protocol's";
    if (run_reference(initial, o.size, o.generations) != result.cells) {
      std::printf("verify: FAILED: the %s grid differs from the single-threaded reference\n",
                  run.c_str());
      return 1;
    }
    std::printf(
        "verify: ok (the %s grid equals the single-threaded reference after %zu "
        "generations)\n",
        run.c_str(), o.generations);
  }
  return 0;
}
