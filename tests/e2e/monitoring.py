#!/usr/bin/env python3
"""Metrics end to end, with a real Prometheus (Debian's prometheus, a private
instance on a free port) scraping a live pipeline against ot-sim:

  ot-sim (binance-futures capture, one forced disconnect, one skipped book
  frame) -> ot-feed live | ot-book | ot-strat mm | ot-risk | ot-exec paper,
  executions fed back over ZeroMQ; and an options desk: ot-risk reading
  Deribit tickers and an option fill (greeks).

Every program runs with --metrics. The series Prometheus scraped must equal
what this test counts in the streams themselves (events by type and venue in
and out, the gap after the skip, the reconnect after the drop, execution
reports by state, rejects); /healthz and /readyz answer; the alert rules of
examples/monitoring/alerts.yml load and evaluate; promtool checks and tests
them; and every panel query of the Grafana dashboards evaluates without error
and returns data."""
import collections
import glob
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from common import *

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
MONITORING = os.path.join(ROOT, "examples/monitoring")
CAPTURE = os.path.join(DATA, CAPTURES["binance-futures"])
SYMBOLS = "SUSHIUSDT,AKROUSDT,CTKUSDT,KEEPUSDT"


def http_get(url, timeout=5):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def counts(path, key=lambda e: (e["type"], e.get("venue", ""))):
    """Events of an NDJSON file counted by `key`."""
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            if line.strip():
                c[key(json.loads(line))] += 1
    return c


def wait_quiet(paths, quiet_s=2.0, timeout=60):
    """Until none of the files has grown for quiet_s."""
    deadline = time.monotonic() + timeout
    sizes, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = [os.path.getsize(p) if os.path.exists(p) else 0 for p in paths]
        if now != sizes:
            sizes, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return True
        time.sleep(0.2)
    return False


