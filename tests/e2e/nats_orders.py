#!/usr/bin/env python3
"""The order path across hosts over JetStream, against ot-sim's Binance USD-M
order entry and a private nats-server:

    ot-feed live | ot-book | ot-strat mm --out ORDERS --fills EXECS   (bbo passes on)
    ot-risk  --in ORDERS (durable) --out RISKED --fills EXECS
    ot-exec  --in RISKED (durable) --fills-out EXECS --journal J

ot-exec is killed with SIGKILL mid-session and restarted, then ot-risk is.
Each order ot-risk approved reaches the simulator exactly once; every fill
is in the executions stream once and agrees with the venue's own record of
each order; ot-strat (never restarted) took every fill once, and the
restarted ot-risk, which read the executions again from the stream's start,
took each once too: its last position is the sum of the fills."""
import hashlib
import hmac
import re
import signal
import tempfile
import time
import urllib.request
from decimal import Decimal

from common import *
from natsd import Server

CAPTURE = os.path.join(DATA, "binance-futures.raw")
KEY, SECRET = "ot-sim-key", "ot-sim-secret"
SPEED = 1.5  # the 30 s capture in 20 s


def venue_order(port, oid):
    q = f"symbol=SUSHIUSDT&origClientOrderId={oid}&timestamp={int(time.time() * 1000)}"
    sig = hmac.new(SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/fapi/v1/order?{q}&signature={sig}",
                                 headers={"X-MBX-APIKEY": KEY})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())


