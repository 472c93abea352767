#!/usr/bin/env python3
"""ot-feed live over TLS (wss:// and https://) against ot-sim serving a
self-signed certificate made for the test: with the certificate trusted
(--ca-file) the books come through; without it, or under a host name the
certificate does not carry, the connection is refused by verification."""
import shutil
import tempfile

from common import *

if not shutil.which("openssl"):
    check(False, "openssl is installed (needed to make the test certificate)")
    finish()

with tempfile.TemporaryDirectory() as tmp:
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    capture = os.path.join(DATA, "binance-spot.raw")
    sim, port = start_sim("binance", capture, ["--speed", "20", "--tls-cert", cert, "--tls-key", key], tmp)

    def live(host, extra, seconds):
        return run([tool("ot-feed"), "live", "--venue", "binance", "--symbols", "NKNUSDT,BLZETH,LRCBTC,RUNEEUR",
                    "--channels", "book", "--ws-url", f"wss://{host}:{port}",
                    "--rest-url", f"https://{host}:{port}", "--duration", str(seconds), "--stats"] + extra,
                   timeout=60)

    ok = live("localhost", ["--ca-file", cert], 4)
    kinds = [e.get("event") for e in events(ok.stdout.decode()) if e["type"] == "status"]
    check(ok.returncode == 0 and "connected" in kinds, "wss:// with the certificate trusted connects")
    check("snapshots=0" not in ok.stderr.decode(), "https:// depth snapshots fetched over TLS")
    replay = run([tool("ot-feed"), "replay", capture])
    expected = final_books_from_events(run([tool("ot-book"), "--emit", "book"], stdin=replay.stdout).stdout.decode())
    got = final_books_from_events(run([tool("ot-book"), "--emit", "book"], stdin=ok.stdout).stdout.decode())
    check({s: b.normalized() for s, b in got.items()} == {s: b.normalized() for s, b in expected.items()},
          "books over TLS equal the replay's")

    untrusted = live("localhost", [], 1.5)
    check("certificate verify failed" in untrusted.stderr.decode() and not untrusted.stdout.strip(),
          "an untrusted certificate is refused")
    wrong_host = live("127.0.0.1", ["--ca-file", cert], 1.5)
    check("certificate verify failed" in wrong_host.stderr.decode() and not wrong_host.stdout.strip(),
          "a certificate for another host name is refused")
    sim.terminate()
    sim.wait(timeout=20)

finish()
