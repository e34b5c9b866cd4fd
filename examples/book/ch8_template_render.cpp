// ch8_template_render: when offloading to threads does not pay (listings 8-1 to 8-5,
// ch8-template-render).
//
// The book renders the template `<em>{{me}} loves {{you}}</em> ` repeated 80 times with
// {me: "Thomas", you: "Katelyn"} (2,400 characters) either on the main thread (GET /main) or on
// a 4-thread least-busy RpcWorkerPool (GET /offload), and probes the event-loop delay every
// second (hrtime, then setImmediate, then log the difference). Load both with autocannon: the
// cached render is so cheap that /main wins; offloading pays only when each render is heavy
// (the commented-out Mustache.clearCache() re-parses the template on every render), and it
// keeps the main loop's delay low.
//
// What it shows: the same experiment with a tiny Mustache stand-in (parse into literal and
// variable parts, cached per thread unless --clear-cache), examples/common/http_server.hpp and
// a bobbin::ThreadPool (4 threads, Dispatch::least_busy). Client threads load each route in
// turn; the program prints the time, requests per second and the largest event-loop delay
// seen by the probe during each phase (noisy numbers: compare, do not trust to the digit).
// Checked: every answer of both routes is the 2,400-character rendering.
// Flags: --requests N per route (2000), --clients C (4), --probe-ms P (1000), --clear-cache,
// --repeat R (1: render R times per request, to make the work heavier).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "book_support.hpp"
#include "http_server.hpp"

namespace {

struct Part {
  bool variable = false;
  std::string text;  // literal text, or the variable's name
};

std::string make_template() {
  std::string t;
  for (int i = 0; i < 80; ++i) t += "<em>{{me}} loves {{you}}</em> ";
  return t;
}

std::vector<Part> parse(const std::string& source) {
  std::vector<Part> parts;
  std::size_t at = 0;
  while (at < source.size()) {
    const std::size_t open = source.find("{{", at);
    if (open == std::string::npos) {
      parts.push_back({false, source.substr(at)});
      break;
    }
    if (open > at) parts.push_back({false, source.substr(at, open - at)});
    const std::size_t close = source.find("}}", open);
    parts.push_back({true, source.substr(open + 2, close - open - 2)});
    at = close + 2;
  }
  return parts;
}

struct Love {
  std::string me = "Thomas";
  std::string you = "Katelyn";
};

// renderLove(data): Mustache.render with its per-thread template cache.
std::string render_love(const Love& data, bool clear_cache, int repeat) {
  thread_local std::optional<std::vector<Part>> cache;
  std::string out;
  for (int r = 0; r < repeat; ++r) {
    if (clear_cache || !cache) cache = parse(make_template());  // Mustache.clearCache()
    out.clear();
    for (const Part& p : *cache) out += !p.variable ? p.text : (p.text == "me" ? data.me : data.you);
  }
  return out;
}

struct Phase {
  double ms = 0;
  int correct = 0;
  long long max_delay_ns = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int requests = static_cast<int>(book::flag(argc, argv, "--requests", 2000));
  const int clients = static_cast<int>(book::flag(argc, argv, "--clients", 4));
  const std::chrono::milliseconds probe(book::flag(argc, argv, "--probe-ms", 1000));
  const bool clear_cache = book::has_flag(argc, argv, "--clear-cache");
  const int repeat = static_cast<int>(book::flag(argc, argv, "--repeat", 1));

  bobbin::ThreadPool pool({.min_threads = 0, .max_threads = 4, .name = "render-worker",
                           .dispatch = bobbin::Dispatch::least_busy});
  http::Server server([&](const http::Request& req) -> bobbin::Promise<http::Response> {
    if (req.path == "/main") {
      return bobbin::Promise<http::Response>::resolved(http::Response{200, render_love(Love{}, clear_cache, repeat), "text/html", {}});
    }
    if (req.path == "/offload") {
      return pool.run([clear_cache, repeat](Love data) { return render_love(data, clear_cache, repeat); }, Love{})
          .then([](const std::string& html) { return http::Response{200, html, "text/html", {}}; });
    }
    return bobbin::Promise<http::Response>::resolved(http::Response::text("not found", 404));
  });
  const int port = server.listen(0);
  book::say("listening on: http://127.0.0.1:" + std::to_string(port) + (clear_cache ? " (clear cache)" : ""));

  // The event-loop delay probe: hrtime, setImmediate, difference.
  std::atomic<long long> max_delay_ns{0};
  bobbin::Timer probe_timer = bobbin::set_interval(
      [&] {
        const auto t0 = std::chrono::steady_clock::now();
        bobbin::set_immediate([&, t0] {
          const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
          if (ns > max_delay_ns.load()) max_delay_ns.store(ns);
        });
      },
      probe);

  const std::string expected = render_love(Love{}, true, 1);
  Phase phases[2];
  auto& loop = bobbin::EventLoop::current();
  std::thread load([&] {
    const char* routes[] = {"/main", "/offload"};
    for (int p = 0; p < 2; ++p) {
      max_delay_ns.store(0);
      std::atomic<int> next{0}, correct{0};
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> threads;
      for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
          while (next.fetch_add(1) < requests) {
            http::ClientResponse r = http::http_get("127.0.0.1", port, routes[p]);
            if (r.status == 200 && r.body == expected) correct.fetch_add(1);
          }
        });
      }
      for (auto& t : threads) t.join();
      phases[p] = {book::ms_since(t0), correct.load(), max_delay_ns.load()};
    }
    loop.post([&] {
      probe_timer.clear();
      server.close();
    });
  });
  bobbin::run();
  load.join();

  book::say("rendered length: " + std::to_string(expected.size()) + " characters");
  const char* names[] = {"/main   ", "/offload"};
  for (int p = 0; p < 2; ++p) {
    const double rps = phases[p].ms > 0 ? requests * 1000.0 / phases[p].ms : 0;
    book::say(std::string(names[p]) + ": " + std::to_string(requests) + " requests in " +
              std::to_string(static_cast<long long>(phases[p].ms)) + " ms (" + std::to_string(static_cast<long long>(rps)) +
              " req/s), largest loop delay " + std::to_string(phases[p].max_delay_ns / 1000) + " us");
    book::check(phases[p].correct == requests, std::string(names[p]) + ": every answer is the 2,400-character rendering");
  }
  book::check(expected.size() == 2400, "the rendered template has 2,400 characters");
  return book::finish("template render OK");
}
