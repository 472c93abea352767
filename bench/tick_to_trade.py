#!/usr/bin/env python3
"""Tick-to-trade: ot-sim stamps each market data frame that changes a top of
book when it sends it, and each order request when it arrives (the kernel's
send and receive stamps, on ot-sim's monotonic clock); an order is matched to the latest frame of its symbol
whose best bid equals the order's price (the probe strategy buys at the bid
of every top change). Measured for:
  - the five programs over pipes:
      ot-feed live | ot-book | ot-strat probe | ot-risk | ot-exec --venue binance-futures
  - the same over ZeroMQ ipc endpoints,
  - the same over shm:// rings (fills too), with their default wait (spin
    20 us, yield 200 us, then sleep),
  - the fused chain in one process (bench/tick_chain.cpp; it also reports
    the in-process frame-to-order time),
next to the bare one-way hop of a pipe, a ZeroMQ ipc socket and a ring measured
in the same run (ot-bench-hops): back to back, and paced like the chain's
input (one message per frame interval of the replay, so that both sides are
idle between messages, as the chain's stages are); and, paced the same way,
a message's trip around a ring of five hops through four relay processes
that do no work: the chain's shape (frame to ot-feed, then four programs
on), its cost without the programs' work.

    python3 bench/tick_to_trade.py [--messages 5000] [--speed 0.2] [--modes pipes,zmq,shm,fused]
                                   [--busy-poll] [--warmup 10] [--no-hops] [--sched] [--breakdown]
                                   [--lock-memory]
                                   [--idle-poll] [--cpus 'S F B T R E']

The first --warmup orders are left out of the figures: frames that reach
ot-feed before its REST snapshot are held until the book is in sync, so
those orders wait 10-50 ms (the slowest three are printed, with their
rank). --busy-poll runs ot-sim, ot-feed, ot-exec and ot-tick-chain
spinning on their sockets; give each a core with --cpus.

The fused chain's figures sit next to two limits measured in the same run:
ot-bench-stalls, how often the machine takes the CPU from a thread that
spins on each of the two CPUs at once (the floor under the tails; on a VM
the hypervisor's preemptions show only so), and ot-bench-tcp: a frame's
trip in and the order's trip out, each at most a bare loopback TCP one-way
trip (the receiver spinning with recv, the
least a reader can do), plus the chain's in-process path. --breakdown
preloads build/lib/libot-socket-stamps.so into ot-tick-chain and splits
each order's time at its socket calls: the frame's way in (ot-sim's send
stamp to the chain's read returning), the chain's work up to its write,
and the write up to ot-sim's receive stamp.

--idle-poll (root) holds a PM QoS request of 0 µs on /dev/cpu_dma_latency
for the whole run, as tuned's latency-performance profile does: idle CPUs
poll instead of halting, so a wake-up costs no exit to the hypervisor or
deep C-state. Hops and chains are then measured on that footing.
"""
import argparse
import bisect
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
STAMPS_LIB = os.path.join(ROOT, "build", "lib", "libot-socket-stamps.so")
GEN = os.path.join(ROOT, "..", "shared", "tools", "gen-depth-capture")


CPUS = {}  # program -> --cpu list (--cpus)
BUSY = set()  # programs run with --busy-poll


def tool(name):
    """The program's path, with its --cpu option when --cpus pins it, and
    --busy-poll when asked for."""
    path = os.path.join(BIN, name)
    if name in CPUS:
        path += f" --cpu {CPUS[name]}"
    if name in BUSY and name != "ot-feed":  # ot-feed's is an option of `live`
        path += " --busy-poll"
    return path


def argv(name):
    return tool(name).split()


def percentiles(xs):
    xs = sorted(xs)
    at = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] / 1000.0
    return at(0.5), at(0.99), at(0.999)


