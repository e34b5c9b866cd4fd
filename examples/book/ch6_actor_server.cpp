// ch6_actor_server: the router of the book's actor system (listings 6-18 to 6-24, server.js),
// on bobbin's event loop, examples/common/http_server.hpp and bobbin::ThreadPool.
//
//   ch6_actor_server [127.0.0.1:<web port>] [127.0.0.1:<actor port>] [--spawn-actors K]
//                    [--requests R] [--chunk N] [--sleep-ms N] [--no-local]
//
// The server keeps a counter `message_id`, the set of actor handlers and the map id -> pending
// HTTP response. Actor processes (ch6_actor) connect over TCP ("actor pool connected <size>");
// each connection adds a handler that writes JSON + NUL to that socket, and the replies
// {id, value, pid} complete the pending response with the same id. An HTTP request GET /<n>
// takes the next id (even on the error path), picks a uniformly random handler and sends it
// {id, method: "square_sum", args: [n]}; with no actor it answers "ERROR: EMPTY ACTOR POOL".
// Part two (6-24): the server adds a local actor, a 4-thread least-busy pool in its own
// process, answering with pid "server" (--no-local leaves it out, as in part one).
//
// What it shows: actors in other processes behind one router, each with its own thread pool;
// the `pid` of each answer tells which process computed it. Fixes (research §12.6): frames are
// buffered across reads (a split message is parsed whole; checked below by feeding a message
// in 1-byte pieces, and on the wire with --chunk 1), and the HTTP body carries no trailing NUL.
//
// Smoke mode (--spawn-actors K --requests R): both ports are ephemeral; the server starts K
// ch6_actor processes (fork + exec of the program next to this one, before any thread exists),
// waits until they are connected, sends at least R requests from a client thread (more until
// every actor and the local one have answered at least once), checks every answer (its id
// equals the request's id, its value equals square_sum(n) computed here, its pid is "server"
// or one of the children), then closes everything; the actors see end-of-stream and exit, and
// the server checks they all exited with status 0. Without --requests it serves forever.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "book_net.hpp"
#include "book_rpc.hpp"
#include "book_support.hpp"
#include "http_server.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

