"""Shared helpers for the end-to-end tests: paths, running the real binaries,
and an independent Python model of each venue's documented book rules."""
import json
import os
import random
import socket
import subprocess
import sys
import zlib
from decimal import Decimal

BIN = os.environ.get("OT_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
DATA = os.environ.get("OT_DATA", os.path.join(os.path.dirname(__file__), "../data"))

CAPTURES = {
    "binance": "binance-spot.raw",
    "binance-futures": "binance-futures.raw",
    "okx": "okx.raw",
    "deribit": "deribit.raw",
}

failures = []
passed = []


_given = set()


def free_port():
    """A loopback port nothing listens on, below the kernel's ephemeral range
    (32768 and up): a port from that range can be taken by any outgoing
    connection between this check and the server's bind, and a cluster
    needs nine of them. Never the same port twice in a run."""
    for _ in range(1000):
        port = random.randint(20000, 32000)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError("no free port")


def check(cond, what):
    if cond:
        print(f"ok: {what}")
        passed.append(what)
    else:
        print(f"FAIL: {what}")
        failures.append(what)


def finish():
    print(f"{len(passed)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def tool(name):
    return os.path.join(BIN, name)


def run(args, stdin=None, timeout=120):
    return subprocess.run(args, input=stdin, capture_output=True, timeout=timeout)


def start_sim(venue, capture, args, tmp, stdout=subprocess.DEVNULL):
    """Starts ot-sim on a free port; returns (process, port)."""
    import tempfile
    import time
    port_file = tempfile.mktemp(prefix="port-", dir=tmp)
    sim = subprocess.Popen([tool("ot-sim"), "--venue", venue, "--data", capture,
                            "--port-file", port_file] + list(args),
                           stdout=stdout, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while not os.path.exists(port_file) and time.time() < deadline:
        time.sleep(0.02)
    return sim, open(port_file).read().strip()


def skippable_delta(venue, path):
    """1-based timeline index of a book delta (not a snapshot) past the middle
    of the capture whose symbol has later deltas, so that skipping it is
    detectable from the data."""
    deltas = []  # (index, symbol)
    for i, (_, frame) in enumerate(frames(path), start=1):
        msg = json.loads(frame)
        if venue.startswith("binance"):
            if "@depth@" in msg.get("stream", ""):
                deltas.append((i, msg["data"]["s"]))
        elif venue == "okx":
            if msg.get("action") == "update":
                deltas.append((i, msg["arg"]["instId"]))
        elif msg.get("params", {}).get("data", {}).get("type") == "change":
            deltas.append((i, msg["params"]["data"]["instrument_name"]))
    for k in range(len(deltas) // 2, len(deltas)):
        index, symbol = deltas[k]
        if any(s == symbol for _, s in deltas[k + 1:]):
            return index
    raise AssertionError("no skippable delta")


def frames(path):
    """(recv stamp, frame text) for each non-empty capture line."""
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode().rstrip("\n")
            if line:
                yield line[:28], line[29:]


class Book:
    def __init__(self):
        self.bids = {}
        self.asks = {}

    def apply(self, side, levels):
        book = self.bids if side == "bid" else self.asks
        for price, qty in levels:
            p = Decimal(str(price))
            if Decimal(str(qty)) == 0:
                book.pop(p, None)
            else:
                book[p] = (str(price), str(qty))

    def top(self, side, n):
        book = self.bids if side == "bid" else self.asks
        keys = sorted(book, reverse=(side == "bid"))[:n]
        return [book[k] for k in keys]

    def normalized(self):
        """Levels by value, for comparison whatever the text form."""
        return (sorted((p, Decimal(q)) for p, (_, q) in self.bids.items()),
                sorted((p, Decimal(q)) for p, (_, q) in self.asks.items()))


def okx_checksum(book):
    bids, asks = book.top("bid", 25), book.top("ask", 25)
    parts = []
    for i in range(25):
        if i < len(bids):
            parts += [bids[i][0], bids[i][1]]
        if i < len(asks):
            parts += [asks[i][0], asks[i][1]]
    crc = zlib.crc32(":".join(parts).encode()) & 0xFFFFFFFF
    return crc - (1 << 32) if crc >= (1 << 31) else crc


def binance_diff(book, last, sym, d, futures):
    """Applies one diff by Binance's documented sync rules; returns 1 on a gap.
    last[sym] is the snapshot id until the first diff is applied, then
    last[sym + "/u"] holds the previous diff's u."""
    snap = last[sym]
    prev = last.get(sym + "/u")
    if prev is None:  # first diff after the snapshot
        if (d["u"] < snap) if futures else (d["u"] <= snap):
            return 0  # older than the snapshot: drop
        ok = d["U"] <= snap <= d["u"] if futures else d["U"] <= snap + 1 <= d["u"]
    else:
        ok = d["pu"] == prev if futures else d["U"] == prev + 1
    book.apply("bid", d["b"])
    book.apply("ask", d["a"])
    last[sym + "/u"] = d["u"]
    return 0 if ok else 1


def model(venue, path):
    """Replays a capture with the venue's documented rules. Returns
    (books by symbol, gaps, checksums matched, checksums failed)."""
    books, last, pending = {}, {}, {}
    gaps = ok_sums = bad_sums = 0
    futures = venue == "binance-futures"
    for _, frame in frames(path):
        msg = json.loads(frame)
        if venue.startswith("binance"):
            stream = msg.get("stream", "")
            data = msg.get("data", {})
            if stream.endswith("@depthSnapshot"):
                sym = stream.split("@")[0].upper()
                b = Book()
                b.apply("bid", data["bids"])
                b.apply("ask", data["asks"])
                books[sym], last[sym] = b, data["lastUpdateId"]
                queued, pending[sym] = pending.pop(sym, []), None
                for d in queued:
                    gaps += binance_diff(books[sym], last, sym, d, futures)
                continue
            if "@depth" not in stream:
                continue
            sym = data["s"]
            if sym not in books:
                pending.setdefault(sym, []).append(data)
                continue
            gaps += binance_diff(books[sym], last, sym, data, futures)
        elif venue == "okx":
            arg = msg.get("arg", {})
            if arg.get("channel") != "books" or "data" not in msg:
                continue
            sym = arg["instId"]
            for d in msg["data"]:
                if msg["action"] == "snapshot":
                    books[sym] = Book()
                elif sym not in books:
                    continue
                books[sym].apply("bid", [l[:2] for l in d["bids"]])
                books[sym].apply("ask", [l[:2] for l in d["asks"]])
                if okx_checksum(books[sym]) == d["checksum"]:
                    ok_sums += 1
                else:
                    bad_sums += 1
        elif venue == "deribit":
            params = msg.get("params", {})
            if not params.get("channel", "").startswith("book."):
                continue
            d = params["data"]
            sym = d["instrument_name"]
            if d["type"] == "snapshot":
                books[sym] = Book()
            elif sym not in books:
                continue
            elif d["prev_change_id"] != last[sym]:
                gaps += 1
            for side, key in (("bid", "bids"), ("ask", "asks")):
                books[sym].apply(side, [(lv[1], 0 if lv[0] == "delete" else lv[2]) for lv in d[key]])
            last[sym] = d["change_id"]
    return books, gaps, ok_sums, bad_sums


def final_books_from_events(text):
    """Final books from ot-book --emit book output: symbol -> Book."""
    out = {}
    for line in text.splitlines():
        ev = json.loads(line)
        if ev["type"] != "book":
            continue
        b = Book()
        b.apply("bid", ev["bids"])
        b.apply("ask", ev["asks"])
        out[ev["symbol"]] = b
    return out


# Levels a venue's book snapshot carries at most (Binance's REST depth with
# limit=1000, OKX's 400-level books channel); Deribit's are whole books.
SNAPSHOT_DEPTH = {"binance": 1000, "binance-futures": 1000, "okx": 400}


def within_snapshots(venue, live_events, books, every=False):
    """The books cut to the prices the live run's last snapshot of each
    symbol covers (every=True: that every snapshot covers, for a stream
    merged from several handlers). A snapshot that fills its venue's depth
    leaves out the levels behind its last one; diffs then add such levels
    only as they change, so a book resynced from one is exact up to that
    boundary (and the replay's, built from the capture's own snapshots, may
    know more)."""
    limit = SNAPSHOT_DEPTH.get(venue)
    snaps = {}
    for e in live_events:
        if e["type"] == "book" and e.get("snapshot"):
            snaps.setdefault(e["symbol"], []).append(e)
    out = {}
    for sym, (bids, asks) in books.items():
        chosen = snaps.get(sym, []) if every else snaps.get(sym, [])[-1:]
        for snap in chosen if limit else []:
            if len(snap["bids"]) >= limit:
                floor = min(Decimal(p) for p, _ in snap["bids"])
                bids = [(p, q) for p, q in bids if p >= floor]
            if len(snap["asks"]) >= limit:
                cap = max(Decimal(p) for p, _ in snap["asks"])
                asks = [(p, q) for p, q in asks if p <= cap]
        out[sym] = (bids, asks)
    return out


def events(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def exec_events(out):
    """The exec events of a program's output."""
    return [json.loads(l) for l in out.decode().splitlines() if l.startswith('{"type":"exec"')]


def status_events(out):
    """The status events of a program's output."""
    return [json.loads(l) for l in out.decode().splitlines() if l.startswith('{"type":"status"')]


def feed_slowly(proc, groups, pause=0.4, timeout=60):
    """Writes groups of lines to a process's stdin with pauses between them
    (so acks arrive before amends), then waits for it."""
    import time
    for g in groups:
        for l in g:
            proc.stdin.write((l + "\n").encode())
        proc.stdin.flush()
        time.sleep(pause)
    return proc.communicate(timeout=timeout)


def check_journal_restart(exec_proc, journal, lines, cancel_id, first_n=4):
    """Sends the first orders to ot-exec (started by exec_proc(extra)), kills
    it with SIGKILL, restarts it on the same journal with every order plus a
    cancel of `cancel_id`, and checks that every order was acknowledged
    exactly once, nothing was sent twice and the old order is still working."""
    import signal
    import time
    first = exec_proc(extra=["--journal", journal])
    for l in lines[:first_n]:
        first.stdin.write((l + "\n").encode())
        first.stdin.flush()
        time.sleep(0.1)
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)
    out1, _ = first.communicate(timeout=20)
    second = exec_proc(extra=["--journal", journal])
    out2, _ = feed_slowly(second, [lines + [json.dumps({"type": "cancel", "id": cancel_id})]],
                          pause=1.0)
    acks, restated = {}, set()
    for e in exec_events(out1) + exec_events(out2):
        if "already used" in e.get("reason", ""):
            restated.add(e["id"])  # re-sent: answered with its state, not sent
        elif e["status"] == "new":
            acks[e["id"]] = acks.get(e["id"], 0) + 1
    ids = [json.loads(l)["id"] for l in lines]
    check(all(acks.get(i) == 1 for i in ids), f"restart: every order acknowledged exactly once ({acks})")
    journaled = {e["id"] for e in exec_events(out1)}
    check(journaled and journaled <= restated,
          f"restart: each re-sent order is answered with its state ({sorted(restated)})")
    check(not [e for e in exec_events(out2) if e["status"] == "rejected"],
          "restart: nothing rejected (no duplicate sent)")
    check(any(e["id"] == cancel_id and e["status"] == "canceled" for e in exec_events(out2)),
          "restart: an order from before the crash is still cancelable")
