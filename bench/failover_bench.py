#!/usr/bin/env python3
"""Failover of redundant feed handlers: two `ot-feed live` handlers for the
same symbols against one ot-sim (the bundled Binance USD-M capture, real
time) publish into one JetStream stream on a private nats-server; a
consumer (ot-book) prints each update; the capture lasts 30 s, so three
kills by default. One handler is killed with kill -9,
restarted a few seconds later, then the other, in turn. For each kill: the
pause, from the kill to the consumer's next update, next to the updates'
own spacing just before the kill (median and longest inter-arrival over
the 5 s before it: the surviving handler's frame interval, the limit),
and the delay the kill added: the wall time between the last update
before the kill and the first after it, less the venue time between the
two (the capture's own pause), next to the same difference for
consecutive updates in the 5 s before (their jitter).

usage: python3 bench/failover_bench.py [--kills N]
(needs a Release build in build/ and Debian's nats-server)"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from natsd import Server  # noqa: E402

CAPTURE = os.path.join(ROOT, "tests", "data", "binance-futures.raw")
SYMBOLS = "SUSHIUSDT,AKROUSDT,CTKUSDT,KEEPUSDT"


def start_sim(tmp):
    port_file = os.path.join(tmp, "port")
    sim = subprocess.Popen([os.path.join(BIN, "ot-sim"), "--venue", "binance-futures", "--data",
                            CAPTURE, "--speed", "1", "--port-file", port_file],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        if sim.poll() is not None:
            sys.exit("ot-sim did not start")
        time.sleep(0.02)
    time.sleep(0.1)
    return sim, open(port_file).read().strip()


def handler(port, out):
    return subprocess.Popen([os.path.join(BIN, "ot-feed"), "live", "--venue", "binance-futures",
                             "--symbols", SYMBOLS, "--channels", "book,trade",
                             "--ws-url", f"ws://127.0.0.1:{port}",
                             "--rest-url", f"http://127.0.0.1:{port}", "--out", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds before the first kill")
    a = ap.parse_args()
    arrivals = []
    with tempfile.TemporaryDirectory() as tmp, Server() as srv:
        sim, port = start_sim(tmp)
        out = f"nats://{srv.url}/md?js=MD"
        handlers = [handler(port, out), None]
        time.sleep(1.0)
        handlers[1] = handler(port, out)
        consumer = subprocess.Popen([os.path.join(BIN, "ot-book"), "--in", f"nats://{srv.url}/md.>?js=MD",
                                     "--emit", "bbo"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)

        def read():
            for line in consumer.stdout:
                if line.startswith(b'{"type":"bbo"'):  # ot-book's, on the venue's clock
                    t = time.monotonic()
                    try:
                        ts = json.loads(line).get("ts", 0)
                    except ValueError:
                        continue
                    arrivals.append((t, ts / 1e9))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(a.warmup)
        rows = []
        for k in range(a.kills):
            victim = k % 2
            kill_at = time.monotonic()
            handlers[victim].send_signal(signal.SIGKILL)
            handlers[victim].wait()
            time.sleep(2.5)
            after = [x for x in arrivals if x[0] > kill_at]
            before = [x for x in arrivals if kill_at - 5.0 <= x[0] <= kill_at]
            gaps = [y[0] - x[0] for x, y in zip(before, before[1:])]
            # Wall time between two updates less the venue time between them.
            added = [(y[0] - x[0]) - (y[1] - x[1]) for x, y in zip(before, before[1:])]
            pause = (after[0][0] - kill_at) if after else float("nan")
            extra = ((after[0][0] - before[-1][0]) - (after[0][1] - before[-1][1])
                     if after and before else float("nan"))
            rows.append((k + 1, "A" if victim == 0 else "B", pause * 1e3,
                         statistics.median(gaps) * 1e3 if gaps else float("nan"),
                         max(gaps) * 1e3 if gaps else float("nan"), len(before), extra * 1e3,
                         max(added) * 1e3 if added else float("nan")))
            handlers[victim] = handler(port, out)
            time.sleep(3.0)
        for h in handlers:
            h.send_signal(signal.SIGKILL)
            h.wait()
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
        sim.terminate()
        sim.wait()
    print("| kill | handler | pause to the next update | inter-arrival p50 / longest before "
          "(limit) | delay the kill added | largest such delay in the 5 s before | within |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for k, who, pause, p50, longest, n, extra, jitter in rows:
        print(f"| {k} | {who} | {pause:.1f} ms | {p50:.1f} / {longest:.1f} ms ({n} updates) | "
              f"{extra:.1f} ms | {jitter:.1f} ms | {'yes' if pause <= longest else 'no'} |")

if __name__ == "__main__":
    main()
