#!/usr/bin/env python3
"""ot-backtest wall time, best of N, for one or more builds, next to the bare
extraction of the same capture (the limit) measured in the same run:

    python3 bench/backtest_bench.py [--capture F] [--repeat 7] BIN_DIR [BIN_DIR...]

With two BIN_DIRs (a build before a change, and after) the rows compare
them. The capture defaults to bench/data/big-200000.raw (bench/run.py makes
it); the run is ot-backtest --strategy mm on BTCUSDT with fees, without and
with a 2 ms market latency."""
import argparse
import os
import subprocess
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def best(cmd, n):
    b = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        b = min(b, time.perf_counter() - t)
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", default=os.path.join(ROOT, "bench", "data", "big-200000.raw"))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("bins", nargs="+")
    a = ap.parse_args()
    bare = best([os.path.join(a.bins[-1], "ot-bare-extract"), a.capture], a.repeat)
    print(f"bare extraction (limit): {bare:.3f} s\n")
    print("| ot-backtest --strategy mm … | " + " | ".join(f"{b}, s (ratio)" for b in a.bins) + " |")
    print("| --- |" + " ---: |" * len(a.bins))
    base = ["--data", a.capture, "--strategy", "mm", "--param", "symbol=BTCUSDT",
            "--param", "qty=0.001", "--maker-fee", "0.0002", "--taker-fee", "0.0004"]
    for label, extra in (("no market latency", []), ("--market-latency 2ms", ["--market-latency", "2ms"])):
        cells = []
        for b in a.bins:
            t = best([os.path.join(b, "ot-backtest")] + base + extra, a.repeat)
            cells.append(f"{t:.3f} ({t / bare:.2f}x)")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
