// notes_data_analysis: the data-analysis server of the note "Node.js Worker Threads (워커
// 스레드)", section 예시 → "데이터 분석 Worker" (main.js with DataAnalysisWorkerPool and express,
// data-analysis-worker.js).
//
// DataAnalysisWorkerPool keeps 4 workers, a queue of tasks and a list of idle workers, exactly
// as the note's class: analyze_data() queues a task and returns a promise, process_next_task()
// gives the next task to an idle worker, the worker's answer settles the task's promise and
// frees the worker, and a worker that fails is replaced. POST /api/analyze-data {dataset,
// analysisType} answers {success, analysisResult, analysisType, timestamp} or a 500 with the
// error: "statistical" (count, mean, median, standard deviation, variance, min, max, range),
// "pattern" (increasing, decreasing, alternating, constant), "comprehensive" (both); an empty
// dataset and an unknown analysis type are errors, as in the note.
//
// The smoke run (the default) starts the server on an ephemeral port, sends one request of
// each kind plus the two errors (and a burst of parallel requests, more than there are
// workers, so the queue is used), checks every number and prints "analysis server OK".
// --serve keeps serving on --port (default 3000).
#include <bobbin/event_loop.hpp>
#include <bobbin/promise.hpp>
#include <bobbin/worker.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_server.hpp"
#include "notes_support.hpp"

using json = nlohmann::json;

namespace {

// ---- data-analysis-worker.js ----

json statistical_analysis(const std::vector<double>& data) {
  const std::size_t n = data.size();
  if (n == 0) throw std::invalid_argument("empty dataset");
  double sum = 0;
  for (const double v : data) sum += v;
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
  for (const double v : data) squares += (v - mean) * (v - mean);
  const double variance = squares / static_cast<double>(n);
  std::vector<double> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  const double median = n % 2 == 0 ? (sorted[n / 2 - 1] + sorted[n / 2]) / 2 : sorted[n / 2];
  return {{"count", n},           {"mean", mean},
          {"median", median},     {"standardDeviation", std::sqrt(variance)},
          {"variance", variance}, {"min", sorted.front()},
          {"max", sorted.back()}, {"range", sorted.back() - sorted.front()}};
}

json pattern_analysis(const std::vector<double>& data) {
  json patterns = {{"increasing", 0}, {"decreasing", 0}, {"alternating", 0}, {"constant", 0}};
  if (data.size() < 2) return patterns;
  bool increasing = true, decreasing = true, alternating = true, constant = true;
  const auto sign = [](double d) { return (d > 0) - (d < 0); };
  for (std::size_t i = 1; i < data.size(); ++i) {
    if (data[i] <= data[i - 1]) increasing = false;
    if (data[i] >= data[i - 1]) decreasing = false;
    if (data[i] != data[i - 1]) constant = false;
    if (i > 1 && sign(data[i - 1] - data[i - 2]) == sign(data[i] - data[i - 1])) {
      alternating = false;
    }
  }
  patterns["increasing"] = increasing ? 1 : 0;
  patterns["decreasing"] = decreasing ? 1 : 0;
  patterns["alternating"] = alternating ? 1 : 0;
  patterns["constant"] = constant ? 1 : 0;
  return patterns;
}

void data_analysis_worker(bobbin::ParentPort<json>& parent_port) {
  parent_port.on_message([&parent_port](const json& task) {
    try {
      const std::string type = task.value("analysisType", "");
      const auto data = task.at("dataset").get<std::vector<double>>();
      json result;
      if (type == "statistical") {
        result = statistical_analysis(data);
      } else if (type == "pattern") {
        result = pattern_analysis(data);
      } else if (type == "comprehensive") {
        result = {{"statistical", statistical_analysis(data)}, {"pattern", pattern_analysis(data)}};
      } else {
        throw std::invalid_argument("unknown analysis type: " + type);
      }
      parent_port.post_message(
          json{{"success", true}, {"analysisResult", result}, {"analysisType", type}});
    } catch (const std::exception& e) {
      parent_port.post_message(json{{"success", false}, {"error", e.what()}});
    }
  });
}

// ---- main.js: DataAnalysisWorkerPool ----

class DataAnalysisWorkerPool {
 public:
  explicit DataAnalysisWorkerPool(std::size_t size = 4) {
    for (std::size_t i = 0; i < size; ++i) workers_.push_back(make_worker(i));
  }

