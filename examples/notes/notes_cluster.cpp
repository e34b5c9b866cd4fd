// notes_cluster: worker threads versus cluster, from the note "Node.js Worker Threads (워커
// 스레드)", section 참고 → "Worker Threads vs Cluster 비교", and the note "Node.js 핵심 개념" (the
// restaurant with several clerks: several processes for I/O, several threads for CPU work).
//
// The same tiny HTTP server is run twice:
//   - the cluster pattern: a primary process forks 4 processes that all listen on one port
//     (each binds it with SO_REUSEPORT; the kernel spreads the connections over them). Node's
//     cluster module does the same job with a primary that hands out connections. Processes
//     are isolated: one crashing does not take the others down, but each has its own memory.
//   - worker threads: 4 bobbin::Workers of one process, each with its own event loop and its
//     own SO_REUSEPORT socket on one port. They share memory: one SharedArrayBuffer cell counts
//     every request (Atomics.add), which separate processes could not do.
// A client in the primary then sends --requests requests (a new connection each) and every
// server answers with who it is; the program prints the requests served per process and per
// thread and checks that they add up.
//
// Flags: --port P (default 3000 as in the note; 0 = an ephemeral port), --workers N (4),
// --requests R (40). The smoke run uses --port 0.
#include <bobbin/atomics.hpp>
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_array_buffer.hpp>
#include <bobbin/typed_array.hpp>
#include <bobbin/worker.hpp>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_server.hpp"

namespace {

struct Options {
  int port = 3000;
  int workers = 4;
  int requests = 40;
};

// Reserves a port for SO_REUSEPORT listeners: bound, never listening, so no connection is ever
// sent to it. Returns the socket; *port receives the port number.
int reserve_port(int wanted, int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(wanted));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) http::throw_errno("bind");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Sends the requests (one after the other, a new connection each) and counts the answers by
// the name each server gives.
std::map<std::string, int> drive(int port, int requests) {
  std::map<std::string, int> by_server;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < requests; ++i) {
    const http::ClientResponse r = http::http_get("127.0.0.1", port, "/");
    ++by_server[r.status == 200 ? r.body : "error " + std::to_string(r.status)];
  }
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  std::cout << "  " << requests << " requests in " << ms.count() << " ms\n";
  return by_server;
}

int print_counts(const std::map<std::string, int>& counts) {
  int total = 0;
  for (const auto& [who, n] : counts) {
    std::cout << "  " << who << ": " << n << " requests\n";
    total += n;
  }
  return total;
}

// ---- The cluster pattern: fork + SO_REUSEPORT. ----

// A forked process: serves until the primary closes `stop_fd`'s other end, then reports.
[[noreturn]] void serve_in_child(int port, int ready_fd, int stop_fd) {
  const std::string me = "process " + std::to_string(::getpid());
  http::Server server([&me](const http::Request&) { return http::Response::text(me); });
  server.listen(port, "127.0.0.1", /*reuse_port=*/true);
  bobbin::FdWatch stop = bobbin::EventLoop::current().watch_readable(stop_fd, [&] {
    stop.clear();  // EOF: the primary wants us gone
    server.close();
  });
  const char ok = 1;
  (void)!::write(ready_fd, &ok, 1);
  ::close(ready_fd);
  bobbin::run();
  std::cout << "  [" << me << " served " << server.requests_served() << " and exits]\n"
            << std::flush;
  std::_Exit(0);
}

