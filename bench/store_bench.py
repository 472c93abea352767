#!/usr/bin/env python3
"""ot-store throughput: events/s into the file store and into PostgreSQL,
next to the limits measured in the same run: `cat` of the events into a
file, and a bare `COPY` with psql of the same events into a plain table on
the same private server.

usage: python3 bench/store_bench.py [--messages N] [--repeat R]
(needs a Release build in build/ and Debian's postgresql package)"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-depth-capture")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from pg import PrivateServer  # noqa: E402


def wall(cmd, repeat, before=None):
    best = None
    for _ in range(repeat):
        if before:
            before()
        t = time.perf_counter()
        subprocess.run(["bash", "-c", cmd], check=True, capture_output=True)
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(os.path.join(ROOT, "bench", "data"), exist_ok=True)
    big = os.path.join(ROOT, "bench", "data", f"big-{a.messages}.raw")
    if not os.path.exists(big):
        subprocess.run(f"python3 {GEN} --messages {a.messages} > {big}.tmp && mv {big}.tmp {big}",
                       shell=True, check=True)
    tmp = tempfile.mkdtemp(prefix="ot-store-bench-")
    events = os.path.join(tmp, "events.ndjson")
    subprocess.run(f"{BIN}/ot-feed replay {big} > {events}", shell=True, check=True)
    n = sum(1 for _ in open(events))
    mb = os.path.getsize(events) / 1e6
    # The same events as COPY text rows for the bare COPY.
    rows = os.path.join(tmp, "rows.tsv")
    with open(events) as src, open(rows, "w") as dst:
        for line in src:
            dst.write(line.rstrip("\n").replace("\\", "\\\\") + "\n")
    store = os.path.join(tmp, "store")
    clean = lambda: shutil.rmtree(store, ignore_errors=True)  # noqa: E731
    cat = wall(f"cat {events} > {tmp}/copy.ndjson", a.repeat)
    zstd = wall(f"zstd -3 -q -c {events} > {tmp}/copy.zst", a.repeat)
    files = wall(f"{BIN}/ot-store write --dir {store} < {events}", a.repeat, clean)
    print(f"events: {n} ({mb:.1f} MB of NDJSON) from {os.path.basename(big)}\n")
    print(f"| into | best of {a.repeat}, s | events/s | ratio to its limit |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| cat events > file (limit for files) | {cat:.3f} | {n / cat / 1e6:.2f} M | 1.00x |")
    print(f"| zstd -3 of the events (limit for compressed files) | {zstd:.3f} | "
          f"{n / zstd / 1e6:.2f} M | 1.00x |")
    print(f"| ot-store write --dir (zstd segments) | {files:.3f} | {n / files / 1e6:.2f} M | "
          f"{files / cat:.1f}x cat, {files / zstd:.2f}x zstd |")
    with PrivateServer() as pg:
        store = f"{BIN}/ot-store write --db {pg.url} --spool {tmp}/spool"
        pg.psql("CREATE TABLE bare (event text)")
        copy = wall(f"psql -X -q {pg.url} -c \"\\copy bare (event) FROM '{rows}'\"", a.repeat,
                    lambda: pg.psql("TRUNCATE bare"))
        # ot-store's own rows, as it stored them, for psql to load into the
        # same tables: the limit for this schema (typed columns, the key).
        subprocess.run(f"{store} < {events}", shell=True, check=True, capture_output=True)
        tables = [t for t in pg.psql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'ot' AND c.relkind = 'p' ORDER BY 1").split()
            if pg.psql(f'SELECT count(*) FROM ot."{t}"') != "0"]
        load = []
        for t in tables:
            f = f"{tmp}/{t}.bin"
            subprocess.run(["psql", "-X", "-q", pg.url, "-c",
                            f"\\copy (SELECT * FROM ot.\"{t}\") TO '{f}' (FORMAT binary)"], check=True)
            load.append(f"-c \"\\copy ot.\\\"{t}\\\" FROM '{f}' (FORMAT binary)\"")

        def empty():  # the same empty tables, their day's partitions there
            pg.psql("TRUNCATE " + ", ".join(f'ot."{t}"' for t in tables))
        own = wall(f"psql -X -q {pg.url} " + " ".join(load), a.repeat, empty)
        db = wall(f"{store} < {events}", a.repeat, empty)
        piped = wall(f"cat {events} | {store}", a.repeat, empty)
        print(f"| psql \\copy of the same events into one text column (limit for PostgreSQL) | "
              f"{copy:.3f} | {n / copy / 1e6:.2f} M | 1.00x |")
        print(f"| psql \\copy (binary) of ot-store's own rows into its tables (limit for the "
              f"schema) | {own:.3f} | {n / own / 1e6:.2f} M | {own / copy:.2f}x |")
        print(f"| ot-store write --db (typed columns, natural-key index) | {db:.3f} | "
              f"{n / db / 1e6:.2f} M | {db / copy:.2f}x; {db / own:.2f}x the schema's |")
        print(f"| the same through a pipe (cat events \\| ot-store write --db) | {piped:.3f} | "
              f"{n / piped / 1e6:.2f} M | {piped / copy:.2f}x; {piped / own:.2f}x the schema's |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
