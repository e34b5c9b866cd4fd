// book_rpc.hpp — the commands and the wire format of the book's RPC examples (listings 2-11 to
// 2-17 and 6-1 to 6-6), shared by ch2_dispatch, ch2_rpc_worker and ch6_thread_pool.
//
//   book::square_sum(max)        Σ √i for i in [0, max), summed in order as a double
//   book::fibonacci(limit)       F(limit) as a decimal string (a small big integer in base
//                                10^18: the book uses BigInt; F(1000) has 209 digits)
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
#include <utility>
#include <vector>

namespace book {

inline double square_sum(double max) {
  double sum = 0;
  for (double i = 0; i < max; ++i) sum += std::sqrt(i);
  return sum;
}

// A non-negative integer in limbs of 18 decimal digits, least significant first, so that
// printing it in decimal is cheap; only addition is needed.
class Decimal {
 public:
  static constexpr std::uint64_t kBase = 1'000'000'000'000'000'000ULL;  // 10^18

  explicit Decimal(std::uint64_t value = 0) {
    limbs_.push_back(value % kBase);
    if (value >= kBase) limbs_.push_back(value / kBase);
  }

  // In place: the Fibonacci loop allocates only when the number grows by a limb.
  Decimal& operator+=(const Decimal& other) {
    if (limbs_.size() < other.limbs_.size()) limbs_.resize(other.limbs_.size(), 0);
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < limbs_.size(); ++i) {
      if (i >= other.limbs_.size() && carry == 0) break;  // the rest is unchanged
      // at most 2·(10^18 − 1) + 1 < 2^64
      const std::uint64_t d = limbs_[i] + carry + (i < other.limbs_.size() ? other.limbs_[i] : 0);
      carry = d >= kBase ? 1 : 0;
      limbs_[i] = d - carry * kBase;
    }
    if (carry != 0) limbs_.push_back(carry);
    return *this;
  }

  [[nodiscard]] std::string str() const {
    std::string text = std::to_string(limbs_.back());
    for (auto it = limbs_.rbegin() + 1; it != limbs_.rend(); ++it) {
      const std::string limb = std::to_string(*it);
      text.append(18 - limb.size(), '0');  // every limb below the top one has 18 digits
      text += limb;
    }
    return text;
  }

 private:
  std::vector<std::uint64_t> limbs_;
};

// The book's loop: prev = 1, next = 0; `limit` times (prev, next) = (prev + next, prev).
inline std::string fibonacci(double limit) {
  Decimal prev(1), next(0);
  for (double i = 0; i < limit; ++i) {
    next += prev;  // next = prev + next ...
    std::swap(prev, next);  // ... and becomes prev, while the old prev becomes next
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