bool run_cluster(const Options& opt) {
  int port = 0;
  const int reserved = reserve_port(opt.port, &port);
  std::cout << "cluster: primary " << ::getpid() << " forks " << opt.workers
            << " processes on port " << port << '\n'
            << std::flush;
  int ready[2], stop[2];
  if (::pipe(ready) != 0 || ::pipe(stop) != 0) http::throw_errno("pipe");
  std::vector<pid_t> children;
  for (int i = 0; i < opt.workers; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) http::throw_errno("fork");
    if (pid == 0) {
      ::close(ready[0]);
      ::close(stop[1]);
      serve_in_child(port, ready[1], stop[0]);
    }
    children.push_back(pid);
  }
  ::close(ready[1]);
  ::close(stop[0]);
  for (int i = 0; i < opt.workers; ++i) {  // every child is listening
    char c = 0;
    if (::read(ready[0], &c, 1) != 1) break;
  }
  ::close(ready[0]);

  const auto counts = drive(port, opt.requests);
  const int total = print_counts(counts);
  std::cout << std::flush;  // before the children write to the same stdout

  ::close(stop[1]);  // EOF on every child's stop pipe
  bool clean = true;
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    clean = clean && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  ::close(reserved);
  std::cout << "cluster: " << total << " requests over " << counts.size() << " processes, "
            << (clean ? "all exited cleanly" : "a process FAILED") << '\n';
  return clean && total == opt.requests;
}

// ---- The same server on worker threads of one process. ----

// A worker: its own event loop and its own SO_REUSEPORT socket on the shared port. Threads
// share memory: every worker adds its requests to cell 0 of one SharedArrayBuffer.
void serve_in_worker(bobbin::ParentPort<std::string>& parent_port, int port, int number,
                     bobbin::SharedArrayBuffer counter_memory) {
  const bobbin::Int32Array counter(counter_memory);
  const std::string me = "thread " + std::to_string(number);
  http::Server server([&](const http::Request&) {
    bobbin::atomics::add(counter, 0, 1);
    return http::Response::text(me);
  });
  server.listen(port, "127.0.0.1", /*reuse_port=*/true);
  parent_port.on_message([&](const std::string& command) {
    if (command != "close") return;
    server.close();
    parent_port.post_message(me + " served " + std::to_string(server.requests_served()));
    parent_port.close();  // nothing keeps this loop alive now: run() below returns
  });
  parent_port.post_message("listening");
  bobbin::run();  // serve here, so `server` (on this stack) outlives every request
}

bool run_threads(const Options& opt) {
  int port = 0;
  const int reserved = reserve_port(opt.port, &port);
  std::cout << "threads: " << opt.workers << " worker threads of process " << ::getpid()
            << " on port " << port << '\n';
  bobbin::SharedArrayBuffer counter_memory(sizeof(std::int32_t));
  std::vector<std::unique_ptr<bobbin::Worker<std::string>>> workers;
  int listening = 0;
  std::thread client;
  std::map<std::string, int> counts;
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  for (int i = 0; i < opt.workers; ++i) {
    workers.push_back(std::make_unique<bobbin::Worker<std::string>>(serve_in_worker, port, i + 1,
                                                                    counter_memory));
    workers.back()->on_message([&](const std::string& message) {
      if (message != "listening") {
        std::cout << "  [" << message << " and exits]\n";
        return;
      }
      if (++listening < opt.workers) return;
      client = std::thread([&] {  // every worker listens: send the requests
        counts = drive(port, opt.requests);
        loop.post([&] {
          for (auto& w : workers) w->post_message("close");
        });
      });
    });
  }
  bobbin::run();  // until every worker has exited
  if (client.joinable()) client.join();
  const int total = print_counts(counts);
  ::close(reserved);
  const int shared_total = bobbin::atomics::load(bobbin::Int32Array(counter_memory), 0);
  std::cout << "threads: " << total << " requests over " << counts.size()
            << " threads; the shared counter says " << shared_total << '\n';
  return total == opt.requests && shared_total == opt.requests;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--port") opt.port = value;
    if (flag == "--workers") opt.workers = value < 1 ? 1 : value;
    if (flag == "--requests") opt.requests = value < 1 ? 1 : value;
  }
  const bool cluster_ok = run_cluster(opt);  // first: fork before this process has threads
  const bool threads_ok = run_threads(opt);
  const bool ok = cluster_ok && threads_ok;
  std::cout << (ok ? "cluster and threads served every request\n" : "FAILED\n");
  return ok ? 0 : 1;
}
