#!/usr/bin/env python3
"""nats:// endpoints against a private nats-server (JetStream, file storage
in a temporary directory, a free port): ot-feed replay into ot-book over core
NATS and over JetStream equals the pipe, for every bundled capture; a
durable consumer stopped mid-stream and restarted handles every event
exactly once; a server restart ends no program, which says so in status
events (a core-NATS consumer reports the gap); a slow core-NATS consumer
reports what its client dropped; two publishers creating the same stream at
once both succeed; a JetStream publisher outlives its server's kill -9; a
republished order is kept once; the trading chain's executions reach
ot-strat and ot-risk over JetStream; the password never appears in any
message."""
import signal
import tempfile
import threading
import time

from common import *
from natsd import Server
from pg import PrivateServer


def lines_of(b):
    return b.decode().splitlines()


def wait_lines(proc_out_path, n, timeout=30):
    """Waits until the file at proc_out_path holds n lines (or timeout)."""
    deadline = time.time() + timeout
    got = 0
    while time.time() < deadline:
        with open(proc_out_path, "rb") as f:
            got = f.read().count(b"\n")
        if got >= n:
            return got
        time.sleep(0.05)
    return got


def consumer(args, out_path):
    f = open(out_path, "wb")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.PIPE)
    return p, f


def stop(p, f):
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    f.close()
    return p.returncode, err


def mid_stream(srv, stream, durable):
    """The durable consumer has acked messages and holds unacked ones."""
    for account in srv.jsz().get("account_details", []):
        for st in account.get("stream_detail", []):
            if st.get("name") != stream:
                continue
            for c in st.get("consumer_detail", []):
                if c.get("name") == durable:
                    return c["ack_floor"]["consumer_seq"] > 0 and c["num_ack_pending"] > 0
    return False


def stored_ids(where):
    """The ids of the events ot-store holds in the store that where names."""
    back = run([tool("ot-store"), "read"] + where[:2]).stdout
    return [json.loads(l)["id"] for l in lines_of(back)]


BOOK = ["--emit", "bbo", "--emit", "book"]

