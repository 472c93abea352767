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
    check(untrusted.returncode == 1 and "never connected" in untrusted.stderr.decode(),
          f"ot-feed live that never connected exits 1 ({untrusted.returncode})")
    wrong_host = live("127.0.0.1", ["--ca-file", cert], 1.5)
    check("certificate verify failed" in wrong_host.stderr.decode() and not wrong_host.stdout.strip(),
          "a certificate for another host name is refused")
    sim.terminate()
    sim.wait(timeout=20)

    # ot-exec over https:// that fails verification sends nothing, and every
    # order is answered with a reject that says why.
    futures = os.path.join(DATA, "binance-futures.raw")
    sim, port = start_sim("binance-futures", futures, ["--tls-cert", cert, "--tls-key", key], tmp)
    orders = [json.dumps({"type": "order", "id": f"t{i}", "venue": "binance-futures",
                          "symbol": "SUSHIUSDT", "side": "buy", "qty": "1", "price": "7.600",
                          "kind": "limit", "tif": "gtc"}) for i in range(2)]
    env = dict(os.environ, OT_BINANCE_FUTURES_API_KEY="ot-sim-key",
               OT_BINANCE_FUTURES_API_SECRET="ot-sim-secret")
    r = subprocess.run([tool("ot-exec"), "--venue", "binance-futures",
                        "--rest-url", f"https://localhost:{port}", "--ws-url", f"wss://localhost:{port}",
                        "--linger-ms", "3000"], input=("\n".join(orders) + "\n").encode(),
                       capture_output=True, env=env, timeout=60)
    rejects = [e for e in events(r.stdout.decode()) if e["type"] == "exec"]
    check(sorted(e["id"] for e in rejects) == ["t0", "t1"]
          and all(e["status"] == "rejected" and "not sent" in e["reason"]
                  and "certificate verify failed" in e["reason"] for e in rejects),
          f"ot-exec over https:// failing verification rejects each order ({rejects})")
    sim.terminate()
    sim.wait(timeout=20)

finish()
