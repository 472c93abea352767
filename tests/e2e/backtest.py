"""ot-backtest end to end: determinism, the PnL identity checked against an
independent cash-flow computation, candles, stored data giving the same
run as the capture, latency models, funding, grids, reports, --fail-if."""
import csv
import json
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from decimal import Decimal


from common import DATA, check, finish, run, tool

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
tmp = tempfile.mkdtemp(prefix="ot-backtest-")
FUT = os.path.join(DATA, "binance-futures.raw")
BTC = os.path.join(DATA, "candles/btc-perp-1m-2022-01.csv.zst")
MM = ["--strategy", "mm", "--config", os.path.join(ROOT, "examples/mm.toml")]


def bt(args, **kw):
    return run([tool("ot-backtest")] + args, **kw)


def summary(r):
    assert r.returncode in (0, 3), r.stderr.decode()
    return json.loads(r.stdout.decode().splitlines()[0])


def cash_flow_pnl(fills_path, mark):
    """PnL from the fills alone: cash paid and received, fees, the rest of
    the position at `mark` (linear instruments)."""
    cash = Decimal(0)
    pos = Decimal(0)
    for line in open(fills_path):
        e = json.loads(line)
        q, p = Decimal(e["qty"]), Decimal(e["price"])
        s = 1 if e["side"] == "buy" else -1
        cash -= s * q * p + Decimal(e.get("fee", "0"))
        pos += s * q
    return cash + pos * mark, pos


# 1. Market making on a capture, with fees: determinism and the identity.
args = ["--data", FUT] + MM + ["--maker-fee", "0.0002", "--taker-fee", "0.0004"]
r1 = bt(args + ["--report", f"{tmp}/mm"])
r2 = bt(args)
check(r1.returncode == 0 and r1.stdout == r2.stdout, "same inputs: byte-identical summary")
s = summary(r1)
check(s["fills"] > 0 and s["orders"] > 0, f"the market maker trades ({s['fills']} fills)")
# The final mid of SUSHIUSDT, from ot-feed | ot-book independently of the backtest.
p = subprocess.run(f"'{tool('ot-feed')}' replay '{FUT}' | '{tool('ot-book')}'", shell=True,
                   capture_output=True)
bbo = [json.loads(l) for l in p.stdout.decode().splitlines() if '"SUSHIUSDT"' in l and '"bbo"' in l]
mid = (Decimal(bbo[-1]["bid"]) + Decimal(bbo[-1]["ask"])) / 2
pnl, pos = cash_flow_pnl(f"{tmp}/mm/fills.ndjson", mid)
check(abs(Decimal(str(s["pnl"])) - pnl) < Decimal("1e-6"),
      f"PnL = cash flow of the fills + position at the last mid ({s['pnl']} vs {pnl})")
check(abs(s["realized"] + s["unrealized"] - s["fees"] + s["funding"] - s["pnl"]) < 1e-9,
      "realized + unrealized - fees + funding = pnl")
rows = list(csv.DictReader(open(f"{tmp}/mm/equity.csv")))
check(abs(float(rows[-1]["equity"]) - float(rows[0]["equity"]) - s["pnl"]) < 1e-6
      and float(rows[0]["equity"]) == 100000, "equity.csv: the equity change is the PnL")
fees = sum(Decimal(json.loads(l)["fee"]) for l in open(f"{tmp}/mm/fills.ndjson"))
check(abs(Decimal(str(s["fees"])) - fees) < Decimal("1e-9"), "fees: the sum of the fills' fees")

# 2. Reports.
files = sorted(os.listdir(f"{tmp}/mm"))
check(files == ["drawdown.svg", "equity.csv", "equity.svg", "fills.ndjson", "inventory.svg",
                "price.svg", "report.html", "summary.json"], f"report files ({files})")
check(open(f"{tmp}/mm/summary.json").read() == r1.stdout.decode(), "summary.json = the stdout line")
for f in ["equity.svg", "drawdown.svg", "inventory.svg", "price.svg"]:
    ET.parse(f"{tmp}/mm/{f}")
html = open(f"{tmp}/mm/report.html").read()
check(html.count("<svg") == 4 and "src=" not in html and "<script" not in html,
      "report.html: self-contained, four inline plots")
check(html.count('fill="#2ca02c"') + html.count('fill="#d62728"') >= s["fills"],
      "the price plot marks every fill")

# 3. Stored data gives the same run as the capture.
subprocess.run(f"'{tool('ot-feed')}' replay '{FUT}' | '{tool('ot-store')}' write --dir '{tmp}/store'",
               shell=True, check=True)
