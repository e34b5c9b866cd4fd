// ch2_rpc_worker: the RPC worker (listings 2-12 to 2-17, ch2-patterns), on bobbin::Worker.
//
// Wire format (JSON-RPC 2.0 without the `jsonrpc` field): request {method, params, id}, success
// {id, result}, failure {id, error: {code, message}} with -32601 "method X not found" and
// -32000 for an exception thrown by the method.
//   - RpcWorker (main side): ids start at 1 (pre-increment); `exec(method, params...)` records
//     the promise's resolver under the id, posts the request and returns the promise; the
//     message listener finds the id, forgets it, and resolves or rejects.
//   - The worker: async commands that first sleep a random time (so replies arrive out of
//     order, the reason for the id map): square_sum(max), fibonacci(limit) (the decimal string
//     of F(limit): a small big integer in book_rpc.hpp) and bad(), which throws "oh no".
//   - main: four calls at once collected with all_settled: square_sum(1000000),
//     fibonacci(1000), fake_method(), bad().
// Checked (research §11): square sum 666666166.4588418; F(1000) has 209 digits, starts
// 43466557686937456435 and ends 6849228875; fake -> {-32601, "method fake_method not found"};
// bad -> {-32000, "oh no"}. Unlike the book, which never ends its worker, the program
// terminates it once all four calls have settled.
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "book_rpc.hpp"
#include "book_support.hpp"

using namespace std::chrono_literals;

namespace {

using book::RpcReply;
using book::RpcRequest;
using book::RpcValue;

// ---- worker.js ----

std::chrono::milliseconds random_ms(int max_ms) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(0, max_ms - 1)(rng));
}

using Command = std::function<bobbin::Async<RpcValue>(std::vector<double>)>;

const std::map<std::string, Command, std::less<>>& commands() {
  static const std::map<std::string, Command, std::less<>> table = {
      {"square_sum",
       [](std::vector<double> params) -> bobbin::Async<RpcValue> {
         co_await bobbin::sleep(random_ms(100));
         co_return book::square_sum(params.at(0));
       }},
      {"fibonacci",
       [](std::vector<double> params) -> bobbin::Async<RpcValue> {
         co_await bobbin::sleep(random_ms(100));
         co_return book::fibonacci(params.at(0));
       }},
      {"bad",
       [](std::vector<double>) -> bobbin::Async<RpcValue> {
         co_await bobbin::sleep(random_ms(10));
         throw std::runtime_error("oh no");
       }},
  };
  return table;
}

// The book's asyncOnMessageWrap + handler: run the command, post back whatever it gives.
bobbin::Async<void> handle(bobbin::ParentPort<RpcRequest, RpcReply>& port, RpcRequest request) {
  RpcReply reply{.id = request.id, .result = {}, .error = {}};
  auto it = commands().find(request.method);
  if (it == commands().end()) {
    reply.error = book::RpcErrorData{book::kMethodNotFound, "method " + request.method + " not found"};
    port.post_message(std::move(reply));
    co_return;
  }
  bobbin::Promise<RpcValue> call = it->second(std::move(request.params));
  // co_await cannot appear in a catch handler: turn the outcome into a value first.
  RpcValue result = co_await call.catch_error([&reply](std::exception_ptr e) -> RpcValue {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      reply.error = book::RpcErrorData{book::kServerError, error.what()};
    }
    return RpcValue{};
  });
  if (!reply.error) reply.result = std::move(result);
  port.post_message(std::move(reply));
}

void worker_main(bobbin::ParentPort<RpcRequest, RpcReply>& port) {
  port.on_message([&port](RpcRequest request) { (void)handle(port, std::move(request)); });
}

// ---- main.js ----

class RpcWorker {
 public:
  RpcWorker() : worker_(worker_main) {
    worker_.on_message([this](RpcReply reply) { on_reply(std::move(reply)); });
  }

  template <class... Params>
  bobbin::Promise<RpcValue> exec(std::string method, Params... params) {
    const int id = ++next_command_id_;
    auto [promise, resolver] = bobbin::Promise<RpcValue>::with_resolvers();
    in_flight_commands_.emplace(id, std::move(resolver));
    worker_.post_message(RpcRequest{std::move(method), {static_cast<double>(params)...}, id});
    return promise;
  }

  std::vector<int> reply_order;  // the ids in the order their replies arrived

  bobbin::Promise<int> terminate() { return worker_.terminate(); }

 private:
  void on_reply(RpcReply reply) {
    reply_order.push_back(reply.id);
    auto it = in_flight_commands_.find(reply.id);
    if (it == in_flight_commands_.end()) return;
    bobbin::Resolver<RpcValue> resolver = std::move(it->second);
    in_flight_commands_.erase(it);
    if (reply.error) {
      resolver.reject(std::make_exception_ptr(book::RpcError(reply.error->code, reply.error->message)));
    } else {
      resolver.resolve(std::move(reply.result));
    }
  }

  bobbin::Worker<RpcRequest, RpcReply> worker_;
  int next_command_id_ = 0;
  std::unordered_map<int, bobbin::Resolver<RpcValue>> in_flight_commands_;
};

struct Outcome {
  bool fulfilled = false;
  std::string value;
  int code = 0;
};

Outcome describe(const char* label, const bobbin::Settled<RpcValue>& s) {
  Outcome out;
  out.fulfilled = s.fulfilled;
  if (s.fulfilled) {
    out.value = book::to_text(*s.value);
    book::say(std::string(label) + ": fulfilled " + out.value);
    return out;
  }
  try {
    std::rethrow_exception(s.reason);
  } catch (const book::RpcError& e) {
    out.code = e.code();
    out.value = e.what();
  } catch (const std::exception& e) {
    out.value = e.what();
  }
  book::say(std::string(label) + ": rejected {code: " + std::to_string(out.code) +
            ", message: \"" + out.value + "\"}");
  return out;
}

}  // namespace

int main() {
  RpcWorker worker;
  std::vector<bobbin::Promise<RpcValue>> calls;
  calls.push_back(worker.exec("square_sum", 1'000'000));
  calls.push_back(worker.exec("fibonacci", 1'000));
  calls.push_back(worker.exec("fake_method"));
  calls.push_back(worker.exec("bad"));

  std::vector<Outcome> outcomes;
  bobbin::all_settled(std::move(calls)).then([&](const std::vector<bobbin::Settled<RpcValue>>& all) {
    const char* labels[] = {"square sum", "fibonacci", "fake", "bad"};
    for (std::size_t i = 0; i < all.size(); ++i) outcomes.push_back(describe(labels[i], all[i]));
    return worker.terminate();  // the book's worker would live on; end it here
  });
  bobbin::run();

  std::string order;
  for (int id : worker.reply_order) order += " " + std::to_string(id);
  book::say("replies arrived in id order:" + order);

  book::check(outcomes.size() == 4, "four settled calls");
  if (outcomes.size() == 4) {
    book::check(outcomes[0].fulfilled && outcomes[0].value == "666666166.4588418", "square sum");
    const std::string& fib = outcomes[1].value;
    book::check(outcomes[1].fulfilled && fib.size() == 209 &&
                    fib.starts_with("43466557686937456435") && fib.ends_with("6849228875"),
                "F(1000): 209 digits, 43466557686937456435...6849228875");
    book::check(!outcomes[2].fulfilled && outcomes[2].code == -32601 &&
                    outcomes[2].value == "method fake_method not found",
                "fake -> -32601");
    book::check(!outcomes[3].fulfilled && outcomes[3].code == -32000 && outcomes[3].value == "oh no",
                "bad -> -32000 oh no");
  }
  return book::finish("rpc worker OK");
}
