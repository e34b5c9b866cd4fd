#!/usr/bin/env python3
"""Time each example beside its Node original, on the same work, and print a Markdown table.

Usage:
  python3 bench/node/compare_examples.py --build build/demo [--rounds 3] [--only a,b] [-o FILE]

Every row below pairs an example program (found by name under the build directory) with the
script in bench/node/ that does the same work, with the arguments that make the two comparable.
Each round runs the C++ program and then the Node script (alternating, so that a change of load
hits both alike); a run that exits non-zero stops the whole comparison, since its oracle failed.
The table gives, per side, the median wall-clock time and the median CPU time (user + system,
the process and the children it waited for). CPU time is the fairer figure on a busy machine;
wall time is what a user sees. Node needs `npm ci` in bench/node first (piscina).

Rows whose Node column is empty have no Node twin: the C++ side is still timed.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent

# (example, C++ argv, Node argv or None). The first word of the C++ argv is the program's name;
# the Node argv starts with the script, relative to bench/node/.
PAIRS = [
    # The flagships
    ("happycoin single", ["happycoin", "--mode", "single", "--iterations", "2000000", "--quiet"],
     ["happycoin.js", "single", "2000000"]),
    ("happycoin threads", ["happycoin", "--mode", "threads", "--threads", "2", "--iterations",
                           "2000000", "--quiet"],
     ["happycoin.js", "threads", "2000000", "2"]),
    ("happycoin pool", ["happycoin", "--mode", "pool", "--threads", "2", "--iterations", "2000000",
                        "--quiet"],
     ["happycoin-piscina.js", "2000000", "2"]),
    ("happycoin batch", ["happycoin", "--mode", "batch", "--threads", "2", "--iterations",
                         "2000000", "--quiet"],
     ["happycoin.js", "batch", "2000000", "2"]),
    ("happycoin ring", ["happycoin", "--mode", "ring", "--threads", "2", "--iterations",
                        "2000000", "--quiet"], None),
    ("happycoin plain", ["happycoin", "--mode", "plain", "--threads", "2", "--iterations",
                         "2000000", "--quiet"], None),
    ("game_of_life single", ["game_of_life", "--single", "--size", "1000", "--generations", "100",
                             "--seed", "3", "--quiet"],
     ["gol.js", "single", "1000", "100"]),
    ("game_of_life 2 workers", ["game_of_life", "--workers", "2", "--size", "1000",
                                "--generations", "100", "--seed", "3", "--quiet"],
     ["gol.js", "threads", "1000", "100", "2"]),
    ("game_of_life 2 workers, book protocol",
     ["game_of_life", "--workers", "2", "--protocol", "book", "--size", "1000", "--generations",
      "100", "--seed", "3", "--quiet"], ["gol.js", "threads", "1000", "100", "2"]),
    # The notes
    ("notes_hello_worker", ["notes_hello_worker", "--n", "1000000000"],
     ["notes_hello_worker.js", "1000000000"]),
    ("notes_event_loop", ["notes_event_loop", "--delay-ms", "30"], ["notes_event_loop.js", "30"]),
    ("notes_heavy_health", ["notes_heavy_health", "--n", "1000000000"],
     ["notes_heavy_health.js", "1000000000"]),
    ("notes_cluster", ["notes_cluster", "--port", "0", "--workers", "4", "--requests", "40"],
     ["notes_cluster.js", "40", "4"]),
    ("notes_shared_memory", ["notes_shared_memory"], ["notes_shared_memory.js"]),
    ("notes_image_worker", ["notes_image_worker"], ["notes_image_worker.js"]),
    ("notes_data_analysis", ["notes_data_analysis"], ["notes_data_analysis.js"]),
    ("notes_worker_pool", ["notes_worker_pool", "--scale", "0.02"],
     ["notes_worker_pool.js", "--scale", "0.02"]),
    ("notes_robust_worker", ["notes_robust_worker", "--scale", "0.02"],
     ["notes_robust_worker.js", "--scale", "0.02"]),
    ("notes_http_server", ["notes_http_server"], ["notes_http_server.js"]),
    # The book
    ("ch1_read_files", ["ch1_read_files"], ["book_ch1_read_files.js"]),
    ("ch2_web_worker", ["ch2_web_worker"], ["book_ch2_web_worker.js"]),
    ("ch2_shared_worker", ["ch2_shared_worker"], ["book_ch2_shared_worker.js"]),
    ("ch2_service_worker", ["ch2_service_worker", "--requests", "5"],
     ["book_ch2_service_worker.js", "--requests", "5"]),
    ("ch2_dispatch", ["ch2_dispatch", "--rounds", "20"], ["book_rpc_worker.js", "--rounds", "20"]),
    ("ch2_rpc_worker", ["ch2_rpc_worker"], ["book_ch2_rpc_worker.js"]),
    ("ch3_cluster", ["ch3_cluster", "--port", "0", "--workers", "4", "--requests", "40"],
     ["book_ch3_cluster.js", "--port", "0", "--workers", "4", "--requests", "40"]),
    ("ch3_worker_data", ["ch3_worker_data"], ["book_ch3_worker_data.js"]),
    ("ch3_parent_port", ["ch3_parent_port"], ["book_ch3_parent_port.js"]),
    ("ch3_message_channel", ["ch3_message_channel"], ["book_ch3_message_channel.js"]),
    ("ch3_pool_sqrt", ["ch3_pool_sqrt"], ["book_ch3_pool_sqrt.js"]),
    ("ch1_async_styles", ["ch1_async_styles"], ["book_ch1_async_styles.js"]),
    ("ch1_thread_count", ["ch1_thread_count", "--workers", "4"],
     ["book_ch1_thread_count.js", "--workers", "4"]),
    ("ch3_pool_sqrt_unbounded", ["ch3_pool_sqrt_unbounded", "--tasks", "1000000"], None),
    ("ch3_pool_sqrt_drain", ["ch3_pool_sqrt_drain", "--tasks", "100000"],
     ["book_pool_drain.js", "100000"]),
    ("ch4_sab_hello", ["ch4_sab_hello"], ["book_ch4_sab_hello.js"]),
    ("ch4_booleans", ["ch4_booleans"], ["book_ch4_booleans.js"]),
    ("ch4_serialize", ["ch4_serialize"], ["book_ch4_serialize.js"]),
    ("ch4_atomics_ops", ["ch4_atomics_ops"], ["book_ch4_atomics_ops.js"]),
    ("ch5_notify_order", ["ch5_notify_order"], ["book_ch5_notify_order.js"]),
    ("ch5_notify_when_ready", ["ch5_notify_when_ready"], ["book_ch5_notify_when_ready.js"]),
    ("ch5_node_block", ["ch5_node_block", "--period-ms", "400", "--wait-ms", "300"],
     ["book_node_block.js", "400", "300"]),
    ("ch6_thread_product", ["ch6_thread_product", "--rounds", "20", "--spin", "1000000"],
     ["book_ch6_thread_product.js", "--rounds", "20", "--spin", "1000000"]),
    ("ch6_thread_product_mutex", ["ch6_thread_product_mutex", "--rounds", "20", "--spin",
                                  "1000000"],
     ["book_ch6_thread_product_mutex.js", "--rounds", "20", "--spin", "1000000"]),
    ("ch6_ring_buffer", ["ch6_ring_buffer", "--messages", "2000"],
     ["book_ch6_ring_buffer.js", "--messages", "2000"]),
    ("ch6_thread_pool", ["ch6_thread_pool", "--threads", "2"],
     ["book_ch6_thread_pool.js", "--threads", "2"]),
    ("ch6_actor", ["ch6_actor", "--self-test"], ["book_ch6_actor.js", "--self-test"]),
    ("ch6_actor_server", ["ch6_actor_server", "--spawn-actors", "2", "--requests", "6", "--chunk",
                          "1", "--sleep-ms", "5"],
     ["book_ch6_actor_server.js", "--spawn-actors", "2", "--requests", "6", "--chunk", "1",
      "--sleep-ms", "5"]),
    ("ch8_template_render", ["ch8_template_render"], ["book_ch8_template_render.js"]),
    ("ch8_template_render clear-cache", ["ch8_template_render", "--clear-cache", "--repeat", "20"],
     ["book_ch8_template_render.js", "--clear-cache", "--repeat", "20"]),
    ("ch8_memory_overhead", ["ch8_memory_overhead", "--workers", "64"],
     ["book_memory_overhead.js", "64"]),
]


def find_program(build: Path, name: str) -> Path:
    for path in sorted(build.rglob(name)):
        if path.is_file() and os.access(path, os.X_OK) and "CMakeFiles" not in path.parts:
            return path
    raise SystemExit(f"{name}: not built under {build} (build the demo preset first)")


def timed(argv, cwd) -> tuple[float, float]:
    """Runs argv to completion; returns (wall seconds, CPU seconds) or exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=600, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.stderr.write(done.stdout.decode(errors="replace")[-4000:])
        raise SystemExit(f"{' '.join(map(str, argv))}: exit status {done.returncode}")
    return wall, cpu