def stream_events(url, subject, stream, settle=2.0):
    """Every event in the stream, in stream order (ot-book passes them on)."""
    p = subprocess.Popen([tool("ot-book"), "--in", f"{url}/{subject}.>?js={stream}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(settle)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    check(p.returncode == 0, f"reading {stream} ({p.returncode}) {err.decode()[-200:]}")
    return events(out.decode())


def stats(err, program, key):
    m = re.search(program + r": stats:.*\b" + key + r"=(\d+)", err)
    return int(m.group(1)) if m else -1


with tempfile.TemporaryDirectory() as tmp:
    server = Server().start()
    url = f"nats://{server.url}"
    log = os.path.join(tmp, "sim.log")
    sim, port = start_sim("binance-futures", CAPTURE, ["--speed", str(SPEED), "--latency-log", log,
                                                        "--order-delay-ms", "150", "--linger", "120"], tmp)
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY=KEY, OT_BINANCE_FUTURES_API_SECRET=SECRET)
    limits = os.path.join(tmp, "risk.toml")
    with open(limits, "w") as f:
        f.write('[account]\nmax_open_orders = 10\n[defaults]\nmax_order_qty = "100"\n'
                'price_collar_bps = 50\nmax_position = "50"\n')
    journal = os.path.join(tmp, "exec.journal")
    execs = f"{url}/execs.>?js=EXECS"
    logs = {}

    def exec_proc(n):
        logs[f"exec{n}"] = open(os.path.join(tmp, f"exec{n}.err"), "wb")
        return subprocess.Popen(
            [tool("ot-exec"), "--venue", "binance-futures", "--rest-url", f"http://127.0.0.1:{port}",
             "--ws-url", f"ws://127.0.0.1:{port}", "--journal", journal, "--stats",
             "--in", f"{url}/risk.>?js=RISKED&durable=exec", "--fills-out", f"{url}/execs?js=EXECS"],
            stdout=subprocess.DEVNULL, stderr=logs[f"exec{n}"], env=env)

    def risk_proc(n):
        logs[f"risk{n}"] = open(os.path.join(tmp, f"risk{n}.err"), "wb")
        return subprocess.Popen(
            [tool("ot-risk"), "--limits", limits, "--stats", "--fills", execs,
             "--in", f"{url}/strat.>?js=ORDERS&durable=risk", "--out", f"{url}/risk?js=RISKED"],
            stdout=subprocess.DEVNULL, stderr=logs[f"risk{n}"])

    ex, risk = exec_proc(1), risk_proc(1)
    time.sleep(1.0)
    strat_err = open(os.path.join(tmp, "strat.err"), "wb")
    feed = subprocess.Popen([tool("ot-feed"), "live", "--venue", "binance-futures", "--symbols", "SUSHIUSDT",
                             "--ws-url", f"ws://127.0.0.1:{port}", "--rest-url", f"http://127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    book = subprocess.Popen([tool("ot-book")], stdin=feed.stdout, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    strat = subprocess.Popen([tool("ot-strat"), "--session", "n", "--stats", "--fills", execs,
                              "--out", f"{url}/strat?js=ORDERS", "mm", "--symbol", "SUSHIUSDT",
                              "--qty", "5", "--gamma", "0.01", "--tick", "0.001"],
                             stdin=book.stdout, stdout=subprocess.DEVNULL, stderr=strat_err)
    feed.stdout.close()
    book.stdout.close()

    # ot-exec dies mid-session; orders wait in RISKED until it is back.
    time.sleep(6.0)
    ex.send_signal(signal.SIGKILL)
    ex.wait()
    time.sleep(1.0)
    ex = exec_proc(2)
    # Then ot-risk; orders wait in ORDERS.
    time.sleep(5.0)
    risk.send_signal(signal.SIGKILL)
    risk.wait()
    time.sleep(1.0)
    risk = risk_proc(2)
    # The rest of the capture, then everything stops in order.
    time.sleep(30 / SPEED - 12 + 3)
    feed.send_signal(signal.SIGTERM)
    chain = [p.wait(timeout=30) for p in (feed, book, strat)]
    time.sleep(2.0)
    for p in (risk, ex):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    check(chain == [0, 0, 0] and risk.returncode == 0 and ex.returncode == 0,
          f"every program ends cleanly (feed, book, strat {chain}, ot-risk {risk.returncode}, "
          f"ot-exec {ex.returncode})")
    for f in list(logs.values()) + [strat_err]:
        f.close()
    err = {k: open(os.path.join(tmp, f"{k}.err")).read() for k in list(logs) + ["strat"]}

    known = re.search(r"journal: (\d+) orders known", err["exec2"])
    check(known and int(known.group(1)) > 0,
          f"the restarted ot-exec knows the orders of the one killed ({known and known.group(0)})")
    check(stats(err["risk2"], "ot-risk", "adopted") > 0,
          f"the restarted ot-risk knows the orders the killed one approved, from their executions "
          f"({stats(err['risk2'], 'ot-risk', 'adopted')})")
    asked = {e["id"] for e in stream_events(url, "strat", "ORDERS") if e["type"] == "order"}
    approved = {e["id"] for e in stream_events(url, "risk", "RISKED") if e["type"] == "order"}
    stream = [e for e in stream_events(url, "execs", "EXECS") if e["type"] == "exec"]
    sent = {}
    for line in open(log):
        if line.startswith("O ") and "/fapi/v1/order" in line:
            m = re.search(r"newClientOrderId=([^&\s]+)", line)
            if m:
                sent[m.group(1)] = sent.get(m.group(1), 0) + 1
    filled = {}
    for e in stream:
        filled[e["id"]] = max(filled.get(e["id"], Decimal(0)), Decimal(e["filled"]))
    at_venue = {i: Decimal(venue_order(port, i)["executedQty"]) for i in sent}
    sim.send_signal(signal.SIGTERM)
    sim.wait(timeout=10)
    print(f"{len(approved)} orders approved, {len(sent)} at the venue, {len(stream)} reports")
    check(len(approved) > 20, f"the market maker's orders pass the gate ({len(approved)})")
    refused = {e["id"] for e in stream if e["status"] == "rejected"}
    check(asked and not asked - approved - refused,
          f"every order ot-strat sent is approved by the gate or refused with a reason "
          f"({len(asked)}; neither: {sorted(asked - approved - refused)[:5]})")
    twice = {i: n for i, n in sent.items() if n > 1}
    check(not twice, f"no order reaches the venue twice ({twice})")
    check(set(sent) <= approved, f"only approved orders reach the venue ({sorted(set(sent) - approved)[:5]})")
    unanswered = approved - set(sent)
    why = {e["id"]: e.get("reason", "") for e in stream if e["id"] in unanswered and e["status"] == "rejected"}
    check(not unanswered - set(why),
          f"every approved order reaches the venue, or is rejected with a reason "
          f"({sorted(unanswered - set(why))[:5]}; rejected: {sorted(set(why.values()))})")

    fills = [e for e in stream if "qty" in e and Decimal(e["qty"]) > 0]
    keys = [(e["id"], e["filled"]) for e in fills]
    check(fills and len(keys) == len(set(keys)), f"every fill is in the executions stream once "
          f"({len(keys)} fills, {len(keys) - len(set(keys))} repeated)")
    differ = {i: (q, filled.get(i, Decimal(0))) for i, q in at_venue.items() if q != filled.get(i, Decimal(0))}
    check(not differ, f"each order's fills in the stream add up to what the venue filled ({differ})")
    net = sum(Decimal(e["qty"]) * (1 if e["side"] == "buy" else -1) for e in fills)
    strat_fills = stats(err["strat"], "ot-strat", "fills")
    check(strat_fills == len(fills), f"ot-strat took every fill once ({strat_fills} of {len(fills)})")
    risk_fills = stats(err["risk2"], "ot-risk", "fills")
    check(risk_fills == len(fills),
          f"the restarted ot-risk took every fill once, from the stream's start ({risk_fills} of {len(fills)})")
    positions = [e for e in stream_events(url, "risk", "RISKED") if e["type"] == "position"]
    check(positions and Decimal(positions[-1]["qty"]) == net,
          f"ot-risk's last position ({positions[-1]['qty'] if positions else None}) is the sum of the fills ({net})")
    server.close()

finish()
