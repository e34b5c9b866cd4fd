#!/usr/bin/env python3
"""Turn bobbin_bench's Google Benchmark JSON into a Markdown section and SVG bar charts.

Usage:
    bobbin_bench --benchmark_out=results.json --benchmark_out_format=json \\
        [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true] \\
        [--benchmark_filter=REGEX]
    python3 bench/report.py results.json [more.json ...] [-o report.md] [--charts DIR]
        [--baseline FAMILY=VARIANT[,VARIANT...]] ... [--metric FAMILY=COUNTER] ...
        [--focus V1[,V2...]] [--title TEXT] [--level N]

    (`bobbin_bench --benchmark_format=json > results.json` works too; "-" reads standard input.)

What it writes:
  - The machine context from the JSON: date, CPUs and MHz, caches, load average and the
    Google Benchmark library's build type. The host name and the executable's path are never
    printed.
  - One table per benchmark family, with the time per operation (real time), its range over
    repetitions, the throughput and any user counters, and for each baseline variant the
    ratio time(variant) / time(baseline) at the same arguments: below 1x is faster.
  - With --charts DIR, one SVG bar chart per family in DIR (linked from the Markdown). A family
    whose values span more than two orders of magnitude is drawn on a log scale.
  - A family can be compared and charted on a user counter instead of the time per operation
    (--metric; by default BM_WaitNotify_Sleeper uses cpu_us, its waiting thread's CPU time).

Naming convention (see bench/bench_support.hpp): a benchmark named
`BM_<Area>_<Family><Variant>/arg:value/real_time` is variant `Variant` of family
`BM_<Area>_<Family>`; its arguments (and `threads:N`) pick the row group.

Figures: with repetitions, the median (and min-max when the run reported them, or when every
repetition is in the JSON); without, the single run.

Baselines: each family compares with the variants named by --baseline (FAMILY may be a glob
such as 'BM_Atomics_*'; give 'FAMILY=' to drop a default), else with the defaults below.
--focus names the library's own variants (default Bobbin, and Move, Transfer and Clone of
ArrayBuffer): they are highlighted in the charts and summarised under each table.

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import statistics
import sys
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

DEFAULT_BASELINES: dict[str, list[str]] = {
    "BM_WaitNotify_PingPong": ["StdAtomic", "Spin"],
    "BM_WaitNotify_NotifyNobody": ["StdAtomic"],
    "BM_WaitNotify_Sleeper": ["Futex"],
    "BM_Atomics_*": ["Std"],
    "BM_ArrayBuffer_*": ["Memcpy"],
    "BM_Mutex_*": ["Std"],
    "BM_EventLoop_*": ["Libuv"],
    "BM_RingBuffer_Spsc": ["ReaderWriterQueue", "BoostSpsc"],
    "BM_RingBuffer_PingPong": ["SpinRing"],
    "BM_BoundedQueue_*": ["Moodycamel", "CondVar"],
    "BM_Promise_CrossThread": ["StdFuture"],
    "BM_Promise_SameLoop": ["Microtask"],
    "BM_MessageChannel_RoundTrip": ["MoodycamelBlocking"],
    "BM_MessageChannel_OneWay": ["MoodycamelBlocking"],
    "BM_MessageChannel_Payload": ["Memcpy"],
    "BM_Worker_*": ["StdThread"],
    "BM_Pool_Tiny": ["TbbTaskGroup", "AsioPost"],
    "BM_Pool_Latency": ["AsioPost"],
    "BM_Actor_*": ["Caf"],
}

# Families compared on a user counter rather than on the time per operation.
DEFAULT_METRICS: dict[str, str] = {
    "BM_WaitNotify_Sleeper": "cpu_us",  # the wall time is the timeout; the CPU time is the point
    "BM_RingBuffer_PingPongPaired": "vs_spin",  # the ratio to the spin-only ring, same placement
}

# The library's own variants: highlighted in charts, summarised under each table.
DEFAULT_FOCUS = ("Bobbin,BobbinBlocking,BobbinTry,BobbinGet,BobbinThen,BobbinLoop,BobbinPost,"
                 "BobbinRun,Move,Transfer,Clone,Share")

TIME_UNITS_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Keys of a benchmark entry that are not user counters.
STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "aggregate_name", "aggregate_unit", "error_occurred", "error_message",
    "label", "items_per_second", "bytes_per_second",
}

NAME_RE = re.compile(r"^(?P<family>[^<>/]+)<(?P<variant>[^<>]*)>(?P<rest>.*)$")
TIME_SUFFIXES = {"real_time", "manual_time", "process_time"}


@dataclass
class Run:
    """One benchmark instance (a family, a variant, one set of arguments), summarised."""

    run_name: str
    family: str
    variant: str
    key: str  # the arguments, e.g. "bytes:1024" or "threads:2"; "" when none
    time_ns: float | None = None
    min_ns: float | None = None
    max_ns: float | None = None
    repetitions: int = 1
    items_per_second: float | None = None
    bytes_per_second: float | None = None
    counters: dict[str, float] = field(default_factory=dict)
    counters_min: dict[str, float] = field(default_factory=dict)
    counters_max: dict[str, float] = field(default_factory=dict)
    label: str = ""
    error: str = ""


def split_name(run_name: str) -> tuple[str, str, str]:
    match = NAME_RE.match(run_name)
    if match:
        family, variant, rest = match["family"], match["variant"], match["rest"]
    else:
        family, _, rest = run_name.partition("/")
        variant, rest = "", "/" + rest
    parts = [p for p in rest.split("/") if p and p not in TIME_SUFFIXES]
    return family, variant, "/".join(parts)


def entry_time_ns(entry: dict) -> float:
    return float(entry["real_time"]) * TIME_UNITS_NS.get(entry.get("time_unit", "ns"), 1.0)


def counters_of(entry: dict) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in entry.items()
        if k not in STANDARD_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def summarise(run_name: str, iterations: list[dict], aggregates: dict[str, dict]) -> Run:
    family, variant, key = split_name(run_name)
    run = Run(run_name, family, variant, key)
    errors = [e for e in iterations + list(aggregates.values()) if e.get("error_occurred")]
    if errors:
        run.error = errors[0].get("error_message", "error")
        return run
    if iterations:
        # Every repetition is here: take the median ourselves, and the true min and max.
        times = [entry_time_ns(e) for e in iterations]
        run.repetitions = len(iterations)
        run.time_ns = statistics.median(times)
        if len(times) > 1:
            run.min_ns, run.max_ns = min(times), max(times)
        for rate in ("items_per_second", "bytes_per_second"):
            values = [float(e[rate]) for e in iterations if rate in e]
            if values:
                setattr(run, rate, statistics.median(values))
        names = {k for e in iterations for k in counters_of(e)}
        for name in sorted(names):
            values = [counters_of(e)[name] for e in iterations if name in counters_of(e)]
            run.counters[name] = statistics.median(values)
            if len(values) > 1:
                run.counters_min[name], run.counters_max[name] = min(values), max(values)
        run.label = iterations[0].get("label", "")
        return run
    # Aggregates only: the median (else the mean), and min/max if the run computed them.
    central = aggregates.get("median") or aggregates.get("mean")
    if central is None:
        run.error = "no median or mean in the JSON"
        return run
    run.repetitions = int(central.get("repetitions", 1))
    run.time_ns = entry_time_ns(central)
    if "min" in aggregates and "max" in aggregates:
        run.min_ns = entry_time_ns(aggregates["min"])
        run.max_ns = entry_time_ns(aggregates["max"])
        run.counters_min = counters_of(aggregates["min"])
        run.counters_max = counters_of(aggregates["max"])
    run.items_per_second = central.get("items_per_second")
    run.bytes_per_second = central.get("bytes_per_second")
    run.counters = counters_of(central)
    run.label = central.get("label", "")
    return run


def load(paths: list[str]) -> tuple[dict, list[Run]]:
    context: dict = {}
    order: list[str] = []
    iterations: dict[str, list[dict]] = {}
    aggregates: dict[str, dict[str, dict]] = {}
    for path in paths:
        if path == "-":
            data = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        if not context:
            context = data.get("context", {})
        for entry in data.get("benchmarks", []):
            run_name = entry.get("run_name") or entry["name"]
            if run_name not in iterations:
                order.append(run_name)
                iterations[run_name] = []
                aggregates[run_name] = {}
            if entry.get("run_type") == "aggregate":
                aggregates[run_name][entry.get("aggregate_name", "")] = entry
            else:
                iterations[run_name].append(entry)
    return context, [summarise(n, iterations[n], aggregates[n]) for n in order]


# ------------------------------------------------------------------------------------------
# Formatting


def fmt_sig(value: float, digits: int = 3) -> str:
    if value == 0:
        return "0"
    places = digits - 1 - int(math.floor(math.log10(abs(value))))
    if places < 0:
        value = round(value, places)  # 159,965 -> 160,000
    return f"{value:,.{max(0, places)}f}"


def fmt_time(ns: float | None) -> str:
    if ns is None:
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{fmt_sig(ns / scale)} {unit}"
    return f"{fmt_sig(ns)} ns"


def fmt_rate(value: float, binary: bool) -> str:
    base = 1024.0 if binary else 1000.0
    prefixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi"] if binary else ["", "k", "M", "G", "T", "P"]
    i = 0
    while value >= base and i < len(prefixes) - 1:
        value /= base
        i += 1
    unit = f"{prefixes[i]}B/s" if binary else f"{prefixes[i]}/s"
    return f"{fmt_sig(value)} {unit}"


def fmt_size(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "–"
    if 0 < value < 0.01:
        return f"1/{fmt_sig(1 / value)}"  # e.g. an O(1) transfer against a copy
    return f"{fmt_sig(value)}×"


def pretty_key(key: str) -> str:
    """'bytes:1048576/threads:2' -> 'bytes: 1 MiB, threads: 2'."""
    parts = []
    for part in key.split("/") if key else []:
        name, sep, value = part.partition(":")
        if sep and name == "bytes" and value.isdigit():
            value = fmt_size(int(value))
        parts.append(f"{name}: {value}" if sep else part)
    return ", ".join(parts)


def pretty_family(family: str) -> str:
    return family[3:] if family.startswith("BM_") else family


def chart_file_name(family: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", pretty_family(family))
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-") + ".svg"


def context_lines(context: dict) -> list[str]:
    lines = []
    if "date" in context:
        lines.append(f"- Date: {context['date']}")
    cpus = context.get("num_cpus")
    if cpus is not None:
        mhz = context.get("mhz_per_cpu")
        text = f"- CPUs: {cpus}" + (f" × {mhz} MHz" if mhz else "")
        if "cpu_scaling_enabled" in context:
            text += f" (frequency scaling {'on' if context['cpu_scaling_enabled'] else 'off'})"
        lines.append(text)
    caches = context.get("caches") or []
    if caches:
        parts = []
        for cache in caches:
            sharing = cache.get("num_sharing") or 0
            count = (cpus // sharing) if cpus and sharing else 1
            kind = cache.get("type", "")
            parts.append(f"L{cache.get('level', '?')} {kind} {fmt_size(int(cache.get('size', 0)))}"
                         + (f" ×{count}" if count > 1 else ""))
        lines.append("- Caches: " + ", ".join(parts))
    if context.get("load_avg"):
        lines.append("- Load average at start: "
                     + ", ".join(f"{x:.2f}" for x in context["load_avg"]))
    if "library_build_type" in context:
        lines.append(f"- Google Benchmark library build: {context['library_build_type']}")
    return lines


# ------------------------------------------------------------------------------------------
# Baselines


def parse_family_options(specs: list[str], defaults: dict, option: str, split: bool) -> dict:
    result = dict(defaults)
    for spec in specs:
        family, sep, value = spec.partition("=")
        if not sep or not family:
            raise SystemExit(f"{option} wants FAMILY=VALUE, got {spec!r}")
        result[family] = [v for v in value.split(",") if v] if split else (value or "time")
    return result


def for_family(family: str, table: dict, default):
    """The value of the most specific matching pattern: an exact name, then the longest glob."""
    candidates = []
    for pattern, value in table.items():
        for name in (family, pretty_family(family)):
            if fnmatch.fnmatchcase(name, pattern):
                exact = not any(c in pattern for c in "*?[")
                candidates.append((exact, len(pattern), value))
                break
    if not candidates:
        return default
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def metric_of(run: Run, metric: str) -> tuple[float | None, float | None, float | None]:
    """(median, min, max) of the compared quantity: the time per op, or a user counter."""
    if metric == "time":
        return run.time_ns, run.min_ns, run.max_ns
    return run.counters.get(metric), run.counters_min.get(metric), run.counters_max.get(metric)


def ratio(run: Run | None, base: Run | None, metric: str) -> float | None:
    if run is None or base is None or run.error or base.error:
        return None
    mine, theirs = metric_of(run, metric)[0], metric_of(base, metric)[0]
    if mine is None or not theirs:
        return None
    return mine / theirs


# ------------------------------------------------------------------------------------------
# Markdown


def family_table(runs: list[Run], baselines: list[str], focus: list[str],
                 metric: str) -> list[str]:
    keys = list(dict.fromkeys(r.key for r in runs))
    variants = list(dict.fromkeys(r.variant for r in runs))
    baselines = [b for b in baselines if b in variants]
    by = {(r.key, r.variant): r for r in runs}
    show_key = any(keys)
    show_range = any(r.min_ns is not None for r in runs)
    show_items = any(r.items_per_second for r in runs)
    show_bytes = any(r.bytes_per_second for r in runs)
    counter_names = list(dict.fromkeys(c for r in runs for c in r.counters))
    show_label = any(r.label for r in runs)

    header = ["Variant"] + (["Arguments"] if show_key else []) + ["Time/op"]
    header += ["Range (min–max)"] if show_range else []
    header += ["Items/s"] if show_items else []
    header += ["Bytes/s"] if show_bytes else []
    header += counter_names
    of = "" if metric == "time" else f" ({metric})"
    header += [f"vs {b}{of}" for b in baselines]
    header += ["Label"] if show_label else []
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + (["---"] if show_key else []) +
                            ["---:"] * (len(header) - 1 - show_key - show_label) +
                            (["---"] if show_label else [])) + "|"]
    for key in keys:
        for variant in variants:
            run = by.get((key, variant))
            if run is None:
                continue
            name = f"**{variant}**" if variant in focus else (variant or run.run_name)
            row = [name] + ([pretty_key(key) or "–"] if show_key else [])
            if run.error:
                row.append(f"error: {run.error}")
                row += [""] * (len(header) - len(row))
                lines.append("| " + " | ".join(row) + " |")
                continue
            row.append(fmt_time(run.time_ns))
            if show_range:
                row.append(f"{fmt_time(run.min_ns)} – {fmt_time(run.max_ns)}"
                           if run.min_ns is not None else "–")
            if show_items:
                row.append(fmt_rate(run.items_per_second, False) if run.items_per_second else "–")
            if show_bytes:
                row.append(fmt_rate(run.bytes_per_second, True) if run.bytes_per_second else "–")
            for c in counter_names:
                row.append(fmt_sig(run.counters[c]) if c in run.counters else "–")
            for b in baselines:
                row.append(fmt_ratio(ratio(run, by.get((key, b)), metric)))
            if show_label:
                row.append(run.label)
            lines.append("| " + " | ".join(row) + " |")

    # One line per focus variant against each baseline (families without arguments only: with
    # arguments the table's ratio columns say it already).
    summary = []
    for key in keys if len(keys) == 1 else []:
        for variant in variants:
            if variant not in focus:
                continue
            parts = []
            for b in baselines:
                r = ratio(by.get((key, variant)), by.get((key, b)), metric)
                if b != variant and r is not None:
                    what = "the time" if metric == "time" else f"the {metric}"
                    parts.append(f"{fmt_ratio(r)} {what} of {b}")
            if parts:
                where = f" ({pretty_key(key)})" if key else ""
                summary.append(f"- {variant}{where}: " + ", ".join(parts))
    if summary:
        lines += [""] + summary
    return lines


def markdown(context: dict, runs: list[Run], baseline_table: dict, metric_table: dict,
             focus: list[str], title: str, level: int, charts: dict[str, str]) -> str:
    h = "#" * level
    out = [f"{h} {title}", ""]
    out += context_lines(context)
    reps = sorted({r.repetitions for r in runs if not r.error})
    if reps and reps != [1]:
        out.append(f"- Figures: median of {'/'.join(map(str, reps))} repetitions, real time")
    else:
        out.append("- Figures: one run each, real time")
    out.append("- Ratios: time(variant) / time(baseline) at the same arguments; below 1× is "
               "faster, 1/N is N times faster")
    out.append("")
    families = list(dict.fromkeys(r.family for r in runs))
    for family in families:
        members = [r for r in runs if r.family == family]
        out += [f"{h}# {pretty_family(family)}", ""]
        out += family_table(members, for_family(family, baseline_table, []), focus,
                            for_family(family, metric_table, "time"))
        out.append("")
        if family in charts:
            out += [f"![{pretty_family(family)}]({charts[family]})", ""]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------------------------
# SVG

PALETTE = {"focus": "#d9480f", "baseline": "#1c7ed6", "other": "#868e96"}


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [math.ceil(low / step) * step]
    while ticks[-1] < high * (1 - 1e-9):  # the last tick reaches `high`
        ticks.append(ticks[-1] + step)
    return ticks


def svg_chart(family: str, runs: list[Run], baselines: list[str], focus: list[str],
              metric: str) -> str:
    rows = [r for r in runs if not r.error and metric_of(r, metric)[0] is not None]
    keys = list(dict.fromkeys(r.key for r in rows))
    variants = list(dict.fromkeys(r.variant for r in rows))
    by = {(r.key, r.variant): r for r in rows}
    values = [v for r in rows for v in metric_of(r, metric) if v is not None]
    if not values or max(values) <= 0:
        return ""
    fmt = fmt_time if metric == "time" else (lambda v: f"{fmt_sig(v)}")
    vmin, vmax = min(values), max(values)
    log = vmin > 0 and vmax / vmin > 100
    if log:
        low = 10 ** math.floor(math.log10(vmin))
        high = 10 ** math.ceil(math.log10(vmax))
        ticks = []
        t = low
        while t <= high * (1 + 1e-9):
            ticks.append(t)
            t *= 10
    else:
        low = 0.0
        ticks = nice_ticks(0.0, vmax)
        high = ticks[-1]

    def x_of(v: float) -> float:
        if log:
            share = (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low))
        else:
            share = (v - low) / (high - low)
        return label_w + share * plot_w

    char_w, row_h, bar_h = 7.2, 22, 14
    label_w = int(max(len(v) for v in variants) * char_w) + 24
    plot_w, value_w = 460, 90
    width = label_w + plot_w + value_w + 20
    top = 44
    body: list[str] = []
    y = top
    for key in keys:
        if len(keys) > 1 or key:
            body.append(f'<text x="8" y="{y + 14}" font-weight="bold">'
                        f'{escape(pretty_key(key))}</text>')
            y += row_h
        for variant in variants:
            run = by.get((key, variant))
            if run is None:
                continue
            value, lo, hi = metric_of(run, metric)
            color = (PALETTE["focus"] if variant in focus else
                     PALETTE["baseline"] if variant in baselines else PALETTE["other"])
            w = max(1.0, x_of(value) - label_w) if value > 0 else 1.0
            cy = y + row_h / 2
            body.append(f'<text x="{label_w - 8}" y="{cy + 4:.1f}" text-anchor="end">'
                        f'{escape(variant)}</text>')
            body.append(f'<rect x="{label_w}" y="{cy - bar_h / 2:.1f}" width="{w:.1f}" '
                        f'height="{bar_h}" fill="{color}"><title>{escape(run.run_name)}: '
                        f'{escape(fmt(value))}</title></rect>')
            end = label_w + w
            if lo is not None and hi is not None and (lo > 0 or not log):
                a, b = x_of(lo), x_of(hi)
                body.append(f'<line x1="{a:.1f}" y1="{cy:.1f}" x2="{b:.1f}" y2="{cy:.1f}" '
                            f'stroke="#212529" stroke-width="1.2"/>')
                for xx in (a, b):
                    body.append(f'<line x1="{xx:.1f}" y1="{cy - 4:.1f}" x2="{xx:.1f}" '
                                f'y2="{cy + 4:.1f}" stroke="#212529" stroke-width="1.2"/>')
                end = max(end, b)
            body.append(f'<text x="{end + 6:.1f}" y="{cy + 4:.1f}">{escape(fmt(value))}</text>')
            y += row_h
    bottom = y + 8
    axis: list[str] = []
    for t in ticks:
        x = x_of(t)
        axis.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" '
                    f'stroke="#dee2e6"/>')
        axis.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" '
                    f'fill="#495057">{escape(fmt(t) if t else "0")}</text>')
    height = bottom + 44
    what = "time per operation" if metric == "time" else metric
    legend = (f'<text x="{label_w}" y="{height - 10}" fill="#495057">{escape(what)} '
              f'(median; whiskers min–max), {"log" if log else "linear"} scale; '
              f'<tspan fill="{PALETTE["focus"]}">■ bobbin</tspan> '
              f'<tspan fill="{PALETTE["baseline"]}">■ baseline</tspan></text>')
    title = (f'<text x="8" y="22" font-size="15" font-weight="bold">'
             f'{escape(pretty_family(family))}</text>')
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        title, *axis,
        f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{bottom}" stroke="#495057"/>',
        *body, legend, "</svg>", ""])


# ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", nargs="+", help="Google Benchmark JSON files ('-' for stdin)")
    parser.add_argument("-o", "--output", help="write the Markdown here (default: stdout)")
    parser.add_argument("--charts", metavar="DIR", help="write one SVG chart per family here")
    parser.add_argument("--baseline", action="append", default=[], metavar="FAMILY=V1[,V2]",
                        help="baseline variants for a family (glob allowed); repeatable")
    parser.add_argument("--metric", action="append", default=[], metavar="FAMILY=COUNTER",
                        help="compare and chart a family on a user counter instead of the "
                             "time per op ('time'); repeatable")
    parser.add_argument("--focus", default=DEFAULT_FOCUS, metavar="V1[,V2]",
                        help=f"the library's own variants, summarised and highlighted "
                             f"(default {DEFAULT_FOCUS})")
    parser.add_argument("--title", default="Benchmarks", help="the section heading")
    parser.add_argument("--level", type=int, default=2, help="heading level of the section (2)")
    args = parser.parse_args(argv)

    context, runs = load(args.json)
    if not runs:
        print("report.py: no benchmarks in the input", file=sys.stderr)
        return 1
    table = parse_family_options(args.baseline, DEFAULT_BASELINES, "--baseline", True)
    metrics = parse_family_options(args.metric, DEFAULT_METRICS, "--metric", False)
    focus = [v for v in args.focus.split(",") if v]

    charts: dict[str, str] = {}
    if args.charts:
        os.makedirs(args.charts, exist_ok=True)
        md_dir = os.path.dirname(os.path.abspath(args.output)) if args.output else os.getcwd()
        for family in dict.fromkeys(r.family for r in runs):
            members = [r for r in runs if r.family == family]
            svg = svg_chart(family, members, for_family(family, table, []), focus,
                            for_family(family, metrics, "time"))
            if not svg:
                continue
            path = os.path.join(args.charts, chart_file_name(family))
            with open(path, "w", encoding="utf-8") as f:
                f.write(svg)
            charts[family] = os.path.relpath(path, md_dir).replace(os.sep, "/")

    text = markdown(context, runs, table, metrics, focus, args.title, args.level, charts)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
