// book_net.hpp — the TCP side of the book's actor example (listings 6-18 to 6-24): NUL-delimited
// JSON frames over loopback sockets watched by bobbin's event loop.
//
//   book::FrameBuffer frames;                    frames.feed(bytes) -> the complete frames
//   book::TcpListener listener(0);               listens on 127.0.0.1, an ephemeral port
//   listener.start([](int fd) { ... });          accepted sockets, on this thread's loop
//   auto c = book::TcpConnection::make(fd, on_frame, on_end, chunk);   read/write frames
//   c->send(text);                               text + '\0'
//   int fd = book::connect_to("127.0.0.1", port);
//
// Framing (research §12.6, fixed): the book splits each 'data' chunk on NUL and drops the last
// piece, which assumes a chunk never ends inside a message. FrameBuffer keeps the unfinished
// tail and completes it with the next read, so a message split across reads (even into 1-byte
// pieces) arrives whole. `chunk` > 0 makes send() write in pieces of that many bytes (one
// send() each, TCP_NODELAY), so the smoke test really splits messages on the wire.
//
// Rules: everything runs on the thread whose loop watches the socket. Writes are small and go
// out at once; if the socket buffer is full, send() waits for it with poll() (an example's
// shortcut: a real server would queue and watch for writability). A connection's on_end runs
// once, when the peer closes or an error occurs; destroy the connection from a later task.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bobbin/event_loop.hpp>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace book {

class FrameBuffer {
 public:
  std::vector<std::string> feed(std::string_view bytes) {
    std::vector<std::string> frames;
    for (char c : bytes) {
      if (c == '\0') {
        frames.push_back(std::move(partial_));
        partial_.clear();
      } else {
        partial_.push_back(c);
      }
    }
    return frames;
  }
  [[nodiscard]] std::size_t pending() const noexcept { return partial_.size(); }

 private:
  std::string partial_;  // the bytes of the unfinished frame
};

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

inline void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A blocking connect to 127.0.0.1:port; the socket is returned non-blocking.
inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "connect");
  }
  set_nodelay(fd);
  set_nonblocking(fd);
  return fd;
}

class TcpListener {
 public:
  // Binds and listens at once (so the port is known before any thread or child starts).
  explicit TcpListener(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0) {
      const int e = errno;
      ::close(fd_);
      throw std::system_error(e, std::generic_category(), "bind/listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    set_nonblocking(fd_);
  }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener() { close(); }

  [[nodiscard]] int port() const noexcept { return port_; }

  // Accepts on this thread's loop; `on_accept(fd)` gets each non-blocking socket.
  void start(std::function<void(int)> on_accept) {
    on_accept_ = std::move(on_accept);
    watch_ = bobbin::EventLoop::current().watch_readable(fd_, [this] {
      for (;;) {
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN: every pending connection taken
        set_nodelay(fd);
        on_accept_(fd);
      }
    });
  }

  void close() {
    watch_.clear();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  bobbin::FdWatch watch_;
  std::function<void(int)> on_accept_;
};

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  using FrameFn = std::function<void(const std::string&)>;

  static std::shared_ptr<TcpConnection> make(int fd, FrameFn on_frame, std::function<void()> on_end,
                                             std::size_t chunk = 0) {
    auto c = std::shared_ptr<TcpConnection>(new TcpConnection(fd, std::move(on_frame), std::move(on_end), chunk));
    TcpConnection* self = c.get();
    c->watch_ = bobbin::EventLoop::current().watch_readable(fd, [self] { self->readable(); });
    return c;
  }
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  ~TcpConnection() { close(); }

  // Writes `text` and the NUL that ends the frame; false once the connection is closed.
  bool send(std::string text) {
    if (fd_ < 0) return false;
    text.push_back('\0');
    const std::size_t piece = chunk_ == 0 ? text.size() : chunk_;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t n = std::min(piece, text.size() - at);
      const ssize_t sent = ::send(fd_, text.data() + at, n, MSG_NOSIGNAL);
      if (sent > 0) {
        at += static_cast<std::size_t>(sent);
      } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 1000);
      } else if (sent < 0 && errno == EINTR) {
        continue;
      } else {
        return false;
      }
    }
    return true;
  }

  // Stops watching and closes the socket (the peer sees end-of-stream); on_end does not run.
  void close() {
    watch_.clear();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  [[nodiscard]] bool open() const noexcept { return fd_ >= 0; }

  // Reads that ended inside a frame (the case the book's parser gets wrong).
  [[nodiscard]] std::size_t split_reads() const noexcept { return split_reads_; }

 private:
  TcpConnection(int fd, FrameFn on_frame, std::function<void()> on_end, std::size_t chunk)
      : fd_(fd), chunk_(chunk), on_frame_(std::move(on_frame)), on_end_(std::move(on_end)) {}

  void readable() {
    auto keep = shared_from_this();  // a frame handler may drop the last owner
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        for (const std::string& frame : frames_.feed({buffer, static_cast<std::size_t>(n)})) {
          on_frame_(frame);
          if (fd_ < 0) return;
        }
        if (frames_.pending() != 0) ++split_reads_;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {  // end of stream or error
        close();
        if (on_end_) on_end_();
        return;
      }
    }
  }

  int fd_;
  std::size_t chunk_;
  FrameFn on_frame_;
  std::function<void()> on_end_;
  FrameBuffer frames_;
  std::size_t split_reads_ = 0;
  bobbin::FdWatch watch_;
};

}  // namespace book