class Prometheus:
    def __init__(self, tmp, targets):
        self.port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {os.path.join(MONITORING, 'alerts.yml')}\n"
                    "scrape_configs:\n  - job_name: optitrade\n    static_configs:\n")
            for program, port in targets.items():
                f.write(f"      - targets: ['127.0.0.1:{port}']\n        labels: {{program: {program}}}\n")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "prometheus.log"), "w"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if http_get(f"http://127.0.0.1:{self.port}/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("prometheus did not start")

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        return json.loads(http_get(url)[1])

    def query(self, expr):
        """The instant vector as {frozenset(labels): value}; None on error."""
        r = self.api("query", query=expr)
        if r.get("status") != "success":
            return None
        return {frozenset((k, v) for k, v in s["metric"].items() if k not in ("job", "instance")):
                float(s["value"][1]) for s in r["data"]["result"]}

    def by(self, expr, *labels):
        out = {}
        for k, v in (self.query(expr) or {}).items():
            d = dict(k)
            out[tuple(d.get(l, "") for l in labels)] = v
        return out

    def settle(self, expr, labels, want, timeout=20):
        """Polls until the series of `expr` keyed by `labels` equal `want`
        (scrapes lag the streams by up to a scrape interval); the last read."""
        deadline = time.monotonic() + timeout
        while True:
            got = {k: int(v) for k, v in self.by(expr, *labels).items() if v}
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


with tempfile.TemporaryDirectory() as tmp:
    # promtool on the shipped configuration first: it needs nothing running.
    r = run(["promtool", "check", "config", os.path.join(MONITORING, "prometheus.yml")])
    check(r.returncode == 0, f"promtool check config prometheus.yml {r.stderr.decode()[-200:]}")
    r = run(["promtool", "check", "rules", os.path.join(MONITORING, "alerts.yml")])
    check(r.returncode == 0, f"promtool check rules alerts.yml {r.stderr.decode()[-200:]}")
    r = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"], cwd=MONITORING,
                       capture_output=True)
    check(r.returncode == 0 and b"SUCCESS" in r.stdout,
          f"promtool test rules: every alert fires on its synthetic series and only then "
          f"{(r.stdout + r.stderr).decode()[-400:]}")

    # A feed that cannot connect is alive but not ready, and says why.
    lonely = free_port()
    nowhere = free_port()
    waiting = subprocess.Popen([tool("ot-feed"), "live", "--venue", "okx", "--symbols", "BTC-USDT",
                                "--ws-url", f"ws://127.0.0.1:{nowhere}", "--metrics",
                                f"127.0.0.1:{lonely}", "-q"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    ready = None
    while time.monotonic() < deadline:
        try:
            ready = http_get(f"http://127.0.0.1:{lonely}/readyz")
            break
        except OSError:
            time.sleep(0.1)
    check(ready is not None and ready[0] == 503 and "not connected" in ready[1],
          f"ot-feed without a venue: /readyz 503 ({ready})")
    check(http_get(f"http://127.0.0.1:{lonely}/healthz")[0] == 200, "ot-feed without a venue: /healthz 200")
    waiting.terminate()
    waiting.wait(timeout=20)

    skip = skippable_delta("binance-futures", CAPTURE)
    sim, sim_port = start_sim("binance-futures", CAPTURE,
                              ["--speed", "20", "--drop-after", "200", "--skip", str(skip)], tmp,
                              stdout=subprocess.PIPE)
    sim_events = []
    sim_reader = threading.Thread(target=lambda: sim_events.extend(json.loads(l) for l in sim.stdout),
                                  daemon=True)
    sim_reader.start()

    ports = {p: free_port() for p in ("ot-feed", "ot-book", "ot-strat", "ot-risk", "ot-exec",
                                      "options-risk")}
    fills = f"ipc://{tmp}/fills"
    limits = os.path.join(tmp, "risk.toml")
    with open(limits, "w") as f:
        # A position limit the strategy's quotes run into: rejects to count.
        f.write('[account]\nmax_open_orders = 10\n[defaults]\nmax_order_qty = "100"\n'
                'price_collar_bps = 50\nmax_position = "5"\n')
    out = {k: os.path.join(tmp, f"{k}.out") for k in ("feed", "book", "strat", "risk", "exec")}
    m = lambda p: f"--metrics 127.0.0.1:{ports[p]}"
    chain = (f"{tool('ot-feed')} live --venue binance-futures --symbols {SYMBOLS}"
             f" --ws-url ws://127.0.0.1:{sim_port} --rest-url http://127.0.0.1:{sim_port} {m('ot-feed')}"
             f" | tee {out['feed']} | {tool('ot-book')} --pass-book {m('ot-book')}"
             f" | tee {out['book']} | {tool('ot-strat')} --session mon --fills {fills} {m('ot-strat')}"
             f" mm --symbol SUSHIUSDT --qty 5 --gamma 0.01 --tick 0.001"
             f" | tee {out['strat']} | {tool('ot-risk')} --limits {limits} --fills {fills} {m('ot-risk')}"
             f" | tee {out['risk']} | {tool('ot-exec')} --venue paper --fills-out {fills}"
             f" --fills-subscribers 2 --maker-fee 0.0002 --taker-fee 0.0004 {m('ot-exec')}"
             f" > {out['exec']}")
    pipeline = subprocess.Popen(["bash", "-c", chain], stderr=open(os.path.join(tmp, "chain.err"), "w"),
                                start_new_session=True)

    # The options desk: Deribit tickers, then a fill on one option.
    deribit = run([tool("ot-feed"), "replay", os.path.join(DATA, CAPTURES["deribit"])]).stdout
    options_out = os.path.join(tmp, "options.out")
    options = subprocess.Popen([tool("ot-risk"), "--metrics", f"127.0.0.1:{ports['options-risk']}"],
                               stdin=subprocess.PIPE, stdout=open(options_out, "w"))
    options.stdin.write(deribit)
    options.stdin.write(b'{"type":"exec","venue":"deribit","symbol":"ETH-30JUL21-2800-C","id":"d-1",'
                        b'"side":"buy","status":"filled","price":"0.002","qty":"10","filled":"10",'
                        b'"leaves":"0","fee":"0.0003","ts":1626993800000000000}\n')
    options.stdin.flush()  # left open: the desk keeps serving its metrics

    prom = Prometheus(tmp, ports)
    deadline = time.monotonic() + 90
    while not any(e.get("event") == "eof" for e in sim_events) and time.monotonic() < deadline:
        time.sleep(0.2)
    check(any(e.get("event") == "eof" for e in sim_events), "the simulator played the capture")
    check(wait_quiet(list(out.values())), "the pipeline settled")

    feed = ports["ot-feed"]
    status, body = http_get(f"http://127.0.0.1:{feed}/healthz")
    check(status == 200 and body == "ok\n", "ot-feed /healthz answers 200 ok")
    status, body = http_get(f"http://127.0.0.1:{feed}/readyz")
    check(status == 200, f"ot-feed /readyz: connected with every book in sync ({status} {body.strip()})")
    status, _ = http_get(f"http://127.0.0.1:{ports['ot-book']}/readyz")
    check(status == 200, "ot-book /readyz: input flowing")
    check(http_get(f"http://127.0.0.1:{feed}/nope")[0] == 404, "an unknown path is 404")

    # Events by type and venue, as counted in the streams themselves.
    fed, booked = counts(out["feed"]), counts(out["book"])
    got = prom.settle('ot_events_total{program="ot-feed",direction="out"}', ("type", "venue"), dict(fed))
    check(got == dict(fed) and len(fed) >= 3,
          f"ot-feed: events out by type and venue equal the stream's ({sum(fed.values())} events, {got})")
    got = prom.settle('ot_events_total{program="ot-book",direction="in"}', ("type", "venue"), dict(fed))
    check(got == dict(fed), "ot-book: events in equal what ot-feed wrote")
    got = prom.settle('ot_events_total{program="ot-book",direction="out"}', ("type", "venue"), dict(booked))
    check(got == dict(booked), f"ot-book: events out by type and venue equal its stream's ({sum(booked.values())})")

    # The injected skip and the forced drop.
    statuses = counts(out["feed"], key=lambda e: e.get("event") if e["type"] == "status" else None)
    gaps, connects = statuses["gap"], statuses["connected"]
    got = prom.settle('sum(ot_status_total{program="ot-feed",event="gap"})', (), {(): gaps})
    check(gaps >= 1 and got == {(): gaps}, f"the skipped frame: {gaps} gap(s) in the stream and in Prometheus")
    got = prom.settle('ot_status_total{program="ot-feed",event=~"connected|disconnected"}', ("event",),
                      {("connected",): connects, ("disconnected",): statuses["disconnected"]})
    check(connects == 2 and got == {("connected",): 2, ("disconnected",): 1},
          f"the forced drop: one disconnect and a reconnect ({got})")
    check(prom.by('ot_venue_connected{program="ot-feed"}', "venue") == {("binance-futures",): 1.0},
          "ot_venue_connected is 1 after the reconnect")
    resyncs = statuses["resync"]
    got = prom.settle('sum(ot_status_total{program="ot-book",direction="in",event="resync"})', (),
                      {(): resyncs} if resyncs else {})
    check(resyncs >= 1 and got == {(): resyncs}, f"ot-book counted the {resyncs} resync(s) it read")

    # The trading chain: orders, reports by state, rejects.
    orders = counts(out["strat"], key=lambda e: e["type"])["order"]
    got = prom.settle('sum(ot_events_total{program="ot-strat",direction="out",type="order"})', (),
                      {(): orders})
    check(orders > 0 and got == {(): orders}, f"ot-strat: {orders} orders out")
    got = prom.settle('sum(ot_events_total{program="ot-risk",direction="in",type="order"})', (), {(): orders})
    check(got == {(): orders}, "ot-risk: the same orders in")
    risk_rejects = counts(out["risk"], key=lambda e: e.get("status") if e["type"] == "exec" else None)["rejected"]
    got = prom.settle('sum(ot_rejects_total{program="ot-risk"})', (), {(): risk_rejects})
    check(risk_rejects > 0 and got == {(): risk_rejects}, f"ot-risk: {risk_rejects} rejects by reason")
    reasons = prom.by('ot_rejects_total{program="ot-risk"}', "reason")
    check(all(r[0] and " " not in r[0] for r in reasons), f"reject reasons are short labels ({list(reasons)})")
    execs = counts(out["exec"], key=lambda e: e.get("status") if e["type"] == "exec" else None)
    execs.pop(None, None)
    got = prom.settle('sum by (status) (ot_execs_total{program="ot-exec"})', ("status",),
                      {(k,): v for k, v in execs.items()})
    check(got == {(k,): v for k, v in execs.items()}, f"ot-exec: execution reports by state ({dict(execs)})")
    fills_n = counts(out["exec"], key=lambda e: e["type"] == "exec" and float(e.get("qty", 0)) > 0)[True]
    got = prom.settle('sum(ot_fills_total{program="ot-exec"})', (), {(): fills_n} if fills_n else {})
    check(fills_n > 0 and got == {(): fills_n}, f"ot-exec: {fills_n} fills")
    check(prom.by('ot_kill_switch{program="ot-risk"}') == {(): 0.0}, "the kill switch gauge reads 0")
    acks = prom.by('sum(ot_stage_latency_seconds_count{program="ot-exec",stage="order_to_ack"})')
    check(acks.get((), 0) > 0, f"ot-exec timed order to first report ({acks})")
    frames = prom.by('sum(ot_stage_latency_seconds_count{program="ot-feed",stage="frame_to_event"})')
    check(frames.get((), 0) > 0, f"ot-feed timed frame to event ({frames})")

    # The options desk's greeks and position, as its own events say.
    greeks = [json.loads(l) for l in open(options_out) if l.startswith('{"type":"greeks"')]
    got = prom.by('ot_greek{program="options-risk",greek="delta"}', "venue", "underlying")
    check(greeks and abs(got.get(("deribit", "ETH"), 0) - float(greeks[-1]["delta"])) < 1e-9,
          f"options desk: portfolio delta equals the last greeks event ({got})")
    check(prom.by('ot_position{program="options-risk"}', "symbol") == {("ETH-30JUL21-2800-C",): 10.0},
          "options desk: the position gauge")

    # Alert rules loaded and evaluating; the recording rules produce series.
    rules = prom.api("rules")
    health = [r.get("health") for g in rules["data"]["groups"] for r in g["rules"]]
    check(len(health) == 9 and all(h == "ok" for h in health),
          f"the 9 rules of alerts.yml load and evaluate ({health})")
    deadline = time.monotonic() + 15
    while not prom.query("venue:ot_pnl:sum") and time.monotonic() < deadline:
        time.sleep(0.5)
    check(bool(prom.query("venue:ot_pnl:sum")), "the PnL recording rule has series")

    # Rates need samples: a few scrapes of every target first.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        scrapes = prom.query("count_over_time(up[1h])") or {}
        if len(scrapes) == len(ports) and min(scrapes.values()) >= 4:
            break
        time.sleep(0.5)
    # Every dashboard panel's query, with the dashboards' variables set.
    for path in sorted(glob.glob(os.path.join(MONITORING, "grafana/dashboards/*.json"))):
        board = json.load(open(path))
        for p in board["panels"]:
            for t in p["targets"]:
                expr = t["expr"].replace("$__rate_interval", "1m").replace("$venue", ".*")
                result = prom.query(expr)
                check(result is not None and len(result) > 0,
                      f"{os.path.basename(path)}: '{p['title']}' {t['refId']} returns data"
                      + ("" if result else f" ({str(prom.api('query', query=expr))[:300]})"))

    os.killpg(pipeline.pid, signal.SIGTERM)
    pipeline.wait(timeout=30)
    options.stdin.close()
    options.wait(timeout=30)
    sim.terminate()
    sim.wait(timeout=20)
    prom.stop()
finish()
