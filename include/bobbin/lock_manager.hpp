// bobbin/lock_manager.hpp — LockManager: the Web Locks API (Node's `worker_threads.locks`).
//
// Named locks shared by every thread of the process, granted asynchronously: a request names
// a resource, waits its turn without blocking its thread, and holds the lock for as long as
// its callback's promise is pending.
//
//   auto done = bobbin::locks().request("cache", [](const bobbin::Lock* lock) {
//     // lock->name == "cache", lock->mode == LockMode::exclusive
//     return update_cache();                 // a value, or a Promise<T> / Async<T>
//   });                                      // -> Promise<T>: the callback's result
//   bobbin::run();
//
//   bobbin::LockOptions opts;
//   opts.mode = bobbin::LockMode::shared;    // many readers at once
//   opts.if_available = true;                // do not wait: lock == nullptr if not free
//   opts.signal = controller.signal();       // give up while still queued
//   bobbin::locks().request("cache", opts, [](const bobbin::Lock* lock) { ... });
//   bobbin::LockManagerSnapshot s = bobbin::locks().query();   // held / pending
//
// Rules (the Web Locks spec, as Node implements it):
//   - The callback takes `const Lock*`: JavaScript passes `null` when `ifAvailable` finds the
//     lock taken, so the callback's argument is null then, and points at the granted lock
//     otherwise (valid until the callback's promise settles). It returns `R`, `void`,
//     `Promise<R>` or `Async<R>`; `request` returns `Promise<R>`, which settles like the
//     callback's result once the lock has been released. `R` must be copyable. The callback
//     object itself (so a coroutine lambda's captures) lives until its promise settles.
//   - The lock is held from the moment it is granted until the callback's returned promise
//     settles (for a plain value: until the callback returns; if it throws, the request's
//     promise rejects with that exception and the lock is released all the same).
//   - Granting, per name, in request order (FIFO): a request is granted when no held lock
//     conflicts with it and it is at the head of the name's queue. Exclusive conflicts with
//     everything, shared with exclusive only; so consecutive shared requests at the head are
//     granted together, and a queued exclusive request blocks the shared ones behind it even
//     while the lock is held shared.
//   - `if_available`: granted at once if nothing is held in a conflicting mode and nothing is
//     queued for the name; otherwise the callback runs with `nullptr` (no lock held).
//   - `steal`: every held lock of the name is released at once and the request is granted
//     ahead of the queue; the robbed requests' promises reject with `AbortError` (their
//     callbacks keep running, and their later results are ignored).
//   - `signal`: aborting it while the request is still queued removes the request, and its
//     promise rejects with the signal's reason. Aborting after the grant does nothing. An
//     already-aborted signal rejects at once.
//   - Bad input rejects the returned promise (as the JS promise would) with
//     `NotSupportedError` (defined here, a `bobbin::Error`): a name starting with '-',
//     `steal` with `if_available`, `steal` with shared mode, `steal` with a signal.
//   - Callbacks run as tasks posted to the loop of the thread that called `request` (never
//     synchronously inside `request`), so that thread must run its loop (`run()`, `get()`).
//     A pending request keeps that loop alive (`run()` does not return before it finishes).
//   - `query()` returns the snapshot synchronously (JS returns a promise of it): held locks in
//     grant order and pending requests in queue order, names in lexicographic order. Each
//     entry carries the `client_id` of the requesting thread ("client-<n>", distinct per
//     thread).
//   - A thread that exits with requests still queued: when their turn comes, the lock is
//     released again at once (the callback cannot run), so nobody waits forever. A thread that
//     exits while a callback still holds an unsettled promise keeps that lock held (as a
//     worker blocked forever would); avoid it.
//   - Running out of memory never leaves a request half-granted: room for the grants is
//     reserved before anything changes. Failing to release, the lock stays held and the
//     request's promise rejects with std::bad_alloc; failing to abort, the request stays queued
//     and AbortController::abort() rethrows std::bad_alloc; failing to enqueue, `request`
//     throws it.
//
// Lifetime: `bobbin::locks()` is the process-wide manager (`navigator.locks`); a
// `LockManager` may also be constructed on its own (tests, isolated domains). Requests keep
// the manager's state alive, so destroying a `LockManager` with requests in flight is safe
// (they complete normally).
//
// Thread safety: `request` and `query` may be called from any thread (each caller gets its
// callbacks on its own loop). The state lives under one internal lock; callbacks, promise
// settlement and posting happen outside it.
//
// Memory ordering: all state is guarded by one lock (`detail::WordLock`, acquire/release).
// Releasing a lock updates the state under that lock and then posts the next holders'
// callbacks to their loops (the loop's post queue publishes them), so everything a holder did
// before its callback's promise settled happens-before the next holder's callback runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "abort.hpp"
#include "detail/word_lock.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "promise.hpp"

