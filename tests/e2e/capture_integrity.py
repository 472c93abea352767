#!/usr/bin/env python3
"""Every bundled real capture replays through ot-feed | ot-book with zero
gaps, every OKX checksum verifies, and the final books equal those of an
independent Python model of each venue's documented book rules."""
import re
from decimal import Decimal

from common import *

for venue, name in CAPTURES.items():
    path = os.path.join(DATA, name)
    books, gaps, ok_sums, bad_sums = model(venue, path)
    check(gaps == 0, f"{venue}: the independent model sees no gap")
    feed = run([tool("ot-feed"), "replay", "--stats", path])
    check(feed.returncode == 0, f"{venue}: ot-feed replay exits 0")
    stats = dict(re.findall(r"(\w+)=(\d+)", feed.stderr.decode()))
    check(stats.get("errors") == "0", f"{venue}: no malformed frames ({stats.get('errors')})")
    check(stats.get("gaps") == "0", f"{venue}: ot-feed reports no gap")
    evs = events(feed.stdout.decode())
    check(not [e for e in evs if e["type"] == "status"], f"{venue}: no status events from the feed")
    book = run([tool("ot-book"), "--emit", "book", "--emit", "bbo", "--stats", "--strict"],
               stdin=feed.stdout)
    check(book.returncode == 0, f"{venue}: ot-book --strict exits 0")
    bstats = dict(re.findall(r"(\w+)=(\d+)", book.stderr.decode()))
    check(bstats.get("gaps") == "0" and bstats.get("checksum_mismatches") == "0",
          f"{venue}: ot-book sees no gap and no checksum mismatch")
    out = book.stdout.decode()
    bad = [e for e in events(out) if e["type"] == "status" and e["event"] != "book_valid"]
    check(not bad, f"{venue}: ot-book emits no integrity status but book_valid")
    mine = final_books_from_events(out)
    check(set(mine) == set(books), f"{venue}: same symbols ({sorted(mine)})")
    for sym, b in books.items():
        check(sym in mine and mine[sym].normalized() == b.normalized(),
              f"{venue} {sym}: final book equals the model's ({len(b.bids)}x{len(b.asks)} levels)")
    # Digit for digit: every bbo price and size is text the venue sent.
    venue_text = set(re.findall(r'"([0-9][0-9.e-]*)"', open(path).read()))
    venue_text |= set(re.findall(r'(?<=[\[,])([0-9][0-9.e-]*)(?=[,\]])', open(path).read()))
    bbos = [e for e in events(out) if e["type"] == "bbo"]
    check(len(bbos) > 0, f"{venue}: bbo events emitted ({len(bbos)})")
    foreign = [e for e in bbos for k in ("bid", "bid_qty", "ask", "ask_qty")
               if e.get(k) is not None and e[k] not in venue_text]
    check(not foreign, f"{venue}: bbo prices and sizes are the venue's own digits {foreign[:1]}")
    if venue == "okx":
        check(ok_sums == 290 and bad_sums == 0, f"okx: model verifies 290 checksums ({ok_sums})")
        check(stats.get("checksums_verified") == "290", "okx: ot-feed verified 290 checksums")
        check(bstats.get("checksums_verified") == "290", "okx: ot-book verified 290 checksums")

# Compressed captures replay the same.
import gzip, shutil, tempfile
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(DATA, "okx.raw")
    gz = os.path.join(tmp, "okx.raw.gz")
    with open(src, "rb") as f, gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    zst = os.path.join(tmp, "okx.raw.zst")
    plain = run([tool("ot-feed"), "replay", src]).stdout
    check(run([tool("ot-feed"), "replay", gz]).stdout == plain, "gzip capture replays identically")
    if shutil.which("zstd"):
        subprocess.run(["zstd", "-q", src, "-o", zst], check=True)
        check(run([tool("ot-feed"), "replay", zst]).stdout == plain, "zstd capture replays identically")
    # Several captures merge by receive time.
    merged = run([tool("ot-feed"), "replay", src, os.path.join(DATA, "deribit.raw")])
    recvs = [e["recv"] for e in events(merged.stdout.decode()) if "recv" in e]
    check(recvs == sorted(recvs), "two captures merge in receive-time order")
    # --raw writes the capture back unchanged.
    raw = run([tool("ot-feed"), "replay", "--raw", src])
    check(raw.stdout == open(src, "rb").read(), "replay --raw reproduces the capture byte for byte")

finish()
