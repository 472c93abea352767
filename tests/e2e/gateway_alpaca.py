#!/usr/bin/env python3
"""ot-exec --venue alpaca against ot-sim's Alpaca order entry (Trading API
v2 on the replayed OKX market): REST orders with the APCA-API-* headers,
the trade_updates stream (auth, listen), fills, replace (amend) following
the new venue id, cancel, a cancel of a closed order, post-only refused
locally, a wrong secret, 429 rate limiting, the stream cut mid-order
(reconnect and reconcile), kill -9 and a restart from the journal."""
import signal
import tempfile
import time

from common import *

CAPTURE = os.path.join(DATA, "okx.raw")
SYM = "BTC-USD-220527"


def order(oid, side="buy", qty="1", price="30000", kind="limit", tif="gtc"):
    o = {"type": "order", "id": oid, "venue": "alpaca", "symbol": SYM, "side": side, "qty": qty,
         "kind": kind, "tif": tif}
    if price is not None:
        o["price"] = price
    return json.dumps(o)


def exec_proc(port, secret="ot-sim-secret", extra=()):
    env = dict(os.environ, OT_ALPACA_API_KEY="ot-sim-key", OT_ALPACA_API_SECRET=secret)
    return subprocess.Popen([tool("ot-exec"), "--venue", "alpaca", "--rest-url", f"http://127.0.0.1:{port}",
                             "--ws-url", f"ws://127.0.0.1:{port}/stream", "--linger-ms", "3000"] + list(extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


with tempfile.TemporaryDirectory() as tmp:
    def sim(*args):
        return start_sim("alpaca", CAPTURE, ["--speed", "0"] + list(args), tmp)

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
    check(p.returncode == 0, f"ot-exec --venue alpaca runs ({p.returncode}) {err.decode()[-200:]}")
    check(any(st["event"] == "connected" for st in status_events(out)), "authorized on the trade_updates stream")
    x2 = by.get("x2", [])
    check([e["status"] for e in x2] == ["new", "partial", "filled"],
          f"market order: new, partial, filled ({[e['status'] for e in x2]})")
    fills = [(e["price"], e["qty"]) for e in x2 if "qty" in e]
    check(fills == [("30238.8", "2"), ("30249.5", "2")], f"fills at the book's levels ({fills})")
    x1 = by.get("x1", [])
    check([(e["status"], e.get("reason")) for e in x1] == [("new", None), ("new", "amended"), ("canceled", "canceled")]
          and x1[1]["leaves"] == "3" and x1[1]["order_price"] == "30001"
          and x1[2]["venue_id"] == x1[1]["venue_id"] != x1[0]["venue_id"],
          f"limit order: new, replaced (a new venue id), canceled ({[(e['status'], e.get('reason'), e.get('venue_id')) for e in x1]})")
    check(any(st["event"] == "cancel_reject" and "42210000" in st["detail"] for st in status_events(out)),
          "cancel of a canceled order: cancel_reject with the venue's 42210000")
    x3 = by.get("x3", [])
    check(len(x3) == 1 and x3[0]["status"] == "rejected" and "post-only" in x3[0]["reason"],
          f"post-only: refused before sending ({x3})")

    # A wrong secret: refused, nothing printed.
    p = exec_proc(port, secret="wrong-secret")
    out, err = feed_slowly(p, [[order("w1")]], pause=1.5)
    ex = exec_events(out)
    check(len(ex) == 1 and ex[0]["status"] == "rejected" and "40110000" in ex[0]["reason"],
          f"wrong secret: the venue's 40110000 ({ex[0]['reason'] if ex else None})")
    check(any("unauthorized" in st.get("detail", "") for st in status_events(out)),
          "the stream's authorization is refused too")
    check(b"wrong-secret" not in out + err, "credentials are never printed")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # Rate limiting: 429 with Alpaca's code, then backing off.
    s, port = sim("--rate-limit", "1")
    p = exec_proc(port)
    out, err = feed_slowly(p, [[order(f"q{i}", price=str(29000 + i)) for i in range(3)]], pause=1.0)
    ex = exec_events(out)
    check(any(e["status"] == "rejected" and "42910000" in e.get("reason", "") for e in ex),
          "too many orders: rejected with 42910000")
    check(any(st["event"] == "rate_limited" for st in status_events(out)), "429: the gateway backs off")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # The stream cut mid-order, then reconciled.
    s, port = sim("--drop-private-after", "2")
    p = exec_proc(port)
    out, err = feed_slowly(p, [[order("r1")], [order("r2", qty="2", price=None, kind="market")],
                               [order("r3", qty="3", price=None, kind="market")]], pause=0.6)
    ex = exec_events(out)
    sts = [st["event"] for st in status_events(out)]
    check(sts.count("connected") >= 2 and "disconnected" in sts, f"the stream is cut and reconnected ({sts})")
    final = {e["id"]: (e["status"], e["filled"]) for e in ex}
    check(final.get("r2") == ("filled", "2") and final.get("r3") == ("filled", "3"),
          f"orders filled around the outage are reported in full ({final})")
    check(any("reconciled" in e.get("reason", "") for e in ex), "what was missed comes from reconciliation")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # kill -9 and a restart from the journal with the same input.
    s, port = sim()
    check_journal_restart(lambda extra: exec_proc(port, extra=extra), os.path.join(tmp, "alpaca.journal"),
                          [order(f"k{i}", price=str(29000 + i)) for i in range(8)], "k1")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

finish()
