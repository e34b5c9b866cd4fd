// ch2_service_worker: the request-counting service worker (listings 2-8 to 2-10,
// ch2-service-workers), as a bobbin::SharedWorker in front of a handler.
//
// sw.js keeps `counter = 0`, logs "service worker install" and "service worker activate", and
// on every fetch logs "fetch URL": a URL ending in /data.json increments the counter and is
// answered by the worker itself with the JSON {"counter": n}; every other request passes
// through to the network. The page's makeRequest() fetches /data.json and logs the answer.
//
// What it shows: a long-lived interceptor shared by all clients. Here the "browser" (main)
// registers the worker by holding a SharedWorker object for the program's lifetime; pages are
// client threads that connect to it, fetch through their port and block on the reply (the
// page's `await fetch`). The counter is the worker's state, so it persists across page reloads
// (a page leaving and a new one connecting). The network behind it is a plain handler function.
// A page that goes away closes its port; the worker then drops it from its list.
// Checked: the counters handed out are exactly 1..N, each page sees its counters increase,
// and the pass-through request gets the network's answer.
#include <bobbin/event_loop.hpp>
#include <bobbin/shared_worker.hpp>

#include <algorithm>
#include <iterator>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "book_support.hpp"

namespace {

struct FetchRequest {
  std::string url;
};

struct FetchResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

using Scope = bobbin::SharedWorkerScope<FetchRequest, FetchResponse>;
using ServiceWorker = bobbin::SharedWorker<FetchRequest, FetchResponse>;

// The network: what answers when the service worker passes a request through.
FetchResponse network(const FetchRequest& request) {
  if (request.url == "/" || request.url == "/index.html") return {200, "text/html", "<h1>hello</h1>"};
  return {404, "text/plain", "not found"};
}

// sw.js
void service_worker(Scope& self) {
  book::say("service worker install");
  book::say("service worker activate");  // clients.claim(): every page is controlled at once
  auto counter = std::make_shared<int>(0);
  auto ports = std::make_shared<std::list<Scope::Port>>();  // stable addresses
  std::weak_ptr<std::list<Scope::Port>> weak_ports = ports;  // for the ports' own callbacks
  self.on_connect([=](Scope::Port port) {
    Scope::Port& reply_to = ports->emplace_back(std::move(port));
    reply_to.on_close([weak_ports, at = std::prev(ports->end())] {
      // A page went away: forget its port (from a later task, not inside its own callback).
      bobbin::EventLoop::current().post([weak_ports, at] {
        if (auto all = weak_ports.lock()) all->erase(at);
      });
    });
    reply_to.on_message([=, &reply_to](const FetchRequest& request) {
      book::say("fetch " + request.url);
      if (request.url.ends_with("/data.json")) {
        ++*counter;
        reply_to.post_message(
            FetchResponse{200, "application/json", "{\"counter\": " + std::to_string(*counter) + "}"});
      } else {
        reply_to.post_message(network(request));  // fetch(event.request)
      }
    });
  });
}

int counter_of(const std::string& body) {  // {"counter": n}
  return std::stoi(body.substr(body.find(':') + 1));
}

// A page: connects, calls makeRequest() `n` times, then loads /index.html through the worker.
std::vector<int> page(const std::string& name, int n, std::string* pass_through) {
  ServiceWorker sw("sw.js", service_worker);
  std::vector<int> seen;
  for (int i = 0; i < n; ++i) {
    sw.port().post_message(FetchRequest{"/data.json"});  // makeRequest(): fetch('/data.json')
    std::optional<FetchResponse> response = sw.port().receive();
    if (!response) break;
    book::say(name + ": " + response->body);
    seen.push_back(counter_of(response->body));
  }
  if (pass_through != nullptr) {
    sw.port().post_message(FetchRequest{"/index.html"});
    if (auto response = sw.port().receive()) *pass_through = response->body;
  }
  return seen;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = static_cast<int>(book::flag(argc, argv, "--requests", 5));
  ServiceWorker registration("sw.js", service_worker);  // navigator.serviceWorker.register

  std::vector<int> first, second, reloaded;
  std::string index_html;
  std::thread a([&] { first = page("page A", n, &index_html); });
  std::thread b([&] { second = page("page B", n, nullptr); });
  a.join();
  b.join();
  reloaded = page("page A (reloaded)", n, nullptr);  // the counter survives the reload

  std::vector<int> all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.insert(all.end(), reloaded.begin(), reloaded.end());
  std::sort(all.begin(), all.end());
  std::vector<int> expected(static_cast<std::size_t>(3 * n));
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int>(i) + 1;
  book::check(all == expected, "the counters handed out are exactly 1..3n");
  for (const auto* seen : {&first, &second, &reloaded}) {
    book::check(std::is_sorted(seen->begin(), seen->end()), "a page's counters increase");
  }
  book::check(!reloaded.empty() && reloaded.front() == 2 * n + 1, "the reloaded page continues the count");
  book::check(index_html == "<h1>hello</h1>", "/index.html passed through to the network");
  return book::finish("service worker OK");
}
