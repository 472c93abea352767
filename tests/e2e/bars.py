"""ot-bars end to end: bars of the bundled captures' trades against an
independent model in this file (OHLCV, buy volume, vwap, counts per
interval, empty intervals, tick/volume/dollar thresholds, indicators by
their textbook formulas); a month of 1-minute candles turned into trades
and back into the same candles; determinism; pass-through; the candle CSV
read by ot-backtest giving the run the same bars give as events; bad input."""
import json
import math
import os
import subprocess
import tempfile
from decimal import Decimal, ROUND_DOWN, ROUND_HALF_UP

from common import CAPTURES, DATA, check, finish, run, tool

tmp = tempfile.mkdtemp(prefix="ot-bars-")
BTC = os.path.join(DATA, "candles/btc-perp-1m-2022-01.csv.zst")
IND = "sma:4,ema:5,rsi:3,vol:4,vwap,vwap:3"


def events(capture):
    return subprocess.run([tool("ot-feed"), "replay", os.path.join(DATA, capture)],
                          capture_output=True, check=True).stdout


def bars_of(stdin, args):
    r = run([tool("ot-bars")] + args, stdin=stdin)
    assert r.returncode == 0 and not r.stderr, r.stderr.decode()
    return r, [json.loads(l) for l in r.stdout.decode().splitlines() if l.startswith('{"type":"bar"')]


# --- the model -------------------------------------------------------------

def model_bars(trades, kind, size):
    """Bars of (ts, price, qty, side) trades of one instrument, in order. Time
    bars: [k*size, (k+1)*size), a trade before the bar in progress counts in
    it, empty intervals as bars of the last close; others: a bar closes once
    its count, quantity or price*qty reaches size."""
    out, cur = [], None

    def new(start, p):
        return {"start": start, "end": start + size if kind == "time" else start, "open": p,
                "high": p, "low": p, "close": p, "volume": Decimal(0), "buy_volume": Decimal(0),
                "notional": Decimal(0), "trades": 0}

    for ts, p, q, side in trades:
        if kind == "time":
            start = ts // size * size
            if cur is not None and ts >= cur["end"]:
                out.append(cur)
                t = cur["end"]
                while t < start:
                    out.append(new(t, cur["close"]))
                    t += size
                cur = None
            if cur is None:
                cur = new(start, p)
        elif cur is None:
            cur = new(ts, p)
        cur["high"], cur["low"], cur["close"] = max(cur["high"], p), min(cur["low"], p), p
        cur["volume"] += q
        cur["notional"] += p * q
        cur["buy_volume"] += q if side == "buy" else 0
        cur["trades"] += 1
        if kind != "time":
            cur["end"] = max(cur["end"], ts)
            reached = {"tick": cur["trades"], "volume": cur["volume"], "dollar": cur["notional"]}
            if reached[kind] >= size:
                out.append(cur)
                cur = None
    if cur is not None:
        out.append(cur)
    for b in out:
        b["vwap"] = ((b["notional"] / b["volume"]).quantize(Decimal("1e-10"), ROUND_HALF_UP)
                     if b["volume"] else b["close"])
    return out


def model_indicators(bars):
    """The indicators of IND, textbook, per bar (None while warming up)."""
    closes = [float(b["close"]) for b in bars]
    vol = [float(b["volume"]) for b in bars]
    notional = [float(b["notional"]) for b in bars]
    n = len(closes)
    res = {k: [None] * n for k in ("sma_4", "ema_5", "rsi_3", "vol_4", "vwap_day", "vwap_3")}
    for i in range(n):
        if i >= 3:
            res["sma_4"][i] = sum(closes[i - 3:i + 1]) / 4
        if i >= 4:
            res["vol_4"][i] = math.sqrt(sum(math.log(closes[k] / closes[k - 1]) ** 2
                                            for k in range(i - 3, i + 1)))
        if i >= 2 and sum(vol[i - 2:i + 1]) > 0:
            res["vwap_3"][i] = sum(notional[i - 2:i + 1]) / sum(vol[i - 2:i + 1])
        day = bars[i]["start"] // 86_400_000_000_000
        if i == 0 or day != bars[i - 1]["start"] // 86_400_000_000_000:
            day_notional = day_volume = 0.0
        day_notional += notional[i]
        day_volume += vol[i]
        if day_volume > 0:
            res["vwap_day"][i] = day_notional / day_volume
    ema = None
    for i in range(4, n):
        ema = sum(closes[:5]) / 5 if i == 4 else ema + 2 / 6 * (closes[i] - ema)
        res["ema_5"][i] = ema
    gains = [max(closes[i] - closes[i - 1], 0) for i in range(1, n)]
    losses = [max(closes[i - 1] - closes[i], 0) for i in range(1, n)]
    for i in range(3, n):
        if i == 3:
            g, l = sum(gains[:3]) / 3, sum(losses[:3]) / 3
        else:
            g, l = (g * 2 + gains[i - 1]) / 3, (l * 2 + losses[i - 1]) / 3
        res["rsi_3"][i] = (50.0 if g == 0 else 100.0) if l == 0 else 100 - 100 / (1 + g / l)
    return res


