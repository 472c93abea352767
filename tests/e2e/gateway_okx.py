#!/usr/bin/env python3
"""ot-exec --venue okx against ot-sim's OKX order entry: signed REST orders
(OK-ACCESS-* headers), the private WebSocket login and `orders` channel,
fills with fees, amend, cancel, 51400 cancel reject, a post-only reject, a
wrong passphrase, the private channel cut mid-order (reconnect and
reconcile), kill -9 and a restart from the journal."""
from decimal import Decimal
import signal
import tempfile
import time

from common import *

CAPTURE = os.path.join(DATA, "okx.raw")
SYM = "BTC-USD-220527"


def order(oid, side="buy", qty="1", price="30000", kind="limit", tif="gtc"):
    o = {"type": "order", "id": oid, "venue": "okx", "symbol": SYM, "side": side, "qty": qty,
         "kind": kind, "tif": tif}
    if price is not None:
        o["price"] = price
    return json.dumps(o)


def exec_proc(port, passphrase="ot-sim-passphrase", extra=()):
    env = dict(os.environ, OT_OKX_API_KEY="ot-sim-key", OT_OKX_API_SECRET="ot-sim-secret",
               OT_OKX_PASSPHRASE=passphrase)
    return subprocess.Popen([tool("ot-exec"), "--venue", "okx", "--rest-url", f"http://127.0.0.1:{port}",
                             "--ws-url", f"ws://127.0.0.1:{port}", "--linger-ms", "3000"] + list(extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


with tempfile.TemporaryDirectory() as tmp:
    def sim(*args):
        return start_sim("okx", CAPTURE, ["--speed", "0", "--taker-fee", "0.0005"] + list(args), tmp)

    s, port = sim()
    p = exec_proc(port)
    out, err = feed_slowly(p, [[order("x1"), order("x2", qty="4", price=None, kind="market")],
                               [json.dumps({"type": "amend", "id": "x1", "qty": "3", "price": "30001"})],
                               [json.dumps({"type": "cancel", "id": "x1"})],
                               [json.dumps({"type": "cancel", "id": "x1"}),
                                order("x3", price="40000", tif="post_only")]])
    ex = exec_events(out)
    by = {}
    for e in ex:
        by.setdefault(e["id"], []).append(e)
    check(p.returncode == 0, f"ot-exec --venue okx runs ({p.returncode}) {err.decode()[-200:]}")
    check(any(st["event"] == "connected" for st in status_events(out)), "logged in to the private channel")
    x2 = by.get("x2", [])
    check([e["status"] for e in x2] == ["new", "partial", "filled"],
          f"market order: new, partial, filled ({[e['status'] for e in x2]})")
    fills = [(e["price"], e["qty"], e["fee"]) for e in x2 if "qty" in e]
    # BTC-USD-220527 is inverse, in contracts of 100 USD: the fee (5 bp
    # taker) is in the coin, on contracts × 100 / price, to the 12 decimals
    # the venue reports.
    want = [(px, q, Decimal(q) * 100 / Decimal(px) * Decimal("0.0005"))
            for px, q in (("30238.8", "2"), ("30249.5", "2"))]
    check(len(fills) == 2 and all(f[:2] == w[:2] and abs(Decimal(f[2]) - w[2]) < Decimal("1e-12")
                                  for f, w in zip(fills, want)),
          f"fills at the book's levels with the fee in the coin as a cost ({fills})")
    x1 = by.get("x1", [])
    check([(e["status"], e.get("reason")) for e in x1] == [("new", None), ("new", "amended"), ("canceled", "canceled")]
          and x1[1]["leaves"] == "3" and x1[1]["order_price"] == "30001",
          f"limit order: new, amended, canceled ({[(e['status'], e.get('reason')) for e in x1]})")
    check(any(st["event"] == "cancel_reject" and "51400" in st["detail"] for st in status_events(out)),
          "cancel of a canceled order: cancel_reject with 51400")
    x3 = by.get("x3", [])
    check(len(x3) == 1 and x3[0]["status"] == "rejected" and "okx 51008" in x3[0]["reason"],
          f"post-only that would take: rejected ({x3})")

    # A wrong passphrase: refused, nothing sent, nothing printed.
    p = exec_proc(port, passphrase="wrong")
    out, err = feed_slowly(p, [[order("w1")]], pause=1.5)
    ex = exec_events(out)
    check(len(ex) == 1 and ex[0]["status"] == "rejected" and "50105" in ex[0]["reason"],
          f"wrong passphrase: the venue's 50105 ({ex[0]['reason'] if ex else None})")
    check(b"wrong" not in out + err, "credentials are never printed")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # The private channel cut mid-order, then reconciled.
    s, port = sim("--drop-private-after", "2")
    p = exec_proc(port)
    out, err = feed_slowly(p, [[order("r1")], [order("r2", qty="2", price=None, kind="market")],
                               [order("r3", qty="3", price=None, kind="market")]], pause=0.6)
    ex = exec_events(out)
    sts = [st["event"] for st in status_events(out)]
    check(sts.count("connected") >= 2 and "disconnected" in sts, f"the channel is cut and reconnected ({sts})")
    final = {e["id"]: (e["status"], e["filled"]) for e in ex}
    check(final.get("r2") == ("filled", "2") and final.get("r3") == ("filled", "3"),
          f"orders filled around the outage are reported in full ({final})")
    check(any("reconciled" in e.get("reason", "") for e in ex), "what was missed comes from reconciliation")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # kill -9 and a restart from the journal with the same input.
    s, port = sim()
    check_journal_restart(lambda extra: exec_proc(port, extra=extra), os.path.join(tmp, "okx.journal"),
                          [order(f"k{i}", price=str(29000 + i)) for i in range(8)], "k1")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

finish()
