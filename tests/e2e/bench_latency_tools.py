#!/usr/bin/env python3
"""The latency benchmark's own tools work (their figures are not checked:
speed is measured in bench/, not here):
  - ot-bench-tcp over loopback TCP in each of its default receiving modes
    (io_uring's where the kernel allows io_uring), and
    ot-bench-tcp-asio-uring;
  - ot-bench-stalls on one CPU;
  - the fused chain busy-polled against ot-sim, with libot-socket-stamps
    preloaded: its orders come back through the inline gateway served on
    the feed's idle turns, and tick_to_trade.py's breakdown finds each
    matched order's frame read and order write among the stamps."""
import ctypes
import importlib.util
import re
import struct
import tempfile

from common import *

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
CAPTURE = os.path.join(DATA, "binance-futures.raw")
SYMBOL = "SUSHIUSDT"


def io_uring_allowed():
    """io_uring_setup(2) succeeds here with ot-bench-tcp's flags (containers
    refuse io_uring, kernels before 5.19 those flags)."""
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)  # struct io_uring_params
    coop_taskrun, taskrun_flag = 1 << 8, 1 << 9
    struct.pack_into("I", params, 8, coop_taskrun | taskrun_flag)  # .flags
    fd = libc.syscall(425, 1, params)  # __NR_io_uring_setup on x86-64
    if fd >= 0:
        os.close(fd)
    return fd >= 0


def run_tcp(binary, modes):
    r = subprocess.run([tool(binary), "--count", "200", "--modes", modes], capture_output=True,
                       text=True, timeout=120)
    lines = [l for l in r.stdout.splitlines() if re.match(r"tcp \S+.* one-way .*p50 [0-9.]+ us", l)]
    check(r.returncode == 0 and len(lines) == len(modes.split(",")),
          f"{binary} --modes {modes}: a line per mode ({r.returncode}) {r.stderr[-200:]}")


if not os.path.exists(tool("ot-bench-tcp")):
    print("skipped: ot-bench-tcp is not built (liburing not found)")
else:
    run_tcp("ot-bench-tcp", "epoll,epoll-spin,recv-spin,asio-spin")
    if io_uring_allowed():
        run_tcp("ot-bench-tcp", "uring,uring-spin")
        run_tcp("ot-bench-tcp-asio-uring", "asio-spin")
    else:
        print("skipped: io_uring is not allowed here (the io_uring modes)")

cpu = min(os.sched_getaffinity(0))
r = subprocess.run([tool("ot-bench-stalls"), "--cpus", str(cpu), "--seconds", "0.3"],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0 and
      re.search(rf"stalls of a spinning thread on cpu {cpu} .* longest", r.stdout),
      f"ot-bench-stalls reports cpu {cpu} ({r.returncode}) {r.stdout} {r.stderr}")

spec = importlib.util.spec_from_file_location("t2t",
                                              os.path.join(ROOT, "bench", "tick_to_trade.py"))
t2t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t2t)
stamps_lib = os.path.abspath(os.path.join(BIN, "..", "lib", "libot-socket-stamps.so"))
check(os.path.exists(stamps_lib), f"{stamps_lib} is built")

with tempfile.TemporaryDirectory() as tmp:
    log, stamps = os.path.join(tmp, "latency.log"), os.path.join(tmp, "stamps")
    sim, port = start_sim("binance-futures", CAPTURE,
                          ["--speed", "10", "--latency-log", log, "--linger", "30"], tmp)
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY="ot-sim-key",
               OT_BINANCE_FUTURES_API_SECRET="ot-sim-secret", LD_PRELOAD=stamps_lib,
               OT_SOCKET_STAMPS=stamps,
               # An AddressSanitizer build wants its runtime first; the
               # preloaded library comes before it.
               ASAN_OPTIONS=":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                    "verify_asan_link_order=0"])))
    r = subprocess.run([tool("ot-tick-chain"), "--busy-poll", "--symbols", SYMBOL, "--ws-url",
                        f"ws://127.0.0.1:{port}", "--rest-url", f"http://127.0.0.1:{port}",
                        "--duration", "4"], env=env, capture_output=True, text=True, timeout=60)
    sim.terminate()
    sim.wait(timeout=30)
    m = re.search(r"in-process frame-received-to-order latency over (\d+) orders", r.stderr)
    check(r.returncode == 0 and m and int(m.group(1)) > 0,
          f"the busy-polled fused chain sends orders ({r.returncode}) {r.stderr[-300:]}")
    timed, unmatched = t2t.latencies(log)
    check(len(timed) > 0, f"ot-sim received the chain's orders after their frames ({len(timed)})")
    calls = [l.split() for l in open(stamps)]
    check(all(c[0] in "rw" and int(c[3]) >= int(c[2]) and int(c[4]) > 0 for c in calls) and
          {"r", "w"} <= {c[0] for c in calls},
          f"the stamps are reads and writes, each after its start and with bytes ({len(calls)})")
    phases = t2t.breakdown(log, stamps, 0)
    check(len(phases) >= max(1, len(timed) // 2),
          f"the breakdown finds the frame's read and the order's write "
          f"({len(phases)} of {len(timed)})")
finish()