s_store = summary(bt(["--store", f"{tmp}/store"] + MM + ["--maker-fee", "0.0002", "--taker-fee", "0.0004"]))
check(s_store == s, "--store: the same summary as the capture it was recorded from")
events = os.path.join(tmp, "events.ndjson")
subprocess.run(f"'{tool('ot-feed')}' replay '{FUT}' > '{events}'", shell=True, check=True)
s_events = summary(bt(["--data", events] + MM + ["--maker-fee", "0.0002", "--taker-fee", "0.0004"]))
check(s_events == s, "an event file: the same summary as the capture")
# The same events split by symbol into two files merge back by time.
with open(events) as f, open(f"{tmp}/a.ndjson", "w") as a, open(f"{tmp}/b.ndjson", "w") as b:
    for line in f:
        (a if '"SUSHIUSDT"' in line else b).write(line)
s_split = summary(bt(["--data", f"{tmp}/b.ndjson", f"{tmp}/a.ndjson"] + MM + ["--maker-fee", "0.0002", "--taker-fee", "0.0004"]))
check(s_split == s, "event files split by symbol merge by time: the same summary")

# 4. Latency models.
lat = ["--order-latency", "uniform:1ms,20ms", "--report-latency", "lognormal:2ms,0.5",
       "--market-latency", "5ms"]
a, b = bt(["--data", FUT] + MM + lat), bt(["--data", FUT] + MM + lat)
check(a.returncode == 0 and a.stdout == b.stdout, "sampled latencies: the same seed, the same result")
check(summary(a) != summary(bt(["--data", FUT] + MM)), "latency changes the outcome")
r = bt(["--data", FUT] + MM + ["--order-latency", "fast"])
check(r.returncode == 2 and b"latency 'fast'" in r.stderr, "a bad latency spec is a usage error")

# 5. Candles: momentum over a month of 1-minute bars, identity against the last close.
r = bt(["--data", BTC, "--strategy", "momentum", "--param", "qty=0.1", "--param", "fast=600",
        "--param", "slow=3600", "--taker-fee", "0.0005", "--report", f"{tmp}/mom"])
s = summary(r)
raw = subprocess.run(["zstd", "-dc", BTC], capture_output=True).stdout.decode().splitlines()
last_close = Decimal(raw[-1].split(",")[4])
pnl, pos = cash_flow_pnl(f"{tmp}/mom/fills.ndjson", last_close)
check(s["fills"] > 100 and abs(Decimal(str(s["pnl"])) - pnl) < Decimal("1e-6"),
      f"candles: {s['fills']} fills, PnL = cash flow + position at the last close ({s['pnl']})")
check(s["events"] == len(raw) - 1, f"every candle read ({s['events']})")
fills = [json.loads(l) for l in open(f"{tmp}/mom/fills.ndjson")]
check(all(f["ts"] % 60_000_000_000 == 0 for f in fills), "candle fills happen at a bar's open")
rows = list(csv.DictReader(open(f"{tmp}/mom/equity.csv")))
check(len(rows) >= len(raw) - 2, f"equity sampled per bar ({len(rows)} points)")


def equity_at_closes(candle_lines, fills, capital):
    """Equity at each bar's close, computed from the candles and the fills
    alone: the fills before the close, the position priced at that close."""
    import datetime
    closes = {}
    for l in candle_lines:
        f = l.split(",")
        if f[0] == "timestamp":
            continue
        if f[0].isdigit():
            opened = int(f[0]) * 1_000_000
        else:
            d = datetime.datetime.strptime(f[0], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
            opened = int(d.timestamp()) * 1_000_000_000
        closes[opened + 60 * 10**9] = Decimal(f[4])
    out, cash, pos, i = {}, Decimal(0), Decimal(0), 0
    fills = sorted(fills, key=lambda e: e["ts"])
    for t in sorted(closes):
        while i < len(fills) and fills[i]["ts"] < t:
            e = fills[i]
            q, p = Decimal(e["qty"]), Decimal(e["price"])
            sgn = 1 if e["side"] == "buy" else -1
            cash -= sgn * q * p + Decimal(e.get("fee", "0"))
            pos += sgn * q
            i += 1
        out[t] = (capital + cash + pos * closes[t], pos, closes[t])
    return out


model = equity_at_closes(raw, fills, Decimal(100000))
sym = [k for k in rows[0] if k.startswith("price ")][0]
diffs = [(r["time"], r["equity"], model[int(r["time"])][0]) for r in rows
         if int(r["time"]) in model and (abs(Decimal(r["equity"]) - model[int(r["time"])][0]) > Decimal("1e-6")
                                        or Decimal(r[sym]) != model[int(r["time"])][2])]
matched = sum(1 for r in rows if int(r["time"]) in model)
check(matched >= len(raw) - 2 and not diffs,
      f"candles: the equity at every close is the fills' cash flow and the position at that "
      f"close ({matched} rows; first differences {diffs[:3]})")
check(float(rows[0][sym]) > 0 and all(float(r[sym]) > 0 for r in rows[1:]),
      "equity.csv: the price is there from the first bar, before any order")
r = bt(["--data", os.path.join(DATA, "candles/binance-adabtc-1m-2021-11-27.csv"),
        "--candle-symbol", "ADABTC", "--strategy", "meanrev", "--param", "qty=1000"])
check(r.returncode == 0 and summary(r)["events"] == 10, "Binance kline CSV layout")
r = bt(["--data", os.path.join(DATA, "candles/binance-adabtc-1m-2021-11-27.csv"),
        "--candle-symbol", "ADABTC", "--strategy", "momentum", "--param", "qty=1000",
        "--param", "fast=60", "--param", "slow=180", "--param", "warmup=0", "--report", f"{tmp}/ada"])
for name in ["equity.svg", "drawdown.svg", "price.svg"]:
    root = ET.parse(f"{tmp}/ada/{name}").getroot()
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
              if t.get("text-anchor") == "end"]
    check(len(labels) >= 2 and len(set(labels)) == len(labels),
          f"{name}: value ticks that differ on a small range ({labels})")