def close_enough(got, want):
    if want is None or got is None:
        return got is None and want is None
    return abs(float(got) - want) <= 1e-9 * max(1.0, abs(want))


def compare(label, got, want, indicators=False):
    fields = ("start", "end", "open", "high", "low", "close", "volume", "buy_volume", "trades",
              "vwap")
    bad = []
    if len(got) != len(want):
        bad.append(f"{len(got)} bars, the model {len(want)}")
    for g, w in zip(got, want):
        for f in fields:
            gv = g[f] if f in ("start", "end", "trades") else Decimal(g[f])
            if gv != w[f]:
                bad.append(f"bar {g['start']} {f}: {g[f]} vs {w[f]}")
    if indicators:
        model = model_indicators(want)
        for i, g in enumerate(got[:len(want)]):
            for k, values in model.items():
                if not close_enough(g[k], values[i]):
                    bad.append(f"bar {g['start']} {k}: {g[k]} vs {values[i]}")
    check(not bad and got, f"{label}: {len(got)} bars equal the model" +
          (f" ({bad[:3]})" if bad else ""))


# 1. Every bundled capture's trades, time bars of three lengths with
# indicators, and tick / volume / dollar bars.
total = 0
for capture in sorted(CAPTURES.values()):
    ev = events(capture)
    trades = {}
    for line in ev.decode().splitlines():
        e = json.loads(line)
        if e["type"] == "trade":
            trades.setdefault((e["venue"], e["symbol"]), []).append(
                (e.get("ts") or e["recv"], Decimal(e["price"]), Decimal(e["qty"]), e["side"]))
    if not trades:
        r, got = bars_of(ev, [])
        check(got == [] and r.stdout == ev, f"{capture}: no trades, no bars, every event passed")
        continue
    total += sum(len(t) for t in trades.values())
    for interval, ns in (("1s", 10**9), ("10s", 10**10), ("1m", 6 * 10**10)):
        r, got = bars_of(ev, ["--interval", interval, "--indicators", IND])
        for (venue, symbol), tr in sorted(trades.items()):
            mine = [b for b in got if b["venue"] == venue and b["symbol"] == symbol]
            compare(f"{capture} {symbol} {interval}", mine, model_bars(tr, "time", ns), True)
        passed = [l for l in r.stdout.decode().splitlines() if not l.startswith('{"type":"bar"')]
        check(passed == ev.decode().splitlines(), f"{capture} {interval}: every event passed, in order")
    venue, symbol = max(trades, key=lambda k: len(trades[k]))
    tr = trades[(venue, symbol)]
    sizes = {"tick": "7", "volume": str(sum(t[2] for t in tr) / 9),
             "dollar": str(sum(t[1] * t[2] for t in tr) / 5)}
    for kind, size in sizes.items():
        size = size if kind == "tick" else str(Decimal(size).quantize(Decimal("1e-6")))
        _, got = bars_of(ev, ["--kind", kind, "--size", size, "--symbol", symbol])
        compare(f"{capture} {symbol} {kind} bars of {size}", got,
                model_bars(tr, kind, Decimal(size)))
    _, skipped = bars_of(ev, ["--interval", "1s", "--empty", "skip", "--symbol", symbol])
    check(skipped == [b for b in bars_of(ev, ["--interval", "1s", "--symbol", symbol])[1]
                      if b["trades"] > 0], f"{capture}: --empty skip drops exactly the empty bars")
check(total > 150, f"{total} trades of the captures in bars")

