// ch4_serialize: strings and objects through shared memory (Multithreaded JavaScript,
// chapter 4, "Data serialization"; the booleans are in ch4_booleans).
//
// Shared memory holds bytes, so anything else is serialized into it:
//   - strings as UTF-8 bytes (the book's TextEncoder/TextDecoder): "A" is 1 byte, "€" is 3
//     (E2 82 AC); the length must travel too, here in a Uint32 header cell;
//   - objects as JSON text, then as UTF-8 bytes (JSON.stringify + TextEncoder; here
//     nlohmann::json). As the book says, this costs about what postMessage's structured clone
//     costs, so shared memory pays off for plain numeric data, not for object graphs.
// The reader copies the bytes out of the shared buffer before decoding (browsers refuse to
// decode a shared view; in C++ it also means the writer may reuse the buffer at once).
//
// Protocol in one SharedArrayBuffer: Int32 cell 0 = message number (the writer bumps it and
// notifies), Uint32 cell 1 = byte length, bytes from offset 8. The reader acknowledges in
// Int32 cell 2.
#include <bobbin/bobbin.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

namespace atomics = bobbin::atomics;

namespace {

constexpr std::size_t kData = 8;

// Copies `text` (UTF-8 already: a C++ string holds bytes) into the buffer; returns its length.
std::size_t store_string(const bobbin::SharedArrayBuffer& sab, std::string_view text) {
  if (text.size() > sab.byte_length() - kData) throw bobbin::RangeError("message too long");
  std::memcpy(sab.data() + kData, text.data(), text.size());
  bobbin::Uint32Array length(sab, 4, 1);
  atomics::store(length, 0, static_cast<std::uint32_t>(text.size()));
  return text.size();
}

// Copies the bytes out into a non-shared string (the book's slice before TextDecoder).
std::string load_string(const bobbin::SharedArrayBuffer& sab) {
  bobbin::Uint32Array length(sab, 4, 1);
  const std::uint32_t n = atomics::load(length, 0);
  return std::string(reinterpret_cast<const char*>(sab.data() + kData), n);
}

}  // namespace

int main() {
  bobbin::SharedArrayBuffer sab(4096);
  bobbin::Int32Array control(sab, 0, 1);     // message number
  bobbin::Int32Array ack(sab, 8 + 4000, 1);  // the reader's acknowledgement, past the data

  std::string got_text;
  nlohmann::json got_object;
  std::thread reader([sab, &got_text, &got_object] {
    bobbin::Int32Array control(sab, 0, 1);
    bobbin::Int32Array ack(sab, 8 + 4000, 1);
    atomics::wait(control, 0, 0);  // message 1: a string
    got_text = load_string(sab);
    atomics::store(ack, 0, 1);
    atomics::notify(ack, 0);
    atomics::wait(control, 0, 1);  // message 2: an object as JSON
    got_object = nlohmann::json::parse(load_string(sab));
    atomics::store(ack, 0, 2);
    atomics::notify(ack, 0);
  });

  bool ok = true;
  const std::string text = "Hello, \xE2\x82\xAC!";  // "Hello, €!"
  std::printf("'A' is %zu byte, '\xE2\x82\xAC' is %zu bytes in UTF-8\n", std::string("A").size(),
              std::string("\xE2\x82\xAC").size());
  std::printf("writer: string of %zu bytes\n", store_string(sab, text));
  atomics::store(control, 0, 1);
  atomics::notify(control, 0);
  while (atomics::load(ack, 0) < 1) atomics::wait(ack, 0, 0);
  std::printf("reader: \"%s\" (%zu bytes)\n", got_text.c_str(), got_text.size());
  ok = ok && got_text == text && got_text.size() == 11;

  const nlohmann::json object = {{"name", "bobbin"}, {"threads", 4}, {"tags", {"sab", "json"}}};
  std::printf("writer: object as %zu bytes of JSON\n", store_string(sab, object.dump()));
  atomics::store(control, 0, 2);
  atomics::notify(control, 0);
  while (atomics::load(ack, 0) < 2) atomics::wait(ack, 0, 1);
  reader.join();
  std::printf("reader: %s\n", got_object.dump().c_str());
  ok = ok && got_object == object && got_object["threads"] == 4;

  std::puts(ok ? "ch4_serialize: ok" : "ch4_serialize: FAILED");
  return ok ? 0 : 1;
}