namespace bobbin {

// The Web platform's NotSupportedError DOMException: an option combination Web Locks refuses.
class NotSupportedError : public Error {
 public:
  using Error::Error;
  [[nodiscard]] const char* name() const noexcept override { return "NotSupportedError"; }
};

enum class LockMode { exclusive, shared };

// What a granted request's callback receives.
struct Lock {
  std::string name;
  LockMode mode = LockMode::exclusive;
};

struct LockOptions {
  LockMode mode = LockMode::exclusive;
  bool if_available = false;
  bool steal = false;
  AbortSignal signal;  // default: never aborts
};

// One entry of `query()`.
struct LockInfo {
  std::string name;
  LockMode mode = LockMode::exclusive;
  std::string client_id;
  friend bool operator==(const LockInfo&, const LockInfo&) = default;
};

struct LockManagerSnapshot {
  std::vector<LockInfo> held;
  std::vector<LockInfo> pending;
};

namespace detail {

inline const std::string& lock_client_id() {
  static std::atomic<std::uint64_t> next{1};
  // relaxed: only uniqueness matters, no data is published through the counter.
  thread_local const std::string id =
      "client-" + std::to_string(next.fetch_add(1, std::memory_order_relaxed));
  return id;
}

struct LockManagerState;
struct LockRequest;

// The typed half of a request: the user's callback and the request's promise.
struct LockJob {
  virtual ~LockJob() = default;
  // Loop thread: runs the callback (with the lock or with nullptr); arranges the release.
  virtual void run(const std::shared_ptr<LockManagerState>& manager,
                   const std::shared_ptr<LockRequest>& request, bool granted) = 0;
  virtual void reject(std::exception_ptr error) noexcept = 0;
};

enum class LockRequestStatus { queued, granted, released, stolen, aborted, not_granted };

struct LockRequest {
  Lock lock;
  std::string client_id;
  std::shared_ptr<EventLoop> loop;  // the requester's loop (one keep-alive ref until run)
  std::unique_ptr<LockJob> job;
  AbortSignal signal;                                    // under LockManagerState::lock
  std::uint64_t abort_listener = 0;                      // under LockManagerState::lock
  LockRequestStatus status = LockRequestStatus::queued;  // under LockManagerState::lock
};

struct LockManagerState : std::enable_shared_from_this<LockManagerState> {
  // Made once, up front: a task's destructor (which must not throw) rejects with it when its
  // loop has closed or its post ran out of memory.
  const std::exception_ptr loop_closed = std::make_exception_ptr(
      TerminatedError("LockManager: the requesting thread's event loop has closed"));

  struct Resource {
    std::vector<std::shared_ptr<LockRequest>> held;
    std::deque<std::shared_ptr<LockRequest>> queue;
  };
  struct Delivery {
    std::shared_ptr<LockRequest> request;
    bool granted;
  };

  WordLock lock;
  std::map<std::string, Resource, std::less<>> resources;  // under lock

  static bool conflicts(const Resource& r, LockMode mode) {
    if (r.held.empty()) return false;
    if (mode == LockMode::exclusive) return true;
    for (const auto& h : r.held) {
      if (h->lock.mode == LockMode::exclusive) return true;
    }
    return false;
  }

  // Under lock: room in `out` and `r.held` for every request `r`'s queue could grant, so
  // that process() cannot fail halfway. Throws std::bad_alloc having changed nothing.
  static void reserve_grants(Resource& r, std::vector<Delivery>& out) {
    out.reserve(out.size() + r.queue.size());
    r.held.reserve(r.held.size() + r.queue.size());
  }

