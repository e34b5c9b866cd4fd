// life.hpp — the compute core of the Game of Life example (book listings 5-6 … 5-17), as plain
// functions over raw cell arrays, shared by the threaded program, the single-threaded
// reference and the checks.
//
// A grid is `size * size` bytes, 1 = alive, 0 = dead; cell (x, y) is at `size * x + y`, so x
// picks the row, as in the book. The world is a torus. The rule is B3/S23.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace life {

// Computes rows [row_begin, row_end) of the next generation from `cur` into `next`. Reads the
// rows around the band too (from `cur` only), writes only its own rows of `next`, so bands of
// different threads never write the same byte. The fast version: no modulo in the inner loop.
inline void step_rows(const std::uint8_t* cur, std::uint8_t* next, std::size_t size,
                      std::size_t row_begin, std::size_t row_end) noexcept {
  if (size == 0) return;
  for (std::size_t x = row_begin; x < row_end; ++x) {
    const std::uint8_t* up = cur + size * (x == 0 ? size - 1 : x - 1);
    const std::uint8_t* mid = cur + size * x;
    const std::uint8_t* down = cur + size * (x + 1 == size ? 0 : x + 1);
    std::uint8_t* out = next + size * x;
    auto cell = [&](std::size_t y, std::size_t left, std::size_t right) {
      const unsigned alive = up[left] + up[y] + up[right] + mid[left] + mid[right] + down[left] +
                             down[y] + down[right];
      out[y] = static_cast<std::uint8_t>(alive == 3 || (alive == 2 && mid[y] != 0));
    };
    if (size == 1) {
      cell(0, 0, 0);
      continue;
    }
    cell(0, size - 1, 1);
    for (std::size_t y = 1; y + 1 < size; ++y) cell(y, y - 1, y + 1);
    cell(size - 1, size - 2, 0);
  }
}

// The book's iterate() (5-7), kept naive on purpose as the independent oracle: every
// neighbour through a wrapping getCell.
inline void step_reference(const std::vector<std::uint8_t>& cur, std::vector<std::uint8_t>& next,
                           std::size_t size) {
  auto get = [&](std::ptrdiff_t x, std::ptrdiff_t y) -> unsigned {
    const auto n = static_cast<std::ptrdiff_t>(size);
    x = (x % n + n) % n;
    y = (y % n + n) % n;
    return cur[static_cast<std::size_t>(x * n + y)];
  };
  for (std::size_t x = 0; x < size; ++x) {
    for (std::size_t y = 0; y < size; ++y) {
      unsigned alive = 0;
      for (int dx = -1; dx <= 1; ++dx) {
        for (int dy = -1; dy <= 1; ++dy) {
          if (dx != 0 || dy != 0) {
            alive += get(static_cast<std::ptrdiff_t>(x) + dx, static_cast<std::ptrdiff_t>(y) + dy);
          }
        }
      }
      const bool live = cur[x * size + y] != 0;
      next[x * size + y] = static_cast<std::uint8_t>(alive == 3 || (live && alive == 2));
    }
  }
}

// Fills the grid with a reproducible pattern: each cell alive with probability 1/2 (the book
// uses Math.random; a seeded SplitMix64 makes runs comparable).
inline void seed_grid(std::uint8_t* cells, std::size_t size, std::uint64_t seed) noexcept {
  std::uint64_t state = seed;
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < size * size; ++i) {
    if (i % 64 == 0) {
      std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      bits = z ^ (z >> 31);
    }
    cells[i] = static_cast<std::uint8_t>(bits & 1);
    bits >>= 1;
  }
}

inline std::size_t population(const std::uint8_t* cells, std::size_t size) noexcept {
  std::size_t alive = 0;
  for (std::size_t i = 0; i < size * size; ++i) alive += cells[i];
  return alive;
}

}  // namespace life
