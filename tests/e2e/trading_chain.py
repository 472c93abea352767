#!/usr/bin/env python3
"""The live trading chain through the real binaries:
ot-feed replay (paced) | ot-book | ot-strat mm | ot-risk | ot-exec --venue paper,
with executions fed back to ot-strat and ot-risk over ZeroMQ; then the same
over ZeroMQ endpoints instead of pipes; the kill switch end to end; and kill -9
of ot-exec with a journal (no order lost, none sent twice)."""
import signal
import tempfile
import time
from decimal import Decimal

from common import *

CAPTURE = os.path.join(DATA, "binance-futures.raw")


def lines_of(text, kind):
    out = []
    for line in text.decode().splitlines():
        if line.startswith('{"type":"%s"' % kind):
            out.append(json.loads(line))
    return out


def check_reports(out, label):
    """Exec seq counts up by one; each order's cumulative filled equals the sum
    of its fills and never exceeds the order; the last position equals the sum
    of signed fills."""
    execs = lines_of(out, "exec")
    seqs = [e["seq"] for e in execs]
    check(seqs == list(range(1, len(seqs) + 1)), f"{label}: executions numbered 1..{len(seqs)} without a gap")
    orders = {o["id"]: Decimal(o["qty"]) for o in lines_of(out, "order")}
    filled = {}
    net = Decimal(0)
    ok = True
    for e in execs:
        if "qty" in e and Decimal(e["qty"]) > 0:
            filled[e["id"]] = filled.get(e["id"], Decimal(0)) + Decimal(e["qty"])
            net += Decimal(e["qty"]) if e["side"] == "buy" else -Decimal(e["qty"])
        ok &= Decimal(e["filled"]) == filled.get(e["id"], Decimal(0))
    check(ok, f"{label}: cumulative filled equals the sum of fills for every report")
    return execs, net


