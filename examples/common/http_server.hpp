// http_server.hpp — a small HTTP/1.1 server on bobbin's event loop, for the examples.
//
// Example code, not library code: just enough HTTP for the examples' endpoints, kept short and
// correct. Parsing is done by http-parser (the parser Node.js was built on), sockets are
// non-blocking and watched with `EventLoop::watch_readable` / `watch_writable`:
//
//   http::Server server([](const http::Request& req) {          // runs on the loop's thread
//     if (req.path == "/health") return http::Response::text("ok");
//     return http::Response::text("not found", 404);
//   });
//   int port = server.listen(0);            // 0: an ephemeral port; server.port() tells it
//   ...                                     // bobbin::run() serves until server.close()
//   http::ClientResponse r = http::http_get("127.0.0.1", port, "/health");  // another thread
//
// A handler may instead return `bobbin::Promise<http::Response>`: the answer is sent when the
// promise settles (a rejection becomes a 500 with the error's message), so a handler can hand
// its work to a worker or a pool and keep the loop free. A handler that throws also gets a 500.
//
// Rules:
//   - The server belongs to the thread that calls listen(): its handler, its promises'
//     continuations and close() run there. listen() throws `std::system_error` on failure.
//   - Requests split across reads and pipelined keep-alive requests are both handled: the
//     answers go out in request order, even when a later promise settles first.
//   - `Connection: close` (or HTTP/1.0 without keep-alive) closes the connection after the
//     answer; a malformed request (or a body over 8 MiB) gets a 400 and the connection is
//     closed.
//   - close() stops listening and closes idle connections; a connection still owing answers
//     is closed once they are sent. A listening server keeps its loop's run() alive.
//   - http_get / http_request are blocking clients (one request, `Connection: close`, a 30 s
//     receive timeout). Never call them on the thread of the loop that serves the request.
//
// Lifetime: the Server is neither copyable nor movable (its callbacks point at it). Destroying
// it closes every connection at once (answers still pending are dropped, and their promises'
// continuations do nothing); close() first to let them finish.
//
// Thread safety: none; everything on the listening thread (post to its loop from elsewhere).
#pragma once

#include "example_support.hpp"

#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace http {

// Header names are compared without regard to case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

inline std::string find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string url;     // as sent: "/path?query"
  std::string path;    // the url without its query
  std::string query;   // after '?', or empty
  Headers headers;
  std::string body;
  bool keep_alive = true;

  [[nodiscard]] std::string header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  Headers headers;  // extra headers

  static Response text(std::string body, int status = 200) {
    return Response{status, std::move(body), "text/plain; charset=utf-8", {}};
  }
  static Response json(std::string body, int status = 200) {
    return Response{status, std::move(body), "application/json", {}};
  }
};

inline const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

