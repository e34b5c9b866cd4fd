// ch8_memory_overhead: what an idle worker costs (the book's repository-only listing
// ch8-memory-overhead: leader.js and worker.js).
//
// leader.js N spawns N workers and logs "PID: <pid>, ADD THREADS: N"; each worker logs
// "WPID: <pid>" (the same pid: threads share the process) and stays alive; the reader then reads
// the process's RSS with ps for N = 0, 1, 2, ... The book's point: every Node worker is a whole
// V8 isolate with its own event loop and costs megabytes, so memory-tight hosts should not
// spawn many.
//
// What it shows: the same leader with bobbin::Workers idle on their own event loops (a port
// listener keeps each alive). The program reads VmRSS and Threads from /proc/self/status before
// and after starting each batch (1, 2, 4, ... up to N workers) and prints the RSS added per
// worker: a C++ worker costs a thread stack (mostly untouched, so little RSS) and a small loop,
// far less than a V8 isolate. Then it terminates them all. Checked: every worker reported the
// leader's pid, the Threads count grew by the number of workers, all ended on terminate().
// Flag: --workers N (64).
#include <bobbin/event_loop.hpp>
#include <bobbin/worker.hpp>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "book_support.hpp"

int main(int argc, char** argv) {
  const int n = static_cast<int>(book::flag(argc, argv, "--workers", 64));
  const int pid = static_cast<int>(::getpid());
  book::say("PID: " + std::to_string(pid) + ", ADD THREADS: " + std::to_string(n));

  auto& loop = bobbin::EventLoop::current();
  std::vector<std::unique_ptr<bobbin::Worker<int>>> workers;
  std::atomic<int> same_pid{0};
  int online = 0;
  const long rss0 = book::proc_status("VmRSS");
  const long threads0 = book::proc_status("Threads");
  book::say("workers 0: VmRSS " + std::to_string(rss0) + " kB, threads " + std::to_string(threads0));

  for (int target = 1; target <= n; target = target * 2 > n && target < n ? n : target * 2) {
    while (static_cast<int>(workers.size()) < target) {
      auto w = std::make_unique<bobbin::Worker<int>>([&same_pid, pid](bobbin::ParentPort<int>& parent) {
        if (static_cast<int>(::getpid()) == pid) same_pid.fetch_add(1);  // worker.js: WPID
        parent.on_message([](int) {});  // idle, kept alive by its listener (the 1-hour timer)
      });
      w->on_online([&online] { ++online; });
      workers.push_back(std::move(w));
    }
    while (online < target) loop.run_once();
    const long rss = book::proc_status("VmRSS");
    const long threads = book::proc_status("Threads");
    book::say("workers " + std::to_string(target) + ": VmRSS " + std::to_string(rss) + " kB, threads " +
              std::to_string(threads) + ", " + std::to_string((rss - rss0) / target) + " kB per worker");
    book::check(threads - threads0 >= target, "one thread per worker");
    if (target == n) break;
  }

  int exits = 0;
  for (auto& w : workers) {
    w->on_exit([&exits](int) { ++exits; });
    (void)w->terminate();
  }
  bobbin::run();
  book::say("WPID: " + std::to_string(pid) + " reported by " + std::to_string(same_pid.load()) + " workers");
  book::check(same_pid.load() == n, "every worker runs in the leader's process");
  book::check(exits == n, "every worker ended on terminate()");
  return book::finish("memory overhead OK");
}
