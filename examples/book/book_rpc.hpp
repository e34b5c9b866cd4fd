// book_rpc.hpp — the commands and the wire format of the book's RPC examples (listings 2-11 to
// 2-17 and 6-1 to 6-6), shared by ch2_dispatch, ch2_rpc_worker and ch6_thread_pool.
//
//   book::square_sum(max)        Σ √i for i in [0, max), summed in order as a double
//   book::fibonacci(limit)       F(limit) as a decimal string (a small decimal big integer:
//                                the book uses BigInt; F(1000) has 209 digits)
//   book::shortest(double)       the double printed as JavaScript prints it (shortest form)
//   book::RpcRequest / RpcReply  `{method, params, id}` -> `{id, result}` or
//                                `{id, error: {code, message}}`
//   book::RpcError               the rejection of a call: code -32601 (method not found) or
//                                -32000 (the method threw), and the message
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

namespace book {

inline double square_sum(double max) {
  double sum = 0;
  for (double i = 0; i < max; ++i) sum += std::sqrt(i);
  return sum;
}

// A non-negative integer as decimal digits, least significant first; only addition is needed.
class Decimal {
 public:
  explicit Decimal(std::uint32_t value = 0) {
    do {
      digits_.push_back(static_cast<std::uint8_t>(value % 10));
      value /= 10;
    } while (value != 0);
  }

  friend Decimal operator+(const Decimal& a, const Decimal& b) {
    Decimal sum;
    sum.digits_.clear();
    const std::size_t n = std::max(a.digits_.size(), b.digits_.size());
    unsigned carry = 0;
    for (std::size_t i = 0; i < n; ++i) {
      unsigned d = carry;
      if (i < a.digits_.size()) d += a.digits_[i];
      if (i < b.digits_.size()) d += b.digits_[i];
      sum.digits_.push_back(static_cast<std::uint8_t>(d % 10));
      carry = d / 10;
    }
    if (carry != 0) sum.digits_.push_back(static_cast<std::uint8_t>(carry));
    return sum;
  }

  [[nodiscard]] std::string str() const {
    std::string text;
    for (auto it = digits_.rbegin(); it != digits_.rend(); ++it) text.push_back(static_cast<char>('0' + *it));
    return text;
  }

 private:
  std::vector<std::uint8_t> digits_;
};

// The book's loop: prev = 1, next = 0; `limit` times (prev, next) = (prev + next, prev).
inline std::string fibonacci(double limit) {
  Decimal prev(1), next(0);
  for (double i = 0; i < limit; ++i) {
    Decimal sum = prev + next;
    next = std::move(prev);
    prev = std::move(sum);
  }
  return next.str();
}

inline std::string shortest(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

inline constexpr int kMethodNotFound = -32601;
inline constexpr int kServerError = -32000;

using RpcValue = std::variant<double, std::string>;

struct RpcRequest {
  std::string method;
  std::vector<double> params;
  int id = 0;
};

struct RpcErrorData {
  int code = 0;
  std::string message;
};

struct RpcReply {
  int id = 0;
  RpcValue result;
  std::optional<RpcErrorData> error;
};

class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

inline std::string to_text(const RpcValue& value) {
  if (const double* d = std::get_if<double>(&value)) return shortest(*d);
  return std::get<std::string>(value);
}

}  // namespace book
