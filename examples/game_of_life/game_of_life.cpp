// game_of_life: Conway's Game of Life on shared memory, after Multithreaded JavaScript 5-6 …
// 5-17 (gol.js, then thread-gol.js).
//
// The layout is the book's: one SharedArrayBuffer holds two generations (grid A at [0, n²),
// grid B at [n², 2n²), one byte per cell, cell (x, y) at n·x + y) and then one Int32 "sync"
// cell per compute worker. N compute workers (bobbin::Worker, named gol-worker-i) each own a
// band of the grid; a coordinator worker (gol-coordination) runs the generations with atomics,
// as in the book:
//
//   coordinator, per generation:  store(sync, i, 1); notify(sync, i)      for every worker i
//                                 wait(sync, i, 1) while sync[i] == 1      for every worker i
//                                 swap its view of current/next; hand a frame to the main thread
//   compute worker i, forever:    wait(sync, i, 0); compute my band of next from current;
//                                 swap; store(sync, i, 0); notify(sync, i)
//
// Store always comes before notify, and wait checks the value first, so a notify that comes
// before the other side waits is never lost. The plain (non-atomic) cell reads and writes are
// ordered by those seq_cst atomics: a worker's band is written before its store(sync, i, 0) and
// read by everyone only after the coordinator saw that 0 and stored the next 1.
//
// The main thread only renders: on a terminal it draws each generation (ANSI, downscaled) when
// the coordinator posts it a frame, and posts back an acknowledgement, like the book's
// postMessage / requestAnimationFrame handshake; off a terminal nothing is drawn and the
// generations run back to back. The workers end when the coordinator stores "stop" in their
// sync cells; the main loop returns once every worker has exited.
//
// Differences from the book: bands are rows (contiguous memory), not the book's columns of
// every row (same algorithm, better locality); the book's coordinator views the whole buffer
// as cells and its image view runs into the sync cells (§12.8) — here every view has its exact
// range; there is no RGBA image in the buffer: --png writes the last generation instead. The
// coordinator is a separate worker, as in the book (whose browser main thread may not wait),
// although a C++ main thread could coordinate itself.
//
// Flags: --size N (1000), --generations K (100), --workers N (the CPU count), --seed S (random
// by default), --png FILE, --verify (compare with a single-threaded run of the book's naive
// iterate(): the grids must be equal), --glider (a glider on an 8×8 torus must move one cell
// diagonally every 4 generations and come home after 32).
#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <unistd.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "example_support.hpp"
#include "life.hpp"

namespace atomics = bobbin::atomics;

namespace {

struct Options {
  std::size_t size = 1000;
  std::size_t generations = 100;
  std::size_t workers = std::max(1U, std::thread::hardware_concurrency());
  std::uint64_t seed = 0;
  std::string png;
  bool verify = false;
  bool glider = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "game_of_life: %s\nusage: game_of_life [--size N] [--generations K] "
               "[--workers N] [--seed S] [--png FILE] [--verify] [--glider]\n",
               why);
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
    } else if (args.is("--png")) {
      o.png = args.text();
    } else if (args.is("--verify")) {
      o.verify = true;
    } else if (args.is("--glider")) {
      o.glider = true;
    } else {
      args.unknown();
    }
  }
  if (o.size == 0 || o.size > 20000) usage("--size must be 1..20000");
  if (o.workers == 0 || o.workers > 256) usage("--workers must be 1..256");
  if (!seeded) o.seed = examples::random_seed();
  return o;
}

// Where everything lives in the one SharedArrayBuffer.
struct Layout {
  std::size_t size;
  std::size_t workers;
  [[nodiscard]] std::size_t cells() const { return size * size; }
  [[nodiscard]] std::size_t sync_offset() const { return (2 * cells() + 3) / 4 * 4; }
  [[nodiscard]] std::size_t bytes() const { return sync_offset() + 4 * workers; }
};

// Sync cell states.
constexpr std::int32_t kIdle = 0;
constexpr std::int32_t kGo = 1;
constexpr std::int32_t kStop = 2;

std::uint8_t* grid(const bobbin::SharedArrayBuffer& memory, const Layout& layout, int which) {
  return reinterpret_cast<std::uint8_t*>(memory.data()) + (which == 0 ? 0 : layout.cells());
}

// Compute worker i: waits for "go", computes its band of the next generation, reports "idle".
void compute_worker(bobbin::SharedArrayBuffer memory, Layout layout, std::size_t i) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.workers);
  std::uint8_t* cur = grid(memory, layout, 0);
  std::uint8_t* next = grid(memory, layout, 1);
  const std::size_t first = layout.size * i / layout.workers;
  const std::size_t last = layout.size * (i + 1) / layout.workers;
  for (;;) {
    atomics::wait(sync, i, kIdle);  // not_equal at once if "go" came first
    if (atomics::load(sync, i) == kStop) return;
    life::step_rows(cur, next, layout.size, first, last);
    std::swap(cur, next);  // every participant swaps once per generation, as in the book
    atomics::store(sync, i, kIdle);
    atomics::notify(sync, i);
  }
}