with tempfile.TemporaryDirectory() as tmp:
    fills = f"ipc://{tmp}/fills"
    limits = os.path.join(tmp, "risk.toml")
    with open(limits, "w") as f:
        f.write('[account]\nmax_open_orders = 10\n[defaults]\nmax_order_qty = "100"\n'
                'price_collar_bps = 50\nmax_position = "50"\n')
    chain = (f"{tool('ot-feed')} replay --speed 10 {CAPTURE} | {tool('ot-book')} --pass-book"
             f" | {tool('ot-strat')} --session e2e --fills {fills} --stats mm --symbol SUSHIUSDT"
             f" --qty 5 --gamma 0.01 --tick 0.001"
             f" | {tool('ot-risk')} --limits {limits} --fills {fills} --stats"
             f" | {tool('ot-exec')} --venue paper --fills-out {fills} --fills-subscribers 2"
             f" --maker-fee 0.0002 --taker-fee 0.0004 --stats")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", chain], capture_output=True, timeout=120)
    err = r.stderr.decode()
    check(r.returncode == 0, f"the five-program chain runs ({r.returncode}) {err[-300:]}")
    execs, net = check_reports(r.stdout, "pipes")
    fills_n = sum(1 for e in execs if "qty" in e)
    check(fills_n > 0, f"pipes: the market maker trades ({fills_n} fills)")
    strat_reports = int(err.split("ot-strat: stats:")[1].split("reports=")[1].split()[0])
    check(strat_reports >= len(execs) - 3,
          f"pipes: the strategy hears its executions ({strat_reports} of {len(execs)})")
    risk_fills = int(err.split("ot-risk: stats:")[1].split("fills=")[1].split()[0])
    check(risk_fills >= fills_n - 1, f"pipes: the risk gate hears the fills ({risk_fills} of {fills_n})")
    positions = lines_of(r.stdout, "position")
    check(bool(positions) and Decimal(positions[-1]["qty"]) == net,
          f"pipes: the last position ({positions[-1]['qty'] if positions else None}) is the sum of fills ({net})")
    market = [l for l in r.stdout.decode().splitlines() if l.startswith('{"type":"bbo"')]
    check(len(market) > 100, f"pipes: market data reaches the end of the chain ({len(market)} bbo)")

    # The same chain over ZeroMQ endpoints: PUB/SUB for market data, PUSH/PULL
    # for the order path.
    ep = {k: f"ipc://{tmp}/{k}" for k in ("md", "bbo", "strat", "risk")}
    fills2 = f"ipc://{tmp}/fills2"
    procs = []
    out_path = os.path.join(tmp, "exec.out")
    with open(out_path, "wb") as out_file:
        procs.append(subprocess.Popen([tool("ot-exec"), "--in", ep["risk"], "--fills-out", fills2,
                                       "--fills-subscribers", "2"], stdout=out_file,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([tool("ot-risk"), "--in", ep["strat"], "--out", ep["risk"],
                                       "--fills", fills2, "--limits", limits],
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([tool("ot-strat"), "--in", ep["bbo"], "--out", ep["strat"],
                                       "--fills", fills2, "--session", "z", "mm", "--symbol",
                                       "SUSHIUSDT", "--qty", "5", "--gamma", "0.01", "--tick",
                                       "0.001"], stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([tool("ot-book"), "--in", ep["md"], "--out", ep["bbo"],
                                       "--pass-book"], stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        feed = run([tool("ot-feed"), "replay", "--speed", "10", "--out", ep["md"], CAPTURE])
        check(feed.returncode == 0, "zmq: ot-feed publishes the capture")
        time.sleep(1.0)
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)
            time.sleep(0.2)
    zout = open(out_path, "rb").read()
    zexecs, _ = check_reports(zout, "zmq")
    check(len([e for e in zexecs if "qty" in e]) > 0, f"zmq: the chain trades ({len(zexecs)} reports)")
    check(all(p.returncode == 0 for p in procs), f"zmq: every program ends cleanly on SIGTERM {[p.returncode for p in procs]}")

    # Kill switch end to end: the kill file appears mid-run.
    kill_file = os.path.join(tmp, "KILL")
    limits2 = os.path.join(tmp, "risk2.toml")
    with open(limits2, "w") as f:
        f.write(f'[account]\nkill_file = "{kill_file}"\n[defaults]\nmax_order_qty = "100"\n')
    fills3 = f"ipc://{tmp}/fills3"
    chain = (f"{tool('ot-feed')} replay --speed 10 {CAPTURE} | {tool('ot-book')} --pass-book"
             f" | {tool('ot-strat')} --session k --fills {fills3} mm --symbol SUSHIUSDT"
             f" --qty 5 --gamma 0.01 --tick 0.001"
             f" | {tool('ot-risk')} --limits {limits2} --fills {fills3}"
             f" | {tool('ot-exec')} --fills-out {fills3} --fills-subscribers 2")
    p = subprocess.Popen(["bash", "-o", "pipefail", "-c", chain], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(1.5)
    open(kill_file, "w").close()
    out, err = p.communicate(timeout=120)
    statuses = [s for s in lines_of(out, "status") if s.get("event") == "kill"]
    check(len(statuses) == 1 and "kill file" in statuses[0]["detail"],
          "kill switch: one status event names the kill file")
    text = out.decode().splitlines()
    at = next(i for i, l in enumerate(text) if '"event":"kill"' in l)
    after = [json.loads(l) for l in text[at:] if l.startswith('{"type":"exec"')]
    new_after = [e for e in after if e["status"] == "new"]
    rejected = [e for e in after if e["status"] == "rejected" and "kill switch" in e.get("reason", "")]
    canceled = [e for e in after if e["status"] == "canceled"]
    check(not new_after, f"kill switch: no order is accepted after it ({len(new_after)})")
    # Orders working when the kill switch went on (acknowledged, not final in
    # the output before its status line) all end: the gate cancels them. How
    # many there are depends on timing (the strategy may just have canceled
    # its quotes), but nearly always some.
    last = {}
    for l in text[:at]:
        if l.startswith('{"type":"exec"'):
            e = json.loads(l)
            last[e["id"]] = e["status"]
    open_at_kill = {i for i, st in last.items() if st in ("new", "partial")}
    ended = {e["id"] for e in after if e["status"] in ("canceled", "filled")}
    check(open_at_kill <= ended and (not open_at_kill or canceled),
          f"kill switch: the {len(open_at_kill)} orders working at the kill are canceled "
          f"({len(canceled)} canceled; left working: {sorted(open_at_kill - ended)})")
    check(len(rejected) >= 1, f"kill switch: new orders are rejected with the reason ({len(rejected)})")
    check(b"kill switch" in err, "kill switch: reported on stderr")

    # kill -9 of ot-exec with a journal, then a restart fed the same orders.
    journal = os.path.join(tmp, "exec.journal")
    book_line = ('{"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,'
                 '"snapshot":true,"bids":[["7.611","60"]],"asks":[["7.612","2970"]]}')
    orders = [json.dumps({"type": "order", "id": f"k{i}", "venue": "binance-futures",
                          "symbol": "SUSHIUSDT", "side": "buy" if i % 2 else "sell", "qty": "1",
                          "price": "7.600" if i % 2 else "7.620", "kind": "limit", "tif": "gtc"})
              for i in range(40)]
    first = subprocess.Popen([tool("ot-exec"), "--journal", journal], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first.stdin.write((book_line + "\n").encode())
    for o in orders[:25]:
        first.stdin.write((o + "\n").encode())
        first.stdin.flush()
        time.sleep(0.01)
    time.sleep(0.3)
    first.send_signal(signal.SIGKILL)
    out1, _ = first.communicate(timeout=20)
    second = run([tool("ot-exec"), "--journal", journal],
                 stdin=("\n".join([book_line] + orders + ['{"type":"cancel","id":"k3"}']) + "\n").encode())
    acks, restated = {}, set()
    for e in lines_of(out1, "exec") + lines_of(second.stdout, "exec"):
        if "already used" in e.get("reason", ""):
            restated.add(e["id"])  # a re-sent id answered with its state, not sent
        elif e["status"] == "new":
            acks[e["id"]] = acks.get(e["id"], 0) + 1
    check(all(acks.get(f"k{i}") == 1 for i in range(40)),
          f"kill -9 and restart: every order acknowledged exactly once ({len(acks)} of 40)")
    journaled = {e["id"] for e in lines_of(out1, "exec")}
    check(journaled and journaled <= restated,
          f"kill -9 and restart: each re-sent order is answered with its state "
          f"({len(journaled & restated)} of {len(journaled)})")
    check(b"not sent again" in second.stderr, "restart: re-sent client ids are recognized")
    canceled = [e for e in lines_of(second.stdout, "exec") if e["id"] == "k3" and e["status"] == "canceled"]
    check(len(canceled) == 1, "restart: an order from before the crash is still working and cancelable")
    seqs = [e["seq"] for e in lines_of(out1, "exec") + lines_of(second.stdout, "exec")]
    check(seqs == list(range(1, len(seqs) + 1)), "restart: report numbering continues without a gap")

finish()
