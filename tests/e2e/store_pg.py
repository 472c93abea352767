"""ot-store with PostgreSQL: a private server (initdb in a temporary
directory, a free port), real captures through ot-feed into it, the server
stopped mid-stream and restarted, a writer killed with SIGKILL while the
server is away; every event must arrive exactly once."""
import glob
import json
import os
import signal
import subprocess
import tempfile
import time
from decimal import Decimal

from common import CAPTURES, DATA, check, finish, run, tool
from pg import PrivateServer

tmp = tempfile.mkdtemp(prefix="ot-store-pg-")


def replay(capture):
    r = run([tool("ot-feed"), "replay", os.path.join(DATA, capture)])
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines()


def time_key(line):
    ev = json.loads(line)
    return ev.get("recv", ev.get("ts", 0))


def ordered(lines):
    return [l for _, _, l in sorted((time_key(l), i, l) for i, l in enumerate(lines))]


def counts(server, schema="ot"):
    total = dup = 0
    for t in ["book", "trade", "quote", "ticker", "status", "bar", "raw", "other"]:
        row = server.psql(f"SELECT count(*), count(DISTINCT (time, venue, symbol, digest)) "
                          f"FROM {schema}.{t}")
        a, b = map(int, row.split("|"))
        total += a
        dup += a - b
    return total, dup


