// Tests of bobbin/bobbin.hpp (the umbrella) and bobbin/version.hpp: one include gives the whole
// shared-memory layer, spelled as DESIGN's "API at a glance" spells it.
#include <bobbin/bobbin.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

namespace {

using namespace std::chrono_literals;
namespace atomics = bobbin::atomics;

TEST(Bobbin, VersionIsOneNumber) {
  EXPECT_EQ(BOBBIN_VERSION,
            BOBBIN_VERSION_MAJOR * 10000 + BOBBIN_VERSION_MINOR * 100 + BOBBIN_VERSION_PATCH);
  EXPECT_GE(BOBBIN_VERSION, 100);  // 0.1.0 or later
}

TEST(Bobbin, SharedMemoryAndAtomicsAtAGlance) {
  bobbin::SharedArrayBuffer sab(1024);  // zeroed; a copy shares the memory
  bobbin::Int32Array cells(sab);
  EXPECT_EQ(cells.length(), 256u);
  atomics::store(cells, 0, 1);
  const atomics::WaitResult r = atomics::wait(cells, 0, 1, 10ms);  // nobody notified
  EXPECT_EQ(r, atomics::WaitResult::timed_out);
  const std::size_t woken = atomics::notify(cells, 0, 1);
  EXPECT_EQ(woken, 0u);
}

TEST(Bobbin, BuffersCloneOnCopyAndTransferOnMoveAtAGlance) {
  bobbin::ArrayBuffer a(64);
  a.data()[0] = std::byte{7};
  bobbin::ArrayBuffer b = a;             // clone: independent bytes
  bobbin::ArrayBuffer c = std::move(a);  // transfer
  EXPECT_TRUE(a.detached());             // NOLINT(bugprone-use-after-move): the point
  EXPECT_EQ(a.byte_length(), 0u);        // NOLINT(bugprone-use-after-move)
  b.data()[0] = std::byte{9};
  EXPECT_EQ(c.data()[0], std::byte{7});
  bobbin::ArrayBuffer d(8, bobbin::ArrayBufferOptions{.max_byte_length = 64});
  EXPECT_TRUE(d.resizable());
  bobbin::SharedArrayBuffer g(8, bobbin::SharedArrayBufferOptions{.max_byte_length = 64});
  EXPECT_TRUE(g.growable());
}

TEST(Bobbin, ErrorsAreOneFamily) {
  bobbin::SharedArrayBuffer sab(8);
  bobbin::Int32Array cells(sab);
  try {
    static_cast<void>(atomics::load(cells, 2));
    FAIL() << "index 2 of a 2-element view must throw";
  } catch (const bobbin::Error& e) {
    EXPECT_EQ(std::string(e.name()), "RangeError");
  }
}

}  // namespace