# 2. Determinism: the same replay, the same bytes.
ev = events("okx.raw")
a = run([tool("ot-bars"), "--interval", "1s", "--indicators", IND, "--forming"], stdin=ev)
b = run([tool("ot-bars"), "--interval", "1s", "--indicators", IND, "--forming"], stdin=ev)
check(a.returncode == 0 and a.stdout == b.stdout, "the same input twice: byte-identical output")
out = [json.loads(l) for l in a.stdout.decode().splitlines()]
forming = [e for e in out if e["type"] == "bar" and e.get("forming")]
closed = [e for e in out if e["type"] == "bar" and not e.get("forming")]
last_forming, differ = {}, []
for e in out:
    if e["type"] != "bar":
        continue
    key = (e["symbol"], e["start"])
    if e.get("forming"):
        last_forming[key] = e
    elif key in last_forming:
        f = {k: v for k, v in last_forming[key].items() if k not in ("forming", "recv")}
        if f != {k: v for k, v in e.items() if k != "recv"}:
            differ.append((f, e))
check(last_forming and not differ,
      f"each bar's last forming state is the bar that closes, indicators included {differ[:1]}")
check(len(forming) >= sum(b["trades"] for b in closed),
      f"--forming: a forming bar after each trade ({len(forming)})")
check(all(not e.get("forming") or e["trades"] > 0 for e in out if e["type"] == "bar"),
      "forming bars hold their trades")

# 3. A month of 1-minute candles, turned into trades (open, high, low,
# close, about a quarter of the volume each), back into the same candles; the
# indicators over 44 thousand bars; then the candle CSV and the bar
# events give ot-backtest the same run as the original file.
rows = subprocess.run(["zstd", "-dc", BTC], capture_output=True, check=True).stdout.decode()
rows = [r.split(",") for r in rows.splitlines()[1:]]
lines = []
from datetime import datetime, timezone  # noqa: E402


def stamp(text):
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=timezone.utc).timestamp()) * 10**9


candles = []
for i, (t, o, h, l, c, v) in enumerate(rows):
    start = stamp(t[:19])
    q = (Decimal(v) / 4).quantize(Decimal("1e-8"), ROUND_DOWN)
    qty = [q, q, q, Decimal(v) - 3 * q]
    for k, (p, side) in enumerate(((o, "buy"), (h, "buy"), (l, "sell"), (c, "sell"))):
        lines.append(json.dumps({"type": "trade", "venue": "paper", "symbol": "BTC-PERPETUAL",
                                 "ts": start + k * 15 * 10**9, "price": p, "qty": str(qty[k]),
                                 "side": side, "id": str(4 * i + k)}, separators=(",", ":")))
    candles.append((start, Decimal(o), Decimal(h), Decimal(l), Decimal(c), Decimal(v)))
trades_in = ("\n".join(lines) + "\n").encode()
r, got = bars_of(trades_in, ["--indicators", IND])
filled = {b["start"]: b for b in got}
missing = [(s, o, h, l, c, v, filled.get(s)) for s, o, h, l, c, v in candles if not (
    s in filled and (Decimal(filled[s]["open"]), Decimal(filled[s]["high"]),
                     Decimal(filled[s]["low"]), Decimal(filled[s]["close"]),
                     Decimal(filled[s]["volume"])) == (o, h, l, c, v))]
check(not missing and len(got) >= len(candles), f"a month of candles as trades gives the same "
      f"{len(candles)} candles back ({len(got) - len(candles)} empty minutes filled) {missing[:2]}")
model = model_indicators([{"start": b["start"], "close": Decimal(b["close"]),
                           "volume": Decimal(b["volume"]),
                           "notional": Decimal(b["vwap"]) * Decimal(b["volume"])} for b in got])
worst = 0.0
mismatch = []
for i, b in enumerate(got):
    for k, values in model.items():
        if k.startswith("vwap"):
            continue  # the model's notional is rounded through the vwap
        if not close_enough(b[k], values[i]):
            mismatch.append((b["start"], k, b[k], values[i]))
        elif values[i]:
            worst = max(worst, abs(float(b[k]) - values[i]) / abs(values[i]))
check(not mismatch, f"sma, ema, rsi and vol over {len(got)} bars equal the textbook formulas "
      f"(worst relative difference {worst:.1e}) {mismatch[:3]}")

csv_out = run([tool("ot-bars"), "--format", "csv"], stdin=trades_in)
open(f"{tmp}/bars.csv", "wb").write(csv_out.stdout)
open(f"{tmp}/bars.ndjson", "wb").write(
    b"".join(l + b"\n" for l in r.stdout.splitlines() if l.startswith(b'{"type":"bar"')))
