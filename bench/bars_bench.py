#!/usr/bin/env python3
"""ot-bars: the cost of bars and indicators on the large generated capture,
next to `ot-feed replay` alone (the limit: ot-bars reads what it writes),
in one run. Wall time of the whole pipe, best of R, and the CPU time ot-bars
itself used (getrusage of the pipe's last process).

usage: python3 bench/bars_bench.py [--messages N] [--repeat R]
(needs a Release build in build/; the capture is made once with
../shared/tools/gen-depth-capture into bench/data/)"""
import argparse
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-depth-capture")


def timed(cmd, repeat):
    """Best wall time of `cmd` (a pipeline run by bash), and the CPU time of
    its children in that run."""
    best = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(["bash", "-c", cmd], check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "bench", "data"), exist_ok=True)
    big = os.path.join(ROOT, "bench", "data", f"big-{a.messages}.raw")
    if not os.path.exists(big):
        subprocess.run(f"python3 {GEN} --messages {a.messages} > {big}.tmp && mv {big}.tmp {big}",
                       shell=True, check=True)
    feed = f"{BIN}/ot-feed replay {big}"
    events = subprocess.run(["bash", "-c", feed], capture_output=True, check=True).stdout
    trades = events.count(b'"type":"trade"')
    lines = events.count(b"\n")
    ind = "--indicators ema:20,sma:50,rsi:14,vol:60,vwap,vwap:20"
    rows = [
        ("ot-feed replay > /dev/null (limit)", feed),
        ("ot-feed replay \\| cat (the pipe's own cost)", f"{feed} | cat"),
        (f"ot-feed replay \\| ot-bars --interval 1m {ind}", f"{feed} | {BIN}/ot-bars --interval 1m {ind}"),
        (f"ot-feed replay \\| ot-bars --interval 1s {ind} --forming",
         f"{feed} | {BIN}/ot-bars --interval 1s {ind} --forming"),
        ("ot-feed replay \\| ot-bars --kind tick --size 100 --format csv --symbol BTCUSDT",
         f"{feed} | {BIN}/ot-bars --kind tick --size 100 --format csv --symbol BTCUSDT"),
    ]
    print(f"capture: {os.path.basename(big)} ({lines} events, {trades} trades)\n")
    print(f"| best of {a.repeat} | wall s | CPU s (all processes) | ratio to ot-feed replay |")
    print("| --- | ---: | ---: | ---: |")
    limit = None
    for name, cmd in rows:
        wall, cpu = timed(cmd + " > /dev/null", a.repeat)
        limit = limit or wall
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {wall / limit:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