  // Under lock: grants from the head of `r`'s queue while possible. All-or-nothing: it
  // reserves first (std::bad_alloc leaves `r` and `out` as they were), then cannot throw.
  static void process(Resource& r, std::vector<Delivery>& out) {
    reserve_grants(r, out);
    while (!r.queue.empty() && !conflicts(r, r.queue.front()->lock.mode)) {
      auto req = std::move(r.queue.front());
      r.queue.pop_front();
      req->status = LockRequestStatus::granted;
      r.held.push_back(req);
      out.push_back({std::move(req), true});
    }
  }

  // Under lock: drops the entry of a name with nothing held or queued.
  void tidy(std::map<std::string, Resource, std::less<>>::iterator it) {
    if (it->second.held.empty() && it->second.queue.empty()) resources.erase(it);
  }

  // Posts each callback to its requester's loop (outside the lock).
  void deliver(std::vector<Delivery>& deliveries);

  // Under the lock: takes `req` out of `list` (its resource's held locks or its queue), grants
  // whoever is next into `out`, and drops the resource once it is unused. The only thing that
  // can fail is the room for the grants, which is reserved before anything is removed: on
  // std::bad_alloc nothing has changed and the exception propagates.
  template <class List>
  void remove_and_regrant(const std::shared_ptr<LockRequest>& req, List Resource::*list,
                          std::vector<Delivery>& out) {
    auto it = resources.find(req->lock.name);
    if (it == resources.end()) return;
    reserve_grants(it->second, out);
    auto& entries = it->second.*list;
    for (auto e = entries.begin(); e != entries.end(); ++e) {
      if (*e == req) {
        entries.erase(e);
        break;
      }
    }
    process(it->second, out);  // cannot throw: reserved above
    tidy(it);
  }

  // Posts `out` after the lock is released; a failed post has already been handled by deliver.
  void deliver_unlocked(std::vector<Delivery>& out) noexcept {
    try {
      deliver(out);
    } catch (...) {
    }
  }

  // Releases `req`'s lock if it still holds it, then grants whoever is next. Out of memory:
  // throws std::bad_alloc with the lock still held and nothing else changed (the caller
  // reports it on the request's promise).
  void release(const std::shared_ptr<LockRequest>& req) {
    std::vector<Delivery> out;
    lock.lock();
    if (req->status == LockRequestStatus::granted) {
      try {
        remove_and_regrant(req, &Resource::held, out);
      } catch (...) {
        lock.unlock();
        throw;
      }
      req->status = LockRequestStatus::released;
    }
    lock.unlock();
    deliver_unlocked(out);
  }

  // The signal fired: drops `req` if it is still queued and rejects its promise. Out of
  // memory: throws std::bad_alloc with the request still queued (AbortController::abort()
  // rethrows it to its caller).
  void abort(const std::shared_ptr<LockRequest>& req, std::exception_ptr reason) {
    std::vector<Delivery> out;
    bool dropped = false;
    lock.lock();
    if (req->status == LockRequestStatus::queued) {
      try {
        remove_and_regrant(req, &Resource::queue, out);
      } catch (...) {
        lock.unlock();
        throw;
      }
      req->status = LockRequestStatus::aborted;
      dropped = true;
    }
    lock.unlock();
    deliver_unlocked(out);
    if (!dropped) return;
    if (!reason) reason = std::make_exception_ptr(AbortError("This operation was aborted"));
    req->job->reject(std::move(reason));
    req->loop->release_ref();
  }

  LockManagerSnapshot snapshot() {
    LockManagerSnapshot s;
    lock.lock();
    try {
      for (const auto& [name, r] : resources) {
        for (const auto& h : r.held) s.held.push_back({name, h->lock.mode, h->client_id});
        for (const auto& q : r.queue) s.pending.push_back({name, q->lock.mode, q->client_id});
      }
    } catch (...) {
      lock.unlock();
      throw;
    }
    lock.unlock();
    return s;
  }
};

// The task that runs a request's callback on its loop. If the loop drops it unrun (the
// thread exited), the destructor gives the lock back and rejects the request.
class LockTask {
 public:
  LockTask(std::shared_ptr<LockManagerState> manager, std::shared_ptr<LockRequest> request,
           bool granted) noexcept
      : manager_(std::move(manager)), request_(std::move(request)), granted_(granted) {}
  LockTask(LockTask&& other) noexcept
      : manager_(std::move(other.manager_)),
        request_(std::move(other.request_)),
        granted_(other.granted_) {}
  LockTask& operator=(LockTask&&) = delete;
  ~LockTask() {
    if (!request_) return;
    std::exception_ptr error;
    try {
      if (granted_) manager_->release(request_);
    } catch (...) {
      error = std::current_exception();  // out of memory: the lock stays held; say so
    }
    if (!error) error = manager_->loop_closed;  // a copy: no allocation here
    request_->job->reject(std::move(error));
    request_->loop->release_ref();
  }

