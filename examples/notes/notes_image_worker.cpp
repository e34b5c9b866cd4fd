// notes_image_worker: the image-processing server of the note "Node.js Worker Threads (워커
// 스레드)", section 예시 → "실전 Worker Threads 예제" → "이미지 처리 Worker" (main.js with
// express, image-worker.js).
//
// POST /api/process-image {"imageData": {...}, "operations": [{"type": "resize"}, ...]} starts a
// worker for the request, as the note does; the worker applies the operations in order and
// posts {success, processedImage, operations} back, or {success: false, error} for an unknown
// operation; the handler answers 200 with the processed image or 500 with the error, and
// terminates the worker. GET / lists the endpoints. The loop stays free while workers compute.
//
// The note's worker only renames a string ("resized_" + name); here the operations do real
// work on a synthetic grayscale image (imageData {name, width, height}: a gradient with a
// pattern): resize halves each side (2x2 box average), filter is a 3x3 blur, compress
// quantizes to 16 levels and run-length encodes, enhance stretches the contrast to 0..255. The
// answer keeps the note's name ("enhanced_compressed_..._photo") and adds the size, the mean,
// a checksum and the compressed size.
//
// The smoke run (--self-test, the default) starts the server on an ephemeral port, sends the
// requests from a client thread, checks the answers and prints "image server OK". With
// --serve it keeps serving on --port (default 3000) until killed.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_server.hpp"
#include "notes_support.hpp"

using json = nlohmann::json;

namespace {

// ---- image-worker.js ----

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // row by row, one byte per pixel
  std::size_t compressed_bytes = 0;  // set by compress
  std::uint8_t at(int x, int y) const {
    x = std::clamp(x, 0, width - 1);
    y = std::clamp(y, 0, height - 1);
    return pixels[static_cast<std::size_t>(y * width + x)];
  }
};

Image synthetic_image(int width, int height) {
  if (width < 1 || height < 1 || width > 4096 || height > 4096) {
    throw std::invalid_argument("imageData: width and height must be in 1..4096");
  }
  Image img{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width * height))};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {  // a soft gradient with a checker pattern on top
      const int v = 40 + (x * 100) / width + (y * 60) / height + (((x / 8 + y / 8) % 2) ? 20 : 0);
      img.pixels[static_cast<std::size_t>(y * width + x)] = static_cast<std::uint8_t>(v);
    }
  }
  return img;
}

Image resize(const Image& in) {  // half size, each pixel the mean of a 2x2 block
  Image out{std::max(1, in.width / 2), std::max(1, in.height / 2), {}};
  out.pixels.resize(static_cast<std::size_t>(out.width * out.height));
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const int sum = in.at(2 * x, 2 * y) + in.at(2 * x + 1, 2 * y) + in.at(2 * x, 2 * y + 1) +
                      in.at(2 * x + 1, 2 * y + 1);
      out.pixels[static_cast<std::size_t>(y * out.width + x)] = static_cast<std::uint8_t>(sum / 4);
    }
  }
  return out;
}

Image filter(const Image& in) {  // 3x3 box blur
  Image out = in;
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      int sum = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) sum += in.at(x + dx, y + dy);
      }
      out.pixels[static_cast<std::size_t>(y * in.width + x)] = static_cast<std::uint8_t>(sum / 9);
    }
  }
  return out;
}

Image compress(const Image& in) {  // 16 gray levels, then run-length encoded (2 bytes a run)
  Image out = in;
  std::size_t runs = 0;
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    out.pixels[i] = static_cast<std::uint8_t>((out.pixels[i] / 16) * 16 + 8);
    if (i == 0 || out.pixels[i] != out.pixels[i - 1]) ++runs;
  }
  out.compressed_bytes = runs * 2;
  return out;
}

Image enhance(const Image& in) {  // stretch the contrast to the full 0..255 range
  Image out = in;
  const auto [lo, hi] = std::minmax_element(in.pixels.begin(), in.pixels.end());
  const int low = *lo, span = std::max(1, *hi - *lo);
  for (auto& p : out.pixels) p = static_cast<std::uint8_t>(((p - low) * 255) / span);
  return out;
}

// The worker's processImage: throws for an unknown operation, as the note's does.
json process_image(const json& image_data, const json& operations) {
  std::string name = image_data.value("name", "image");
  Image img = synthetic_image(image_data.value("width", 256), image_data.value("height", 256));
  for (const json& op : operations) {
    const std::string type = op.value("type", "");
    if (type == "resize") {
      img = resize(img);
      name = "resized_" + name;
    } else if (type == "filter") {
      img = filter(img);
      name = "filtered_" + name;
    } else if (type == "compress") {
      img = compress(img);
      name = "compressed_" + name;
    } else if (type == "enhance") {
      img = enhance(img);
      name = "enhanced_" + name;
    } else {
      throw std::invalid_argument("Unknown operation: " + type);
    }
  }
  std::uint64_t sum = 0, checksum = 0;
  for (const std::uint8_t p : img.pixels) {
    sum += p;
    checksum = checksum * 31 + p;
  }
  return {{"name", name},
          {"width", img.width},
          {"height", img.height},
          {"mean", static_cast<double>(sum) / static_cast<double>(img.pixels.size())},
          {"checksum", checksum},
          {"compressedBytes", img.compressed_bytes}};
}

