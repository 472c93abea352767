#!/usr/bin/env python3
"""Bad input is reported with its line number, counted and skipped; good
input around it still comes out; nothing crashes; exit status 0 (1 with
--strict), 2 for usage errors."""
import random
import tempfile

from common import *

GOOD = open(os.path.join(DATA, "binance-spot.raw")).read().splitlines()[:6]
BAD = [
    "2021-10-12T00:28:33.0000000Z {\"stream\":\"nknusdt@depth@100ms\",\"data\":{\"e\":\"depthUpd",  # truncated
    "2021-10-12T00:28:33.1000000Z {\"stream\":\"nknusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"s\":\"NKNUSDT\",\"U\":\"x\",\"u\":1,\"b\":[],\"a\":[]}}",  # wrong type
    "2021-10-12T00:28:33.2000000Z {\"hello\":\"world\"}",  # unknown message
    "2021-10-12T00:28:33.3000000Z \x01\x02\x7f garbage",  # binary garbage
    "not a capture line at all",  # no timestamp
]

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "mixed.raw")
    lines = GOOD[:3] + BAD + GOOD[3:]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    clean = run([tool("ot-feed"), "replay", os.path.join(DATA, "binance-spot.raw")])
    r = run([tool("ot-feed"), "replay", path])
    err = r.stderr.decode()
    check(r.returncode == 0, "ot-feed: malformed frames do not change the exit status")
    for n in range(4, 9):
        check(f"mixed.raw:{n}:" in err, f"ot-feed: line {n} reported with its number")
    check(all(l.startswith("ot-feed: error: ") for l in err.splitlines()),
          "ot-feed: every message has the program name and level")
    good_events = [l for l in r.stdout.decode().splitlines()]
    check(len(good_events) >= 5, f"ot-feed: the good frames still produce events ({len(good_events)})")
    strict = run([tool("ot-feed"), "replay", "--strict", path])
    check(strict.returncode == 1, "ot-feed --strict: exit 1 when anything was dropped")
    check(strict.stdout == r.stdout, "ot-feed --strict: still writes every good event")

    # ot-book: malformed event lines.
    good = clean.stdout.decode().splitlines()
    book_in = good[:5] + ['{"type":"book","venue":"binance"', "\x00\x01\x02", "[1,2,3]",
                          '{"type":"book","venue":"binance","symbol":"X","bids":[["a","1"]],"asks":[],"snapshot":true}',
                          '{"no_type":1}'] + good[5:]
    b = run([tool("ot-book")], stdin=("\n".join(book_in) + "\n").encode())
    berr = b.stderr.decode()
    check(b.returncode == 0, "ot-book: malformed lines do not change the exit status")
    for n in (6, 7, 8, 10):
        check(f"<stdin>:{n}:" in berr, f"ot-book: line {n} reported with its number")
    check("<stdin>:9:" in berr and "not a decimal" in berr, "ot-book: a non-decimal level is reported")
    ref = run([tool("ot-book")], stdin=("\n".join(good) + "\n").encode())
    bbo = lambda out: [l for l in out.decode().splitlines() if '"type":"bbo"' in l]
    check(bbo(b.stdout) == bbo(ref.stdout), "ot-book: the good lines give the same bbo stream")
    check(run([tool("ot-book"), "--strict"], stdin=("\n".join(book_in) + "\n").encode()).returncode == 1,
          "ot-book --strict: exit 1")

    # Random bytes never crash either program.
    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(200000))
    junk_lines = b"\n".join(junk[i:i + 300] for i in range(0, len(junk), 300))
    for prog in (["ot-feed", "replay"], ["ot-book"]):
        r = run([tool(prog[0])] + prog[1:] + ["-q"], stdin=junk_lines)
        check(r.returncode == 0, f"{prog[0]}: 200 kB of random bytes: exit 0, no crash")

    # Usage and runtime errors.
    r = run([tool("ot-feed"), "replay", "--speed", "fast"])
    check(r.returncode == 2 and "Try 'ot-feed --help'" in r.stderr.decode(), "ot-feed: bad option value exits 2")
    r = run([tool("ot-feed"), "live", "--venue", "kraken", "--symbols", "X"])
    check(r.returncode == 2 and "unknown venue 'kraken'" in r.stderr.decode(), "ot-feed: unknown venue exits 2")
    r = run([tool("ot-feed"), "replay", os.path.join(tmp, "missing.raw")])
    check(r.returncode == 1 and "missing.raw: No such file" in r.stderr.decode(), "ot-feed: missing file exits 1")
    r = run([tool("ot-book"), "--emit", "sideways"])
    check(r.returncode == 2, "ot-book: bad --emit exits 2")
    r = run([tool("ot-sim"), "--venue", "binance"])
    check(r.returncode == 2, "ot-sim: missing --data exits 2")
    r = run([tool("ot-feed"), "live", "--venue", "okx", "--symbols", "X", "--ws-url", "ftp://x"])
    check(r.returncode == 1 and "bad WebSocket URL" in r.stderr.decode(), "ot-feed: bad URL exits 1")

    # Live: the simulator interleaves malformed frames; the feed reports,
    # skips and keeps going.
    sim, port = start_sim("okx", os.path.join(DATA, "okx.raw"),
                          ["--speed", "0", "--malformed-every", "20", "--linger", "3"], tmp)
    live = run([tool("ot-feed"), "live", "--venue", "okx", "--symbols", "BTC-USD-220527,UNI-USD-SWAP,BTC-USDT",
                "--ws-url", f"ws://127.0.0.1:{port}", "--duration", "2.5", "--stats"], timeout=30)
    sim.wait(timeout=30)
    lerr = live.stderr.decode()
    check(live.returncode == 0, "ot-feed live: exit 0 despite malformed frames")
    check("malformed frame" in lerr or "unknown" in lerr, "ot-feed live: malformed frames reported")
    check("errors=0" not in lerr, "ot-feed live: malformed frames counted")
    kinds = [e.get("event") for e in events(live.stdout.decode()) if e["type"] == "status"]
    check("checksum_mismatch" not in kinds and "gap" not in kinds, "ot-feed live: books unaffected by the junk")

finish()
