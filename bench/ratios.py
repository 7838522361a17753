#!/usr/bin/env python3
"""The issue-7 targets from a softcheck_bench JSON file.

  softcheck_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_out=bench.json --benchmark_out_format=json
  bench/ratios.py bench.json [--impl highway,highway@batch]

--impl takes a comma-separated list; each case gets a row per listed
implementation present in it (attention has no "@batch" entries). Uses the
medians (the *_median aggregates; plain runs if there are none), all
from the one run in the file. Speed is items (softmax elements) per second or
FLOP/s; a ratio > 1 means `impl` is faster. Prints a Markdown table.
"""
import json
import re
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = data["benchmarks"]
    have_median = any(r.get("aggregate_name") == "median" for r in runs)
    speed = {}
    for r in runs:
        if have_median and r.get("aggregate_name") != "median":
            continue
        if not have_median and r.get("run_type") == "aggregate":
            continue
        name = r["run_name"] if "run_name" in r else r["name"]
        if "FLOP/s" in r:
            speed[name] = r["FLOP/s"]
        elif "items_per_second" in r:
            speed[name] = r["items_per_second"]
    return data.get("context", {}), speed


def case_row(kind, case, impl, row):
    peers = {k: v for k, v in row.items() if k.startswith("peer:")}
    best = max(peers, key=peers.get) if peers else None
    unit = 1e9
    ours = row[impl]
    peer_txt = f"{best} {peers[best] / unit:.3g} G/s" if best else "-"
    ratio = ours / peers[best] if best else float("nan")
    mem = row.get("memcpy")
    mem_txt = f"{mem / unit:.3g} G/s" if mem else "-"
    # memcpy moves the same bytes: its speed / ours = our time / its time.
    mem_ratio = mem / ours if mem else float("nan")
    mem_ratio_txt = f"{mem_ratio:.2f}" if mem else "-"
    n = int(re.search(r"n:(\d+)", case).group(1))
    target = ""
    if kind == "softmax_f32":
        if case.endswith("/cache") and n >= 1024 and n < (1 << 20):
            target = f"impl/peer >= 2: {'met' if ratio >= 2 else 'NOT met'}"
        elif case.endswith("/cache") and n == (1 << 20):
            target = f"impl/peer >= 1.5: {'met' if ratio >= 1.5 else 'NOT met'}"
        elif case.endswith("/mem") and n <= 16384:
            target = f"time <= 1.15 memcpy: {'met' if mem_ratio <= 1.15 else 'NOT met'}"
    else:
        if case.endswith("causal:0") and n >= 2048:
            target = f"impl/peer > 1: {'met' if ratio > 1 else 'NOT met'}"
        elif case.endswith("causal:1"):
            target = f"impl/peer >= 2: {'met' if ratio >= 2 else 'NOT met'}"
    return (f"| {kind} {case} | {impl} | {ours / unit:.3g} G/s | {peer_txt} | {ratio:.2f} | "
            f"{mem_txt} | {mem_ratio_txt} | {target} |")


def main():
    args = sys.argv[1:]
    impls = ["highway", "highway@batch"]
    if "--impl" in args:
        i = args.index("--impl")
        if i + 1 >= len(args):
            sys.exit(__doc__)
        impls = [s for s in args[i + 1].split(",") if s]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    context, speed = load(args[0])
    cases = {}
    for name, s in speed.items():
        m = re.match(r"(softmax_f32|attention_f32)/([^/]+)/(.+)$", name)
        if m:
            cases.setdefault((m.group(1), m.group(3)), {})[m.group(2)] = s
    print(f"CPU: {context.get('num_cpus', '?')} x {context.get('mhz_per_cpu', '?')} MHz, "
          f"date {context.get('date', '?')}; impl = {', '.join(impls)}")
    print()
    print("| case | impl | speed | fastest peer | impl / peer | memcpy | impl time / memcpy time | target |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, case), row in sorted(cases.items()):
        for impl in impls:
            if impl in row:
                print(case_row(kind, case, impl, row))


if __name__ == "__main__":
    main()