// What the coordinator posts to the main thread after each generation (when live) and at the
// end: which grid (0 or 1) holds generation `generation`.
struct Frame {
  std::size_t generation;
  int current;
  bool last;
};

// The coordinator worker: runs `generations` generations. When `live`, it posts each
// generation to the main thread and waits for its acknowledgement before the next one (the
// book's postMessage / requestAnimationFrame round trip), so the main thread draws a grid
// that nobody is writing.
void coordinate(bobbin::ParentPort<int, Frame>& parent, bobbin::SharedArrayBuffer memory,
                Layout layout, std::size_t generations, bool live) {
  bobbin::Int32Array sync(memory, layout.sync_offset(), layout.workers);
  int current = 0;
  for (std::size_t g = 1; g <= generations; ++g) {
    for (std::size_t i = 0; i < layout.workers; ++i) {
      atomics::store(sync, i, kGo);
      atomics::notify(sync, i);
    }
    for (std::size_t i = 0; i < layout.workers; ++i) {
      while (atomics::load(sync, i) == kGo) atomics::wait(sync, i, kGo);
    }
    current ^= 1;
    if (live && g < generations) {
      parent.post_message(Frame{g, current, false});
      parent.port().receive();  // the main thread's "drawn, go on"
    }
  }
  for (std::size_t i = 0; i < layout.workers; ++i) {
    atomics::store(sync, i, kStop);
    atomics::notify(sync, i);
  }
  parent.post_message(Frame{generations, current, true});
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

// Runs `generations` generations of `initial` on `workers` compute workers plus a coordinator
// worker. With `live`, the main thread draws every generation from its event loop.
Result run_threaded(const std::vector<std::uint8_t>& initial, std::size_t size, std::size_t workers,
                    std::size_t generations, bool live) {
  const Layout layout{size, std::min(workers, size)};
  bobbin::SharedArrayBuffer memory(layout.bytes());
  std::copy(initial.begin(), initial.end(), grid(memory, layout, 0));
  if (live) std::fputs("\033[2J", stdout);

  const auto start = std::chrono::steady_clock::now();
  std::vector<bobbin::Worker<int>> compute;
  for (std::size_t i = 0; i < layout.workers; ++i) {
    compute.emplace_back(bobbin::WorkerOptions{.name = "gol-worker-" + std::to_string(i)},
                         compute_worker, memory, layout, i);
  }
  int last = 0;
  bobbin::Worker<int, Frame> coordinator(bobbin::WorkerOptions{.name = "gol-coordination"},
                                         coordinate, memory, layout, generations, live);
  coordinator.on_message([&](const Frame& frame) {
    if (frame.last) {
      last = frame.current;
      return;
    }
    render(grid(memory, layout, frame.current), size, frame.generation);
    coordinator.post_message(0);
  });
  bobbin::run();  // until every worker has exited
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const std::uint8_t* cells = grid(memory, layout, last);
  if (live) render(cells, size, generations);
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
bool glider_test(std::size_t workers) {
  constexpr std::size_t n = 8;
  auto glider_at = [](std::size_t dx, std::size_t dy) {
    std::vector<std::uint8_t> cells(n * n);
    const std::size_t shape[5][2] = {{0, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}};
    for (const auto& xy : shape) cells[(xy[0] + dx) % n * n + (xy[1] + dy) % n] = 1;
    return cells;
  };
  const auto start = glider_at(0, 0);
  for (std::size_t k = 1; k <= 8; ++k) {
    const auto got = run_threaded(start, n, workers, 4 * k, false).cells;
    if (got != glider_at(k, k)) {
      std::printf("glider: FAILED after %zu generations\n", 4 * k);
      return false;
    }
  }
  if (run_threaded(start, n, workers, 32, false).cells != start) return false;
  std::printf("glider: ok (moves (1, 1) every 4 generations on %zu worker(s); home after 32)\n",
              std::min(workers, n));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.glider) return glider_test(o.workers) ? 0 : 1;

  std::vector<std::uint8_t> initial(o.size * o.size);
  life::seed_grid(initial.data(), o.size, o.seed);
  const bool live = isatty(STDOUT_FILENO) != 0;
  const Result result = run_threaded(initial, o.size, o.workers, o.generations, live);
  std::printf(
      "game_of_life: %zux%zu, %zu generations on %zu worker(s) in %.3f s (%.1f "
      "generations/s), seed %llu, alive %zu\n",
      o.size, o.size, o.generations, std::min(o.workers, o.size), result.seconds,
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
    if (run_reference(initial, o.size, o.generations) != result.cells) {
      std::printf("verify: FAILED: the threaded grid differs from the single-threaded one\n");
      return 1;
    }
    std::printf(
        "verify: ok (threaded grid equals the single-threaded reference after %zu "
        "generations)\n",
        o.generations);
  }
  return 0;
}
