#!/usr/bin/env python3
"""ot-exec --venue binance-futures against ot-sim's Binance order entry: place,
amend, cancel, partial and full fills, rejects, a bad signature, the venue's
rate limit, duplicated acks, the private stream cut mid-order (reconnect and
reconcile), kill -9 of ot-exec and a restart from its journal, and the key
file's permissions."""
import hashlib
import hmac
import signal
import tempfile
import time
import urllib.request

from common import *

CAPTURE = os.path.join(DATA, "binance-futures.raw")
KEY, SECRET = "ot-sim-key", "ot-sim-secret"


def order(i, side="buy", qty="5", price="7.600", kind="limit", tif="gtc", oid=None):
    o = {"type": "order", "id": oid or f"o{i}", "venue": "binance-futures", "symbol": "SUSHIUSDT",
         "side": side, "qty": qty, "kind": kind, "tif": tif}
    if price is not None:
        o["price"] = price
    return json.dumps(o)


execs, statuses = exec_events, status_events


def exec_run(port, lines, secret=SECRET, extra=(), env_extra=None, timeout=60, linger="1500"):
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY=KEY, OT_BINANCE_FUTURES_API_SECRET=secret)
    if env_extra:
        env.update(env_extra)
    return subprocess.run([tool("ot-exec"), "--venue", "binance-futures", "--rest-url",
                           f"http://127.0.0.1:{port}", "--ws-url", f"ws://127.0.0.1:{port}",
                           "--linger-ms", linger] + list(extra),
                          input=("\n".join(lines) + "\n").encode(), capture_output=True,
                          env=env, timeout=timeout)


def open_orders(port):
    q = f"symbol=SUSHIUSDT&timestamp={int(time.time() * 1000)}"
    sig = hmac.new(SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/fapi/v1/openOrders?{q}&signature={sig}",
                                 headers={"X-MBX-APIKEY": KEY})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())


