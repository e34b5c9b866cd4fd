// ch2_dispatch: a table of named commands (listing 2-11).
//
// A table maps command names to functions: `square_sum(max)` = Σ √i for i in [0, max), and
// `fibonacci(limit)`, the book's BigInt loop returning F(limit) as a decimal string. The
// dispatch function calls a command only if the table itself has that name (the book checks
// for an *own* property so that inherited names such as `toString` are not callable) and
// otherwise throws a TypeError "command <name> is not defined".
//
// What it shows: the dispatch table that the RPC worker (ch2_rpc_worker) and the pools build
// on. A std::map has no inherited members, so the own-property guard is simply `find`; the
// program still tries "toString" to show it is refused. The book's transcription names the
// function `display`; its role is dispatch, and this port calls it so (research §12.9).
// Checked: square_sum(1000000) = 666666166.4588418, F(1000) has 209 digits and its known
// first and last digits, unknown commands throw TypeError. Then it times one call of each
// command (--rounds N calls; bench/node/book_rpc_worker.js is the Node twin).
#include <bobbin/errors.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "book_rpc.hpp"
#include "book_support.hpp"

namespace {

using Command = std::function<book::RpcValue(double)>;

const std::map<std::string, Command, std::less<>>& commands() {
  static const std::map<std::string, Command, std::less<>> table = {
      {"square_sum", [](double max) -> book::RpcValue { return book::square_sum(max); }},
      {"fibonacci", [](double limit) -> book::RpcValue { return book::fibonacci(limit); }},
  };
  return table;
}

book::RpcValue dispatch(const std::string& command, double arg) {
  auto it = commands().find(command);
  if (it == commands().end()) throw bobbin::TypeError("command " + command + " is not defined");
  return it->second(arg);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string sum = book::to_text(dispatch("square_sum", 1'000'000));
  book::say("square_sum(1000000) = " + sum);
  book::check(sum == "666666166.4588418", "square_sum(1000000) = 666666166.4588418");

  const std::string fib = book::to_text(dispatch("fibonacci", 1000));
  book::say("fibonacci(1000) = " + fib);
  book::say("  (" + std::to_string(fib.size()) + " digits)");
  book::check(fib.size() == 209, "F(1000) has 209 digits");
  book::check(fib.starts_with("43466557686937456435"), "F(1000) starts 43466557686937456435");
  book::check(fib.ends_with("6849228875"), "F(1000) ends 6849228875");
  book::check(book::to_text(dispatch("fibonacci", 10)) == "55", "F(10) = 55");

  for (const char* name : {"toString", "fake_method"}) {
    try {
      (void)dispatch(name, 0);
      book::check(false, std::string(name) + " must not dispatch");
    } catch (const bobbin::TypeError& e) {
      book::say(std::string(e.name()) + ": " + e.what());
    }
  }
  // Time per call (--rounds N; compare with bench/node/book_rpc_worker.js; noisy).
  const long long rounds = book::flag(argc, argv, "--rounds", 1);
  for (const auto& [name, arg] : {std::pair<std::string, double>{"square_sum", 1'000'000}, {"fibonacci", 1000}}) {
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t sink = 0;
    for (long long r = 0; r < rounds; ++r) sink += book::to_text(dispatch(name, arg)).size();
    book::say(name + ": " + std::to_string(static_cast<long long>(book::ms_since(t0) * 1000 / static_cast<double>(rounds))) +
              " us per call");
    book::check(sink > 0, name + " returned text");  // also keeps the calls from being optimized out
  }
  return book::finish("dispatch OK");
}
