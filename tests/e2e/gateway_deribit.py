#!/usr/bin/env python3
"""ot-exec --venue deribit against ot-sim's Deribit order entry (JSON-RPC over
the WebSocket): authentication with client_signature, fills with fees,
amend and cancel by label, cancel_reject, post-only reject, a wrong secret,
the private stream cut mid-order (reconnect and reconcile), duplicated acks,
kill -9 and a restart from the journal."""
import signal
import tempfile
import time

from common import *

CAPTURE = os.path.join(DATA, "deribit.raw")
SYM = "BTC-24SEP21-34000-P"


def order(oid, side="buy", qty="1", price="0.0005", kind="limit", tif="gtc"):
    o = {"type": "order", "id": oid, "venue": "deribit", "symbol": SYM, "side": side, "qty": qty,
         "kind": kind, "tif": tif}
    if price is not None:
        o["price"] = price
    return json.dumps(o)


execs, statuses = exec_events, status_events


def exec_proc(port, secret="ot-sim-secret", extra=()):
    env = dict(os.environ, OT_DERIBIT_API_KEY="ot-sim-key", OT_DERIBIT_API_SECRET=secret)
    return subprocess.Popen([tool("ot-exec"), "--venue", "deribit", "--ws-url",
                             f"ws://127.0.0.1:{port}", "--linger-ms", "3000"] + list(extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


feed = feed_slowly


with tempfile.TemporaryDirectory() as tmp:
    def sim(*args):
        return start_sim("deribit", CAPTURE, ["--speed", "0", "--taker-fee", "0.0003"] + list(args), tmp)

    s, port = sim()
    p = exec_proc(port)
    out, err = feed(p, [[order("d1"), order("d2", qty="2", price=None, kind="market")],
                        [json.dumps({"type": "amend", "id": "d1", "qty": "3", "price": "0.0006"})],
                        [json.dumps({"type": "cancel", "id": "d1"})],
                        [json.dumps({"type": "cancel", "id": "d1"}),
                         order("d3", price="0.9", tif="post_only")]])
    ex = execs(out)
    by = {}
    for e in ex:
        by.setdefault(e["id"], []).append(e)
    check(p.returncode == 0, f"ot-exec --venue deribit runs ({p.returncode}) {err.decode()[-200:]}")
    check(any(st["event"] == "connected" for st in statuses(out)), "authenticated private session")
    d2 = by.get("d2", [])
    check([e["status"] for e in d2] == ["new", "filled"], f"market order: new, filled ({[e['status'] for e in d2]})")
    fill = [e for e in d2 if "qty" in e]
    check(fill and fill[0]["price"] == "0.1585" and fill[0]["fee"] == "0.0000951" and
          fill[0]["liquidity"] == "taker", f"fill at the book's ask with the venue's fee ({fill})")
    d1 = by.get("d1", [])
    check([e["status"] for e in d1] == ["new", "new", "canceled"] and d1[1].get("reason") == "amended"
          and d1[1]["leaves"] == "3" and d1[1]["order_price"] == "0.0006",
          f"limit order: new, amended, canceled ({[(e['status'], e.get('reason')) for e in d1]})")
    check(any(st["event"] == "cancel_reject" for st in statuses(out)), "cancel of a canceled order: cancel_reject")
    d3 = by.get("d3", [])
    check(len(d3) == 1 and d3[0]["status"] == "rejected" and "11054" in d3[0]["reason"],
          f"post-only that would take: rejected with 11054 ({d3})")

    # A wrong secret: the session is refused and nothing is sent.
    p = exec_proc(port, secret="wrong")
    out, err = feed(p, [[order("w1")]], pause=6)
    ex = execs(out)
    check(len(ex) == 1 and ex[0]["status"] == "rejected", "wrong secret: the order is rejected, not sent")
    check(any("authentication refused" in st.get("detail", "") for st in statuses(out)),
          "wrong secret: authentication refused is reported")
    check(b"wrong" not in out + err, "the secret is never printed")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # Duplicated acks; the private stream cut mid-order and reconciled.
    s, port = sim("--duplicate-acks", "--drop-private-after", "2")
    p = exec_proc(port)
    out, err = feed(p, [[order("r1")], [order("r2", qty="2", price=None, kind="market")],
                        [order("r3", qty="3", price=None, kind="market")]], pause=0.6)
    ex = execs(out)
    check(len([e for e in ex if e["id"] == "r1" and e["status"] == "new"]) == 1,
          "a duplicated ack is reported once")
    sts = [st["event"] for st in statuses(out)]
    check(sts.count("connected") >= 2 and "disconnected" in sts, f"the session is cut and reconnected ({sts})")
    final = {e["id"]: (e["status"], e["filled"]) for e in ex}
    check(final.get("r2") == ("filled", "2") and final.get("r3") == ("filled", "3"),
          f"orders filled around the outage are reported in full ({final})")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # kill -9 and a restart from the journal with the same input.
    s, port = sim()
    check_journal_restart(lambda extra: exec_proc(port, extra=extra), os.path.join(tmp, "deribit.journal"),
                          [order(f"k{i}", price="0.00%02d" % (10 + i)) for i in range(8)], "k1")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

finish()
