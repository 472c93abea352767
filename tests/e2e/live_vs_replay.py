#!/usr/bin/env python3
"""ot-feed live against ot-sim, for every venue, ends with the same books as
ot-feed replay of the same capture: on a clean run, and after a forced
disconnect plus a skipped book frame (the feed must notice the skip, resync
from a fresh snapshot and still end right); and so with both ends busy-polling."""
import json
import signal
import tempfile
import threading
import time

from common import *

SYMBOLS = {
    "binance": "NKNUSDT,BLZETH,LRCBTC,RUNEEUR",
    "binance-futures": "SUSHIUSDT,AKROUSDT,CTKUSDT,KEEPUSDT",
    "okx": "BTC-USD-220527,UNI-USD-SWAP,BTC-USDT",
    "deribit": "ETH-30JUL21-2800-C,ETH-27AUG21-4000-P,ETH-23JUL21-2300-C,BTC-31DEC21-34000-P,"
               "BTC-31DEC21-300000-C,BTC-30JUL21-24000-P,BTC-25MAR22-30000-C,"
               "BTC-24SEP21-8000-P,BTC-24SEP21-34000-P,BTC-24JUN22-15000-C",
}


def final_books(text):
    return {s: b.normalized() for s, b in final_books_from_events(text).items()}


def run_live(venue, sim_args, tmp, feed_args=()):
    path = os.path.join(DATA, CAPTURES[venue])
    sim, port = start_sim(venue, path, ["--speed", "20"] + sim_args, tmp, stdout=subprocess.PIPE)
    feed = subprocess.Popen([tool("ot-feed"), "live", "--venue", venue, "--symbols", SYMBOLS[venue],
                             "--channels", "book", "--ws-url", f"ws://127.0.0.1:{port}",
                             "--rest-url", f"http://127.0.0.1:{port}", "--stats", "--duration", "60",
                             *feed_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(feed.stdout.readline, b"")))
    reader.start()
    # Wait for the simulator to play the whole capture, then for the feed to settle.
    sim_events = []

    def follow_sim():
        for line in sim.stdout:
            sim_events.append(json.loads(line))
            if sim_events[-1].get("event") == "eof":
                return

    follower = threading.Thread(target=follow_sim, daemon=True)
    follower.start()
    follower.join(timeout=60)
    check(any(e.get("event") == "eof" for e in sim_events), f"{venue}: the simulator played the capture")
    # Then for the feed to settle: a second with no open gap and no new
    # output (a book that lost sync resyncs from a snapshot, and a slow
    # build may still be working through frames the simulator sent before
    # its end; either may take a few seconds).
    deadline = time.monotonic() + 20
    quiet_since = time.monotonic()
    seen = len(lines)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if open_gap(lines[:]) or len(lines) != seen:
            quiet_since = time.monotonic()
            seen = len(lines)
        elif time.monotonic() - quiet_since >= 1.0:
            break
    feed.send_signal(signal.SIGTERM)
    feed.wait(timeout=20)
    reader.join()
    err = feed.stderr.read().decode()
    sim.terminate()
    sim.wait(timeout=20)
    return feed.returncode, b"".join(lines).decode(), err


def open_gap(lines):
    """Whether some book's last integrity status so far is a loss of sync."""
    last = {}
    for raw in lines:
        if b'"status"' not in raw:
            continue
        e = json.loads(raw)
        if e.get("type") == "status" and e.get("event") in ("gap", "checksum_mismatch", "resync"):
            last[e.get("symbol")] = e["event"]
    return any(v != "resync" for v in last.values())


with tempfile.TemporaryDirectory() as tmp:
    for venue, name in CAPTURES.items():
        path = os.path.join(DATA, name)
        replay = run([tool("ot-feed"), "replay", path])
        expected = final_books(run([tool("ot-book"), "--emit", "book"], stdin=replay.stdout).stdout.decode())

        record = os.path.join(tmp, f"{venue}.raw.zst")
        rc, out, err = run_live(venue, [], tmp, ["--record", record])
        check(rc == 0, f"{venue}: live exits 0 on SIGTERM")
        got = final_books(run([tool("ot-book"), "--emit", "book"], stdin=out.encode()).stdout.decode())
        check(within_snapshots(venue, events(out), got) == within_snapshots(venue, events(out), expected),
              f"{venue}: clean live run ends with the replay's books ({len(got)} books)")
        # What live recorded replays to the same books (REST snapshots included).
        again = run([tool("ot-feed"), "replay", "--venue", venue, record])
        check(again.returncode == 0, f"{venue}: the recording replays")
        got = final_books(run([tool("ot-book"), "--emit", "book"], stdin=again.stdout).stdout.decode())
        check(got == expected, f"{venue}: --record then replay gives the same books")
        statuses = [e for e in events(out) if e["type"] == "status"]
        check([s["event"] for s in statuses][:1] == ["connected"], f"{venue}: a connected status first")

        skip = skippable_delta(venue, path)
        rc, out, err = run_live(venue, ["--drop-after", "25", "--skip", str(skip)], tmp)
        evs = events(out)
        kinds = [e["event"] for e in evs if e["type"] == "status"]
        check(rc == 0, f"{venue}: faulty run exits 0")
        check(kinds.count("connected") >= 2 and "disconnected" in kinds,
              f"{venue}: reconnects after the forced disconnect ({kinds.count('connected')} connects)")
        check("gap" in kinds or "checksum_mismatch" in kinds,
              f"{venue}: skipped frame {skip} detected ({[k for k in kinds if k not in ('connected', 'disconnected')][:4]})")
        check("resync" in kinds, f"{venue}: resyncs from a fresh snapshot")
        got = final_books(run([tool("ot-book"), "--emit", "book", "--strict"], stdin=out.encode()).stdout.decode())
        got = within_snapshots(venue, evs, got)
        want = within_snapshots(venue, evs, expected)
        differ = sorted(s for s in set(got) | set(want) if got.get(s) != want.get(s))
        check(got == want, f"{venue}: after disconnect and skip, the final books equal the replay's"
              " (up to the depth the last snapshots cover)"
              + (f" (differ: {differ[:5]}; statuses {kinds[-8:]})" if differ else ""))
        if venue.startswith("binance"):
            check("snapshots=" in err and "snapshots=0" not in err,
                  f"{venue}: REST depth snapshots were fetched from the simulator")

    # Both ends spinning (--busy-poll): the same books through a forced
    # disconnect and a skipped frame.
    for venue in ("okx", "binance-futures"):
        path = os.path.join(DATA, CAPTURES[venue])
        expected = final_books(run([tool("ot-book"), "--emit", "book"],
                                   stdin=run([tool("ot-feed"), "replay", path]).stdout).stdout.decode())
        skip = skippable_delta(venue, path)
        rc, out, err = run_live(venue, ["--busy-poll", "--drop-after", "25", "--skip", str(skip)], tmp,
                                ["--busy-poll"])
        evs = events(out)
        kinds = [e["event"] for e in evs if e["type"] == "status"]
        got = within_snapshots(venue, evs, final_books(
            run([tool("ot-book"), "--emit", "book", "--strict"], stdin=out.encode()).stdout.decode()))
        check(rc == 0 and "resync" in kinds and kinds.count("connected") >= 2
              and got == within_snapshots(venue, evs, expected),
              f"{venue} --busy-poll: reconnects, resyncs and ends with the replay's books ({rc}) {err[-200:]}")

finish()