  bobbin::Promise<json> analyze_data(json dataset, std::string analysis_type) {
    auto [promise, resolver] = bobbin::Promise<json>::with_resolvers();
    task_queue_.push_back(Task{std::move(dataset), std::move(analysis_type), resolver});
    process_next_task();
    return promise;
  }

  void shutdown() {
    for (auto& w : workers_) (void)w->worker.terminate();
  }

  [[nodiscard]] std::size_t tasks_done() const { return done_; }

 private:
  struct Task {
    json dataset;
    std::string analysis_type;
    bobbin::Resolver<json> resolver;
  };
  struct Slot {  // a worker and its current task (the note's worker.currentTask)
    bobbin::Worker<json> worker{data_analysis_worker};
    std::size_t index = 0;
    std::optional<Task> current;
  };

  std::unique_ptr<Slot> make_worker(std::size_t index) {
    auto slot = std::make_unique<Slot>();
    slot->index = index;
    Slot* s = slot.get();
    s->worker.on_message([this, s](const json& result) { handle_worker_result(*s, result); });
    s->worker.on_error([this, s](std::exception_ptr e) {
      notes::say("  worker " + std::to_string(s->index) + " error: " + notes::what(e));
      replace_worker(*s, e);
    });
    available_.push_back(s);
    return slot;
  }

  void process_next_task() {
    if (task_queue_.empty() || available_.empty()) return;
    Slot* s = available_.front();
    available_.pop_front();
    s->current = std::move(task_queue_.front());
    task_queue_.pop_front();
    s->worker.post_message(
        json{{"dataset", s->current->dataset}, {"analysisType", s->current->analysis_type}});
  }

  void handle_worker_result(Slot& s, const json& result) {
    Task task = std::move(*s.current);
    s.current.reset();
    if (result.value("success", false)) {
      task.resolver.resolve(result["analysisResult"]);
    } else {
      task.resolver.reject(
          std::make_exception_ptr(std::runtime_error(result.value("error", "unknown error"))));
    }
    ++done_;
    available_.push_back(&s);
    process_next_task();
  }

  // A failed worker is replaced by a new one in the same place; its task fails.
  void replace_worker(Slot& failed, std::exception_ptr error) {
    if (failed.current) failed.current->resolver.reject(error);
    const std::size_t index = failed.index;
    available_.erase(std::remove(available_.begin(), available_.end(), &failed), available_.end());
    bobbin::set_immediate([this, index] {  // not inside the failed worker's own callback
      workers_[index] = make_worker(index);
      process_next_task();
    });
  }

  std::vector<std::unique_ptr<Slot>> workers_;
  std::deque<Task> task_queue_;
  std::deque<Slot*> available_;
  std::size_t done_ = 0;
};

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

http::Response error_response(const std::string& message, int status) {
  return http::Response::json(json{{"success", false}, {"error", message}}.dump(), status);
}

// app.post('/api/analyze-data', ...)
bobbin::Promise<http::Response> route(DataAnalysisWorkerPool& pool, const http::Request& req) {
  using P = bobbin::Promise<http::Response>;
  if (req.method != "POST" || req.path != "/api/analyze-data") {
    return P::resolved(error_response("not found", 404));
  }
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.contains("dataset") || !body["dataset"].is_array()) {
    return P::resolved(error_response("expected {dataset: [numbers], analysisType}", 400));
  }
  const std::string type = body.value("analysisType", "");
  return pool.analyze_data(body["dataset"], type)
      .then([type](const json& result) {
        return http::Response::json(json{
            {"success", true},
            {"analysisResult", result},
            {"analysisType", type},
            {"timestamp", iso_now()}}.dump());
      })
      .catch_error([](std::exception_ptr e) { return error_response(notes::what(e), 500); });
}

