#!/usr/bin/env python3
"""ot-dash's server end to end, through a WebSocket client of the test's own
(RFC 6455 framing, no library): a replayed capture through ot-book into
ot-dash; the access token (401 without, 403 wrong, the cookie the page gets,
never in the log but for the one URL); the Origin check; the snapshot and
sequenced updates; the ladder equal to ot-book's last bbo; order entry
written to ot-risk's input as typed; cancels, the kill switch; --read-only
refusing order entry at the server; backtest reports (--report, a single run
and a grid) listed and charted from ot-backtest's own files; TLS."""
import http.client
import re
import ssl
import tempfile
import time

from common import *
from dash_client import WebSocket, start_dash

CAPTURE = os.path.join(DATA, CAPTURES["okx"])


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def stop_dash(proc, ws):
    """Closes the client and ends ot-dash with SIGTERM."""
    ws.close()
    proc.terminate()
    proc.wait(timeout=10)


def start_dash_on(tmp, args, stdin_path, scheme="http"):
    err_path = os.path.join(tmp, f"dash-{len(os.listdir(tmp))}.err")
    proc, _, port, token = start_dash(args, err_path, open(stdin_path), scheme)
    return proc, port, token, err_path


with tempfile.TemporaryDirectory() as tmp:
    events = os.path.join(tmp, "events.ndjson")
    replay = run([tool("ot-feed"), "replay", CAPTURE])
    book = run([tool("ot-book"), "--pass-book"], stdin=replay.stdout)
    open(events, "wb").write(book.stdout)
    last_bbo = {}
    for line in book.stdout.decode().splitlines():
        e = json.loads(line)
        if e["type"] == "bbo":
            last_bbo[e["symbol"]] = e
    symbol = sorted(last_bbo)[0]

    orders_path = os.path.join(tmp, "orders.ndjson")
    proc, port, token, err_path = start_dash_on(tmp, ["--orders", orders_path], events)
    check(len(token) == 32, "a random 32-digit token, printed once as a URL")

    status, _, body = get(port, "/")
    check(status == 401, f"no token: 401 ({status})")
    status, _, _ = get(port, "/?token=" + "0" * 32)
    check(status == 403, f"a wrong token: 403 ({status})")
    status, headers, body = get(port, f"/?token={token}")
    check(status == 200 and b"ot-dash" in body, "the page with the token")
    cookie = headers.get("Set-Cookie", "")
    check(cookie.startswith(f"ot_dash={token}") and "HttpOnly" in cookie and "SameSite=Strict" in cookie,
          f"the page is given the token as an HttpOnly, SameSite=Strict cookie ({cookie[:60]})")
    status, headers, body = get(port, "/lightweight-charts.js", {"Cookie": f"ot_dash={token}"})
    check(status == 200 and b"TradingView Lightweight Charts" in body and
          headers.get("Content-Type", "").startswith("text/javascript"),
          "the chart library is served from the binary, with the cookie")
    check(get(port, "/app.js")[0] == 401, "assets need the token too")

    origin = f"http://127.0.0.1:{port}"
    check(WebSocket(port, "/ws", {"Origin": origin}).status == 401, "WebSocket without a token: 401")
    check(WebSocket(port, "/ws", {"Origin": "http://evil.example", "Cookie": f"ot_dash={token}"}).status == 403,
          "WebSocket from a foreign Origin: 403")
    check(WebSocket(port, "/ws", {"Cookie": f"ot_dash={token}"}).status == 403,
          "WebSocket without an Origin: 403")
    ws = WebSocket(port, "/ws", {"Origin": origin, "Cookie": f"ot_dash={token}"})
    check(ws.status == 101, f"WebSocket with the token and its own Origin ({ws.status})")
    first = ws.recv()
    check(first["type"] == "snapshot" and first["seq"] == 1 and
          set(first["views"]) == {"instruments", "orders", "fills", "positions", "greeks", "risk", "health"},
          f"a snapshot first, every view in it ({first['type']}, {sorted(first['views'])})")
    # The replay is a file: it has ended; the final state is served.
    time.sleep(0.5)
    ws.send({"op": "watch", "venue": "okx", "symbol": symbol, "interval": "1m"})
    m, seen = ws.until(lambda m: m.get("instrument"))
    seqs = [x["seq"] for x in [first] + seen if "seq" in x]
    check(seqs == list(range(1, len(seqs) + 1)), f"updates numbered without a gap ({seqs})")
    inst = m["instrument"]
    bbo = last_bbo[symbol]
    check(inst["bids"][0][0] == float(bbo["bid"]) and inst["asks"][0][0] == float(bbo["ask"]),
          f"{symbol}: the ladder's best bid and ask equal ot-book's last bbo "
          f"({inst['bids'][0][0]}/{inst['asks'][0][0]} vs {bbo['bid']}/{bbo['ask']})")
    check(len(inst["candles"]) + (1 if inst["forming"] else 0) > 0, f"{symbol}: candles from the trades")
    # A second browser at once: a snapshot of its own.
    ws2 = WebSocket(port, "/ws", {"Origin": origin, "Cookie": f"ot_dash={token}"})
    second = ws2.recv()
    check(second["type"] == "snapshot" and second["seq"] == 1, "a second browser gets its own snapshot")
    # After a gap the page asks again: a full snapshot, numbered on.
    ws2.send({"op": "resync"})
    again, _ = ws2.until(lambda m: m.get("type") == "snapshot")
    check(again["seq"] > 1 and len(again["views"]) == 7, f"resync: a full snapshot, seq {again['seq']}")
    ws2.close()
    health = first["views"]["health"]["venues"]
    check([v["venue"] for v in health] == ["okx"] and health[0]["events"] > 0,
          f"the health view lists the venue ({health})")

    # Order entry: to ot-risk's input, as typed.
    ws.send({"op": "order", "venue": "okx", "symbol": symbol, "side": "buy", "qty": "2",
             "price": bbo["bid"], "kind": "limit", "tif": "gtc", "post_only": True})
    r, _ = ws.until(lambda m: m.get("type") in ("sent", "refused"))
    check(r["type"] == "sent" and r["id"].startswith("dash-"), f"the order is sent ({r})")
    time.sleep(0.2)
    written = [json.loads(l) for l in open(orders_path)]
    o = written[-1] if written else {}
    check(o.get("type") == "order" and o.get("id") == r["id"] and o.get("symbol") == symbol and
          o.get("side") == "buy" and o.get("qty") == "2" and o.get("price") == bbo["bid"] and
          o.get("tif") == "post_only" and o.get("strategy") == "dash",
          f"ot-risk's input gets the order with the typed fields ({o})")
    for bad, why in (({"side": "hold"}, "side"), ({"qty": "-1"}, "quantity"), ({"price": "x"}, "price")):
        cmd = {"op": "order", "venue": "okx", "symbol": symbol, "side": "sell", "qty": "1", "price": "1"}
        cmd.update(bad)
        ws.send(cmd)
        r, _ = ws.until(lambda m: m.get("type") in ("sent", "refused"))
        check(r["type"] == "refused" and why in r["reason"], f"a bad ticket is refused: {bad} ({r.get('reason')})")
    check(len([l for l in open(orders_path)]) == 1, "refused tickets write nothing")
    ws.send({"op": "kill"})
    r, _ = ws.until(lambda m: m.get("type") in ("sent", "refused"))
    control = json.loads(open(orders_path).read().splitlines()[-1])
    check(r["type"] == "sent" and control == {**control, "type": "control", "command": "kill", "target": "ot-risk"},
          f"the kill switch goes to ot-risk as a control event ({control})")
    ws.send({"op": "cancel", "id": "nope"})
    r, _ = ws.until(lambda m: m.get("type") in ("sent", "refused"))
    check(r["type"] == "refused", "a cancel for no open order is refused")
    stop_dash(proc, ws)
    log = open(err_path).read()
    check(proc.returncode == 0, f"SIGTERM ends it cleanly ({proc.returncode})")
    check(log.count(token) == 1, "the token appears once in the log: the URL to open")

    # Backtest reports: one run and a grid of four.
    reports = os.path.join(tmp, "reports")
    mm = run([tool("ot-backtest"), "--data", os.path.join(DATA, CAPTURES["binance-futures"]),
              "--strategy", "mm", "--config", os.path.join(os.environ.get("OT_ROOT", "../.."), "examples/mm.toml"),
              "--maker-fee", "0.0002", "--taker-fee", "0.0004", "--report", f"{reports}/mm"])
    grid = run([tool("ot-backtest"), "--data", os.path.join(DATA, "candles/btc-perp-1m-2022-01.csv.zst"),
                "--strategy", "meanrev", "--param", "qty=0.1", "--param", "window=30,60",
                "--param", "entry_z=2,2.5", "--taker-fee", "0.0005", "--report", f"{reports}/grid"])
    check(mm.returncode == 0 and grid.returncode == 0, "ot-backtest writes a report and a grid's")
    proc, port, token, _ = start_dash_on(tmp, ["--report", f"{reports}/mm", "--report", f"{reports}/grid"],
                                      events)
    ws = WebSocket(port, "/ws", {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"ot_dash={token}"})
    snap = ws.recv()
    names = [r["name"] for r in snap.get("reports", [])]
    check(names == [f"{reports}/mm"] + [f"{reports}/grid/run-{k}" for k in range(1, 5)],
          f"the snapshot lists the reports, a grid's runs in order ({len(names)})")
    check(snap["reports"][0]["summary"] == json.loads(open(f"{reports}/mm/summary.json").read()),
          "a report's summary is ot-backtest's summary.json")
    ws.send({"op": "report", "name": f"{reports}/mm"})
    rep, _ = ws.until(lambda m: m.get("type") == "report")
    data = rep["data"]
    fills_written = [json.loads(l) for l in open(f"{reports}/mm/fills.ndjson") if l.strip()]
    rows = len(open(f"{reports}/mm/equity.csv").read().splitlines()) - 1
    check(len(data["fills"]) == len(fills_written) > 0, f"the report's fills ({len(data['fills'])})")
    check(0 < len(data["equity"]) <= rows and data["symbols"] == ["binance-futures SUSHIUSDT"],
          f"the equity curve from equity.csv ({len(data['equity'])} of {rows} rows, {data['symbols']})")
    times = [p[0] for p in data["equity"]]
    check(times == sorted(set(times)), "equity points in strictly rising seconds (the chart's axis)")
    ws.send({"op": "report", "name": f"{reports}/grid/run-3"})
    rep, _ = ws.until(lambda m: m.get("type") == "report")
    check(len(rep["data"]["equity"]) <= 5000 and rep["data"]["equity"][-1][0] ==
          int(open(f"{reports}/grid/run-3/equity.csv").read().splitlines()[-1].split(",")[0]) // 10**9,
          f"a month of candles thinned to 5000 points, the last kept ({len(rep['data']['equity'])})")
    ws.send({"op": "report", "name": "nope"})
    r, _ = ws.until(lambda m: m.get("type") in ("report", "refused"))
    check(r["type"] == "refused", "an unknown report is refused")
    stop_dash(proc, ws)
    bad = run([tool("ot-dash"), "--report", tmp, "--listen", "127.0.0.1:0"], stdin=b"")
    check(bad.returncode == 1 and b"no summary.json" in bad.stderr, "--report of a directory without one: exit 1")

    # --read-only: the server refuses order entry.
    proc, port, token, _ = start_dash_on(tmp, ["--orders", orders_path, "--read-only"], events)
    ws = WebSocket(port, "/ws", {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"ot_dash={token}"})
    ws.recv()
    before = open(orders_path).read()
    ws.send({"op": "order", "venue": "okx", "symbol": symbol, "side": "buy", "qty": "1", "price": "1"})
    r, _ = ws.until(lambda m: m.get("type") in ("sent", "refused"))
    check(r["type"] == "refused" and "read-only" in r["reason"], f"--read-only refuses orders ({r})")
    check(open(orders_path).read() == before, "--read-only writes nothing")
    stop_dash(proc, ws)

    # TLS: https:// and wss:// with --cert and --key.
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    proc, port, token, _ = start_dash_on(tmp, ["--cert", cert, "--key", key], events, "https")
    trust = ssl.create_default_context(cafile=cert)
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=trust)
    c.request("GET", f"/?token={token}")
    r = c.getresponse()
    check(r.status == 200 and "Secure" in (r.getheader("Set-Cookie") or ""),
          "TLS: the page over https://, its cookie Secure")
    ws = WebSocket(port, "/ws", {"Origin": f"https://127.0.0.1:{port}", "Cookie": f"ot_dash={token}"},
                   tls=trust)
    check(ws.status == 101 and ws.recv()["type"] == "snapshot", "TLS: the WebSocket over wss://")
    stop_dash(proc, ws)
finish()