def start_sim(capture, speed, log, tmp):
    port_file = os.path.join(tmp, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    sim = subprocess.Popen(argv("ot-sim") + ["--venue", "binance-futures", "--data", capture,
                            "--speed", str(speed), "--latency-log", log, "--port-file", port_file,
                            "--linger", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        time.sleep(0.02)
    return sim, open(port_file).read().strip()


def latencies(log):
    frames = {}  # symbol -> [(t, bid)]
    out, unmatched = [], 0
    for line in open(log):
        parts = line.split(" ", 3)
        if parts[0] == "F":
            frames.setdefault(parts[2], []).append((int(parts[1]), parts[3].strip()))
        elif parts[0] == "O":
            t = int(parts[1])
            rest = parts[2] + "&" + (parts[3] if len(parts) > 3 else "")
            sym, price = re.search(r"symbol=([A-Z0-9]+)", rest), re.search(r"price=([0-9.]+)", rest)
            if not sym or not price:
                continue  # listen keys and the like
            sym, price = sym.group(1), price.group(1)
            match = None
            for ft, bid in reversed(frames.get(sym, [])):
                if ft <= t and bid == price:
                    match = ft
                    break
                if t - ft > 50_000_000:
                    break
            if match is None:
                unmatched += 1
            else:
                out.append((t, t - match))
    return out, unmatched


def breakdown(log, stamps_path, warmup):
    """Per order after the warm-up, from ot-sim's stamps and the chain's
    socket calls (libot-socket-stamps): (in, work, write) in ns. The frame
    is the first read on the market data socket (the one read most) after
    ot-sim sent it; the order, the last write on the order socket (the one
    written most) before ot-sim received it."""
    calls = []
    for line in open(stamps_path):
        kind, fd, before, after, _n = line.split()
        calls.append((int(before), int(after), kind, int(fd)))
    calls.sort()
    def busiest(kind):
        fds = [c[3] for c in calls if c[2] == kind]
        return max(set(fds), key=fds.count) if fds else None
    feed_fd, order_fd = busiest("r"), busiest("w")
    starts = [c[0] for c in calls]
    phases = []
    timed, _ = latencies(log)
    for t, lat in timed[warmup:]:
        sent = t - lat
        window = calls[bisect.bisect_left(starts, sent):bisect.bisect_left(starts, t)]
        read = next((c for c in window if c[2] == "r" and c[3] == feed_fd), None)
        write = next((c for c in reversed(window) if c[2] == "w" and c[3] == order_fd), None)
        if read and write and read[1] <= write[0]:
            phases.append((read[1] - sent, write[0] - read[1], t - write[0]))
    return phases


def bench_tool(name, args):
    """A limit measured by build/bin/NAME: its output, or "" (said on
    stderr) when it is not built or fails."""
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        print(f"tick_to_trade.py: {name} is not built: its limit is left out", file=sys.stderr)
        return ""
    r = subprocess.run([path] + args, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"tick_to_trade.py: {name} failed ({r.returncode}): {r.stderr.strip()}",
              file=sys.stderr)
    return r.stdout


def sample_sched(pid, stop, samples):
    """Every 10 ms: (monotonic ns, the ns pid's threads have waited on a run
    queue so far, the machine's steal ns so far, pid's page faults so far),
    from /proc/PID/task/*/schedstat, /proc/stat and /proc/PID/stat (minor
    plus major faults); ot-sim's stamps are on the same clock."""
    tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    while not stop.is_set():
        t = time.monotonic_ns()
        wait = 0
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    wait += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
        with open("/proc/stat") as f:
            steal = int(f.readline().split()[8]) * tick  # cpu user nice system idle iowait irq softirq steal
        faults = 0
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after "pid (comm)"
                faults = int(fields[7]) + int(fields[9])  # minflt, majflt
        except (OSError, ValueError, IndexError):
            pass
        samples.append((t, wait, steal, faults))
        time.sleep(0.01)


def attribute(timed, samples, threshold_ns=1_000_000):
    """Of the orders slower than the threshold: how many had the chain's
    threads waiting for a CPU for half their time or more (the kernel ran
    something else there: ot-sim, a kworker), how many saw the hypervisor
    steal that much, and how many neither (the program, or what the
    samples cannot see)."""
    slow = [(t, lat) for t, lat in timed if lat >= threshold_ns]
    waited = stolen = faulted = neither = 0
    for t, lat in slow:
        start = t - lat
        around = [s for s in samples if start - 10_000_000 <= s[0] <= t + 10_000_000]
        if len(around) < 2:
            neither += 1
            continue
        wait = around[-1][1] - around[0][1]
        steal = around[-1][2] - around[0][2]
        if around[-1][3] > around[0][3]:
            faulted += 1
        if wait >= lat / 2:
            waited += 1
        elif steal >= lat / 2:
            stolen += 1
        else:
            neither += 1
    during = [s for s in samples if timed and timed[0][0] - timed[0][1] <= s[0] <= timed[-1][0]]
    faults = during[-1][3] - during[0][3] if len(during) >= 2 else 0
    return (f"orders over {threshold_ns / 1e6:g} ms: {len(slow)}; the chain waiting for a CPU "
            f"half of it or more: {waited}; the VM stealing that much: {stolen}; "
            f"neither: {neither}; with a page fault of the chain within 10 ms: {faulted}\n  page faults of the chain "
            f"while the measured orders ran: {faults}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--speed", type=float, default=0.2)
    ap.add_argument("--modes", default="pipes,zmq,shm,fused",
                    help="the chains to run, of pipes, zmq, shm and fused")
    ap.add_argument("--busy-poll", action="store_true",
                    help="ot-sim, ot-feed, ot-exec and ot-tick-chain spin on their sockets "
                         "(--busy-poll) instead of sleeping")
    ap.add_argument("--no-hops", action="store_true", help="skip the bare hops (ot-bench-hops)")
    ap.add_argument("--sched", action="store_true",
                    help="fused: sample the chain's run-queue waits and the VM's steal time every "
                         "10 ms and say which slow orders they explain (the sampling itself, a "
                         "Python thread, slows the run)")
    ap.add_argument("--breakdown", action="store_true",
                    help="fused: split each order's time at the chain's socket calls (the frame's "
                         "way in, the chain's work to its write, the write)")
    ap.add_argument("--lock-memory", action="store_true",
                    help="fused: ot-tick-chain --lock-memory (mlockall, no heap trim, stack "
                         "touched: no page fault while running; --sched counts them)")
    ap.add_argument("--warmup", type=int, default=10,
                    help="orders left out at the start (the book's snapshot is awaited)")
    ap.add_argument("--idle-poll", action="store_true",
                    help="hold /dev/cpu_dma_latency at 0 for the run (root)")
    ap.add_argument("--cpus", metavar="'S F B T R E'",
                    help="--cpu lists (or -) for ot-sim, ot-feed, ot-book, ot-strat, ot-risk and "
                         "ot-exec; the fused run takes ot-feed's (for machines with a core per "
                         "program; the bare hops are not pinned)")
    a = ap.parse_args()
    if a.cpus:
        names = ("ot-sim", "ot-feed", "ot-book", "ot-strat", "ot-risk", "ot-exec")
        lists = a.cpus.split()
        if len(lists) != len(names):
            sys.exit("tick_to_trade.py: error: --cpus takes six lists, one per program")
        CPUS.update({n: c for n, c in zip(names, lists) if c != "-"})
        if "ot-feed" in CPUS:
            CPUS["ot-tick-chain"] = CPUS["ot-feed"]
    if a.busy_poll:
        BUSY.update({"ot-sim", "ot-feed", "ot-exec", "ot-tick-chain"})
    qos = None
    if a.idle_poll:
        try:
            qos = os.open("/dev/cpu_dma_latency", os.O_WRONLY)  # released at exit
            os.write(qos, (0).to_bytes(4, "little"))
        except OSError as e:
            sys.exit(f"tick_to_trade.py: error: --idle-poll: /dev/cpu_dma_latency: {e.strerror}"
                     " (it needs root)")
        print("idle CPUs poll: PM QoS request of 0 us held on /dev/cpu_dma_latency")
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY="ot-sim-key",
               OT_BINANCE_FUTURES_API_SECRET="ot-sim-secret")
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "t2t.raw")
        with open(capture, "w") as f:
            subprocess.run([sys.executable, GEN, "--futures", "--messages", str(a.messages),
                            "--symbols", "1"], stdout=f, check=True)
        with open(capture) as f:
            first = f.readline()[:28]
            last = first
            for last in f:
                pass
        span = (time.mktime(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S")) -
                time.mktime(time.strptime(first[:19], "%Y-%m-%dT%H:%M:%S")) + 1)
        gap_us = int(span / a.messages / a.speed * 1e6)
        hop, paced, ring = {}, {}, {}
        for args, into in (() if a.no_hops else
                           (([], hop),
                            (["--count", "2000", "--gap-us", str(gap_us), "--ring", "5"], paced))):
            hops = subprocess.run([tool("ot-bench-hops")] + args, capture_output=True,
                                  text=True).stdout
            print(hops, end="")
            for line in hops.splitlines():
                m = re.match(r"(\S+(?: ipc)?) (one-way|ring).*p50 ([0-9.]+) us, p99 ([0-9.]+) us",
                             line)
                if m:
                    (ring if m.group(2) == "ring" else into)[
                        {"pipe": "pipe", "shm": "shm"}.get(m.group(1), "zmq")] = float(m.group(3))
        tcp = {}
        if not a.no_hops and "fused" in a.modes.split(","):
            pins = ["--cpus", f"{CPUS['ot-sim']} {CPUS['ot-tick-chain']}"] \
                if "ot-sim" in CPUS and "ot-tick-chain" in CPUS else []
            # The machine's own stalls, a spinning thread on each of those
            # CPUs at once (as busy polling keeps them): the tails' floor.
            stalls = bench_tool("ot-bench-stalls", ["--seconds", "10"] + (
                ["--cpus", f"{CPUS['ot-sim']},{CPUS['ot-tick-chain']}"] if pins else []))
            print(stalls, end="")
            out = bench_tool("ot-bench-tcp", ["--count", "5000", "--modes",
                                              "recv-spin,asio-spin,epoll"] + pins)
            print(out, end="")
            for line in out.splitlines():
                m = re.match(r"tcp (\S+).*p50 ([0-9.]+) us", line)
                if m:
                    tcp[m.group(1)] = float(m.group(2))
        duration = span / a.speed + 4
        results = {}
        samples = []
        for mode in a.modes.split(","):
            log = os.path.join(tmp, f"{mode}.log")
            fills = f"ipc://{tmp}/{mode}-fills" if mode != "shm" else f"shm://t2t{os.getpid()}-fills"
            sim, port = start_sim(capture, a.speed, log, tmp)
            ws, rest = f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}"
            feed = argv("ot-feed") + ["live"] + (["--busy-poll"] if "ot-feed" in BUSY else []) + [
                    "--venue", "binance-futures", "--symbols", "BTCUSDT",
                    "--channels", "book", "--ws-url", ws, "--rest-url", rest, "--duration", str(duration)]
            exe = argv("ot-exec") + ["--venue", "binance-futures", "--rest-url", rest, "--ws-url", ws,
                   "--fills-out", fills, "--fills-subscribers", "2", "-q",
                   "--orders-per-10s", "1000000"]
            extra = ""
            if mode == "pipes":
                # The feed starts a second late, as in the ZeroMQ run: every
                # program is connected (venue sessions, endpoints) before the
                # first frame, so start-up is not measured.
                cmd = " | ".join(["{ sleep 1; exec " + " ".join(feed) + "; }", tool("ot-book"),
                                  f"{tool('ot-strat')} --fills {fills} probe --symbol BTCUSDT",
                                  f"{tool('ot-risk')} --fills {fills}", " ".join(exe) + " > /dev/null"])
                chain = subprocess.Popen(["bash", "-c", cmd], env=env, stderr=subprocess.DEVNULL)
                chain.wait(timeout=duration + 60)
            elif mode in ("zmq", "shm"):
                ep = {k: f"ipc://{tmp}/{mode}-{k}" if mode == "zmq" else f"shm://t2t{os.getpid()}-{k}"
                      for k in ("md", "bbo", "strat", "risk")}
                procs = [subprocess.Popen(exe + ["--in", ep["risk"]], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL),
                         subprocess.Popen(argv("ot-risk") + ["--in", ep["strat"], "--out", ep["risk"],
                                           "--fills", fills], stderr=subprocess.DEVNULL),
                         subprocess.Popen(argv("ot-strat") + ["--in", ep["bbo"], "--out", ep["strat"],
                                           "--fills", fills, "probe", "--symbol", "BTCUSDT"],
                                          stderr=subprocess.DEVNULL),
                         subprocess.Popen(argv("ot-book") + ["--in", ep["md"], "--out", ep["bbo"]],
                                          stderr=subprocess.DEVNULL)]
                time.sleep(0.5)
                subprocess.run(feed + ["--out", ep["md"]], env=env, stderr=subprocess.DEVNULL,
                               timeout=duration + 60)
                time.sleep(0.5)
                for p in reversed(procs):
                    if p.poll() is None:  # rings end with their stream; sockets do not
                        p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)
            else:
                stamps = os.path.join(tmp, "stamps")
                chain_env = dict(env, LD_PRELOAD=STAMPS_LIB, OT_SOCKET_STAMPS=stamps) \
                    if a.breakdown else env
                lock = ["--lock-memory"] if a.lock_memory else []
                chain = subprocess.Popen(argv("ot-tick-chain") + lock + [
                                         "--symbols", "BTCUSDT", "--ws-url", ws, "--rest-url", rest,
                                         "--duration", str(duration)], env=chain_env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                stop, samples = threading.Event(), []
                sampler = threading.Thread(target=sample_sched, args=(chain.pid, stop, samples))
                if a.sched:
                    sampler.start()
                _, err = chain.communicate(timeout=duration + 60)
                stop.set()
                if a.sched:
                    sampler.join()
                extra = [l for l in err.splitlines() if "in-process" in l]
                extra = extra[-1] if extra else err[-300:]
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=30)
            timed, unmatched = latencies(log)
            lat = [l for _, l in timed]
            if lat:
                slow = sorted(range(len(lat)), key=lambda i: -lat[i])[:3]
                slowest = "  slowest orders: " + ", ".join(
                    f"#{i + 1} of {len(lat)} {lat[i] / 1e6:.2f} ms" for i in slow)
            # The first orders wait for the start: frames that came before
            # the book's REST snapshot are held until it is in.
            lat = lat[a.warmup:]
            if mode == "fused" and samples:
                extra = (extra + "\n  " if extra else "") + attribute(timed[a.warmup:], samples)
            if mode == "fused" and a.breakdown and os.path.exists(stamps):
                phases = breakdown(log, stamps, a.warmup)
                if phases:
                    parts = []
                    for name, col in zip(("in: sent to read", "work: read to write",
                                          "write: to ot-sim's receive stamp"), zip(*phases)):
                        p50, p99, _ = percentiles(col)
                        parts.append(f"{name} p50 {p50:.1f} us, p99 {p99:.1f} us")
                    extra = (extra + "\n  " if extra else "") + \
                        f"breakdown over {len(phases)} orders: " + "; ".join(parts)
            p50, p99, p999 = percentiles(lat) if lat else (0, 0, 0)
            results[mode] = (p50, p99, p999, len(lat), unmatched, extra)
            print(f"{mode}: tick-to-trade over {len(lat)} orders after the first {a.warmup} "
                  f"({unmatched} unmatched): "
                  f"p50 {p50:.1f} us, p99 {p99:.1f} us, p99.9 {p999:.1f} us")
            if extra:
                print("  " + extra)
            if lat:
                print(slowest)
        if "fused" in results and tcp:
            p50 = results["fused"][0]
            m = re.search(r"in-process \S+ latency .*?p50 ([0-9.]+) us", results["fused"][5] or "")
            cpu = float(m.group(1)) if m else 0.0
            for how in ("recv-spin", "asio-spin"):
                if how in tcp:
                    limit = 2 * tcp[how] + cpu
                    print(f"fused: p50 {p50:.1f} us vs 2 loopback one-way trips ({how}) + the "
                          f"in-process path ({cpu:.1f} us) = {limit:.1f} us: {p50 / limit:.2f}x")
        for mode, h in (("pipes", "pipe"), ("zmq", "zmq"), ("shm", "shm")):
            if mode not in results:
                continue
            p50 = results[mode][0]
            for name, hops_of in (("back to back", hop), (f"{gap_us} us apart", paced)):
                if h not in hops_of:
                    continue
                limit = 5 * hops_of[h] + 10
                print(f"{mode}: p50 {p50:.1f} us vs 5 bare hops ({name}) + 10 us = {limit:.1f} us: "
                      f"{'met' if p50 <= limit else 'NOT met'} ({p50 / hops_of[h]:.1f} hops)")
            if h in ring:
                limit = ring[h] + 10
                print(f"{mode}: p50 {p50:.1f} us vs a 5-hop ring ({gap_us} us apart) + 10 us = "
                      f"{limit:.1f} us: {'met' if p50 <= limit else 'NOT met'} "
                      f"({p50 / ring[h]:.2f} rings)")


if __name__ == "__main__":
    main()