def medians(runs) -> tuple[float, float]:
    """The median wall time and the median CPU time of (wall, CPU) runs."""
    return (statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs))


def seconds(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("build/demo"),
                        help="the build directory holding the examples (default build/demo)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--only", default="", help="comma-separated example names to run")
    parser.add_argument("--no-node", action="store_true", help="time the C++ side only")
    parser.add_argument("-o", "--output", type=Path, help="write the table here too")
    args = parser.parse_args()

    only = {name.strip() for name in args.only.split(",") if name.strip()}
    rows = [pair for pair in PAIRS if not only or pair[0] in only or pair[1][0] in only]
    if not rows:
        raise SystemExit("no example matches --only")
    node = None if args.no_node else "node"
    if node and not (NODE_DIR / "node_modules").is_dir():
        raise SystemExit("run `npm ci` in bench/node first (or pass --no-node)")

    lines = ["| Example | C++ wall | C++ CPU | Node wall | Node CPU | Node / C++ (wall) |",
             "|---|---:|---:|---:|---:|---:|"]
    workdir = Path(tempfile.gettempdir())  # the examples write their files there
    for name, cpp, js in rows:
        program = find_program(args.build.resolve(), cpp[0])
        cpp_runs, js_runs = [], []
        for _ in range(args.rounds):
            cpp_runs.append(timed([str(program), *cpp[1:]], workdir))
            if js and node:
                js_runs.append(timed([node, str(NODE_DIR / js[0]), *js[1:]], NODE_DIR))
        cpp_wall, cpp_cpu = medians(cpp_runs)
        cells = [name, seconds(cpp_wall), seconds(cpp_cpu)]
        if js_runs:
            js_wall, js_cpu = medians(js_runs)
            cells += [seconds(js_wall), seconds(js_cpu), f"{js_wall / cpp_wall:.1f}×"]
        else:
            cells += ["—", "—", "—"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += ["", "| Example | C++ command | Node command |", "|---|---|---|"]
    for name, cpp, js in rows:
        lines.append(f"| {name} | `{' '.join(cpp)}` | " +
                     (f"`node {' '.join(js)}` |" if js else "— |"))
    table = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    print()
    print(table, end="")


if __name__ == "__main__":
    main()
