// ch6_ring_buffer: a byte ring buffer shared by two producers and two consumers
// (Multithreaded JavaScript 6-13 … 6-17, ch6-ring-buffer/ring-buffer.js).
//
// The book's demo: a 100-byte ring in a SharedArrayBuffer; two producer workers write
// "Hello, World!\n" (14 bytes) over and over, two consumer workers read up to 20 bytes at a
// time and print "Read <n> bytes"; a mutex in the same buffer guards every call.
//
// bobbin::RingBuffer<std::byte> is that byte ring, but single-producer single-consumer: two
// threads may never be on the same side at once. So, as the book does, locks make it shared —
// but two of them, one per side (cells 0 and 1 of a small lock buffer): a producer holds the
// producer lock while it writes, a consumer the consumer lock while it reads. Each side is
// then one thread at a time, which is all the ring needs, and producers never wait for
// consumers' locks (the book's single lock serialises all four). The other way the brief
// allows, one ring per producer/consumer pair, needs no lock at all but gives each consumer
// only its own producer's bytes; it is what happycoin --mode ring does.
//
// Fixed from the book (§12.2, §12.3): its read() sliced [tail, n) instead of [tail, tail + n)
// and returned short or empty data while consuming n bytes — RingBuffer copies exactly what it
// consumes; its SharedRingBuffer built its Mutex with no index (it worked because undefined
// became 0) — the cells here are explicit. The book's producers ignore partial writes, which
// cuts messages in half; here a producer writes its whole message under its lock (waiting for
// room while full), so the byte stream is always whole messages.
//
// Unlike the book's demo, which runs until killed, each producer writes --messages messages
// (default 2000); then the ring is closed and the consumers drain it and stop. The check:
// every byte arrived, and the reads, put back in the order they happened, spell the messages
// exactly. The first reads are printed as in the book ("Read <n> bytes").
#include <bobbin/bobbin.hpp>
#include <bobbin/worker.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr std::string_view kMessage = "Hello, World!\n";

struct Read {
  std::size_t sequence;  // the order of the read (taken under the consumer lock)
  std::string bytes;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t messages = 2000;
  if (argc == 3 && std::strcmp(argv[1], "--messages") == 0)
    messages = std::strtoul(argv[2], nullptr, 10);

  bobbin::RingBuffer<std::byte> ring(100);      // the book's 100-byte capacity
  bobbin::SharedArrayBuffer locks(8);           // cell 0: producer lock, cell 1: consumer lock
  bobbin::SharedArrayBuffer counter_memory(4);  // read sequence numbers

  // Producers: workerData {shared, isProducer: true}, as in the book.
  std::vector<bobbin::Worker<int>> workers;
  int producing = 2;
  for (int p = 0; p < 2; ++p) {
    workers.emplace_back(
        [](bobbin::SharedArrayBuffer memory, bobbin::SharedArrayBuffer locks,
           std::size_t messages) {
          bobbin::RingBuffer<std::byte> out(memory);
          bobbin::Int32Array cells(locks);
          bobbin::Mutex side(cells, 0);
          const auto bytes = std::as_bytes(std::span(kMessage.data(), kMessage.size()));
          for (std::size_t m = 0; m < messages; ++m) {
            std::lock_guard lock(side);
            std::size_t done = 0;
            while (done < bytes.size()) {
              const std::size_t n = out.write(bytes.subspan(done));
              if (n == 0) {
                if (!out.push(bytes[done])) return;  // full: wait for room (false once closed)
                ++done;
              }
              done += n;
            }
          }
        },
        ring.buffer(), locks, messages);
    workers.back().on_exit([&](int) {
      if (--producing == 0) ring.close();  // the consumers drain what is left, then stop
    });
  }

  // Consumers: {shared, isProducer: false}; each read goes back to the main thread.
  std::vector<std::vector<Read>> reads(2);
  std::vector<bobbin::Worker<int, Read>> consumers;
  for (std::size_t c = 0; c < 2; ++c) {
    consumers.emplace_back(
        [](bobbin::ParentPort<int, Read>& parent, bobbin::SharedArrayBuffer memory,
           bobbin::SharedArrayBuffer locks, bobbin::SharedArrayBuffer counter_memory) {
          bobbin::RingBuffer<std::byte> in(memory);
          bobbin::Int32Array cells(locks);
          bobbin::Int32Array counter(counter_memory);
          bobbin::Mutex side(cells, 1);
          std::byte chunk[20];  // the book reads up to 20 bytes
          for (;;) {
            std::lock_guard lock(side);
            const std::optional<std::byte> first = in.pop();  // waits while empty
            if (!first) return;                               // closed and drained
            chunk[0] = *first;
            const std::size_t n = 1 + in.read(std::span(chunk + 1, 19));
            const auto sequence = static_cast<std::size_t>(bobbin::atomics::add(counter, 0, 1));
            if (sequence < 8) std::printf("Read %zu bytes\n", n);  // synchronous, as the book's
            parent.post_message(
                Read{sequence, std::string(reinterpret_cast<const char*>(chunk), n)});
          }
        },
        ring.buffer(), locks, counter_memory);
    consumers.back().on_message([&mine = reads[c]](Read r) { mine.push_back(std::move(r)); });
  }
  bobbin::run();  // until all four workers have exited

  std::vector<std::string> in_order(reads[0].size() + reads[1].size());
  for (const auto& mine : reads) {
    for (const Read& r : mine) in_order.at(r.sequence) = r.bytes;
  }
  std::string stream;
  for (const auto& bytes : in_order) stream += bytes;
  std::string expected;
  for (std::size_t m = 0; m < 2 * messages; ++m) expected += kMessage;
  const bool ok = stream == expected;
  std::printf("...\n%zu reads (%zu by consumer 0, %zu by consumer 1), %zu of %zu bytes, %s\n",
              in_order.size(), reads[0].size(), reads[1].size(), stream.size(), expected.size(),
              ok ? "the stream is exactly the messages" : "the stream is WRONG");
  std::puts(ok ? "ch6_ring_buffer: ok" : "ch6_ring_buffer: FAILED");
  return ok ? 0 : 1;
}