int port_of(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

// The framing fix, tested without sockets: two messages fed one byte at a time.
void test_split_frames() {
  const std::string wire = std::string(R"({"id":1,"value":2})") + '\0' + R"({"id":2,"pid":"x"})" + '\0';
  book::FrameBuffer frames;
  std::vector<std::string> got;
  for (char c : wire) {
    for (std::string& f : frames.feed(std::string_view(&c, 1))) got.push_back(std::move(f));
  }
  book::check(got.size() == 2 && got[0] == R"({"id":1,"value":2})" && got[1] == R"({"id":2,"pid":"x"})",
              "a message fed in 1-byte pieces is parsed whole");
  book::say("framing: 2 messages fed in " + std::to_string(wire.size()) + " 1-byte reads -> " +
            std::to_string(got.size()) + " whole messages");
}

pid_t spawn_actor(const std::string& self, int actor_port, long long chunk, long long sleep_ms) {
  const std::string dir = self.find('/') == std::string::npos ? "." : self.substr(0, self.rfind('/'));
  const std::string program = dir + "/ch6_actor";
  const std::string address = "127.0.0.1:" + std::to_string(actor_port);
  const std::string chunk_text = std::to_string(chunk);
  const std::string sleep_text = std::to_string(sleep_ms);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const char* args[] = {program.c_str(), address.c_str(), "--chunk", chunk_text.c_str(),
                          "--sleep-ms", sleep_text.c_str(), nullptr};
    ::execv(program.c_str(), const_cast<char* const*>(args));
    ::_exit(127);  // not found next to this program
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).starts_with("--")) {
      if (std::string(argv[i]) != "--no-local") ++i;  // skip the flag's value
    } else {
      positional.emplace_back(argv[i]);
    }
  }
  const int web_port = positional.size() > 0 ? port_of(positional[0]) : 0;
  const int actor_port = positional.size() > 1 ? port_of(positional[1]) : 0;
  const auto spawn = static_cast<int>(book::flag(argc, argv, "--spawn-actors", 0));
  const auto requests = static_cast<int>(book::flag(argc, argv, "--requests", 0));
  const long long chunk = book::flag(argc, argv, "--chunk", 0);
  const long long sleep_ms = book::flag(argc, argv, "--sleep-ms", 100);
  const bool local = !book::has_flag(argc, argv, "--no-local");

  test_split_frames();

  // Listen and start the actor processes first: fork before any thread exists.
  book::TcpListener actor_listener(actor_port);
  std::vector<pid_t> children;
  for (int k = 0; k < spawn; ++k) children.push_back(spawn_actor(argv[0], actor_listener.port(), chunk, sleep_ms));

  // ---- server.js ----
  using Handler = std::function<void(const json&)>;
  int message_id = 0;
  int next_actor_key = 0;
  std::map<int, Handler> actors;  // the book's Set of handlers (keyed, so one can be removed)
  std::map<int, bobbin::Resolver<http::Response>> messages;
  std::map<int, std::shared_ptr<book::TcpConnection>> connections;
  std::mt19937 rng{std::random_device{}()};
  auto& loop = bobbin::EventLoop::current();

  std::unique_ptr<bobbin::ThreadPool> pool;
  if (local) {
    pool = std::make_unique<bobbin::ThreadPool>(bobbin::PoolOptions{.min_threads = 0,
                                                                     .max_threads = 4,
                                                                     .concurrent_tasks_per_worker = 64,
                                                                     .name = "server-worker",
                                                                     .dispatch = bobbin::Dispatch::least_busy});
    const auto sleep_for = std::chrono::milliseconds(sleep_ms);
    actors.emplace(next_actor_key++, [&, sleep_for](const json& data) {
      const int id = data.at("id").get<int>();
      pool->run([sleep_for](double m) -> bobbin::Async<double> {
            co_await bobbin::sleep(sleep_for);
            co_return book::square_sum(m);
          },
          data.at("args").at(0).get<double>())
          .then([&messages, id](double value) {
            auto it = messages.find(id);
            if (it == messages.end()) return;
            it->second.resolve(http::Response::json(json{{"id", id}, {"value", value}, {"pid", "server"}}.dump()));
            messages.erase(it);
          });
    });
  }

  std::thread client;
  std::atomic<bool> client_started{false};
  std::size_t split_reads = 0;
  std::function<void()> start_client;  // smoke mode, set below

  actor_listener.start([&](int fd) {
    const int key = next_actor_key++;
    auto conn = book::TcpConnection::make(
        fd,
        [&messages](const std::string& frame) {
          const json data = json::parse(frame, nullptr, false);
          if (data.is_discarded() || !data.contains("id")) return;
          auto it = messages.find(data.at("id").get<int>());
          if (it == messages.end()) return;
          it->second.resolve(http::Response::json(frame));  // the book appends a NUL here
          messages.erase(it);
        },
        [&, key] {
          loop.post([&, key] {  // not from inside the connection's own callback
            if (auto it = connections.find(key); it != connections.end()) {
              split_reads += it->second->split_reads();
              connections.erase(it);
            }
            actors.erase(key);
            book::say("actor pool disconnected " + std::to_string(actors.size()));
          });
        },
        static_cast<std::size_t>(chunk));
    connections.emplace(key, conn);
    actors.emplace(key, [c = conn.get()](const json& data) { c->send(data.dump()); });
    book::say("actor pool connected " + std::to_string(actors.size()));
    if (start_client && static_cast<int>(connections.size()) == spawn && !client_started.exchange(true)) start_client();
  });

  http::Server web([&](const http::Request& req) -> bobbin::Promise<http::Response> {
    const int id = ++message_id;  // incremented even on the error path, as in the book
    if (actors.empty()) return bobbin::Promise<http::Response>::resolved(http::Response::text("ERROR: EMPTY ACTOR POOL"));
    auto pick = actors.begin();
    std::advance(pick, std::uniform_int_distribution<std::size_t>(0, actors.size() - 1)(rng));
    auto [promise, resolver] = bobbin::Promise<http::Response>::with_resolvers();
    messages.emplace(id, std::move(resolver));
    double n = 0;
    try {
      n = std::stod(req.path.substr(1));
    } catch (const std::exception&) {
      n = 0;  // Number('') is 0 in the book
    }
    pick->second(json{{"id", id}, {"method", "square_sum"}, {"args", {n}}});
    return promise;
  });
  web.listen(web_port);
  book::say("web:   http://127.0.0.1:" + std::to_string(web.port()) + "/");
  book::say("actor: tcp://127.0.0.1:" + std::to_string(actor_listener.port()));

  // ---- smoke mode: a client, then a clean shutdown ----
  std::set<std::string> pids_seen;
  int answered = 0;
  bobbin::Timer watchdog;
  auto shutdown = [&] {
    watchdog.clear();
    web.close();
    actor_listener.close();
    for (auto& [key, conn] : connections) {
      split_reads += conn->split_reads();
      conn->close();  // the actor sees end-of-stream and exits
    }
    connections.clear();
    actors.clear();
  };
  if (requests > 0) {
    std::set<std::string> expected_pids;
    for (pid_t p : children) expected_pids.insert(std::to_string(p));
    if (local) expected_pids.insert("server");
    start_client = [&, expected_pids] {
      const int port = web.port();
      client = std::thread([&, port, expected_pids] {
        for (int i = 0; i < 50 * requests + 200; ++i) {
          if (i >= requests && pids_seen == expected_pids) break;
          const double n = 1000 + i;
          http::ClientResponse r = http::http_get("127.0.0.1", port, "/" + std::to_string(static_cast<int>(n)));
          const json data = json::parse(r.body, nullptr, false);
          const bool ok = !data.is_discarded() && data.value("id", -1) == i + 1 &&
                          data.value("value", -1.0) == book::square_sum(n) && data.contains("pid");
          book::check(ok, "answer " + std::to_string(i + 1) + ": " + r.body);
          if (!ok) break;
          const std::string pid = data["pid"].is_string() ? data["pid"].get<std::string>() : data["pid"].dump();
          book::check(expected_pids.contains(pid), "pid " + pid + " is the server or a child");
          pids_seen.insert(pid);
          ++answered;
          if (i < 6) book::say("GET /" + std::to_string(static_cast<int>(n)) + " -> " + r.body);
        }
        loop.post(shutdown);
      });
    };
    if (spawn == 0 && !client_started.exchange(true)) start_client();
    watchdog = bobbin::set_timeout([&] {
      book::check(false, "the actors connected and answered within 30 s");
      shutdown();
    }, 30s);
  }

  bobbin::run();
  if (client.joinable()) client.join();

  if (requests > 0) {
    bool exited = true;
    for (pid_t p : children) {
      int status = 0;
      exited = exited && ::waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    book::say("answered " + std::to_string(answered) + " requests from " + std::to_string(pids_seen.size()) +
              " actors; reads that ended inside a message: " + std::to_string(split_reads));
    book::check(answered >= requests, "every request answered");
    book::check(exited, "every actor process exited with status 0");
    return book::finish("actor system OK");
  }
  return 0;
}
