"""The example systemd units are sandboxed: `systemd-analyze security
--offline=yes` scores every system unit under examples/ at 2.0 or below,
and each has the directives the deployment relies on: Type=notify with a
watchdog, a restart policy, --metrics. examples/cron's unit is scored and
sandboxed too; being a oneshot user service (a batch job, run by the
user's own manager as that user), it is exempt from the checks for a
long-running system service only: User=, Type=notify with a watchdog, a
restart policy and --metrics.

And the programs speak systemd's notify protocol: under a NOTIFY_SOCKET of
the test's own (what systemd gives a Type=notify unit) with WATCHDOG_USEC
set, ot-book sends READY=1 once set up, WATCHDOG=1 while it works and while
it waits for input, and STOPPING=1 at the end."""
import glob
import os
import re
import socket
import subprocess
import tempfile
import time

from common import BIN, check, finish

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
units = sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.service"), recursive=True))
check(len(units) >= 13, f"{len(units)} units under examples/")
names = {os.path.basename(p) for p in units}
# A unit for every long-running program, and the nightly backtest's.
for unit in ("ot-trading-feed.service", "ot-trading-book.service", "ot-trading-strat.service",
             "ot-trading-risk.service", "ot-trading-exec.service", "ot-trading-bars.service",
             "ot-trading-dash.service", "ot-sim.service", "ot-recorder.service",
             "ot-backtest-nightly.service"):
    check(unit in names, f"examples/ has {unit}")
ports = {}
for path in units:
    name = os.path.relpath(path, os.path.join(ROOT, "examples"))
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", os.path.basename(path)],
                       cwd=os.path.dirname(path), capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
    score = float(m.group(1)) if m else None
    check(score is not None and score <= 2.0,
          f"{name}: exposure {score} (at most 2.0) {'' if m else (r.stdout + r.stderr)[-300:]}")
    text = open(path).read()
    need = ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
            "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"]
    missing = [n.strip() for n in need if n not in text]
    check(not missing, f"{name}: sandboxing directives present {missing}")
    if "/cron/" in path:
        check("Type=oneshot\n" in text and "PrivateUsers=yes\n" in text,
              f"{name}: a oneshot user service, in a user namespace of its own")
        continue
    check(re.search(r"^(User=(?!root)\S+|DynamicUser=yes)$", text, re.M) is not None,
          f"{name}: runs as a user that is not root")
    check("Type=notify\n" in text and re.search(r"^WatchdogSec=\d+s?$", text, re.M) is not None,
          f"{name}: Type=notify with a watchdog")
    check(re.search(r"^Restart=(on-failure|always)$", text, re.M) is not None,
          f"{name}: restarted on failure")
    check("--metrics " in text, f"{name}: serves metrics")
    # The fixed ports of ot-metrics(7)'s plan: one a program, on every host.
    for m in re.finditer(r"--metrics 127\.0\.0\.1:(\d+)", text):
        program = re.findall(r"\b(ot-[a-z]+)\s", text[:m.start()])[-1]
        check(ports.setdefault(m.group(1), program) == program,
              f"{name}: metrics port {m.group(1)} is {program}'s alone ({ports[m.group(1)]})")
plan = open(os.path.join(ROOT, "man", "ot-metrics.7")).read()
for port, program in sorted(ports.items()):
    check(re.search(rf"{port}\s+{program}\b", plan) is not None,
          f"ot-metrics(7)'s port plan names {port} {program}")


def notifications(sock, seconds):
    """The datagrams received for `seconds`."""
    got = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            break
    return got


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
    book = subprocess.Popen([os.path.join(BIN, "ot-book")], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, env=env)
    first = notifications(sock, 1.0)
    check(first[:1] == ["READY=1"], f"READY=1 first, once set up ({first[:3]})")
    idle = first[1:].count("WATCHDOG=1")
    check(idle >= 5, f"waiting for input is alive: {idle} WATCHDOG=1 in 1 s at WatchdogSec=0.2")
    line = b'{"type":"book","venue":"okx","symbol":"X","recv":1,"snapshot":true,"bids":[["1","1"]],"asks":[["2","1"]]}\n'
    for _ in range(20):
        book.stdin.write(line)
        book.stdin.flush()
        time.sleep(0.02)
    busy = notifications(sock, 0.5).count("WATCHDOG=1")
    check(busy >= 2, f"working is alive: {busy} WATCHDOG=1 in 0.5 s")
    book.stdin.close()
    book.wait(timeout=10)
    check(book.returncode == 0 and "STOPPING=1" in notifications(sock, 0.5),
          "STOPPING=1 at the end, exit 0")
finish()