with tempfile.TemporaryDirectory() as tmp:
    def sim(*args):
        return start_sim("binance-futures", CAPTURE, ["--speed", "0", "--taker-fee", "0.0004"] + list(args), tmp)

    # Place, fill, amend, cancel, reject: with the venue's I/O on ot-exec's
    # own thread (the default), and on a thread of its own; and each
    # spinning on the sockets (--busy-poll).
    s = None
    for mode in ((), ("--io-thread",), ("--busy-poll",), ("--io-thread", "--busy-poll")):
        if s is not None:  # a fresh venue: the same client order ids again
            s.send_signal(signal.SIGTERM)
            s.wait(timeout=10)
        s, port = sim()
        print(f"ot-exec {' '.join(mode) or '(network I/O on the engine thread)'}:")
        r = exec_run(port, [
            order(1),                                           # rests
            order(2, qty="400", price=None, kind="market"),     # two fills: 297 then 103
            order(3, price="7.590"),
            json.dumps({"type": "amend", "id": "o3", "qty": "3", "price": "7.595"}),
            json.dumps({"type": "cancel", "id": "o1"}),
            order(4, price="7.620", tif="post_only"),           # would take: rejected
            json.dumps({"type": "cancel", "id": "o1"}),          # already canceled
        ], extra=mode)
        ex = execs(r.stdout)
        by = {}
        for e in ex:
            by.setdefault(e["id"], []).append(e)
        check(r.returncode == 0, f"ot-exec against the simulated venue ({r.returncode}) {r.stderr.decode()[-300:]}")
        check([e["status"] for e in by.get("o2", [])] == ["new", "partial", "filled"],
              f"market order: new, partial, filled ({[e['status'] for e in by.get('o2', [])]})")
        fills = [e for e in by.get("o2", []) if "qty" in e]
        check([(f["price"], f["qty"]) for f in fills] == [("7.6120", "297"), ("7.6130", "103")],
              "market order: fills at the book's levels")
        check(fills and fills[0].get("fee") == "0.9043056" and fills[0].get("liquidity") == "taker",
              "fills carry the venue's fee and liquidity")
        check([e["status"] for e in by.get("o1", [])] == ["new", "canceled"], "limit order: new then canceled")
        amended = [e for e in by.get("o3", []) if e.get("reason") == "amended"]
        check(len(amended) == 1 and amended[0]["order_price"] == "7.595" and amended[0]["leaves"] == "3",
              "amend: new price and quantity confirmed")
        rej = by.get("o4", [])
        check(len(rej) == 1 and rej[0]["status"] == "rejected" and "-2010" in rej[0]["reason"],
              f"post-only order that would take: rejected with the venue's code ({rej})")
        check(any(st["event"] == "cancel_reject" and "-2011" in st["detail"] for st in statuses(r.stdout)),
              "cancel of a canceled order: cancel_reject with -2011")
        seqs = [e["seq"] for e in ex]
        check(seqs == list(range(1, len(seqs) + 1)), "reports numbered without a gap")

    # Orders over a ZeroMQ endpoint (ot-risk PUSH -> ot-exec PULL): the
    # engine thread waits on the socket's descriptor while it serves the venue.
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)
    s, port = sim()
    endpoint = f"ipc://{tmp}/orders"
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY=KEY, OT_BINANCE_FUTURES_API_SECRET=SECRET)
    ex_proc = subprocess.Popen([tool("ot-exec"), "--venue", "binance-futures", "--in", endpoint,
                                "--rest-url", f"http://127.0.0.1:{port}",
                                "--ws-url", f"ws://127.0.0.1:{port}"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(0.5)
    pushed = run([tool("ot-risk"), "--out", endpoint],
                 stdin=("\n".join([order(1), order(2, qty="400", price=None, kind="market")])
                        + "\n").encode())
    time.sleep(2)  # the reports of two orders
    ex_proc.send_signal(signal.SIGTERM)
    out, err = ex_proc.communicate(timeout=20)
    statuses_o2 = [e["status"] for e in execs(out) if e["id"] == "o2"]
    check(pushed.returncode == 0 and ex_proc.returncode == 0,
          f"orders over ZeroMQ: both programs exit 0 ({pushed.returncode}, {ex_proc.returncode}) "
          f"{err.decode()[-300:]}")
    check(statuses_o2 == ["new", "partial", "filled"],
          f"orders over ZeroMQ reach the venue and its reports come back ({statuses_o2})")

    # A wrong secret: the venue's signature error.
    r = exec_run(port, [order(10)], secret="wrong")
    ex = execs(r.stdout)
    check(len(ex) == 1 and ex[0]["status"] == "rejected" and "-1022" in ex[0]["reason"],
          f"bad signature: rejected with -1022 ({ex[0]['reason'] if ex else None})")
    check(b"wrong" not in r.stdout + r.stderr, "the secret is never printed")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # The venue's rate limit (429).
    s, port = sim("--rate-limit", "2")
    r = exec_run(port, [order(20 + i, price="7.500") for i in range(8)])
    ex = execs(r.stdout)
    limited = [e for e in ex if "-1015" in e.get("reason", "")]
    backed = [e for e in ex if "back off" in e.get("reason", "")]
    check(len(limited) >= 1, f"429 from the venue: the order is rejected with -1015 ({len(limited)})")
    check(len(backed) >= 1, f"after a 429 the gateway backs off without sending ({len(backed)})")
    check(any(st["event"] == "rate_limited" for st in statuses(r.stdout)), "a rate_limited status event")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # The simulator's reject fault: every third order.
    s, port = sim("--reject-every", "3")
    r = exec_run(port, [order(60 + i, price="7.500") for i in range(6)])
    faulted = [e["id"] for e in execs(r.stdout) if "reject-every" in e.get("reason", "")]
    check(faulted == ["o62", "o65"], f"the simulator's reject fault reaches the strategy ({faulted})")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # A private stream that lags the REST answers: the cancel and the amend
    # are answered first and reported 400 ms later; ot-exec waits for the
    # reports before it exits.
    s, port = sim("--report-delay-ms", "400")
    r = exec_run(port, [order(70, price="7.500"), order(71, price="7.510"),
                        json.dumps({"type": "amend", "id": "o71", "qty": "2", "price": "7.505"}),
                        json.dumps({"type": "cancel", "id": "o70"})], linger="3000")
    st70 = [e["status"] for e in execs(r.stdout) if e["id"] == "o70"]
    am71 = [e for e in execs(r.stdout) if e["id"] == "o71" and e.get("reason") == "amended"]
    check(st70 == ["new", "canceled"], f"lagging stream: the cancel's report is waited for ({st70})")
    check(len(am71) == 1 and am71[0]["order_price"] == "7.505",
          f"lagging stream: the amend's report is waited for ({len(am71)})")
    check(b"not yet acknowledged" not in r.stderr and b"unanswered" not in r.stderr,
          "lagging stream: nothing left owed at exit")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # Duplicated acks are recognized; a cut private stream is reconnected and
    # what was missed is reconciled.
    s, port = sim("--duplicate-acks", "--drop-private-after", "2")
    r = exec_run(port, [order(30, price="7.500"), order(31, qty="10", price=None, kind="market"),
                        order(32, qty="20", price=None, kind="market")], linger="5000")
    ex = execs(r.stdout)
    news = [e for e in ex if e["status"] == "new" and e["id"] == "o30"]
    check(len(news) == 1, f"a duplicated ack is reported once ({len(news)})")
    sts = [st["event"] for st in statuses(r.stdout)]
    check(sts.count("connected") >= 2 and "disconnected" in sts,
          f"the private stream is cut and reconnected ({sts})")
    final = {}
    filled = {}
    for e in ex:
        final[e["id"]] = e["status"]
        filled[e["id"]] = e["filled"]
    check(final.get("o31") == "filled" and filled.get("o31") == "10" and final.get("o32") == "filled"
          and filled.get("o32") == "20",
          f"orders filled during the outage are reported in full ({final}, {filled})")
    recon = [e for e in ex if "reconciled" in e.get("reason", "")]
    check(len(recon) >= 1 and all("qty" in e and "price" in e for e in recon),
          f"what the stream missed comes from reconciliation, as fills ({len(recon)})")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # kill -9 of ot-exec, then a restart from its journal with the same input.
    s, port = sim()
    journal = os.path.join(tmp, "exec.journal")
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY=KEY, OT_BINANCE_FUTURES_API_SECRET=SECRET)
    lines = [order(40 + i, price="7.5%02d" % i) for i in range(12)]
    first = subprocess.Popen([tool("ot-exec"), "--venue", "binance-futures", "--rest-url",
                              f"http://127.0.0.1:{port}", "--ws-url", f"ws://127.0.0.1:{port}",
                              "--journal", journal], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)
    for l in lines[:6]:
        first.stdin.write((l + "\n").encode())
        first.stdin.flush()
        time.sleep(0.05)
    time.sleep(1.5)
    first.send_signal(signal.SIGKILL)
    out1, _ = first.communicate(timeout=20)
    r = exec_run(port, lines, extra=["--journal", journal])
    acks = {}
    for e in execs(out1) + execs(r.stdout):
        if e["status"] == "new":
            acks[e["id"]] = acks.get(e["id"], 0) + 1
        check(e["status"] != "rejected", f"restart: no order rejected ({e['id']}: {e.get('reason')})")
    at_venue = sorted(o["clientOrderId"] for o in open_orders(port))
    check(at_venue == sorted(f"o{40 + i}" for i in range(12)),
          f"restart: the venue holds each order exactly once ({len(at_venue)} of 12)")
    check(all(acks.get(f"o{40 + i}", 0) >= 1 for i in range(12)), "restart: every order acknowledged")
    s.send_signal(signal.SIGTERM)
    s.wait(timeout=10)

    # Keys: a key file readable by others is refused; nothing is printed.
    key_file = os.path.join(tmp, "keys")
    with open(key_file, "w") as f:
        f.write(f"key = {KEY}\nsecret = {SECRET}\n")
    os.chmod(key_file, 0o644)
    r = run([tool("ot-exec"), "--venue", "binance-futures", "--key-file", key_file], stdin=b"")
    check(r.returncode == 2 and b"chmod 600" in r.stderr, "a key file readable by others is refused")
    r = run([tool("ot-exec"), "--venue", "binance-futures"], stdin=b"")
    check(r.returncode == 2 and b"OT_BINANCE_FUTURES_API_KEY" in r.stderr,
          "without credentials: says where to put them")
    check(SECRET.encode() not in r.stderr, "the secret is never printed")

finish()