with tempfile.TemporaryDirectory() as tmp, Server() as srv:
    url = f"nats://{srv.url}"
    for i, (venue, name) in enumerate(sorted(CAPTURES.items())):
        capture = os.path.join(DATA, name)
        events = run([tool("ot-feed"), "replay", capture]).stdout
        piped = run([tool("ot-book")] + BOOK, stdin=events).stdout
        want = len(lines_of(piped))
        # Before SIGTERM: what comes out per event (the books come at the end).
        live = len(lines_of(run([tool("ot-book"), "--emit", "bbo"], stdin=events).stdout))

        # Core NATS: the consumer first (core NATS keeps nothing).
        out = os.path.join(tmp, f"core-{i}.out")
        p, f = consumer([tool("ot-book"), "--in", f"{url}/core{i}.>"] + BOOK, out)
        time.sleep(0.5)
        feed = run([tool("ot-feed"), "replay", "--out", f"{url}/core{i}", capture])
        check(feed.returncode == 0, f"{venue}: ot-feed publishes to core NATS {feed.stderr.decode()[-200:]}")
        wait_lines(out, live)
        rc, err = stop(p, f)
        check(rc == 0, f"{venue}: ot-book on core NATS ends cleanly on SIGTERM ({rc}) {err.decode()[-200:]}")
        check(open(out, "rb").read() == piped, f"{venue}: core NATS equals the pipe ({want} lines)")

        # JetStream: the publisher first; the consumer replays the stream.
        feed = run([tool("ot-feed"), "replay", "--out", f"{url}/js{i}?js=JS{i}", capture])
        check(feed.returncode == 0, f"{venue}: ot-feed publishes into JetStream {feed.stderr.decode()[-200:]}")
        out = os.path.join(tmp, f"js-{i}.out")
        p, f = consumer([tool("ot-book"), "--in", f"{url}/js{i}.>?js=JS{i}"] + BOOK, out)
        wait_lines(out, live)
        rc, err = stop(p, f)
        check(rc == 0, f"{venue}: ot-book on JetStream ends cleanly ({rc}) {err.decode()[-200:]}")
        check(open(out, "rb").read() == piped, f"{venue}: JetStream equals the pipe ({want} lines)")

    # A durable consumer stopped mid-stream resumes where it left off: each
    # trade (passed through unchanged) comes out exactly once in all.
    capture = os.path.join(DATA, "binance-futures.raw")
    events = run([tool("ot-feed"), "replay", capture]).stdout
    trades = [l for l in lines_of(events) if '"type":"trade"' in l]
    pub = subprocess.Popen([tool("ot-feed"), "replay", "--speed", "6", "--out",
                            f"{url}/dur?js=DUR", capture], stdout=subprocess.DEVNULL)
    seen, counts = [], []
    for k in range(3):
        if k == 2:
            pub.wait(timeout=60)
        out = os.path.join(tmp, f"durable-{k}.out")
        p, f = consumer([tool("ot-book"), "--in", f"{url}/dur.>?js=DUR&durable=books"], out)
        time.sleep(1.5)
        stop(p, f)
        got = [l for l in lines_of(open(out, "rb").read()) if '"type":"trade"' in l]
        counts.append(len(got))
        seen += got
    check(all(counts), f"each of three runs, stopped mid-stream, handled some trades ({counts})")
    check(sorted(seen) == sorted(trades) and len(seen) == len(trades),
          f"durable consumer: every trade exactly once over three runs ({len(seen)} of {len(trades)})")

    # A durable consumer killed (SIGKILL) with thousands of messages
    # delivered and not acked (stuck writing to a full pipe): restarted, it
    # resumes at the first message it had not acked, in stream order, not
    # with the newer ones while the server waits out ack_wait.
    n = 30000
    lines = "".join('{"type":"trade","venue":"binance","symbol":"X","ts":%d,"price":"1","qty":"1",'
                    '"side":"buy","id":"%d"}\n' % (i, i) for i in range(1, n + 1)).encode()
    r = run([tool("ot-book"), "--out", f"{url}/kill?js=KILL"], stdin=lines)
    check(r.returncode == 0, f"{n} trades published {r.stderr.decode()[-200:]}")
    stuck = subprocess.Popen([tool("ot-book"), "--in", f"{url}/kill.>?js=KILL&durable=k"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    stuck.kill()
    first = [json.loads(l)["id"] for l in lines_of(stuck.communicate(timeout=10)[0]) if l.endswith("}")]
    out = os.path.join(tmp, "kill.out")
    p, f = consumer([tool("ot-book"), "--in", f"{url}/kill.>?js=KILL&durable=k"], out)
    wait_lines(out, n - len(first), timeout=20)
    rc, err = stop(p, f)
    check(rc == 0, f"the restarted consumer ends cleanly ({rc}) {err.decode()[-300:]}")
    second = [int(json.loads(l)["id"]) for l in lines_of(open(out, "rb").read())]
    check(second and second[0] <= len(first) + 1 and second == list(range(second[0], n + 1)),
          f"after a kill -9, a durable consumer resumes at its first unacked message, in order "
          f"(the first run wrote {len(first)}; the restart gave {second[:1]}…{second[-1:]}, {len(second)})")

    # ot-store as a durable consumer, killed (SIGKILL) mid-stream and
    # restarted: every event stored exactly once, in the file store (which
    # commits the stream position with its records) and in PostgreSQL
    # (whose rows' natural keys drop repeats). The server is paused while
    # the writer works through what it had received, so the writer commits
    # records whose acks cannot leave, and dies so: those come again.
    m = 150000
    many = "".join('{"type":"trade","venue":"binance","symbol":"X","ts":%d,"price":"1","qty":"1",'
                   '"side":"buy","id":"%d"}\n' % (i, i) for i in range(1, m + 1)).encode()
    with PrivateServer() as pg:
        # --sync: the file store's writer syncs every commit, so it falls
        # behind and holds messages when the server stops.
        for k, (name, where) in enumerate((("file store", ["--dir", os.path.join(tmp, "store"),
                                                           "--sync"]),
                                           ("PostgreSQL", ["--db", pg.url, "--spool",
                                                           os.path.join(tmp, "spool")]))):
            r = run([tool("ot-book"), "--out", f"{url}/store{k}?js=STORE{k}"], stdin=many)
            check(r.returncode == 0, f"{name}: {m} trades published {r.stderr.decode()[-200:]}")
            writer = [tool("ot-store"), "write", "--stats", "--in",
                      f"{url}/store{k}.>?js=STORE{k}&durable=store"] + where
            w = subprocess.Popen(writer, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Paused once the writer has acked some and holds more unacked,
            # however long its connections took to open (the server's own
            # account of the consumer): it dies mid-stream, holding records.
            deadline = time.time() + 30
            while time.time() < deadline and not mid_stream(srv, f"STORE{k}", "store"):
                time.sleep(0.01)
            srv.proc.send_signal(signal.SIGSTOP)
            time.sleep(1.5)
            w.kill()
            w.wait()
            srv.proc.send_signal(signal.SIGCONT)
            w = subprocess.Popen(writer, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.time() + 60
            stored = []
            while time.time() < deadline:
                time.sleep(1.0)
                stored = stored_ids(where)
                if len(stored) >= m:
                    break
            w.send_signal(signal.SIGTERM)
            _, err = w.communicate(timeout=60)
            check(w.returncode == 0, f"{name}: the restarted writer ends cleanly {err.decode()[-200:]}")
            first_run = m - int(err.decode().split("lines=")[1].split()[0]) if "lines=" in err.decode() else 0
            repeated = err.decode().split("repeated=")[1].split()[0] if "repeated=" in err.decode() else "?"
            check(name != "file store" or repeated not in ("?", "0"),
                  f"{name}: records committed but not acked when it died come again ({repeated})")
            check(first_run > 0 and len(stored) == m and sorted(map(int, stored)) == list(range(1, m + 1)),
                  f"{name}: killed after ~{first_run} events and restarted, every event stored exactly "
                  f"once ({len(stored)} of {m}, {len(stored) - len(set(stored))} twice; "
                  f"{repeated} delivered again and skipped)")

    # Orders under their client order id: a republished order is kept once.
    order = ('{"type":"order","id":"o1","venue":"binance-futures","symbol":"BTCUSDT","side":"buy",'
             '"qty":"1","price":"100","kind":"limit","tif":"gtc"}\n')
    for _ in range(2):
        r = run([tool("ot-risk"), "--out", f"{url}/orders?js=ORDERS"], stdin=order.encode())
        check(r.returncode == 0, f"ot-risk publishes an order into JetStream {r.stderr.decode()[-200:]}")
    out = os.path.join(tmp, "orders.out")
    p, f = consumer([tool("ot-book"), "--in", f"{url}/orders.>?js=ORDERS"], out)
    time.sleep(1.5)
    stop(p, f)
    got = [l for l in lines_of(open(out, "rb").read()) if '"type":"order"' in l]
    check(len(got) == 1, f"an order published twice is in the stream once ({len(got)})")

    # Two publishers creating the same stream at the same moment.
    procs = [subprocess.Popen([tool("ot-feed"), "replay", "--out", f"{url}/race?js=RACE",
                               os.path.join(DATA, "okx.raw")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    rcs = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    check(all(rc == 0 for rc, _ in rcs), f"two publishers create one stream at once ({rcs})")

    # A server restart: the consumer and the publisher both live on.
    out = os.path.join(tmp, "restart.out")
    p, f = consumer([tool("ot-book"), "--in", f"{url}/live.>"], out)
    pub = subprocess.Popen([tool("ot-feed"), "replay", "--out", f"{url}/live", "--speed", "1",
                            os.path.join(DATA, "deribit.raw")], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    time.sleep(1)
    srv.stop()
    time.sleep(1)
    srv.start()
    time.sleep(2)
    pub_alive = pub.poll() is None or pub.returncode == 0
    pub.kill()
    pub.wait()
    rc, err = stop(p, f)
    st = [json.loads(l) for l in lines_of(open(out, "rb").read()) if '"type":"status"' in l]
    events = [s["event"] for s in st if s.get("venue") == "nats"]
    check(rc == 0 and pub_alive, f"a server restart ends neither program ({rc}, {pub_alive})")
    check("disconnected" in events and "connected" in events,
          f"the consumer says it lost and regained the server ({events})")
    check("gap" in events, f"core NATS: the consumer reports the gap ({events})")

    # A slow consumer on core NATS: its output is not read for a while, so
    # its client's queue (pending=200) overflows. It says so with a gap
    # status, never silently: what it lets through plus what it reports
    # dropped is everything published.
    flood = [os.path.join(DATA, "binance-futures.raw")] * 6
    sent = len(lines_of(run([tool("ot-feed"), "replay"] + flood).stdout))
    slow = subprocess.Popen([tool("ot-book"), "--pass-book", "--in", f"{url}/slow.>?pending=200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    feed = run([tool("ot-feed"), "replay", "--out", f"{url}/slow"] + flood)
    check(feed.returncode == 0, f"a fast publisher floods the slow consumer ({sent} events)")
    time.sleep(1)  # everything has reached the consumer's client (or been dropped)
    # Now read it all, and stop the consumer once it has nothing left.
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(slow.stdout.readline, b"")))
    reader.start()
    seen = -1
    while seen != len(chunks):
        seen = len(chunks)
        time.sleep(1)
    slow.send_signal(signal.SIGTERM)
    slow.wait(timeout=30)
    reader.join()
    evs = [json.loads(l) for l in chunks]
    gaps = [e for e in evs if e["type"] == "status" and e.get("event") == "gap"]
    passed = [e for e in evs if e["type"] not in ("bbo", "status")]
    dropped = sum(int(g["detail"].split("slow consumer: ")[1].split()[0]) for g in gaps
                  if "slow consumer" in g["detail"])
    check(gaps and dropped > 0 and len(passed) + dropped == sent,
          f"the slow consumer reports its losses: {len(passed)} through + {dropped} dropped = "
          f"{len(passed) + dropped} of {sent} ({len(gaps)} gap statuses)")
    # SIGTERM while it is stuck writing to a full pipe: it ends once the
    # pipe is read, rather than waiting for a next message.
    slow = subprocess.Popen([tool("ot-book"), "--pass-book", "--in", f"{url}/slow.>?pending=200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    run([tool("ot-feed"), "replay", "--out", f"{url}/slow"] + flood)
    slow.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    try:
        slow.communicate(timeout=30)
        check(slow.returncode == 0, f"a consumer signalled while busy ends cleanly ({slow.returncode})")
    except subprocess.TimeoutExpired:
        slow.kill()
        slow.communicate()
        check(False, "a consumer signalled while busy ends cleanly (it waited for a next message)")

    # A JetStream publisher whose server is killed (SIGKILL) mid-stream and
    # restarted: what was in flight is never acknowledged, so the publisher
    # sends it again once its acknowledgement is overdue, and the stream
    # holds every event exactly once.
    capture = os.path.join(DATA, "binance-futures.raw")
    want = lines_of(run([tool("ot-feed"), "replay", capture]).stdout)
    pub = subprocess.Popen([tool("ot-feed"), "replay", "--speed", "4", "--out",
                            f"{url}/crash?js=CRASH", capture],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(2)
    srv.stop(signal.SIGKILL)
    time.sleep(0.5)
    srv.start()
    try:
        _, err = pub.communicate(timeout=90)
        check(pub.returncode == 0, f"a JetStream publisher outlives its server's kill -9 ({pub.returncode}) "
                                   f"{err.decode()[-200:]}")
    except subprocess.TimeoutExpired:
        pub.kill()
        pub.wait()
        check(False, "a JetStream publisher outlives its server's kill -9 (it hung)")
    out = os.path.join(tmp, "crash.out")
    p, f = consumer([tool("ot-book"), "--pass-book", "--in", f"{url}/crash.>?js=CRASH"], out)
    wait_lines(out, len(want))
    stop(p, f)
    got = [l for l in lines_of(open(out, "rb").read()) if '"type":"bbo"' not in l
           and '"type":"status"' not in l]
    check(sorted(got) == sorted(want), f"after the server's kill -9, every event is in the stream once "
                                       f"({len(got)} of {len(want)}, {len(got) - len(set(got))} twice)")

    # The trading chain with its executions fed back over JetStream: what
    # ot-exec fills, ot-strat and ot-risk both hear of.
    limits = os.path.join(tmp, "risk.toml")
    with open(limits, "w") as f:
        f.write('[account]\nmax_open_orders = 10\n[defaults]\nmax_order_qty = "100"\n'
                'price_collar_bps = 50\nmax_position = "50"\n')
    fills_out, fills_in = f"'{url}/fills?js=FILLS'", f"'{url}/fills.>?js=FILLS'"
    chain = (f"{tool('ot-feed')} replay --speed 10 {capture} | {tool('ot-book')} --pass-book"
             f" | {tool('ot-strat')} --session nats --fills {fills_in} --stats mm --symbol SUSHIUSDT"
             f" --qty 5 --gamma 0.01 --tick 0.001"
             f" | {tool('ot-risk')} --limits {limits} --fills {fills_in} --stats"
             f" | {tool('ot-exec')} --venue paper --fills-out {fills_out}"
             f" --maker-fee 0.0002 --taker-fee 0.0004 --stats")
    r = subprocess.run(["bash", "-o", "pipefail", "-c", chain], capture_output=True, timeout=120)
    stats = {}
    for l in r.stderr.decode().splitlines():
        if ": stats: " in l:
            prog, rest = l.split(": stats: ")
            stats[prog] = dict(kv.split("=") for kv in rest.split())
    fills = {p: int(stats.get(p, {}).get("fills", -1)) for p in ("ot-strat", "ot-risk", "ot-exec")}
    check(r.returncode == 0 and fills["ot-exec"] > 0 and len(set(fills.values())) == 1,
          f"executions over JetStream reach ot-strat and ot-risk ({r.returncode}, {fills})")

    # Bad endpoints: clear errors, and the password is never printed.
    r = run([tool("ot-book"), "--in", "nats://u:s3cret@127.0.0.1:1/x"], stdin=b"")
    check(r.returncode != 0 and b"s3cret" not in r.stdout + r.stderr and b"ot-book" in r.stderr,
          f"an unreachable server is an error without the password ({r.stderr.decode().strip()})")
    r = run([tool("ot-book"), "--in", f"{url}/x?bogus=1"], stdin=b"")
    check(r.returncode == 2 and b"unknown option 'bogus'" in r.stderr,
          f"an unknown option is a usage error ({r.stderr.decode().strip()})")
    # A stream that exists for other subjects is refused, by name, rather
    # than published to in vain (no stream would take the messages).
    r = run([tool("ot-book"), "--out", f"{url}/other?js=KILL"],
            stdin=b'{"type":"trade","venue":"binance","symbol":"X","ts":1,"price":"1","qty":"1","side":"buy","id":"z"}\n',
            timeout=30)
    check(r.returncode != 0 and b"stream KILL takes kill.>, not other.>" in r.stderr,
          f"an output into a stream that does not take its subject is refused ({r.stderr.decode().strip()})")
    r = run([tool("ot-book"), "--in", f"{url}/other.>?js=KILL"], stdin=b"", timeout=30)
    check(r.returncode != 0 and b"not other.>" in r.stderr,
          f"so is an input ({r.stderr.decode().strip()})")

finish()