  void operator()() {
    auto manager = std::move(manager_);
    auto request = std::move(request_);
    // The request's own keep-alive ref ends here; run() attached a reaction holding its own.
    struct Unref {
      EventLoop* loop;
      ~Unref() { loop->release_ref(); }
    } unref{request->loop.get()};
    request->job->run(manager, request, granted_);
  }

 private:
  std::shared_ptr<LockManagerState> manager_;
  std::shared_ptr<LockRequest> request_;
  bool granted_;
};

inline void LockManagerState::deliver(std::vector<Delivery>& deliveries) {
  for (auto& d : deliveries) {
    // Drop the abort listener (if it fires meanwhile it finds the request no longer queued).
    lock.lock();
    AbortSignal signal = std::move(d.request->signal);
    const std::uint64_t listener = std::exchange(d.request->abort_listener, 0);
    lock.unlock();
    if (listener != 0) signal.off_abort(listener);
    EventLoop* loop = d.request->loop.get();
    loop->post(LockTask(shared_from_this(), d.request, d.granted));  // false: the task cleaned up
  }
}

template <class R, class F>
struct LockJobOf final : LockJob {
  LockJobOf(F f, std::shared_ptr<State<R>> o) : fn(std::move(f)), out(std::move(o)) {}

  void run(const std::shared_ptr<LockManagerState>& manager,
           const std::shared_ptr<LockRequest>& request, bool granted) override {
    auto inner = std::make_shared<State<R>>();
    const Lock* arg = granted ? &request->lock : nullptr;
    resolve_with<R>(inner, [&]() -> decltype(auto) { return fn(arg); });
    // The lock is released, then the request's promise settles (the spec's order). The
    // reaction holds `request`, so the Lock the callback saw lives until then.
    inner->attach(make_reaction([manager, request, granted, o = out](StateBase& b) noexcept {
      try {
        if (granted) manager->release(request);
      } catch (...) {
        // Out of memory releasing: the lock is still held (nothing changed), and the request's
        // promise reports the failure instead of the callback's result.
        o->reject(std::current_exception());
        return;
      }
      try {
        copy_result(static_cast<State<R>&>(b), *o);
      } catch (...) {
        o->reject(std::current_exception());
      }
    }));
  }

  void reject(std::exception_ptr error) noexcept override { out->reject(std::move(error)); }

  F fn;
  std::shared_ptr<State<R>> out;
};

}  // namespace detail

class LockManager {
 public:
  LockManager() : state_(std::make_shared<detail::LockManagerState>()) {}
  LockManager(const LockManager&) = delete;
  LockManager& operator=(const LockManager&) = delete;

  // request(name, callback): an exclusive lock, waiting as long as needed.
  template <class F>
  auto request(std::string_view name, F&& callback) {
    return request(name, LockOptions{}, std::forward<F>(callback));
  }

  // request(name, options, callback) -> Promise<R>: see the header comment.
  template <class F>
  auto request(std::string_view name, const LockOptions& options, F&& callback) {
    static_assert(std::is_invocable_v<std::decay_t<F>&, const Lock*>,
                  "LockManager::request: the callback must be callable with `const Lock*`");
    using U = std::invoke_result_t<std::decay_t<F>&, const Lock*>;
    using R = typename detail::unwrap<std::decay_t<U>>::type;
    auto [promise, resolver] = Promise<R>::with_resolvers();
    auto out = detail::state_of(promise);

    const bool has_signal = options.signal != AbortSignal{};
    const char* refusal = nullptr;
    if (!name.empty() && name.front() == '-') {
      refusal = "LockManager::request: lock names starting with '-' are reserved";
    } else if (options.steal && options.if_available) {
      refusal = "LockManager::request: 'steal' and 'ifAvailable' cannot be used together";
    } else if (options.steal && options.mode != LockMode::exclusive) {
      refusal = "LockManager::request: 'steal' is only supported for exclusive locks";
    } else if (options.steal && has_signal) {
      refusal = "LockManager::request: 'signal' cannot be used with 'steal'";
    }
    if (refusal != nullptr) {
      out->reject(std::make_exception_ptr(NotSupportedError(refusal)));
      return promise;
    }
    if (options.signal.aborted()) {
      out->reject(options.signal.reason());
      return promise;
    }

    auto req = std::make_shared<detail::LockRequest>();
    req->lock = Lock{std::string(name), options.mode};
    req->client_id = detail::lock_client_id();
    req->job =
        std::make_unique<detail::LockJobOf<R, std::decay_t<F>>>(std::forward<F>(callback), out);
    EventLoop& loop = EventLoop::current();
    req->loop = loop.shared_from_this();
    loop.add_ref();  // released when the callback has run, or the request was aborted
    enqueue(req, options, has_signal);
    return promise;
  }

