"""A private nats-server for tests: Debian's nats-server binary, JetStream
with file storage in a temporary directory, a free loopback port; stopped
and removed at the end. `Cluster(3)` starts three such servers routed to
one another on loopback (JetStream clustered, for R3 streams), each with its
monitoring port, so a test can ask which server leads a stream."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from common import free_port


def _wait_port(port, proc, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server exited ({proc.returncode})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nats-server did not start")


class Server:
    """One server; `routes` and `cluster_port` make it a cluster member."""

    def __init__(self, name="n1", port=None, cluster_port=None, routes=(), root=None):
        self.name = name
        self.root = root or tempfile.mkdtemp(prefix="ot-nats-")
        self.port = port or free_port()
        self.cluster_port = cluster_port
        self.http_port = free_port()
        self.routes = list(routes)
        self.proc = None

    @property
    def url(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        store = os.path.join(self.root, self.name)
        conf = os.path.join(self.root, f"{self.name}.conf")
        lines = [f'server_name: "{self.name}"', "listen: 127.0.0.1:%d" % self.port,
                 "http: 127.0.0.1:%d" % self.http_port, "jetstream { store_dir: %s }" % store]
        if self.cluster_port:
            routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in self.routes)
            lines.append('cluster { name: "ot", listen: 127.0.0.1:%d, routes: [%s] }'
                         % (self.cluster_port, routes))
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.root, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(["nats-server", "-c", conf], stdout=self.log, stderr=self.log)
        _wait_port(self.port, self.proc)
        return self

    def jsz(self):
        """The server's JetStream report (monitoring endpoint /jsz)."""
        url = f"http://127.0.0.1:{self.http_port}/jsz?streams=true&consumers=true"
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)

    def stop(self, sig=None):
        if self.proc is None:
            return
        if sig is None:
            self.proc.terminate()
        else:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def close(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Cluster:
    def __init__(self, n=3):
        self.root = tempfile.mkdtemp(prefix="ot-nats-cluster-")
        cports = [free_port() for _ in range(n)]
        self.servers = [Server(f"n{i + 1}", cluster_port=cports[i],
                               routes=[p for j, p in enumerate(cports) if j != i], root=self.root)
                        for i in range(n)]

    @property
    def urls(self):
        return ",".join(s.url for s in self.servers)

    def __enter__(self):
        for s in self.servers:
            s.start()
        time.sleep(2)  # routes up and a JetStream meta leader elected
        return self

    def running(self):
        return [s for s in self.servers if s.proc is not None]

    def stream_leader(self, stream, timeout=15):
        """The server leading `stream` (waits for an election)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for s in self.running():
                try:
                    for acc in s.jsz().get("account_details", []):
                        for st in acc.get("stream_detail", []):
                            leader = st.get("cluster", {}).get("leader")
                            live = [x for x in self.running() if x.name == leader]
                            if st.get("name") == stream and live:
                                return live[0]
                except (OSError, ValueError, StopIteration):
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"no leader for stream {stream}")

    def __exit__(self, *exc):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.root, ignore_errors=True)
