// notes_http_server: a check of examples/common/http_server.hpp, the small HTTP/1.1 server every
// HTTP example uses (the notes' express apps, in C++ on bobbin's event loop).
//
// It serves, on an ephemeral port, a handler that answers at once, one that answers later from
// another thread through a promise, and one that throws; then a client checks: plain GET and
// POST, a 500 for a thrown error, three pipelined keep-alive requests on one connection whose
// first answer comes last (the answers must still arrive in request order), a request split
// across several writes, and a 400 for a malformed request. Prints "http server OK".
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_server.hpp"
#include "notes_support.hpp"

namespace {

// Writes `pieces` one by one on a new connection and reads until `answers` responses ended
// (each body here ends with '\n') or the server closes.
std::string raw_exchange(int port, const std::vector<std::string>& pieces, int answers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    for (const std::string& p : pieces) (void)!::send(fd, p.data(), p.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      int seen = 0;
      for (std::size_t at = got.find("HTTP/1.1 "); at != std::string::npos;
           at = got.find("HTTP/1.1 ", at + 1)) {
        ++seen;
      }
      if (seen >= answers && !got.empty() && got.back() == '\n') break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return got;
}

}  // namespace

int main() {
  std::optional<bobbin::Resolver<http::Response>> held;  // the answer of /later, not yet given
  http::Server server([&held](const http::Request& req) -> bobbin::Promise<http::Response> {
    if (req.path == "/later") {  // answered only once "/a?2" (behind it) has been handled
      auto [promise, resolver] = bobbin::Promise<http::Response>::with_resolvers();
      held = resolver;
      return promise;
    }
    if (req.query == "2" && held) {
      std::thread([r = *held] { r.resolve(http::Response::text("later\n")); }).detach();
      held.reset();
    }
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.method == "POST") {
      return bobbin::Promise<http::Response>::resolved(http::Response::text(req.body + "\n"));
    }
    return bobbin::Promise<http::Response>::resolved(
        http::Response::text("now " + req.query + "\n"));
  });
  const int port = server.listen(0);
  using notes::expect;
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  std::thread client([&] {
    const auto get = http::http_get("127.0.0.1", port, "/x?q=1");
    expect(get.status == 200 && get.body == "now q=1\n", "GET");
    const auto post = http::http_post("127.0.0.1", port, "/echo", R"({"k":1})");
    expect(post.status == 200 && post.body == "{\"k\":1}\n", "POST with a body");
    const auto thrown = http::http_get("127.0.0.1", port, "/throw");
    expect(thrown.status == 500 && thrown.body == "boom\n", "a handler that throws: 500");

    const std::string pipelined =
        raw_exchange(port,
                     {"GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /a?1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /a?2 HTTP/1.1\r\nHost: x\r\n\r\n"},
                     3);
    const auto a = pipelined.find("later\n"), b = pipelined.find("now 1\n"),
               c = pipelined.find("now 2\n");
    expect(a != std::string::npos && b != std::string::npos && c != std::string::npos && a < b &&
               b < c,
           "three pipelined requests answered in order");

    const std::string split = raw_exchange(
        port, {"POST /echo HTTP/1.1\r\nHo", "st: x\r\nContent-Le", "ngth: 5\r\n\r\nab", "cde"}, 1);
    expect(split.find("abcde\n") != std::string::npos, "a request split across four writes");

    const std::string bad = raw_exchange(port, {"NOT HTTP AT ALL\r\n\r\n"}, 1);
    expect(bad.rfind("HTTP/1.1 400", 0) == 0, "a malformed request: 400");

    loop.post([&server] { server.close(); });
  });
  bobbin::run();  // until close(): the listening socket keeps the loop alive
  client.join();
  expect(server.open_connections() == 0, "every connection closed");
  notes::say("requests answered: " + std::to_string(server.requests_served()));
  notes::say(notes::all_ok() ? "http server OK" : "http server FAILED");
  return notes::all_ok() ? 0 : 1;
}
