// ch6_actor: an actor process of the book's actor system (listings 6-18 to 6-23, actor.js),
// on bobbin::ThreadPool and a TCP connection watched by bobbin's event loop.
//
//   ch6_actor 127.0.0.1:<port> [--chunk N] [--sleep-ms N]
//
// The actor connects to the server's actor port ("connected to server"), runs a 4-thread
// least-busy pool (the book's RpcWorkerPool('./worker.js', 4, 'leastbusy')), and for every
// NUL-terminated JSON message {id, method, args} it runs the command on the pool and writes back
// {id, value, pid} + NUL. When the server closes the connection it logs "disconnect from
// server" and exits 0. ch6_actor_server starts these processes itself (--spawn-actors).
//
// Differences from the book: frames are buffered across reads, so a message split between two
// TCP reads is still parsed whole (research §12.6); the commands of one read run concurrently
// on the pool (the book awaits them one by one; the ids make the order irrelevant). Only
// loopback addresses are supported. --chunk N writes each reply in N-byte pieces (the smoke
// test uses 1 to split every message on the wire); --sleep-ms is the worker's sleep (100).
//
// `ch6_actor --self-test` (its ctest smoke run) plays the server itself on a plain thread: it
// sends three requests one byte per write, reads the replies and checks their ids and values,
// then closes the connection; the actor must answer all three and end on end-of-stream.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/thread_pool.hpp>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "book_net.hpp"
#include "book_rpc.hpp"
#include "book_support.hpp"

using nlohmann::json;

namespace {

int run_actor(int port, std::size_t chunk, std::chrono::milliseconds sleep_for) {
  const int pid = static_cast<int>(::getpid());

  bobbin::ThreadPool pool({.min_threads = 0,
                           .max_threads = 4,
                           .concurrent_tasks_per_worker = 64,
                           .name = "actor-worker",
                           .dispatch = bobbin::Dispatch::least_busy});
  std::shared_ptr<book::TcpConnection> upstream;
  try {
    upstream = book::TcpConnection::make(
        book::connect_to(port),
        [&](const std::string& frame) {
          const nlohmann::json message = nlohmann::json::parse(frame, nullptr, false);
          if (message.is_discarded() || !message.contains("id")) return;
          const int id = message.at("id").get<int>();
          const double max = message.value("args", nlohmann::json::array({0})).at(0).get<double>();
          pool.run([sleep_for](double m) -> bobbin::Async<double> {
                co_await bobbin::sleep(sleep_for);  // the worker's `await sleep(100)`
                co_return book::square_sum(m);
              },
              max)
              .then([&upstream, id, pid](double value) {
                upstream->send(nlohmann::json{{"id", id}, {"value", value}, {"pid", pid}}.dump());
              })
              .catch_error([](std::exception_ptr) {});
        },
        [] { book::say("disconnect from server"); }, chunk);
  } catch (const std::exception& e) {
    book::say(std::string("cannot connect: ") + e.what());
    return 1;
  }
  book::say("connected to server");
  bobbin::run();  // until the server closes the connection
  return 0;
}

// A stand-in server on a plain thread with blocking sockets.
void fake_server(int listen_fd, std::vector<std::string>& replies) {
  const int fd = ::accept(listen_fd, nullptr, nullptr);
  if (fd < 0) return;
  for (int id = 1; id <= 3; ++id) {
    std::string frame = json{{"id", id}, {"method", "square_sum"}, {"args", {1000 * id}}}.dump();
    frame.push_back('\0');
    for (char c : frame) (void)::send(fd, &c, 1, MSG_NOSIGNAL);  // one byte per write
  }
  book::FrameBuffer frames;
  char buffer[512];
  while (replies.size() < 3) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    for (std::string& f : frames.feed({buffer, static_cast<std::size_t>(n)})) replies.push_back(std::move(f));
  }
  ::close(fd);  // the actor sees end-of-stream
}

int self_test() {
  const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = book::loopback(0);
  socklen_t len = sizeof addr;
  if (listen_fd < 0 || ::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd, 4) != 0 || ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    book::say("WRONG: cannot listen");
    return 1;
  }
  std::vector<std::string> replies;
  std::thread server(fake_server, listen_fd, std::ref(replies));
  const int code = run_actor(ntohs(addr.sin_port), 1, std::chrono::milliseconds(5));
  server.join();
  ::close(listen_fd);
  book::check(code == 0, "the actor ran");
  book::check(replies.size() == 3, "three replies");
  std::set<int> ids;
  for (const std::string& r : replies) {
    book::say("reply " + r);
    const json data = json::parse(r, nullptr, false);
    if (data.is_discarded()) continue;
    const int id = data.value("id", 0);
    ids.insert(id);
    book::check(data.value("value", -1.0) == book::square_sum(1000.0 * id), "value = square_sum(1000 id)");
    book::check(data.value("pid", 0) == static_cast<int>(::getpid()), "pid = this process");
  }
  book::check(ids == std::set<int>{1, 2, 3}, "reply ids 1, 2, 3");
  return book::finish("actor OK");
}

}  // namespace

int main(int argc, char** argv) {
  if (book::has_flag(argc, argv, "--self-test")) return self_test();
  if (argc < 2 || std::string(argv[1]).find(':') == std::string::npos) {
    book::say("usage: ch6_actor 127.0.0.1:<port> [--chunk N] [--sleep-ms N] | --self-test");
    return 2;
  }
  const std::string address = argv[1];
  return run_actor(std::stoi(address.substr(address.rfind(':') + 1)),
                   static_cast<std::size_t>(book::flag(argc, argv, "--chunk", 0)),
                   std::chrono::milliseconds(book::flag(argc, argv, "--sleep-ms", 100)));
}
