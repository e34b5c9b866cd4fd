// ch3_cluster: HTTP hello world, then the cluster module (listings 3-1 and 3-2).
//
// 3-1 is an HTTP server answering every request with "Hello, World!\n". In 3-2 the primary
// process forks 4 workers and each runs the same server on the same port; the primary owns the
// listening socket and the workers share it. The workers are separate processes (separate
// memory): the contrast with threads. (examples/notes/notes_cluster compares cluster and
// worker threads at length; this one stays with the book.)
//
// What it shows: the primary binds the port once (the book's 3000; here --port, 0 = an
// ephemeral one), forks 4 processes before it has any thread, and each child serves the
// inherited socket on its own bobbin event loop (http::Server::adopt): the kernel hands each
// new connection to one of the accepting processes. Each answer names its process in an
// X-Worker-Pid header. The primary then sends --requests requests (a new connection each),
// checks every body is "Hello, World!\n" from one of its children, prints the requests per
// process, and stops the children with SIGTERM (Node's worker.kill()).
// Flags: --port P (0), --workers N (4), --requests R (40).
#include <bobbin/event_loop.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "book_support.hpp"
#include "http_server.hpp"

namespace {

// The worker branch of 3-2 (the server of 3-1) on an inherited listening socket.
[[noreturn]] void worker_process(int listen_fd) {
  const std::string pid = std::to_string(::getpid());
  http::Server server([&pid](const http::Request&) {
    http::Response r = http::Response::text("Hello, World!\n");
    r.headers.emplace_back("X-Worker-Pid", pid);
    return r;
  });
  server.adopt(listen_fd);
  bobbin::run();  // until SIGTERM
  ::_exit(0);
}

int listen_on(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) return -1;
  return fd;
}

int port_of(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

}  // namespace

int main(int argc, char** argv) {
  const int port = static_cast<int>(book::flag(argc, argv, "--port", 0));
  const int workers = static_cast<int>(book::flag(argc, argv, "--workers", 4));
  const int requests = static_cast<int>(book::flag(argc, argv, "--requests", 40));

  // cluster.isPrimary: own the socket, fork the workers (no thread exists yet).
  const int listen_fd = listen_on(port);
  if (listen_fd < 0) {
    book::say("WRONG: cannot listen on port " + std::to_string(port));
    return 1;
  }
  const int bound = port_of(listen_fd);
  std::map<std::string, int> served;  // pid -> requests
  std::vector<pid_t> children;
  for (int i = 0; i < workers; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) worker_process(listen_fd);
    children.push_back(pid);
    served[std::to_string(pid)] = 0;
  }
  ::close(listen_fd);  // the children hold it
  book::say("primary " + std::to_string(::getpid()) + ": " + std::to_string(workers) +
            " workers on http://127.0.0.1:" + std::to_string(bound) + "/");

  int good = 0;
  for (int i = 0; i < requests; ++i) {
    http::ClientResponse r = http::http_get("127.0.0.1", bound, "/");
    const std::string pid = r.header("X-Worker-Pid");
    if (r.status == 200 && r.body == "Hello, World!\n" && served.contains(pid)) {
      ++served[pid];
      ++good;
    }
  }
  for (pid_t pid : children) ::kill(pid, SIGTERM);  // worker.kill()
  bool stopped = true;
  for (pid_t pid : children) {
    int status = 0;
    stopped = stopped && ::waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
  }
  for (const auto& [pid, n] : served) book::say("worker " + pid + " served " + std::to_string(n));
  book::check(good == requests, "every request got \"Hello, World!\" from a worker process");
  book::check(stopped, "every worker process stopped on SIGTERM");
  return book::finish("cluster OK");
}
