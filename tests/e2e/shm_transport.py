#!/usr/bin/env python3
"""shm:// rings between the real programs:
- ot-feed into ot-book over a ring equals the same pipeline over a pipe, and
  ot-book ends when the producer closes the stream (the ring's name goes);
- the five-program trading chain with every hop on a ring, executions fed
  back to ot-strat and ot-risk on a reliable ring of two readers;
- kill -9 of a reader: started again under its name, it resumes where it
  stopped (nothing twice) and reads to the end;
- kill -9 of the producer: the next one takes the ring over and the reader
  reads on, from both;
- a second producer, or a reader name taken twice, is refused with the
  reason."""
import glob
import signal
import time

from common import *

TAG = f"e2e{os.getpid()}"


def ring(name, opts=""):
    return f"shm://{TAG}.{name}{opts}"


def ring_files():
    return glob.glob(f"/dev/shm/ot-shm.{TAG}.*")


def clean():
    for f in ring_files():
        os.unlink(f)


def trades(text):
    return [json.loads(l)["id"] for l in text.decode().splitlines() if l.startswith('{"type":"trade"')]


CHILDREN = []


def popen(args, stdout=subprocess.PIPE):
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE)
    CHILDREN.append(p)
    return p


def wait_for_ring(name):
    """Until a reader has opened the ring (it makes the file, then takes its
    place under the same lock a producer's open waits for)."""
    for _ in range(500):
        if os.path.exists(f"/dev/shm/ot-shm.{TAG}.{name}"):
            return
        time.sleep(0.01)


