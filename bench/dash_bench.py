#!/usr/bin/python3
"""ot-dash under load, in one run:

1. its CPU at RATE events a second with no browser, then with one;
2. event in -> visible in a real browser (Debian's chromium, headless,
   through chromium-driver): every bbo's bid counts up, so the bid the
   ladder shows says which event it reflects. A MutationObserver on the
   best bid takes the time of the display frame (requestAnimationFrame)
   that paints each change; an event's latency is from its write into
   ot-dash's input to the first painted frame showing it or a later one.
   The browser's clock is set against this script's with a bracketed read
   (its error is printed). The limit beside it: the page's own frame
   interval, measured in the same run;
3. memory with a stalled client: a WebSocket client that never reads
   (a small receive buffer, so the server's writes block at once) for
   STALL minutes at RATE, next to a client that reads. ot-dash's resident
   memory is sampled every 10 s; the reading client's updates and the
   generator's achieved rate show that the input never slowed.

Events: one instrument, bbo and trade alternately, stamped with the wall
clock (so the chart's candles form as in live trading).

usage: /usr/bin/python3 bench/dash_bench.py [--rate 10000] [--seconds 30] [--stall-minutes 10]
                                            [--no-browser]
(needs a Release build in build/, chromium, chromium-driver and
python3-selenium: scripts/setup-debian.sh installs them)"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from dash_client import WebSocket, start_dash  # noqa: E402

VENUE, SYMBOL = "okx", "BENCH-USDT"
BASE, STEP = 50000.0, 0.01  # the n-th bbo's bid: BASE + n * STEP
TICK = os.sysconf("SC_CLK_TCK")


class Generator(threading.Thread):
    """Writes `rate` events a second into `fd`, in batches as the clock
    says they are due; keeps each bbo's write time (epoch ns) while
    `record` is set."""

    def __init__(self, fd, rate):
        super().__init__(daemon=True)
        self.fd, self.rate = fd, rate
        self.stop = False
        self.record = False
        self.sent = {}  # bbo number -> write time
        self.written = 0
        self.n = 0

    def run(self):
        start = time.monotonic()
        i = 0
        while not self.stop:
            due = int((time.monotonic() - start) * self.rate)
            if due <= i:
                time.sleep(0.0005)
                continue
            due = min(due, i + self.rate // 10)  # at most 100 ms at once
            ts = time.time_ns()
            lines, numbers = [], []
            for k in range(i, due):
                if k % 2 == 0:
                    self.n += 1
                    bid = BASE + self.n * STEP
                    lines.append('{"type":"bbo","venue":"%s","symbol":"%s","ts":%d,"bid":"%.2f",'
                                 '"bid_qty":"1","ask":"%.2f","ask_qty":"1"}\n'
                                 % (VENUE, SYMBOL, ts, bid, bid + 0.5))
                    numbers.append(self.n)
                else:
                    lines.append('{"type":"trade","venue":"%s","symbol":"%s","ts":%d,"price":"%.2f",'
                                 '"qty":"0.01","side":"%s","id":"%d"}\n'
                                 % (VENUE, SYMBOL, ts, BASE + self.n * STEP, "buy" if k % 4 == 1 else "sell", k))
            data = "".join(lines).encode()
            while data:
                data = data[os.write(self.fd, data):]
            now = time.time_ns()
            if self.record:
                for n in numbers:
                    self.sent[n] = now
            self.written += due - i
            i = due


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def cpu_window(pid, gen, seconds):
    """ot-dash's CPU share of one core over `seconds`, and the events
    written meanwhile per second."""
    c0, w0, t0 = cpu_seconds(pid), gen.written, time.monotonic()
    time.sleep(seconds)
    dt = time.monotonic() - t0
    return (cpu_seconds(pid) - c0) / dt, (gen.written - w0) / dt


OBSERVER = """
window.__seen = [];
window.__frames = [];
const target = document.getElementById('best-bid');
new MutationObserver(() => {
  const v = target.textContent;
  requestAnimationFrame(() => window.__seen.push([performance.timeOrigin + performance.now(), v]));
}).observe(target, { childList: true, characterData: true, subtree: true });
(function frame() {
  window.__frames.push(performance.now());
  requestAnimationFrame(frame);
})();
"""


def browser_latency(url, pid, gen, seconds, tmp):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import Select, WebDriverWait

    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--user-data-dir={tmp}/chrome", "--window-size=1600,1100"):
        o.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 20, poll_frequency=0.1)
        wait.until(lambda d: any(f"{VENUE} {SYMBOL}" == x.text for x in
                                 d.find_elements("css selector", "#instrument option")))
        Select(driver.find_element("id", "instrument")).select_by_visible_text(f"{VENUE} {SYMBOL}")
        wait.until(lambda d: d.find_element("id", "best-bid").text not in ("", "-"))
        # The browser's clock against ours: the best of 20 bracketed reads.
        best = None
        for _ in range(20):
            a = time.time_ns()
            b = driver.execute_script("return performance.timeOrigin + performance.now();") * 1e6
            c = time.time_ns()
            if best is None or c - a < best[1]:
                best = (b - (a + c) / 2, c - a)
        offset, spread = best
        driver.execute_script(OBSERVER)
        time.sleep(2)
        gen.sent.clear()
        gen.record = True
        cpu, rate = cpu_window(pid, gen, seconds)
        gen.record = False
        time.sleep(1)
        seen = driver.execute_script("return window.__seen;")
        frames = driver.execute_script("return window.__frames;")
    finally:
        driver.quit()
    # Shown: (browser time in our clock, bbo number), in order.
    shown = []
    for t, v in seen:
        try:
            shown.append((t * 1e6 - offset, round((float(v) - BASE) / STEP)))
        except ValueError:
            pass
    lat = []
    j = 0
    for n in sorted(gen.sent):
        while j < len(shown) and shown[j][1] < n:
            j += 1
        if j == len(shown):
            break
        lat.append((shown[j][0] - gen.sent[n]) / 1e6)
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    return {"latency": lat, "frame": percentile(gaps, 50) if gaps else float("nan"),
            "paints": len(shown), "cpu": cpu, "rate": rate, "clock_error_ms": spread / 2e6}


def stalled(port, token, pid, gen, minutes):
    """RSS samples with a client that never reads, and the updates a reading
    client got meanwhile."""
    headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": f"ot_dash={token}"}
    stuck = WebSocket(port, "/ws", headers, rcvbuf=4096)
    stuck.send({"op": "watch", "venue": VENUE, "symbol": SYMBOL, "interval": "1s"})
    reader = WebSocket(port, "/ws", headers)
    reader.send({"op": "watch", "venue": VENUE, "symbol": SYMBOL, "interval": "1s"})
    got = {"updates": 0, "last": 0.0}

    def read():
        while True:
            try:
                m = reader.recv(timeout=30)
            except Exception:
                return
            if m.get("type") == "update":
                got["updates"] += 1
                got["last"] = time.monotonic()

    threading.Thread(target=read, daemon=True).start()
    samples = []
    w0, u0, t0 = gen.written, got["updates"], time.monotonic()
    end = t0 + minutes * 60
    while time.monotonic() < end:
        samples.append((time.monotonic() - t0, rss_mib(pid)))
        time.sleep(10)
    samples.append((time.monotonic() - t0, rss_mib(pid)))
    dt = time.monotonic() - t0
    # Was the stalled client dropped? Its buffer read to the end or to EOF.
    stuck.sock.setblocking(False)
    dropped = False
    try:
        while True:
            if not stuck.sock.recv(1 << 20):
                dropped = True
                break
    except (BlockingIOError, ConnectionError):
        pass
    return {"samples": samples, "rate": (gen.written - w0) / dt, "dropped": dropped,
            "updates": (got["updates"] - u0) / dt, "last_update_age": time.monotonic() - got["last"]}



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--stall-minutes", type=float, default=10)
    ap.add_argument("--no-browser", action="store_true", help="skip the browser's latency")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dash, url, port, token = start_dash([], f"{tmp}/dash.err", subprocess.PIPE)
        gen = Generator(dash.stdin.fileno(), a.rate)
        gen.start()
        try:
            measure(a, gen, dash, url, port, token, tmp)
        finally:
            gen.stop = True
            gen.join()
            dash.stdin.close()
            dash.terminate()
            dash.wait(timeout=30)


def measure(a, gen, dash, url, port, token, tmp):
    time.sleep(3)
    idle_cpu, idle_rate = cpu_window(dash.pid, gen, a.seconds / 2)
    print(f"no browser: {idle_rate:.0f} events/s in, ot-dash {idle_cpu * 100:.1f}% of a core, "
          f"{idle_cpu * 100 / (idle_rate / 1000):.2f}% per 1k events/s")
    if not a.no_browser:
        b = browser_latency(url, dash.pid, gen, a.seconds, tmp)
        lat = b["latency"]
        print(f"one browser: {b['rate']:.0f} events/s in, ot-dash {b['cpu'] * 100:.1f}% of a core, "
              f"{b['cpu'] * 100 / (b['rate'] / 1000):.2f}% per 1k events/s")
        print(f"event in -> painted: {len(lat)} events, {b['paints']} paints; p50 {percentile(lat, 50):.1f} ms, "
              f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms; the page's frame interval "
              f"{b['frame']:.1f} ms (p50 = {percentile(lat, 50) / b['frame']:.1f} frames, "
              f"p99 = {percentile(lat, 99) / b['frame']:.1f}); clock error ±{b['clock_error_ms']:.2f} ms")
    if a.stall_minutes > 0:
        s = stalled(port, token, dash.pid, gen, a.stall_minutes)
        rss = [r for _, r in s["samples"]]
        first_min = [r for t, r in s["samples"] if t >= 60] or rss
        print(f"stalled client, {a.stall_minutes:g} min at {s['rate']:.0f} events/s in: RSS "
              f"{rss[0]:.1f} MiB at the start, {first_min[0]:.1f} after 1 min, {rss[-1]:.1f} at the end, "
              f"max {max(rss):.1f} (end / 1 min = {rss[-1] / first_min[0]:.3f}); the reading client got "
              f"{s['updates']:.1f} updates/s, its last {s['last_update_age']:.2f} s before the end; the stalled "
              f"client was {'dropped by the server' if s['dropped'] else 'still connected'}")
        print("RSS samples (s, MiB): " + " ".join(f"{t:.0f}:{r:.1f}" for t, r in s["samples"]))


if __name__ == "__main__":
    main()