inline std::string serialize(const Response& r, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    (keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
  for (const auto& [k, v] : r.headers) out += "\r\n" + k + ": " + v;
  out += "\r\n\r\n";
  out += r.body;
  return out;
}

[[noreturn]] inline void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class Server {
 public:
  using Handler = std::function<bobbin::Promise<Response>(const Request&)>;

  // `handler`: Response(const Request&) or bobbin::Promise<Response>(const Request&).
  template <class F>
  explicit Server(F handler) : handler_(wrap(std::move(handler))) {}

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {  // closes everything now; answers still pending are dropped
    close();
    while (!connections_.empty()) {
      const std::shared_ptr<Connection> c = connections_.begin()->second;
      c->shut();
    }
  }

  // Largest request body accepted; a larger one gets a 400 and the connection is closed.
  static constexpr std::size_t kMaxBody = std::size_t{8} << 20;

  // Listens on host:port (port 0: an ephemeral one) and returns the port.
  int listen(int port = 0, const std::string& host = "127.0.0.1", bool reuse_port = false) {
    if (listen_fd_ >= 0) throw std::logic_error("http::Server: already listening");
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_errno("socket");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
      ::close(fd);
      throw std::invalid_argument("http::Server: not an IPv4 address: " + host);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 128) != 0) {
      const int err = errno;
      ::close(fd);
      errno = err;
      throw_errno("bind/listen");
    }
    adopt(fd);
    return port_;
  }

  // Serves an already listening socket (for instance one inherited from a parent process).
  // The server takes ownership and makes it non-blocking.
  int adopt(int listen_fd) {
    ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
    listen_fd_ = listen_fd;
    port_ = ntohs(bound.sin_port);
    loop_ = &bobbin::EventLoop::current();
    accept_watch_ = loop_->watch_readable(listen_fd_, [this] { accept_all(); });
    return port_;
  }

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] std::size_t requests_served() const noexcept { return served_; }
  [[nodiscard]] std::size_t open_connections() const noexcept { return connections_.size(); }

  // Stops listening; idle connections close now, busy ones after their last answer.
  void close() {
    if (listen_fd_ >= 0) {
      accept_watch_.clear();
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
    closing_ = true;
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [fd, c] : connections_) all.push_back(c);
    for (auto& c : all) {
      if (c->pending.empty() && c->out.empty()) c->shut();  // else flush() closes it
    }
  }

 private:
  struct Connection : std::enable_shared_from_this<Connection> {
    Server* server = nullptr;
    int fd = -1;
    http_parser parser{};
    bobbin::FdWatch read_watch, write_watch;
    // Request being parsed.
    Request current;
    std::string field;  // header name being read
    bool in_value = false;
    std::vector<Request> complete;  // parsed by the last read, not dispatched yet
    // Answers in request order; nullopt until that request's answer is ready.
    std::deque<std::optional<std::string>> pending;
    std::deque<bool> pending_close;  // close the connection after this answer
    std::uint64_t first_ticket = 0;  // the ticket of pending.front()
    std::uint64_t next_ticket = 0;   // the ticket of the next request
    std::string out;                 // bytes ready to write
    bool close_after_write = false;
    bool closed = false;

    void shut() {
      if (closed) return;
      closed = true;
      read_watch.clear();
      write_watch.clear();
      ::close(fd);
      server->connections_.erase(fd);  // may destroy *this: callers hold a shared_ptr
    }
  };

  template <class F>
  static Handler wrap(F f) {
    using R = std::invoke_result_t<F&, const Request&>;
    if constexpr (std::is_same_v<R, Response>) {
      return [f = std::move(f)](const Request& r) mutable {
        return bobbin::Promise<Response>::resolved(f(r));
      };
    } else {
      static_assert(std::is_convertible_v<R, bobbin::Promise<Response>>,
                    "a handler returns http::Response or bobbin::Promise<http::Response>");
      return [f = std::move(f)](const Request& r) mutable -> bobbin::Promise<Response> {
        return f(r);
      };
    }
  }

  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN (or a transient error): wait for the next readiness
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_shared<Connection>();
      c->server = this;
      c->fd = fd;
      http_parser_init(&c->parser, HTTP_REQUEST);
      c->parser.data = c.get();
      Connection* raw = c.get();
      c->read_watch = loop_->watch_readable(fd, [this, raw] { on_readable(raw); });
      connections_.emplace(fd, std::move(c));
    }
  }

  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings st{};
      st.on_message_begin = [](http_parser* p) {
        auto* c = static_cast<Connection*>(p->data);
        c->current = Request{};
        c->field.clear();
        c->in_value = false;
        return 0;
      };
      st.on_url = [](http_parser* p, const char* at, std::size_t n) {
        static_cast<Connection*>(p->data)->current.url.append(at, n);
        return 0;
      };
      st.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
        auto* c = static_cast<Connection*>(p->data);
        if (c->in_value) {  // a new header starts
          c->field.clear();
          c->in_value = false;
        }
        c->field.append(at, n);
        return 0;
      };
      st.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
        auto* c = static_cast<Connection*>(p->data);
        if (!c->in_value) {
          c->current.headers.emplace_back(c->field, std::string());
          c->in_value = true;
        }
        c->current.headers.back().second.append(at, n);
        return 0;
      };
      st.on_body = [](http_parser* p, const char* at, std::size_t n) {
        std::string& body = static_cast<Connection*>(p->data)->current.body;
        if (body.size() + n > kMaxBody) return 1;  // stops the parser: a 400
        body.append(at, n);
        return 0;
      };
      st.on_message_complete = [](http_parser* p) {
        auto* c = static_cast<Connection*>(p->data);
        Request& r = c->current;
        r.method = http_method_str(static_cast<http_method>(p->method));
        r.keep_alive = http_should_keep_alive(p) != 0;
        const auto q = r.url.find('?');
        r.path = r.url.substr(0, q);
        r.query = q == std::string::npos ? std::string() : r.url.substr(q + 1);
        c->complete.push_back(std::move(r));
        return 0;
      };
      return st;
    }();
    return s;
  }

  void on_readable(Connection* raw) {
    const std::shared_ptr<Connection> c = raw->shared_from_this();
    char buf[16384];
    bool eof = false;
    for (;;) {
      const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
      if (n > 0) {
        const auto used =
            http_parser_execute(&c->parser, &settings(), buf, static_cast<std::size_t>(n));
        if (c->parser.http_errno != HPE_OK || used != static_cast<std::size_t>(n)) {
          dispatch(c);  // answer what was complete, then refuse the rest
          c->read_watch.clear();
          enqueue(c, serialize(Response::text("bad request\n", 400), false), true);
          return;
        }
        if (static_cast<std::size_t>(n) < sizeof buf) break;
      } else if (n == 0) {
        eof = true;
        break;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        c->shut();
        return;
      }
    }
    if (eof) {
      http_parser_execute(&c->parser, &settings(), nullptr, 0);
      c->read_watch.clear();
    }
    dispatch(c);
    if (eof && !c->closed) {  // answer what was asked, then close
      c->close_after_write = true;
      if (c->pending.empty() && c->out.empty()) c->shut();
    }
  }

  // Runs the handler for every request parsed by the last read, in order.
  void dispatch(const std::shared_ptr<Connection>& c) {
    std::vector<Request> requests = std::move(c->complete);
    c->complete.clear();
    for (Request& req : requests) {
      if (c->closed) return;
      const bool keep = req.keep_alive && !closing_;
      const std::uint64_t ticket = c->next_ticket++;
      c->pending.emplace_back(std::nullopt);
      c->pending_close.push_back(!keep);
      bobbin::Promise<Response> answer;
      try {
        answer = handler_(req);
      } catch (...) {
        answer = bobbin::Promise<Response>::rejected(std::current_exception());
      }
      std::weak_ptr<Connection> weak = c;
      answer
          .catch_error(
              [](std::exception_ptr e) { return Response::text(examples::what(e) + "\n", 500); })
          .then([this, weak, ticket, keep](const Response& r) {
            const auto conn = weak.lock();
            if (!conn || conn->closed) return;
            ++served_;
            fill(conn, ticket, serialize(r, keep));
          });
      if (!keep) break;  // nothing after a closing request is answered
    }
  }

  // Stores the answer of request `ticket` and sends every answer that is next in order.
  void fill(const std::shared_ptr<Connection>& c, std::uint64_t ticket, std::string bytes) {
    c->pending[ticket - c->first_ticket] = std::move(bytes);
    while (!c->pending.empty() && c->pending.front().has_value()) {
      c->out += *c->pending.front();
      if (c->pending_close.front()) c->close_after_write = true;
      c->pending.pop_front();
      c->pending_close.pop_front();
      ++c->first_ticket;
    }
    flush(c);
  }

  void enqueue(const std::shared_ptr<Connection>& c, std::string bytes, bool close_after) {
    const std::uint64_t ticket = c->next_ticket++;
    c->pending.emplace_back(std::nullopt);
    c->pending_close.push_back(close_after);
    fill(c, ticket, std::move(bytes));
  }

  void flush(const std::shared_ptr<Connection>& c) {
    while (!c->out.empty()) {
      const ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c->out.erase(0, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c->write_watch) {
          Connection* raw = c.get();
          c->write_watch = loop_->watch_writable(c->fd, [this, raw] {
            const std::shared_ptr<Connection> self = raw->shared_from_this();
            flush(self);
          });
        }
        return;
      } else {
        c->shut();  // the peer went away
        return;
      }
    }
    if (c->write_watch) {
      c->write_watch.clear();
      c->write_watch = bobbin::FdWatch();
    }
    if (c->pending.empty() && (c->close_after_write || closing_)) c->shut();
  }

  Handler handler_;
  bobbin::EventLoop* loop_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  bool closing_ = false;
  std::size_t served_ = 0;
  bobbin::FdWatch accept_watch_;
  std::map<int, std::shared_ptr<Connection>> connections_;
};