int self_test() {
  DataAnalysisWorkerPool pool(4);
  http::Server server([&pool](const http::Request& req) { return route(pool, req); });
  const int port = server.listen(0);
  notes::say("data analysis server listening on port " + std::to_string(port));
  using notes::expect;
  const auto analyze = [port](const json& dataset, const std::string& type) {
    const auto r = http::http_post("127.0.0.1", port, "/api/analyze-data",
                                   json{{"dataset", dataset}, {"analysisType", type}}.dump());
    return std::make_pair(r.status, json::parse(r.body));
  };
  bobbin::EventLoop& loop = bobbin::EventLoop::current();
  std::thread client([&] {
    const json one_to_ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    auto [s1, stats] = analyze(one_to_ten, "statistical");
    notes::say("  statistical [1..10] -> " + stats["analysisResult"].dump());
    const json& st = stats["analysisResult"];
    expect(s1 == 200 && st["count"] == 10 && st["mean"] == 5.5 && st["median"] == 5.5 &&
               st["variance"] == 8.25 && st["min"] == 1 && st["max"] == 10 && st["range"] == 9 &&
               std::abs(st["standardDeviation"].get<double>() - std::sqrt(8.25)) < 1e-12,
           "statistical: count, mean, median, variance, sd, min, max, range");

    auto [s2, pattern] = analyze(json{3, 1, 4, 1, 5}, "pattern");
    notes::say("  pattern [3,1,4,1,5] -> " + pattern["analysisResult"].dump());
    expect(s2 == 200 &&
               pattern["analysisResult"] ==
                   json{{"increasing", 0}, {"decreasing", 0}, {"alternating", 1}, {"constant", 0}},
           "pattern: alternating");

    auto [s3, both] = analyze(one_to_ten, "comprehensive");
    expect(s3 == 200 && both["analysisResult"]["pattern"]["increasing"] == 1 &&
               both["analysisResult"]["statistical"]["mean"] == 5.5,
           "comprehensive: statistical + pattern");

    auto [s4, empty] = analyze(json::array(), "statistical");
    notes::say("  statistical [] -> " + std::to_string(s4) + " " + empty.dump());
    expect(s4 == 500 && empty["error"] == "empty dataset", "empty dataset is an error");

    auto [s5, unknown] = analyze(one_to_ten, "fourier");
    expect(s5 == 500 && unknown["error"] == "unknown analysis type: fourier",
           "unknown analysis type is an error");

    // A burst of 12 parallel requests over 4 workers: the pool's queue holds the rest.
    std::vector<std::thread> burst;
    std::vector<double> means(12);
    for (std::size_t i = 0; i < means.size(); ++i) {
      burst.emplace_back([&, i] {
        json data = json::array();
        for (std::size_t k = 0; k <= i; ++k) data.push_back(static_cast<double>(k));
        means[i] = analyze(data, "statistical").second["analysisResult"]["mean"].get<double>();
      });
    }
    for (auto& t : burst) t.join();
    bool burst_ok = true;
    for (std::size_t i = 0; i < means.size(); ++i) {
      burst_ok = burst_ok && means[i] == static_cast<double>(i) / 2;
    }
    expect(burst_ok, "12 parallel requests over 4 workers: every mean right");

    loop.post([&] {
      server.close();
      pool.shutdown();
    });
  });
  bobbin::run();
  client.join();
  notes::say("tasks done by the pool: " + std::to_string(pool.tasks_done()));
  notes::say(notes::all_ok() ? "analysis server OK" : "analysis server FAILED");
  return notes::all_ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (notes::flag(argc, argv, "--serve", 0) != 0) {
    DataAnalysisWorkerPool pool(4);
    http::Server server([&pool](const http::Request& req) { return route(pool, req); });
    const int port = server.listen(static_cast<int>(notes::flag(argc, argv, "--port", 3000)));
    notes::say("data analysis server running on port " + std::to_string(port));
    bobbin::run();
    return 0;
  }
  return self_test();
}