spans = set()
for name in ["equity.svg", "drawdown.svg", "inventory.svg", "price.svg"]:
    root = ET.parse(f"{tmp}/ada/{name}").getroot()
    spans.add(tuple(t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
                    if t.get("text-anchor") == "middle"))
check(len(spans) == 1, f"the report's charts share one time axis ({spans})")

# 6. Funding from ticker events.
def ev(**kw):
    return json.dumps(kw, separators=(",", ":"))
t0 = 1_700_000_000_000_000_000 - (1_700_000_000_000_000_000 % (8 * 3600 * 10**9)) + 10**9
lines = [ev(type="book", venue="binance-futures", symbol="BTCUSDT", ts=t0, recv=t0, snapshot=True,
            bids=[["100", "50"]], asks=[["101", "50"]]),
         ev(type="ticker", venue="binance-futures", symbol="BTCUSDT", ts=t0, recv=t0,
            mark="100.5", funding_rate="0.0001")]
for i in range(1, 40):
    t = t0 + i * 1800 * 10**9
    lines.append(ev(type="book", venue="binance-futures", symbol="BTCUSDT", ts=t, recv=t,
                    snapshot=True, bids=[["100", "50"]], asks=[["101", "50"]]))
open(f"{tmp}/funding.ndjson", "w").write("\n".join(lines) + "\n")
s = summary(bt(["--data", f"{tmp}/funding.ndjson", "--strategy", "twap", "--param", "symbol=BTCUSDT",
                "--param", "side=buy", "--param", "qty=2", "--param", "duration=60", "--param", "slices=2"]))
# Long 2 at 101 through two 8-hour marks (t0 + 8h, t0 + 16h) at mark 100.5.
check(s["positions"].get("binance-futures BTCUSDT") == "2" and abs(s["funding"] + 2 * 2 * 100.5 * 0.0001) < 1e-9,
      f"funding: a long pays rate x mark x qty at each 8-hour mark ({s['funding']})")

# 7. Grids on both cores; each row equals its single run.
r = bt(["--data", BTC, "--strategy", "meanrev", "--param", "qty=0.1", "--param", "window=30,60",
        "--param", "entry_z=2,2.5", "--taker-fee", "0.0005", "--report", f"{tmp}/grid", "-j", "2"])
lines = r.stdout.decode().splitlines()
check(r.returncode == 0 and len(lines) == 4, "a 2x2 grid: four summaries")
single = bt(["--data", BTC, "--strategy", "meanrev", "--param", "qty=0.1", "--param", "window=60",
             "--param", "entry_z=2", "--taker-fee", "0.0005"]).stdout.decode().strip()
check(lines[2] == single, "a grid run equals the same run alone (window=60, entry_z=2)")
table = list(csv.DictReader(open(f"{tmp}/grid/grid.csv")))
check(len(table) == 4 and [(x["window"], x["entry_z"]) for x in table] ==
      [("30", "2"), ("30", "2.5"), ("60", "2"), ("60", "2.5")]
      and all(os.path.exists(f"{tmp}/grid/run-{i}/report.html") for i in range(1, 5)),
      "grid.csv compares the runs; each has its report")

# 8. --fail-if for cron; progress only on request or a terminal.
r = bt(["--data", FUT] + MM + ["--fail-if", "fills<1000000"])
check(r.returncode == 3 and b"threshold crossed: fills<1000000" in r.stderr, "--fail-if crossed: exit 3")
r = bt(["--data", FUT] + MM + ["--fail-if", "fills<0", "--fail-if", "sharpe>=1e9"])
check(r.returncode == 0, "--fail-if not crossed: exit 0")
r = bt(["--data", FUT] + MM + ["--fail-if", "luck>1"])
check(r.returncode == 2 and b"unknown metric 'luck'" in r.stderr, "--fail-if with an unknown metric: usage error")
check(b"%" not in bt(["--data", BTC, "--strategy", "momentum"]).stderr, "no progress bar when not on a terminal")
check(b"100%" in bt(["--data", BTC, "--strategy", "momentum", "--progress", "always"]).stderr,
      "--progress always draws the bar")
r = bt(["--data", FUT, "--strategy", "nosuch"])
check(r.returncode == 2 and b"unknown strategy 'nosuch'" in r.stderr, "unknown strategy: a usage error")

finish()
