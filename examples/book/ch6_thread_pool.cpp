// ch6_thread_pool: the book's RpcWorkerPool behind an HTTP server (listings 6-1 to 6-6,
// ch6-thread-pool), on bobbin::ThreadPool and examples/common/http_server.hpp.
//
// RpcWorkerPool(path, size, strategy): size 0 = the number of cores, negative = cores + size
// (at least 1); strategy roundrobin (cycles 0..n-1), random, or leastbusy (fewest commands in
// flight, ties to the lowest index). The worker's one command, square_sum(max), first sleeps
// 100 ms (setTimeout) and then sums √i for i < max. main.js answers every HTTP request with
// {"sum": ..., "value": ...} for a random value below 100,000,000.
//
// What it shows: bobbin::ThreadPool implements the book's pool directly: `max_threads` follows
// the same size rule and `dispatch` is the strategy (Dispatch::round_robin, random,
// least_busy), each thread with its own queue. The command is an Async task, so, like the
// book's async worker, one thread keeps several commands in flight while they sleep
// (`concurrent_tasks_per_worker`). The book's pool logs "Selected Worker: i" when it picks; here
// the task reports which thread ran it (`ThreadPool::current_worker_index()`), the answer
// carries it, and the program prints it per request.
// Fixes (research §12.5): with THREADS unset the book's pool has zero workers and crashes on
// the first request; here --threads defaults to 0, i.e. one thread per core. An unknown
// strategy is rejected with a TypeError "invalid strategy", as in the book.
// Checked, per strategy: every answer's sum equals square_sum(value) computed here; with
// sequential requests round-robin serves 0, 1, ..., n-1, 0, 1, ... and least-busy always
// picks thread 0 (every thread idle: the tie goes to the lowest index); random stays in range.
// Then a load phase (several concurrent clients) prints the time and the requests per thread.
// Flags: --threads N (0), --strategy roundrobin|random|leastbusy|all (all), --requests N (12),
// --max-value N (100000000), --sleep-ms N (100), --clients N (5), --load N (100 requests).
#include <bobbin/errors.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "book_rpc.hpp"
#include "book_support.hpp"
#include "http_server.hpp"

using namespace std::chrono_literals;

