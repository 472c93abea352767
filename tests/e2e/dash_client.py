"""For the tests and benchmarks that talk to ot-dash: starting it on a free
port (the URL it prints once), and a minimal WebSocket client (RFC 6455):
text frames out, masked as a client must; messages in, fragments joined,
pings answered as a browser answers them."""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import time

from common import tool


def start_dash(args, err_path, stdin=None, scheme="http"):
    """ot-dash on a free loopback port: (process, URL, port, token)."""
    proc = subprocess.Popen([tool("ot-dash"), "--listen", "127.0.0.1:0"] + args,
                            stdin=stdin, stderr=open(err_path, "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(scheme + r"://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+)", open(err_path).read())
        if m:
            return proc, m.group(0), int(m.group(1)), m.group(2)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("ot-dash did not start: " + open(err_path).read())


class WebSocket:
    """A minimal WebSocket client: text frames, masked as a client must."""

    def __init__(self, port, path, headers, tls=None, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:  # before connecting, so that the window is small too
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ")[1]) if head else 0
        self.buf = b""

    def send(self, obj, opcode=0x1):
        data = obj if opcode != 0x1 else json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=10):
        """One message: a text frame and its continuations, pings skipped."""
        self.sock.settimeout(timeout)
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 0x8:
                raise ConnectionError("close frame")
            if op == 0x9:  # a ping: the pong a browser would send
                self.send(payload, 0xA)
                continue
            if op == 0xA:
                continue
            message += payload
            if b0 & 0x80:  # FIN
                return json.loads(message)

    def until(self, pred, timeout=10):
        """Messages until one satisfies pred; (that one, all seen)."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(max(0.1, deadline - time.monotonic()))
            seen.append(m)
            if pred(m):
                return m, seen
        raise TimeoutError("no such message")

    def close(self):
        self.sock.close()
