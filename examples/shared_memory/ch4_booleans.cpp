// ch4_booleans: eight booleans packed in one byte (Multithreaded JavaScript, chapter 4, "Data
// serialization": ch4-serialization/booleans.js).
//
// set_bool(slot, value) clears bit `slot`, then ORs in the value; get_bool(slot) tests the bit.
// The book's expected trace: 0, set slot 0 → 1, set slot 1 → 3, clear slot 0 → 2; then
// get 0, 1, 2 → false, true, false; set slot 7 → 130. The book notes its helpers are not
// atomic; the second half does the same with atomics::bit_or / bit_and, which is what several
// threads sharing the byte must use (one read-modify-write each, nothing lost).
#include <bobbin/bobbin.hpp>

#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

namespace atomics = bobbin::atomics;

namespace {

// The book's helpers: plain (non-atomic) read-modify-write of the byte.
void set_bool(const bobbin::Uint8Array& flags, unsigned slot, bool value) {
  flags[0] = static_cast<std::uint8_t>((flags[0] & ~(1U << slot)) | (unsigned{value} << slot));
}
bool get_bool(const bobbin::Uint8Array& flags, unsigned slot) {
  return ((flags[0] >> slot) & 1U) != 0;
}

// The shared-memory versions: one atomic operation each.
void set_bool_atomic(const bobbin::Uint8Array& flags, unsigned slot, bool value) {
  if (value) {
    atomics::bit_or(flags, 0, 1U << slot);
  } else {
    atomics::bit_and(flags, 0, ~(1U << slot) & 0xFFU);
  }
}

}  // namespace

int main() {
  bool ok = true;
  auto expect = [&](const char* what, unsigned got, unsigned want) {
    std::printf("%-22s %u\n", what, got);
    if (got != want) {
      std::printf("  expected %u\n", want);
      ok = false;
    }
  };

  bobbin::Uint8Array flags(bobbin::ArrayBuffer(1));  // the book's one-byte buffer
  expect("start", flags[0], 0);
  set_bool(flags, 0, true);
  expect("set slot 0 true", flags[0], 1);
  set_bool(flags, 1, true);
  expect("set slot 1 true", flags[0], 3);
  set_bool(flags, 0, false);
  expect("set slot 0 false", flags[0], 2);
  expect("get slot 0", get_bool(flags, 0), 0);
  expect("get slot 1", get_bool(flags, 1), 1);
  expect("get slot 2", get_bool(flags, 2), 0);
  set_bool(flags, 7, true);
  expect("set slot 7 true", flags[0], 130);

  // Eight threads, one slot each, setting their flag in a shared byte at the same time: with
  // the atomic helper no bit is lost, so the byte ends at 255.
  bobbin::Uint8Array shared(bobbin::SharedArrayBuffer(1));
  std::vector<std::thread> threads;
  for (unsigned slot = 0; slot < 8; ++slot) {
    threads.emplace_back([shared, slot] { set_bool_atomic(shared, slot, true); });
  }
  for (auto& t : threads) t.join();
  expect("8 threads, atomic set", atomics::load(shared, 0), 255);
  set_bool_atomic(shared, 3, false);
  expect("atomic clear slot 3", atomics::load(shared, 0), 247);

  std::puts(ok ? "ch4_booleans: ok" : "ch4_booleans: FAILED");
  return ok ? 0 : 1;
}