clean()
try:
    # ---- market data, consumer first, equal to the pipe ----
    capture = os.path.join(DATA, "okx.raw")
    book = popen([tool("ot-book"), "--in", ring("md"), "--emit", "bbo", "--emit", "book"])
    wait_for_ring("md")
    feed = run([tool("ot-feed"), "replay", "--out", ring("md"), capture])
    check(feed.returncode == 0, f"ot-feed writes to a ring {feed.stderr.decode()[-200:]}")
    out, err = book.communicate(timeout=30)
    check(book.returncode == 0, f"ot-book ends when the stream ends ({book.returncode}) {err.decode()[-200:]}")
    piped = run([tool("ot-book"), "--emit", "bbo", "--emit", "book"],
                stdin=run([tool("ot-feed"), "replay", capture]).stdout)
    check(out == piped.stdout and len(out) > 0,
          f"the ring pipeline equals the pipe ({len(out.splitlines())} events)")
    check(not os.path.exists(f"/dev/shm/ot-shm.{TAG}.md"), "a closed stream's ring name is removed")

    # ---- the trading chain, every hop a ring ----
    chain_capture = os.path.join(DATA, "binance-futures.raw")
    limits = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "risk.toml")
    exec_out = popen([tool("ot-exec"), "--venue", "paper", "--in", ring("risk"), "--fills-out", ring("fills"),
                      "--fills-subscribers", "2", "--maker-fee", "0.0002", "--taker-fee", "0.0004"])
    risk = popen([tool("ot-risk"), "--limits", limits, "--in", ring("orders"), "--out", ring("risk"),
                  "--fills", ring("fills")], stdout=subprocess.DEVNULL)
    strat = popen([tool("ot-strat"), "--in", ring("bbo"), "--out", ring("orders"), "--fills", ring("fills"),
                   "mm", "--symbol", "SUSHIUSDT", "--qty", "5", "--gamma", "0.01", "--tick", "0.001"],
                  stdout=subprocess.DEVNULL)
    book = popen([tool("ot-book"), "--in", ring("md2"), "--out", ring("bbo"), "--pass-book"],
                 stdout=subprocess.DEVNULL)
    for name in ("risk", "orders", "bbo", "md2"):
        wait_for_ring(name)
    feed = run([tool("ot-feed"), "replay", "--speed", "20", "--out", ring("md2"), chain_capture])
    check(feed.returncode == 0, "the chain's feed runs")
    codes = []
    for p in (book, strat, risk):
        p.wait(timeout=60)
        codes.append(p.returncode)
    out, err = exec_out.communicate(timeout=60)
    check(codes == [0, 0, 0] and exec_out.returncode == 0,
          f"ot-book, ot-strat, ot-risk and ot-exec end with the stream ({codes}, {exec_out.returncode}) "
          f"{err.decode()[-300:]}")
    execs = [json.loads(l) for l in out.decode().splitlines() if l.startswith('{"type":"exec"')]
    fills = [e for e in execs if e["status"] in ("partial", "filled")]
    seqs = [e["seq"] for e in execs]
    check(len(fills) > 0 and seqs == list(range(1, len(seqs) + 1)),
          f"the chain over rings trades: {len(execs)} reports numbered without a gap, {len(fills)} fills")
    left = [f for f in ring_files() if f.endswith((".md2", ".bbo"))]
    check(not left, f"the chain's market-data rings are gone once their stream ended ({left})")

    # ---- kill -9 of a reader, started again under its name ----
    slow = os.path.join(DATA, "binance-futures.raw")
    first = popen([tool("ot-book"), "--in", ring("md3", "?reader=book")])
    wait_for_ring("md3")
    feed = popen([tool("ot-feed"), "replay", "--speed", "4", "--out", ring("md3"), slow],
                 stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    taken = run([tool("ot-book"), "--in", ring("md3", "?reader=book")], timeout=10)
    check(taken.returncode == 1 and b"reader 'book' is held by another process" in taken.stderr,
          f"a reader name taken twice is refused ({taken.returncode}) {taken.stderr.decode()[-200:]}")
    again = run([tool("ot-feed"), "replay", "--out", ring("md3"), slow], timeout=10)
    check(again.returncode == 1 and b"another process (pid" in again.stderr,
          f"a second producer is refused ({again.returncode}) {again.stderr.decode()[-200:]}")
    first.send_signal(signal.SIGKILL)
    out_a, _ = first.communicate(timeout=10)
    second = popen([tool("ot-book"), "--in", ring("md3", "?reader=book")])
    feed.wait(timeout=120)
    out_b, err_b = second.communicate(timeout=30)
    a, b = trades(out_a), trades(out_b)
    whole = trades(run([tool("ot-book")], stdin=run([tool("ot-feed"), "replay", slow]).stdout).stdout)
    check(second.returncode == 0 and len(a) > 0 and len(b) > 0,
          f"the reader started again reads to the end ({len(a)} trades, then {len(b)}) {err_b.decode()[-200:]}")
    check(not set(a) & set(b), "nothing is read twice across the restart")
    check(b == whole[whole.index(b[0]):] if b else False,
          "after the restart: every trade from where it resumed, in order, to the end")
    check(b"gap" not in out_b, "no gap: the ring held what came while it was away")

    # ---- kill -9 of the producer, another takes over ----
    reader = popen([tool("ot-book"), "--in", ring("md4")])
    wait_for_ring("md4")
    feed = popen([tool("ot-feed"), "replay", "--speed", "4", "--out", ring("md4"), slow],
                 stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    feed.send_signal(signal.SIGKILL)
    feed.wait(timeout=10)
    feed = run([tool("ot-feed"), "replay", "--out", ring("md4"), os.path.join(DATA, "okx.raw")])
    check(feed.returncode == 0, f"a producer takes over a ring whose producer was killed {feed.stderr.decode()[-200:]}")
    out, err = reader.communicate(timeout=30)
    venues = {json.loads(l).get("venue") for l in out.decode().splitlines() if l.startswith('{"type":"trade"')}
    check(reader.returncode == 0 and {"binance-futures", "okx"} <= venues,
          f"the reader reads on from the first producer into the second and ends with it ({venues})")
finally:
    for p in CHILDREN:
        if p.poll() is None:
            p.kill()
    clean()

finish()
