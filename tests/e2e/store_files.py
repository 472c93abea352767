"""ot-store with the embedded file store: events and raw frames round-trip
exactly, filters select what an independent filter selects, segments seal,
and a writer killed with SIGKILL leaves every completed record readable and
no partial one visible."""
import glob
import re
import json
import os
import signal
import subprocess
import tempfile
import time

from common import CAPTURES, DATA, check, finish, run, tool

tmp = tempfile.mkdtemp(prefix="ot-store-")


def replay(capture):
    r = run([tool("ot-feed"), "replay", os.path.join(DATA, capture)])
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines()


def time_key(line):
    ev = json.loads(line)
    return ev.get("recv", ev.get("ts", 0))


def store(args, stdin=None):
    return run([tool("ot-store")] + args, stdin=stdin)


# 1. Every capture's events into one store; reading merges them in time order.
all_lines = []
for venue, capture in CAPTURES.items():
    lines = replay(capture)
    all_lines += lines
    r = store(["write", "--dir", f"{tmp}/events"], stdin=("\n".join(lines) + "\n").encode())
    check(r.returncode == 0, f"write {capture} ({len(lines)} events): exit 0")
expected = [l for _, _, l in sorted((time_key(l), i, l) for i, l in enumerate(all_lines))]
r = store(["read", "--dir", f"{tmp}/events"])
got = r.stdout.decode().splitlines()
check(r.returncode == 0 and got == expected,
      f"read: all {len(expected)} events back, byte-exact, in time order")

# 2. Filters against an independent selection.
def select(venue=None, symbol=None, types=None, lo=None, hi=None):
    out = []
    for l in expected:
        ev = json.loads(l)
        t = time_key(l)
        if venue and ev.get("venue") != venue:
            continue
        if symbol and ev.get("symbol") != symbol:
            continue
        if types and ev["type"] not in types:
            continue
        if lo is not None and t < lo or hi is not None and t > hi:
            continue
        out.append(l)
    return out