// image-worker.js: parentPort.on('message', ...) answering each request.
void image_worker(bobbin::ParentPort<json>& parent_port) {
  parent_port.on_message([&parent_port](const json& data) {
    try {
      notes::say("  [worker] image processing start: " + data.at("operations").dump());
      json processed = process_image(data.at("imageData"), data.at("operations"));
      parent_port.post_message(json{
          {"success", true}, {"processedImage", processed}, {"operations", data["operations"]}});
      notes::say("  [worker] image processing done");
    } catch (const std::exception& e) {
      parent_port.post_message(json{{"success", false}, {"error", e.what()}});
    }
  });
}

// ---- main.js ----

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

class ImageServer {
 public:
  ImageServer() : server_([this](const http::Request& req) { return route(req); }) {}

  int listen(int port) { return server_.listen(port); }
  void close() { server_.close(); }

 private:
  bobbin::Promise<http::Response> route(const http::Request& req) {
    if (req.method == "GET" && req.path == "/") {
      return ready(http::Response::json(
          json{{"message", "Image Processing Server with Worker Threads"},
               {"endpoints", {{"POST /api/process-image", "process an image"}}}}
              .dump()));
    }
    if (req.method == "POST" && req.path == "/api/process-image") {
      const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded() || !body.contains("imageData") || !body.contains("operations")) {
        return ready(error_response("expected {imageData, operations}", 400));
      }
      return process_with_worker(body["imageData"], body["operations"])
          .then([](const json& image) {
            return http::Response::json(json{
                {"success", true},
                {"processedImage", image},
                {"timestamp", iso_now()}}.dump());
          })
          .catch_error([](std::exception_ptr e) { return error_response(notes::what(e), 500); });
    }
    return ready(error_response("not found", 404));
  }

  static bobbin::Promise<http::Response> ready(http::Response r) {
    return bobbin::Promise<http::Response>::resolved(std::move(r));
  }
  static http::Response error_response(const std::string& message, int status) {
    return http::Response::json(json{{"success", false}, {"error", message}}.dump(), status);
  }

  // processImageWithWorker: one worker per request, terminated once it has answered.
  bobbin::Promise<json> process_with_worker(const json& image_data, const json& operations) {
    auto [promise, resolver] = bobbin::Promise<json>::with_resolvers();
    workers_.push_back(std::make_unique<bobbin::Worker<json>>(image_worker));
    bobbin::Worker<json>* worker = workers_.back().get();
    worker->on_message([worker, resolver = resolver](const json& result) {
      if (result.value("success", false)) {
        resolver.resolve(result["processedImage"]);
      } else {
        resolver.reject(std::make_exception_ptr(std::runtime_error(result.value("error", ""))));
      }
      (void)worker->terminate();
    });
    worker->on_error([resolver = resolver](std::exception_ptr e) { resolver.reject(e); });
    worker->on_exit([this, worker, resolver = resolver](int code) {
      // After a result this rejection is ignored: a promise settles once.
      resolver.reject(std::make_exception_ptr(
          std::runtime_error("Worker exited with code " + std::to_string(code))));
      bobbin::set_immediate([this, worker] {  // not inside the worker's own callback
        workers_.remove_if([worker](const auto& w) { return w.get() == worker; });
      });
    });
    worker->post_message(json{{"imageData", image_data}, {"operations", operations}});
    return promise;
  }

  std::list<std::unique_ptr<bobbin::Worker<json>>> workers_;
  http::Server server_;  // last: destroyed first, before the workers it may still use
};

int self_test() {
  ImageServer server;
  const int port = server.listen(0);
  notes::say("image server listening on port " + std::to_string(port));
  using notes::expect;
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  std::thread client([&] {
    const auto index = http::http_get("127.0.0.1", port, "/");
    expect(index.status == 200 && json::parse(index.body).contains("endpoints"), "GET /");

    const json request = {{"imageData", {{"name", "photo"}, {"width", 64}, {"height", 48}}},
                          {"operations",
                           {{{"type", "resize"}},
                            {{"type", "filter"}},
                            {{"type", "compress"}},
                            {{"type", "enhance"}}}}};
    const auto good = http::http_post("127.0.0.1", port, "/api/process-image", request.dump());
    const json image = json::parse(good.body)["processedImage"];
    notes::say("  " + std::to_string(good.status) + " -> " + image.dump());
    expect(good.status == 200 && image["name"] == "enhanced_compressed_filtered_resized_photo" &&
               image["width"] == 32 && image["height"] == 24 &&
               image["compressedBytes"].get<int>() > 0,
           "four operations: name, size and compression");

    const json bad = {{"imageData", {{"name", "photo"}}},
                      {"operations", {{{"type", "resize"}}, {{"type", "sharpen"}}}}};
    const auto err = http::http_post("127.0.0.1", port, "/api/process-image", bad.dump());
    notes::say("  " + std::to_string(err.status) + " -> " + err.body);
    expect(err.status == 500 && json::parse(err.body)["error"] == "Unknown operation: sharpen",
           "an unknown operation is an error reply");

    loop.post([&server] { server.close(); });
  });
  bobbin::run();  // until the server is closed and every worker has exited
  client.join();
  notes::say(notes::all_ok() ? "image server OK" : "image server FAILED");
  return notes::all_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (notes::flag(argc, argv, "--serve", 0) != 0) {
    ImageServer server;
    const int port = server.listen(static_cast<int>(notes::flag(argc, argv, "--port", 3000)));
    notes::say("server running on port " + std::to_string(port));
    bobbin::run();
    return 0;
  }
  return self_test();
}