header = csv_out.stdout.decode().splitlines()[0]
check(csv_out.returncode == 0 and header.startswith(
    "timestamp,open,high,low,close,volume,close_time,trades,buy_volume,vwap"),
    f"--format csv: the candle header ({header})")
strategy = ["--strategy", "momentum", "--param", "qty=0.1", "--param", "fast=600", "--param",
            "slow=3600", "--taker-fee", "0.0005"]
runs = {}
for name, data in (("original", BTC), ("csv", f"{tmp}/bars.csv"),
                   ("events", f"{tmp}/bars.ndjson")):
    extra = ["--param", "venue=paper", "--param", "symbol=BTC-PERPETUAL"] if name == "events" else []
    res = run([tool("ot-backtest"), "--data", data] + strategy + extra, timeout=300)
    runs[name] = json.loads(res.stdout.decode().splitlines()[0]) if res.stdout else {}
    if res.returncode not in (0, 3):
        print(res.stderr.decode())


def result(s):
    return {k: v for k, v in s.items() if k not in ("events", "bytes", "events_per_s", "wall_s",
                                                      "data")}


check(runs["csv"] and result(runs["csv"]) == result(runs["events"]),
      f"ot-backtest: the candle CSV gives the run the bar events give ({runs['csv'].get('pnl')}, "
      f"{runs['csv'].get('fills')} fills)")
check(result(runs["original"]).get("fills") == result(runs["csv"]).get("fills") and
      result(runs["original"]).get("pnl") == result(runs["csv"]).get("pnl"),
      f"... and the original candle file's ({runs['original'].get('pnl')})")

# 4. Mid bars from ot-book's bbo.
p = subprocess.run(f"'{tool('ot-feed')}' replay '{DATA}/okx.raw' | '{tool('ot-book')}'",
                   shell=True, capture_output=True, check=True).stdout
_, mids = bars_of(p, ["--source", "mid", "--interval", "1s"])
bbo = {}
for line in p.decode().splitlines():
    e = json.loads(line)
    if e["type"] == "bbo" and e.get("bid") and e.get("ask"):
        bbo.setdefault((e["venue"], e["symbol"]), []).append(
            (e["ts"], (Decimal(e["bid"]) + Decimal(e["ask"])) / 2, Decimal(0), "buy"))
for (venue, symbol), tr in sorted(bbo.items()):
    mine = [b for b in mids if b["symbol"] == symbol]
    compare(f"okx {symbol} mid bars", mine, model_bars(tr, "time", 10**9))

# 5. Bad input: reported with where it was, skipped; bars go on.
bad = (b'{"type":"trade","venue":"x","symbol":"A","ts":1000000000,"price":"1","qty":"1","side":"buy","id":"1"}\n'
       b'not json\n'
       b'{"type":"trade","venue":"x","symbol":"A","ts":2000000000,"price":"abc","qty":"1","side":"buy","id":"2"}\n'
       b'{"type":"trade","venue":"x","symbol":"A","ts":3000000000,"price":"2","qty":"1","side":"buy","id":"3"}\n')
r = run([tool("ot-bars"), "--interval", "1s"], stdin=bad)
err = r.stderr.decode()
check(r.returncode == 0 and "ot-bars: error: <stdin>:2: malformed event" in err and
      "ot-bars: error: <stdin>:3: trade price is not a positive decimal (not in a bar)" in err,
      f"bad lines: program, where and what on stderr ({err.strip()})")
got = [json.loads(l) for l in r.stdout.decode().splitlines() if '"bar"' in l]
check([b["close"] for b in got] == ["1", "1", "2"], "the bars go on around them")
check(run([tool("ot-bars"), "--strict"], stdin=bad).returncode == 1, "--strict: exit 1")
for args, what in ((["--interval", "5x"], "bad interval"), (["--kind", "tick"], "needs --size"),
                   (["--kind", "volume", "--size", "1", "--source", "mid"], "mid has no volume"),
                   (["--indicators", "ema"], "needs a period"),
                   (["--format", "csv", "--forming"], "not with --format csv")):
    r = run([tool("ot-bars")] + args, stdin=b"")
    check(r.returncode == 2 and what in r.stderr.decode(), f"usage error: {what}")

finish()