// ---- A tiny blocking client, for smoke runs and tests. ----

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;

  [[nodiscard]] std::string header(std::string_view name) const {
    return find_header(headers, name);
  }
};

// Parses one response (read until the peer closes) with http-parser.
inline ClientResponse parse_response(const std::string& raw) {
  struct State {
    ClientResponse r;
    std::string field;
    bool in_value = false;
  } st;
  http_parser_settings s{};
  s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
    auto* x = static_cast<State*>(p->data);
    if (x->in_value) {
      x->field.clear();
      x->in_value = false;
    }
    x->field.append(at, n);
    return 0;
  };
  s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
    auto* x = static_cast<State*>(p->data);
    if (!x->in_value) {
      x->r.headers.emplace_back(x->field, std::string());
      x->in_value = true;
    }
    x->r.headers.back().second.append(at, n);
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, std::size_t n) {
    static_cast<State*>(p->data)->r.body.append(at, n);
    return 0;
  };
  http_parser p;
  http_parser_init(&p, HTTP_RESPONSE);
  p.data = &st;
  http_parser_execute(&p, &s, raw.data(), raw.size());
  http_parser_execute(&p, &s, nullptr, 0);
  if (p.http_errno != HPE_OK && p.http_errno != HPE_CB_message_complete) {
    throw std::runtime_error(std::string("http: bad response: ") +
                             http_errno_description(static_cast<http_errno>(p.http_errno)));
  }
  st.r.status = static_cast<int>(p.status_code);
  return st.r;
}

// Sends one request and waits for the whole answer (blocking; 30 s receive timeout).
inline ClientResponse http_request(const std::string& host, int port, const std::string& method,
                                   const std::string& path, const std::string& body = {},
                                   const std::string& content_type = "application/json") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    throw std::invalid_argument("http: not an IPv4 address: " + host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_errno("connect");
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                    std::to_string(port) + "\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  req += "\r\n" + body;
  for (std::size_t sent = 0; sent < req.size();) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("send");
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      throw_errno("recv");
    }
  }
  return parse_response(raw);
}

inline ClientResponse http_get(const std::string& host, int port, const std::string& path) {
  return http_request(host, port, "GET", path);
}

inline ClientResponse http_post(const std::string& host, int port, const std::string& path,
                                const std::string& body,
                                const std::string& content_type = "application/json") {
  return http_request(host, port, "POST", path, body, content_type);
}

}  // namespace http