namespace {

struct Settings {
  int threads = 0;
  int requests = 12;
  double max_value = 100'000'000;
  int sleep_ms = 100;
  int clients = 5;
  int load = 100;
};

bobbin::Dispatch parse_strategy(const std::string& name) {
  if (name == "roundrobin") return bobbin::Dispatch::round_robin;
  if (name == "random") return bobbin::Dispatch::random;
  if (name == "leastbusy") return bobbin::Dispatch::least_busy;
  throw bobbin::TypeError("invalid strategy");
}

struct Answer {
  double sum = 0;
  double value = 0;
  int worker = -1;
};

Answer parse(const std::string& body) {
  auto j = nlohmann::json::parse(body);
  return {j.at("sum").get<double>(), j.at("value").get<double>(), j.at("worker").get<int>()};
}

// One server with one pool; `client` runs on another thread and returns when done.
template <class Client>
void serve(const std::string& strategy, const Settings& s, Client&& client) {
  bobbin::ThreadPool pool({.min_threads = 0,
                           .max_threads = s.threads,
                           .concurrent_tasks_per_worker = 64,
                           .name = "rpc-worker",
                           .dispatch = parse_strategy(strategy)});
  std::mt19937_64 rng{std::random_device{}()};
  const auto sleep_for = std::chrono::milliseconds(s.sleep_ms);
  http::Server server([&](const http::Request&) -> bobbin::Promise<http::Response> {
    const double value = std::floor(std::uniform_real_distribution<double>(0, s.max_value)(rng));
    return pool
        .run([sleep_for](double max) -> bobbin::Async<Answer> {
              co_await bobbin::sleep(sleep_for);  // the worker's `await sleep(100)`
              const int worker = static_cast<int>(bobbin::ThreadPool::current_worker_index().value_or(99));
              co_return Answer{book::square_sum(max), max, worker};
            },
            value)
        .then([](const Answer& a) {
          nlohmann::json j = {{"sum", a.sum}, {"value", a.value}, {"worker", a.worker}};
          return http::Response::json(j.dump());
        });
  });
  const int port = server.listen(0);
  auto& loop = bobbin::EventLoop::current();
  std::thread client_thread([&] {
    client(port, pool.threads());
    loop.post([&] { server.close(); });
  });
  bobbin::run();
  client_thread.join();
}

void run_strategy(const std::string& strategy, const Settings& s) {
  book::say("== strategy " + strategy);
  std::vector<int> served;
  std::size_t n = 0;
  bool sums_ok = true;
  serve(strategy, s, [&](int port, std::size_t threads) {
    n = threads;
    for (int i = 0; i < s.requests; ++i) {
      http::ClientResponse r = http::http_get("127.0.0.1", port, "/");
      Answer a = parse(r.body);
      book::say("Selected Worker: " + std::to_string(a.worker) + "  " + r.body);
      sums_ok = sums_ok && r.status == 200 && a.sum == book::square_sum(a.value);
      served.push_back(a.worker);
    }
  });
  book::check(sums_ok, strategy + ": every sum equals square_sum(value)");
  for (std::size_t i = 0; i < served.size(); ++i) {
    const int w = served[i];
    book::check(w >= 0 && static_cast<std::size_t>(w) < n, strategy + ": worker index in range");
    if (strategy == "roundrobin") {
      book::check(static_cast<std::size_t>(w) == i % n, "roundrobin cycles 0..n-1");
    } else if (strategy == "leastbusy") {
      book::check(w == 0, "leastbusy: all idle, the tie goes to the lowest index");
    }
  }

  // Load: several clients at once (the book uses autocannon); time and spread per thread.
  Settings load = s;
  load.max_value = std::min(s.max_value, 1'000'000.0);
  std::vector<int> per_worker(64, 0);
  std::mutex lock;
  std::atomic<int> ok{0};
  const auto t0 = std::chrono::steady_clock::now();
  serve(strategy, load, [&](int port, std::size_t) {
    std::vector<std::thread> clients;
    std::atomic<int> next{0};
    for (int c = 0; c < load.clients; ++c) {
      clients.emplace_back([&] {
        while (next.fetch_add(1) < load.load) {
          http::ClientResponse r = http::http_get("127.0.0.1", port, "/");
          Answer a = parse(r.body);
          if (r.status == 200 && a.sum == book::square_sum(a.value)) ok.fetch_add(1);
          std::lock_guard guard(lock);
          if (a.worker >= 0 && a.worker < 64) ++per_worker[static_cast<std::size_t>(a.worker)];
        }
      });
    }
    for (auto& t : clients) t.join();
  });
  std::string spread;
  for (std::size_t i = 0; i < n; ++i) spread += " " + std::to_string(per_worker[i]);
  book::say("load: " + std::to_string(load.load) + " requests from " + std::to_string(load.clients) +
            " clients in " + std::to_string(static_cast<long long>(book::ms_since(t0))) +
            " ms; requests per thread:" + spread);
  book::check(ok.load() == load.load, strategy + ": every load answer correct");
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  s.threads = static_cast<int>(book::flag(argc, argv, "--threads", 0));
  s.requests = static_cast<int>(book::flag(argc, argv, "--requests", 12));
  s.max_value = static_cast<double>(book::flag(argc, argv, "--max-value", 100'000'000));
  s.sleep_ms = static_cast<int>(book::flag(argc, argv, "--sleep-ms", 100));
  s.clients = static_cast<int>(book::flag(argc, argv, "--clients", 5));
  s.load = static_cast<int>(book::flag(argc, argv, "--load", 100));
  const std::string strategy = book::flag_text(argc, argv, "--strategy", "all");
  try {
    if (strategy == "all") {
      for (const char* name : {"roundrobin", "random", "leastbusy"}) run_strategy(name, s);
    } else {
      run_strategy(strategy, s);
    }
  } catch (const bobbin::TypeError& e) {
    book::say(std::string("TypeError: ") + e.what());
    return 1;
  }
  return book::finish("thread pool strategies OK");
}