  // The held locks and pending requests, now (a plain value; JS returns a promise of it).
  [[nodiscard]] LockManagerSnapshot query() const { return state_->snapshot(); }

 private:
  [[gnu::noinline]] void enqueue(const std::shared_ptr<detail::LockRequest>& req,
                                 const LockOptions& options, bool has_signal) {
    auto& st = *state_;
    std::vector<detail::LockManagerState::Delivery> out;
    std::vector<std::shared_ptr<detail::LockRequest>> robbed;
    std::exception_ptr stolen;  // made before any change, so its allocation cannot fail later
    try {
      out.reserve(4);
      if (options.steal) {
        stolen = std::make_exception_ptr(
            AbortError("Lock broken by another request with the 'steal' option."));
      }
    } catch (...) {
      req->loop->release_ref();
      throw;
    }
    st.lock.lock();
    try {
      auto& r = st.resources[req->lock.name];
      // Room for every grant first: from here on only the queue insertion can fail, and it
      // comes before any other change (so std::bad_alloc leaves the state as it was).
      out.reserve(r.queue.size() + 1);
      r.held.reserve(r.held.size() + r.queue.size() + 1);
      if (options.steal) {
        robbed.reserve(r.held.size());
        r.queue.push_front(req);
        for (auto& h : r.held) {
          h->status = detail::LockRequestStatus::stolen;
          robbed.push_back(std::move(h));
        }
        r.held.clear();  // keeps the capacity reserved above
        detail::LockManagerState::process(r, out);
      } else if (options.if_available &&
                 (!r.queue.empty() || detail::LockManagerState::conflicts(r, options.mode))) {
        req->status = detail::LockRequestStatus::not_granted;
        out.push_back({req, false});
        st.tidy(st.resources.find(req->lock.name));
      } else {
        r.queue.push_back(req);
        detail::LockManagerState::process(r, out);
      }
    } catch (...) {
      if (auto it = st.resources.find(req->lock.name); it != st.resources.end()) st.tidy(it);
      st.lock.unlock();
      req->loop->release_ref();
      throw;
    }
    st.lock.unlock();

    // Listen for an abort only while queued. If the signal fires before or during on_abort,
    // abort() finds the request queued (or not) under the lock and does the right thing.
    if (has_signal) {
      std::weak_ptr<detail::LockManagerState> weak_state = state_;
      std::weak_ptr<detail::LockRequest> weak_req = req;
      auto id = options.signal.on_abort([weak_state, weak_req](std::exception_ptr reason) {
        auto s = weak_state.lock();
        auto r = weak_req.lock();
        if (s && r) s->abort(r, std::move(reason));
      });
      st.lock.lock();
      const bool still_queued = req->status == detail::LockRequestStatus::queued;
      if (still_queued) {  // otherwise deliver() has run or will not look: remove it here
        req->signal = options.signal;
        req->abort_listener = id;
      }
      st.lock.unlock();
      if (!still_queued && id != 0) options.signal.off_abort(id);
    }

    for (auto& victim : robbed) victim->job->reject(stolen);
    st.deliver(out);
  }

  std::shared_ptr<detail::LockManagerState> state_;
};

// The process-wide lock manager: Node's `worker_threads.locks` / `navigator.locks`.
inline LockManager& locks() {
  static LockManager manager;
  return manager;
}

}  // namespace bobbin