okx_times = sorted(time_key(l) for l in expected if json.loads(l).get("venue") == "okx")
lo, hi = okx_times[len(okx_times) // 4], okx_times[3 * len(okx_times) // 4]
cases = [
    (["--venue", "okx"], select(venue="okx")),
    (["--symbol", "BTC-USDT", "--type", "trade,book"], select(symbol="BTC-USDT", types={"trade", "book"})),
    (["--venue", "okx", "--from", str(lo), "--to", str(hi)], select(venue="okx", lo=lo, hi=hi)),
    (["--type", "ticker", "--from", "2021-07-22", "--to", "2021-07-22T23:59:59Z"],
     [l for l in select(types={"ticker"}) if 1626912000e9 <= time_key(l) < 1626998400e9]),
]
for args, want in cases:
    r = store(["read", "--dir", f"{tmp}/events"] + args)
    check(r.stdout.decode().splitlines() == want and want,
          f"read {' '.join(args)}: {len(want)} events as selected independently")

# 3. ls agrees with the data.
r = store(["ls", "--dir", f"{tmp}/events", "--json"])
rows = [json.loads(l) for l in r.stdout.decode().splitlines()]
check(sum(x["records"] for x in rows) == len(expected), "ls: record counts add up")
trades = [x for x in rows if x["venue"] == "okx" and x["symbol"] == "BTC-USDT" and x["type"] == "trade"]
want = select(venue="okx", symbol="BTC-USDT", types={"trade"})
check(trades and trades[0]["records"] == len(want) and trades[0]["from"] == time_key(want[0])
      and trades[0]["to"] == time_key(want[-1]), "ls: a series' count and time range")

# 4. Raw frames: read --raw gives the capture back; ot-feed replays it.
for venue, capture in CAPTURES.items():
    path = os.path.join(DATA, capture)
    r = store(["write", "--raw", "--dir", f"{tmp}/raw"], stdin=open(path, "rb").read())
    check(r.returncode == 0, f"write --raw {capture}")
for venue, capture in CAPTURES.items():
    path = os.path.join(DATA, capture)
    r = store(["read", "--raw", "--dir", f"{tmp}/raw", "--venue", venue])
    check(r.stdout == open(path, "rb").read(), f"read --raw --venue {venue}: the capture, byte-exact")
    p = subprocess.run(f"'{tool('ot-store')}' read --raw --dir '{tmp}/raw' --venue {venue} | "
                       f"'{tool('ot-feed')}' replay -", shell=True, capture_output=True)
    check(p.stdout.decode().splitlines() == replay(capture),
          f"ot-store read --raw | ot-feed replay - = ot-feed replay {capture}")
r = store(["read", "--raw", "--dir", f"{tmp}/raw"])
check(r.returncode == 2 and b"choose with --venue" in r.stderr, "read --raw over several venues: usage error")

# 5. Segments seal past --segment-mb and read back across sealed and open ones.
okx = replay("okx.raw")
# Twelve copies, each later in time (a series is written in time order).
many = [re.sub(r'"recv":(\d+)', lambda m: f'"recv":{int(m.group(1)) + k * 20_000_000_000}', l)
        for k in range(12) for l in okx]
r = store(["write", "--dir", f"{tmp}/seg", "--segment-mb", "1"], stdin=("\n".join(many) + "\n").encode())
segs = glob.glob(f"{tmp}/seg/okx/BTC-USDT/*/book/*.zst")
check(r.returncode == 0 and len(segs) >= 2, f"segments sealed at 1 MiB ({len(segs)} for one series)")
want = [l for _, _, l in sorted((time_key(l), i, l) for i, l in enumerate(many))]
check(store(["read", "--dir", f"{tmp}/seg"]).stdout.decode().splitlines() == want,
      "read across several sealed segments: every record once, in order")

# 6. kill -9: completed records stay, torn ones never show.
d = f"{tmp}/kill"
w = subprocess.Popen([tool("ot-store"), "write", "--dir", d], stdin=subprocess.PIPE,
                     stderr=subprocess.PIPE)
first = okx[:200]
for i in range(0, len(first), 50):
    w.stdin.write(("\n".join(first[i:i + 50]) + "\n").encode())
    w.stdin.flush()
    time.sleep(0.3)
# Half a record in flight when the writer dies.
w.stdin.write(okx[200][:40].encode())
w.stdin.flush()
time.sleep(0.3)
w.send_signal(signal.SIGKILL)
w.wait()
open_segments = glob.glob(f"{d}/**/*.ndjson", recursive=True)
check(open_segments and not glob.glob(f"{d}/**/*.zst", recursive=True),
      "after kill -9 the segments are still open (never sealed)")
# A torn tail as a crash mid-write leaves it.
with open(sorted(open_segments)[0], "ab") as f:
    f.write(b"1652459225507260300 17 {\"type\":\"bo")
first_sorted = [l for _, _, l in sorted((time_key(l), i, l) for i, l in enumerate(first))]
got = store(["read", "--dir", d]).stdout.decode().splitlines()
check(got == first_sorted, f"after kill -9: all {len(first)} completed records readable, no partial one")
r = store(["write", "--dir", d], stdin=("\n".join(okx[200:]) + "\n").encode())
check(r.returncode == 0, "a new writer takes over the crashed one's directory")
got = store(["read", "--dir", d]).stdout.decode().splitlines()
whole = [l for _, _, l in sorted((time_key(l), i, l) for i, l in enumerate(okx))]
check(got == whole, "after the restart: the whole stream, the torn tail cut off")

# 6b. A crash may lose only a suffix: the writer killed at each of its
# write(2) calls in turn (fault injection, not timed kills), between the
# partitions of one flush among them, leaves a prefix of the input.
import shutil
if shutil.which("strace"):
    stream = first_sorted
    data = ("\n".join(stream) + "\n").encode()
    writes = subprocess.run(["strace", "-f", "-qq", "-e", "trace=write", "-o", f"{tmp}/writes",
                             tool("ot-store"), "write", "--dir", f"{tmp}/count"], input=data,
                            capture_output=True)
    n_writes = sum(1 for l in open(f"{tmp}/writes") if " write(" in l or l.startswith("write("))
    if writes.returncode != 0:
        print(f"strace cannot trace here ({writes.stderr.decode().strip()[:200]})")
    bad, kills = [], 0
    for n in range(1, n_writes + 1):
        d = f"{tmp}/inject{n}"
        r = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                            f"inject=write:signal=SIGKILL:when={n}", tool("ot-store"), "write",
                            "--dir", d], input=data, capture_output=True)
        kills += r.returncode != 0
        got = store(["read", "--dir", d]).stdout.decode().splitlines() if os.path.isdir(d) else []
        if got != stream[:len(got)]:
            bad.append(n)
        else:
            # The next writer takes over and the whole stream is there once.
            store(["write", "--dir", d], stdin=data[len("\n".join(got)) + (1 if got else 0):])
            if store(["read", "--dir", d]).stdout.decode().splitlines() != stream:
                bad.append(-n)
    check(n_writes >= 4 and kills == n_writes and not bad,
          f"killed at each of {n_writes} writes: what is read is a prefix of the input, and a "
          f"restart completes it (failed at {bad})")
else:
    check(False, "strace is installed (fault injection)")

# 7. One writer at a time.
w = subprocess.Popen([tool("ot-store"), "write", "--dir", d], stdin=subprocess.PIPE,
                     stderr=subprocess.PIPE)
time.sleep(0.3)
r = store(["write", "--dir", d], stdin=b"")
w.stdin.close()
w.wait()
check(r.returncode == 1 and b"in use by another writer" in r.stderr, "a second writer is refused")

# 8. Malformed lines are reported with their line number and skipped.
bad = okx[:3] + ["{not json", '{"venue":"okx"}'] + okx[3:6]
r = store(["write", "--dir", f"{tmp}/bad"], stdin=("\n".join(bad) + "\n").encode())
err = r.stderr.decode()
check(r.returncode == 0 and "<stdin>:4:" in err and "<stdin>:5:" in err,
      "malformed lines: reported with line numbers")
check(len(store(["read", "--dir", f"{tmp}/bad"]).stdout.decode().splitlines()) == 6,
      "malformed lines skipped, the rest stored")

finish()
