#!/usr/bin/env python3
"""A 3-node nats-server cluster (routes on loopback, an R3 stream): the
stream's leader is killed with kill -9 while ot-feed replays a capture into
the stream and a durable ot-book consumes it. Nothing is lost, duplicated
or reordered: the stream holds each event once, and both the live durable
consumer and a reader of the whole stream afterwards print what ot-book
prints from the pipe, byte for byte. Twice: with the programs connected to
the other two servers, and connected to the leader itself (they reconnect,
and say so in status events)."""
import signal
import tempfile
import time

from common import *
from natsd import Cluster

BOOK = ["--emit", "bbo", "--emit", "book"]
capture = os.path.join(DATA, CAPTURES["binance-futures"])
events = run([tool("ot-feed"), "replay", capture]).stdout
piped = run([tool("ot-book")] + BOOK, stdin=events).stdout
n_events = events.count(b"\n")
# Lines ot-book prints before it is stopped (the books come at the end).
live = run([tool("ot-book"), "--emit", "bbo"], stdin=events).stdout.count(b"\n")


def transport_status(line):
    return b'"type":"status","venue":"nats"' in line


def market(out):
    """The output without the transport's own status lines."""
    return b"".join(l for l in out.splitlines(keepends=True) if not transport_status(l))


def wait_market_lines(path, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, "rb") as f:
            if market(f.read()).count(b"\n") >= n:
                return
        time.sleep(0.1)


def read_until_stopped(args, path, n):
    """Runs ot-book into `path` until it printed n market lines, then SIGTERM."""
    with open(path, "wb") as f:
        p = subprocess.Popen(args, stdout=f, stderr=subprocess.PIPE)
        wait_market_lines(path, n)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    return p.returncode, err, open(path, "rb").read()


def stream_messages(cluster, stream):
    for s in cluster.running():
        for acc in s.jsz().get("account_details", []):
            for st in acc.get("stream_detail", []):
                if st.get("name") == stream:
                    return st["state"]["messages"]
    return None


with tempfile.TemporaryDirectory() as tmp:
    for case in ("clients on the followers", "clients on the leader"):
        with Cluster(3) as cl:
            stream = "MD"
            # The stream first (R3), so that its leader is known before the run.
            first = run([tool("ot-feed"), "replay", "--out",
                         f"nats://{cl.urls}/md?js={stream}&replicas=3", os.devnull])
            check(first.returncode == 0, f"{case}: an R3 stream is made {first.stderr.decode()[-200:]}")
            leader = cl.stream_leader(stream)
            if case == "clients on the followers":
                hosts = ",".join(s.url for s in cl.servers if s is not leader)
            else:
                hosts = leader.url  # the others are learned from it
            url = f"nats://{hosts}/md"

            out = os.path.join(tmp, f"durable-{leader.name}.out")
            f = open(out, "wb")
            consumer = subprocess.Popen(
                [tool("ot-book"), "--in", f"{url}.>?js={stream}&durable=book"] + BOOK,
                stdout=f, stderr=subprocess.PIPE)
            feed = subprocess.Popen(
                [tool("ot-feed"), "replay", "--speed", "3", "--out",
                 f"{url}?js={stream}&replicas=3", capture],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(3)  # mid-stream: about a third of the capture
            leader.stop(signal.SIGKILL)
            _, feed_err = feed.communicate(timeout=120)
            check(feed.returncode == 0,
                  f"{case}: ot-feed outlives the leader's kill -9 ({feed.returncode}) "
                  f"{feed_err.decode()[-300:]}")
            new_leader = cl.stream_leader(stream)
            check(new_leader is not leader, f"{case}: {new_leader.name} leads after {leader.name}")

            wait_market_lines(out, live)
            consumer.send_signal(signal.SIGTERM)
            _, err = consumer.communicate(timeout=30)
            f.close()
            durable = open(out, "rb").read()
            check(consumer.returncode == 0,
                  f"{case}: the durable consumer ends cleanly ({consumer.returncode}) "
                  f"{err.decode()[-300:]}")
            check(market(durable) == piped,
                  f"{case}: the durable consumer's books and trades equal the pipe's "
                  f"({market(durable).count(chr(10).encode())} of {piped.count(chr(10).encode())} lines)")

            # The whole stream read afterwards: every event once, in order.
            rc, err, whole = read_until_stopped(
                [tool("ot-book"), "--in", f"nats://{cl.running()[0].url}/md.>?js={stream}"] + BOOK,
                os.path.join(tmp, f"whole-{leader.name}.out"), live)
            check(rc == 0 and market(whole) == piped,
                  f"{case}: the stream read afterwards equals the pipe ({rc}) {err.decode()[-200:]}")
            in_stream_status = sum(1 for l in whole.splitlines() if transport_status(l))
            held = stream_messages(cl, stream)
            check(held == n_events + in_stream_status + 0,
                  f"{case}: the stream holds each event once ({held} messages for {n_events} "
                  f"events and {in_stream_status} status)")
            if case == "clients on the leader":
                said = [l for l in durable.splitlines() if transport_status(l)]
                check(any(b'"event":"disconnected"' in l for l in said) and
                      any(b'"event":"connected"' in l for l in said),
                      f"{case}: the consumer says it lost and regained its server ({len(said)} status)")

finish()
