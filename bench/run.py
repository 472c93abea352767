#!/usr/bin/env python3
"""Runs every benchmark and prints the figures next to their limits, measured
in the same run, as the markdown tables of bench/RESULTS.md.

usage: python3 bench/run.py [--messages N] [--repeat R]
(needs a Release build in build/; the large capture is made once with
../shared/tools/gen-depth-capture into bench/data/)"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-depth-capture")


def sh(cmd):
    return subprocess.run(["bash", "-c", cmd], capture_output=True, check=True)


def wall(cmd, repeat):
    """Best wall time (s) of `repeat` runs of a shell pipeline."""
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        sh(cmd)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def gbench(capture, filt):
    env = dict(os.environ, OT_BENCH_CAPTURE=capture)
    out = subprocess.run([os.path.join(BIN, "ot_bench"), f"--benchmark_filter={filt}",
                          "--benchmark_format=json", "--benchmark_min_time=1"],
                         capture_output=True, env=env, check=True)
    return {b["name"]: b for b in json.loads(out.stdout)["benchmarks"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "bench", "data"), exist_ok=True)
    big = os.path.join(ROOT, "bench", "data", f"big-{a.messages}.raw")
    if not os.path.exists(big):
        sh(f"python3 {GEN} --messages {a.messages} > {big}.tmp && mv {big}.tmp {big}")
    real = os.path.join(ROOT, "tests", "data", "binance-futures.raw")
    frames = sum(1 for l in open(big) if l.strip())

    print(f"machine: {os.cpu_count()} cores; capture: {os.path.basename(big)} "
          f"({frames} frames, {os.path.getsize(big) / 1e6:.1f} MB)\n")
    print("| measurement | ns/frame | frames/s | p50 / p99 / p99.9 ns | ratio to limit |")
    print("| --- | ---: | ---: | --- | ---: |")
    for label, cap in (("generated", big), ("real Binance USD-M", real)):
        r = gbench(cap, "BareExtract|FeedNormalize")
        bare, feed = r["BM_BareExtract"], r["BM_FeedNormalize"]
        for name, b in (("bare simdjson extraction (limit)", bare), ("ot-feed normalization", feed)):
            ns = 1e9 / b["items_per_second"]
            print(f"| {name}, {label} | {ns:.0f} | {b['items_per_second'] / 1e6:.2f} M | "
                  f"{b['p50_ns']:.0f} / {b['p99_ns']:.0f} / {b['p999_ns']:.0f} | "
                  f"{bare['items_per_second'] / b['items_per_second']:.2f}x |")
    print()
    r = gbench(big, "Book")
    tick = r["BM_TickArrayBook"]
    print("| book level updates | ns/level | levels/s | ratio to limit |")
    print("| --- | ---: | ---: | ---: |")
    for name, key in (("tick-indexed flat array, pre-parsed (limit)", "BM_TickArrayBook"),
                      ("sorted flat array, pre-parsed", "BM_FlatArrayBook"),
                      ("L2Book from decimals (what ot-book and the fused chain do)",
                       "BM_BookApplyDecimal"),
                      ("L2Book from text, parsing each price and size", "BM_BookApplyText")):
        b = r[key]
        print(f"| {name} | {1e9 / b['items_per_second']:.1f} | {b['items_per_second'] / 1e6:.1f} M | "
              f"{tick['items_per_second'] / b['items_per_second']:.2f}x |")
    print()
    bare = wall(f"{BIN}/ot-bare-extract {big} > /dev/null", a.repeat)
    feed = wall(f"{BIN}/ot-feed replay {big} > /dev/null", a.repeat)
    pipe = wall(f"{BIN}/ot-feed replay {big} | {BIN}/ot-book --emit bbo > /dev/null", a.repeat)
    cat = wall(f"cat {big} > /dev/null", a.repeat)
    print(f"| whole file, best of {a.repeat} | wall s | ns/frame | ratio to bare extraction |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in (("cat file > /dev/null", cat), ("bare extraction of the file (limit)", bare),
                    ("ot-feed replay > /dev/null", feed),
                    ("ot-feed replay \\| ot-book --emit bbo > /dev/null", pipe)):
        print(f"| {name} | {t:.3f} | {t / frames * 1e9:.0f} | {t / bare:.2f}x |")
    print()
    bt_cmd = (f"{BIN}/ot-backtest --data {big} --strategy mm --param symbol=BTCUSDT "
              f"--param qty=0.001 --maker-fee 0.0002 --taker-fee 0.0004")
    bt = wall(f"{bt_cmd} > /dev/null", a.repeat)
    s = json.loads(sh(bt_cmd).stdout)
    print(f"| fused backtest, best of {a.repeat} ({s['events']} events, {s['orders']} orders, "
          f"{s['fills']} fills) | wall s | events/s | ratio to bare extraction |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in (("bare extraction of the file (limit)", bare), ("ot-feed replay > /dev/null", feed),
                    ("ot-backtest --strategy mm (book, strategy, risk, paper venue)", bt)):
        print(f"| {name} | {t:.3f} | {s['events'] / t / 1e6:.2f} M | {t / bare:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
