#!/usr/bin/env python3
"""ot-sim --latency-log, as bench/tick_to_trade.py uses it: the five programs
over pipes (ot-feed live | ot-book | ot-strat probe | ot-risk | ot-exec
--venue binance-futures) against ot-sim; every order the probe sends (a buy
at the bid of each top-of-book change) must be found in the log after the
frame that caused it, with the kernel's stamps of both on one clock."""
import re
import tempfile

from common import *

CAPTURE = os.path.join(DATA, "binance-futures.raw")
SYMBOL = "SUSHIUSDT"

with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "latency.log")
    sim, port = start_sim("binance-futures", CAPTURE,
                          ["--speed", "10", "--latency-log", log, "--linger", "30"], tmp)
    fills = f"ipc://{tmp}/fills"
    ws, rest = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY="ot-sim-key",
               OT_BINANCE_FUTURES_API_SECRET="ot-sim-secret")
    chain = (f"{{ sleep 1; exec {tool('ot-feed')} live --venue binance-futures --symbols {SYMBOL}"
             f" --channels book --ws-url {ws} --rest-url {rest} --duration 5; }}"
             f" | {tool('ot-book')} | {tool('ot-strat')} --fills {fills} probe --symbol {SYMBOL}"
             f" | {tool('ot-risk')} --fills {fills}"
             f" | {tool('ot-exec')} --venue binance-futures --rest-url {rest} --ws-url {ws}"
             f" --fills-out {fills} --fills-subscribers 2 -q --orders-per-10s 100000 > /dev/null")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", chain], env=env, capture_output=True,
                       timeout=120)
    check(r.returncode == 0, f"the chain runs against ot-sim ({r.returncode}) {r.stderr[-300:].decode()}")
    sim.terminate()
    sim.wait(timeout=30)

    frames, orders = [], []
    for line in open(log):
        parts = line.rstrip("\n").split(" ", 3)
        if parts[0] == "F":
            frames.append((int(parts[1]), parts[2], parts[3]))
        elif parts[0] == "O" and "/fapi/v1/order" in parts[2]:
            orders.append((int(parts[1]), parts[2]))
    check(len(frames) > 20 and all(f[1] == SYMBOL for f in frames),
          f"top-changing frames of {SYMBOL} are logged ({len(frames)})")
    check(all(a[0] <= b[0] for a, b in zip(frames, frames[1:])),
          "frame stamps never go back")
    check(len(orders) > 20, f"order requests are logged ({len(orders)})")
    matched, bad = 0, []
    for t, target in orders:
        price = re.search(r"price=([0-9.]+)", target).group(1)
        before = [f for f in frames if f[0] <= t and f[2] == price]
        if before and 0 < t - before[-1][0] < 1_000_000_000:
            matched += 1
        else:
            bad.append((t, price))
    # The first order may be sent for the snapshot's top, before any frame.
    check(matched >= len(orders) - 1,
          f"each order follows its frame in the log ({matched} of {len(orders)}; {bad[:3]})")

finish()
