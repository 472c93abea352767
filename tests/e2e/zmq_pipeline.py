#!/usr/bin/env python3
"""ot-feed --out ipc://… into ot-book --in ipc://…: a consumer started first
receives the whole stream (the publisher waits for its subscription), and the
result equals the same pipeline over a pipe. SIGTERM ends ot-book cleanly."""
import signal
import tempfile
import time

from common import *

with tempfile.TemporaryDirectory() as tmp:
    endpoint = f"ipc://{tmp}/md"
    capture = os.path.join(DATA, "okx.raw")
    book = subprocess.Popen([tool("ot-book"), "--in", endpoint, "--emit", "bbo", "--emit", "book"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)
    feed = run([tool("ot-feed"), "replay", "--out", endpoint, capture])
    check(feed.returncode == 0, "ot-feed publishes on a ZeroMQ endpoint")
    time.sleep(0.5)
    book.send_signal(signal.SIGTERM)
    out, err = book.communicate(timeout=20)
    check(book.returncode == 0, f"ot-book ends cleanly on SIGTERM ({book.returncode})")
    piped = run([tool("ot-book"), "--emit", "bbo", "--emit", "book"],
                stdin=run([tool("ot-feed"), "replay", capture]).stdout)
    check(out == piped.stdout, f"the ZeroMQ pipeline equals the pipe ({len(out.splitlines())} events)")

finish()