with PrivateServer() as pg:
    url = pg.url
    # 1. Round trip and idempotence.
    lines = replay("okx.raw") + replay("deribit.raw")
    data = ("\n".join(lines) + "\n").encode()
    for attempt in (1, 2):
        r = run([tool("ot-store"), "write", "--db", url, "--spool", f"{tmp}/spool0"], stdin=data)
        check(r.returncode == 0, f"write to PostgreSQL, run {attempt}: exit 0 ({r.stderr.decode().strip()})")
    total, dup = counts(pg)
    check(total == len(lines) and dup == 0,
          f"the same events written twice are stored once ({total} rows for {len(lines)} events)")
    r = run([tool("ot-store"), "read", "--db", url])
    check(r.stdout.decode().splitlines() == ordered(lines), "read: every event back, byte-exact, in time order")
    r = run([tool("ot-store"), "read", "--db", url, "--venue", "okx", "--symbol", "BTC-USDT",
             "--type", "trade"])
    want = [l for l in ordered(lines) if '"type":"trade"' in l and '"symbol":"BTC-USDT"' in l]
    check(r.stdout.decode().splitlines() == want and want, f"read with filters: {len(want)} trades")
    # Two connections commit batches at once: each group of events twice in
    # a row, the second time reversed, in 32 KiB batches, so that both hold
    # the same rows at once (one waits for the other's commit, then keeps
    # what is not there yet; a deadlock between them is tried again).
    groups = [lines[i:i + 60] for i in range(0, len(lines), 60)]
    doubled = [l for g in groups for l in g + g[::-1]]
    r = run([tool("ot-store"), "write", "--db", url, "--schema", "lanes", "--batch-kb", "32",
             "--spool", f"{tmp}/spool-lanes"], stdin=("\n".join(doubled) + "\n").encode())
    total, dup = counts(pg, "lanes")
    check(r.returncode == 0 and total == len(lines) and dup == 0,
          f"two lanes, the same rows in both at once: {total} rows for {len(lines)} events, none "
          f"duplicated ({r.stderr.decode().strip()})")
    r = run([tool("ot-store"), "read", "--db", url, "--schema", "lanes"])
    check(r.stdout.decode().splitlines() == ordered(lines), "... and read gives them back in order")
    # Bars (ot-bars) in their own table, their fields typed.
    p = subprocess.run(f"'{tool('ot-feed')}' replay '{DATA}/okx.raw' | '{tool('ot-bars')}' "
                       f"--interval 1s --indicators ema:3 | grep '\"type\":\"bar\"'",
                       shell=True, capture_output=True, check=True)
    bars = p.stdout.decode().splitlines()
    r = run([tool("ot-store"), "write", "--db", url, "--schema", "bars", "--spool",
             f"{tmp}/spool-bars"], stdin=p.stdout)
    stored = pg.psql("SELECT count(*), sum(trades), count(*) FILTER (WHERE close IS DISTINCT FROM "
                     "(event::json->>'close')::numeric OR bar_start IS DISTINCT FROM "
                     "(event::json->>'start')::bigint OR kind <> 'time' OR bar_interval <> '1s') "
                     "FROM bars.bar").split("|")
    want_trades = sum(json.loads(b)["trades"] for b in bars)
    check(r.returncode == 0 and int(stored[0]) == len(bars) and int(stored[1]) == want_trades and
          int(stored[2]) == 0,
          f"bar events in the bar table, typed ({stored[0]} bars of {stored[1]} trades)")
    r = run([tool("ot-store"), "read", "--db", url, "--schema", "bars", "--type", "bar"])
    check(r.stdout.decode().splitlines() == ordered(bars), "... and read gives them back")
    # Typed columns hold the exact decimals.
    rows = pg.psql("SELECT trade_id, price, qty, side, ts FROM ot.trade WHERE venue = 'okx' "
                   "ORDER BY time, seq")
    got = [tuple(x.split("|")) for x in rows.splitlines()]
    ev = [json.loads(l) for l in ordered(lines) if '"type":"trade"' in l and '"venue":"okx"' in l]
    check(len(got) == len(ev) and all(g[0] == e["id"] and Decimal(g[1]) == Decimal(e["price"]) and
                                      Decimal(g[2]) == Decimal(e["qty"]) and g[3] == e["side"] and
                                      g[4] == str(e["ts"]) for g, e in zip(got, ev)),
          "typed columns: trade id, price and qty exact, side, ts (19 digits)")
    # Typed columns go in as binary COPY: each value, with its scale, is what
    # the server's own reading of the event's text gives.
    texts = ["0.0002", "1e-05", "1.5E3", "-0.5", "007.10", "0", "0.000", "+2.25", "10000",
             "123456789012345.678901234", "99999999.99999999", "0.1e+2", "-1234.5678e-3", "5."]
    synthetic = [json.dumps({"type": "trade", "venue": "numtest", "symbol": "X", "ts": 1652459199958000000 + i,
                             "price": t, "qty": t, "side": "buy", "id": str(i)}, separators=(",", ":"))
                 for i, t in enumerate(texts)]
    synthetic += [json.dumps({"type": "greeks", "venue": "numtest", "ts": 1652459199958000000 + i,
                              "underlying": "BTC", "delta": t, "gamma": 0.1, "vega": -3e-7, "theta": 12},
                             separators=(",", ":"))
                  for i, t in enumerate(["0.1", "-2.5e-3", "1e300", "7"])]
    r = run([tool("ot-store"), "write", "--db", url, "--spool", f"{tmp}/spoolnum"],
            stdin=("\n".join(synthetic) + "\n").encode())
    differ = pg.psql("SELECT count(*) FROM ot.trade WHERE venue = 'numtest' AND ("
                     "price::text IS DISTINCT FROM (event::json->>'price')::numeric::text OR "
                     "qty::text IS DISTINCT FROM (event::json->>'qty')::numeric::text)")
    stored = pg.psql("SELECT count(*) FROM ot.trade WHERE venue = 'numtest' AND price IS NOT NULL")
    check(r.returncode == 0 and int(differ) == 0 and int(stored) == len(texts),
          f"numeric columns equal the server's reading of the text, scale included "
          f"({stored} stored, {differ} differ) {r.stderr.decode()[-200:]}")
    differ = pg.psql("SELECT count(*) FROM ot.greeks WHERE venue = 'numtest' AND ("
                     "delta IS DISTINCT FROM (event::json->>'delta')::float8 OR "
                     "gamma IS DISTINCT FROM (event::json->>'gamma')::float8 OR "
                     "vega IS DISTINCT FROM (event::json->>'vega')::float8 OR "
                     "theta IS DISTINCT FROM (event::json->>'theta')::float8)")
    check(int(differ) == 0, f"double precision columns equal the server's reading ({differ} differ)")
    pg.psql("DELETE FROM ot.trade WHERE venue = 'numtest'; DELETE FROM ot.greeks WHERE venue = 'numtest'")
    parts = pg.psql("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = 'book' AND n.nspname = 'ot'")
    check(int(parts) == 2, f"native daily partitions (book: {parts} days)")
    r = run([tool("ot-store"), "ls", "--db", url, "--json"])
    rows = [json.loads(l) for l in r.stdout.decode().splitlines()]
    check(sum(x["records"] for x in rows) == len(lines), "ls --db: counts add up")

    # 2. The server goes away mid-stream and comes back.
    pg.psql("DROP SCHEMA ot CASCADE")
    lines = replay("binance-futures.raw")
    groups = [lines[i:i + 60] for i in range(0, len(lines), 60)]
    spool = f"{tmp}/spool1"
    w = subprocess.Popen([tool("ot-store"), "write", "--db", url, "--spool", spool],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    for i, g in enumerate(groups):
        w.stdin.write(("\n".join(g) + "\n").encode())
        w.stdin.flush()
        time.sleep(0.15)
        if i == len(groups) // 3:
            pg.stop()
        if i == 2 * len(groups) // 3:
            spooled = glob.glob(f"{spool}/spool-*.ndjson")
            check(spooled, f"while the server is down the events spool ({len(spooled)} file)")
            pg.start()
    _, err = w.communicate(timeout=120)
    check(w.returncode == 0, f"writer exits 0 after the outage ({err.decode().strip()[:200]})")
    check(b"spooling" in err, "the outage is reported on stderr")
    total, dup = counts(pg)
    check(total == len(lines) and dup == 0,
          f"after the outage: {total} rows for {len(lines)} events, none duplicated")
    r = run([tool("ot-store"), "read", "--db", url])
    check(r.stdout.decode().splitlines() == ordered(lines), "after the outage: read gives every event exactly once, in order")
    check(not glob.glob(f"{spool}/spool-*.ndjson"), "the spool is drained")
    # A backtest on what the database holds equals one on the capture.
    root = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
    mm = ["--strategy", "mm", "--config", os.path.join(root, "examples/mm.toml"), "--maker-fee", "0.0002"]
    a = run([tool("ot-backtest"), "--db", url] + mm)
    b = run([tool("ot-backtest"), "--data", os.path.join(DATA, "binance-futures.raw")] + mm)
    check(a.returncode == 0 and a.stdout == b.stdout and b'"fills":6' in a.stdout,
          "ot-backtest --db gives the capture's result byte for byte")

    # 3. kill -9 of the writer while the server is away: the spool survives
    # and the next writer drains it.
    pg.psql("DROP SCHEMA ot CASCADE")
    lines = replay("binance-spot.raw")
    half = len(lines) // 2
    w = subprocess.Popen([tool("ot-store"), "write", "--db", url, "--spool", spool],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    w.stdin.write(("\n".join(lines[:50]) + "\n").encode())
    w.stdin.flush()
    time.sleep(1.0)
    pg.stop()
    w.stdin.write(("\n".join(lines[50:half]) + "\n").encode())
    w.stdin.flush()
    time.sleep(1.0)
    w.send_signal(signal.SIGKILL)
    w.wait()
    check(glob.glob(f"{spool}/spool-*.ndjson"), "a writer killed during the outage leaves its spool")
    pg.start()
    r = run([tool("ot-store"), "write", "--db", url, "--spool", spool],
            stdin=("\n".join(lines[half:]) + "\n").encode())
    check(r.returncode == 0, "the next writer starts and drains the spool")
    total, dup = counts(pg)
    check(total == len(lines) and dup == 0, f"after kill -9: {total} rows for {len(lines)} events, none duplicated")
    r = run([tool("ot-store"), "read", "--db", url])
    check(r.stdout.decode().splitlines() == ordered(lines), "after kill -9: every event exactly once, in order")

    # 4. Raw capture lines in PostgreSQL, replayed by ot-feed.
    path = os.path.join(DATA, "okx.raw")
    r = run([tool("ot-store"), "write", "--raw", "--db", url, "--spool", f"{tmp}/spool2"],
            stdin=open(path, "rb").read())
    p = subprocess.run(f"'{tool('ot-store')}' read --raw --db '{url}' --venue okx | "
                       f"'{tool('ot-feed')}' replay -", shell=True, capture_output=True)
    check(r.returncode == 0 and p.stdout.decode().splitlines() == replay("okx.raw"),
          "raw frames via PostgreSQL replay like the capture")

    # 5. An unreachable database at the end: the records wait in the spool.
    pg.stop()
    r = run([tool("ot-store"), "write", "--db", url, "--spool", f"{tmp}/spool3", "--drain-wait", "2"],
            stdin=("\n".join(lines[:10]) + "\n").encode(), timeout=120)
    check(r.returncode == 1 and b"wait in" in r.stderr and glob.glob(f"{tmp}/spool3/spool-*"),
          "database away at the end: exit 1, records kept in the spool")
    pg.start()

finish()
