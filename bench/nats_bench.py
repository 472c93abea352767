#!/usr/bin/env python3
"""NATS against the other transports, in one run on one machine: the
one-way hop (round trip / 2) of an event line over a pipe, a ZeroMQ ipc
socket, core NATS and JetStream (the last two through OptiTrade's nats://
endpoints), and the events/s of publishing the generated capture's events
into a JetStream stream through the nats:// output next to a bare nats.c
asynchronous publisher of the same bytes (the limit). A private
nats-server (JetStream, file storage in a temporary directory) on a free
port.

usage: python3 bench/nats_bench.py [--count N] [--events N]
(needs a Release build in build/ and Debian's nats-server)"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-depth-capture")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from natsd import Server  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20000, help="round trips per transport")
    ap.add_argument("--events", type=int, default=200000, help="events published")
    a = ap.parse_args()
    big = os.path.join(ROOT, "bench", "data", "big-200000.raw")
    if not os.path.exists(big):
        os.makedirs(os.path.dirname(big), exist_ok=True)
        subprocess.run(f"python3 {GEN} --messages 200000 > {big}.tmp && mv {big}.tmp {big}",
                       shell=True, check=True)
    with tempfile.TemporaryDirectory() as tmp, Server() as srv:
        events = os.path.join(tmp, "events.ndjson")
        subprocess.run(f"{BIN}/ot-feed replay {big} | head -n {a.events} > {events}",
                       shell=True, check=True)
        r = subprocess.run([os.path.join(BIN, "ot-bench-hops"), "--count", str(a.count),
                            "--nats", f"nats://{srv.url}", "--js-events", events],
                           capture_output=True, text=True, check=True)
        print(r.stdout, end="")


if __name__ == "__main__":
    main()
