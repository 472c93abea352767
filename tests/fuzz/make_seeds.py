#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz harnesses into corpus/<harness>/:
frames and lines of the captures in tests/data, the venues' own message
samples in ../shared/data/venues (when that directory is there), the
examples' TOML files, requests as clients send them to ot-sim, and store
segments written by ot-store. The first byte of a seed picks the variant
a harness runs (venue, file kind, ...). Run again after adding data:
    python3 tests/fuzz/make_seeds.py [BIN_DIR]"""
import glob
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
DATA = os.path.join(ROOT, "tests", "data")
SHARED = os.path.join(ROOT, "..", "shared", "data", "venues")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin")


def put(harness, data, selector=None):
    if isinstance(data, str):
        data = data.encode()
    if selector is not None:
        data = bytes([selector]) + data
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def capture_frames(path, per_kind=6):
    """A few frames of each kind (by their first 60 bytes' shape)."""
    seen = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if " " not in line:
            continue
        frame = line.split(" ", 1)[1]
        key = frame[:40]
        if seen.get(key, 0) < per_kind and len(frame) < 8192:
            seen[key] = seen.get(key, 0) + 1
            yield frame


def shared(venue, prefix=""):
    for p in sorted(glob.glob(os.path.join(SHARED, venue, prefix + "*.json"))):
        text = open(p).read()
        if len(text) < 16384:
            yield json.dumps(json.loads(text), separators=(",", ":"))


# frames: selector 0 Binance spot, 1 USD-M, 2 OKX, 3 Deribit.
for capture, sel in (("binance-spot.raw", 0), ("binance-futures.raw", 1), ("okx.raw", 2),
                     ("deribit.raw", 3)):
    for frame in list(capture_frames(os.path.join(DATA, capture)))[:40]:
        put("frames", frame, sel)
for name, sel in (("binance", 0), ("okx", 2), ("deribit", 3)):
    for text in shared(name, "ws_" if name != "binance" else ""):
        if name != "binance" or "stream" in text[:200] or '"e":' in text:
            put("frames", text, sel)

# events: the golden tests' input lines (orders good and bad, books, trades).
lines = set()
for p in glob.glob(os.path.join(ROOT, "tests", "cli", "*", "*", "stdin")):
    for l in open(p, encoding="utf-8", errors="replace"):
        l = l.rstrip("\n")
        if l.startswith("{") and len(l) < 4096:
            lines.add(l)
for l in sorted(lines)[:120]:
    put("events", l)

# capture: the first lines of each capture, plain (0), gzip (1), zstd (2).
for capture in ("binance-spot.raw", "okx.raw", "deribit.raw"):
    head = "".join(open(os.path.join(DATA, capture)).readlines()[:12]).encode()
    put("capture", head, 0)
    put("capture", gzip.compress(head, mtime=0), 1)
    z = subprocess.run(["zstd", "-q", "-c"], input=head, capture_output=True).stdout
    put("capture", z, 2)

# config: limits (0), strategy (1), OKX instruments (2), COIN-M exchangeInfo
# (3), contract-size specs (4), a learned model's file (6).
put("config", open(os.path.join(ROOT, "examples", "risk.toml")).read(), 0)
put("config", open(os.path.join(ROOT, "examples", "mm.toml")).read(), 1)
for p in sorted(glob.glob(os.path.join(DATA, "okx", "http_get_instruments_*.json"))):
    text = open(p).read()
    put("config", text[:6000] if len(text) > 6000 else text, 2)
put("config", json.dumps({"symbols": [
    {"symbol": "BTCUSD_PERP", "contractSize": 100, "contractType": "PERPETUAL"},
    {"symbol": "ETHUSD_240628", "contractSize": 10, "contractType": "CURRENT_QUARTER"}]}), 3)
for spec in ("okx:BTC-USDT-SWAP=0.01", "binance-delivery:BTCUSD_PERP=100", "x:y=-1", "okx:=1"):
    put("config", spec, 4)
put("config", open(os.path.join(DATA, "learned", "tiny.model")).read(), 6)

# gateway: Binance user data events (0 spot, 1 USD-M), OKX orders pushes (3),
# Deribit private notifications (4), Alpaca orders and trade updates (5),
# Alpaca errors (6), Binance REST answers (7), OKX REST answers (8), Deribit
# JSON-RPC answers and order states (9).
for text in shared("binance", "execution_report"):
    put("gateway", text, 0)
for text in shared("binance", "order_update"):
    put("gateway", text, 1)
for text in list(shared("okx", "ws_orders")) + list(shared("okx", "http_get_orders")):
    put("gateway", text, 3)
put("gateway", json.dumps({"jsonrpc": "2.0", "method": "subscription", "params": {
    "channel": "user.orders.any.any.raw", "data": {
        "order_id": "ETH-1", "label": "o1", "instrument_name": "ETH-PERPETUAL",
        "order_state": "open", "direction": "buy", "amount": 10, "filled_amount": 0,
        "price": 1800.5, "average_price": 0, "last_update_timestamp": 1652459225000}}}), 4)
put("gateway", json.dumps({"stream": "trade_updates", "data": {"event": "fill", "order": {
    "id": "a1", "client_order_id": "o1", "symbol": "BTCUSD", "side": "buy", "qty": "1",
    "filled_qty": "1", "filled_avg_price": "30000", "status": "filled", "limit_price": "30000"},
    "price": "30000", "qty": "1", "timestamp": "2022-05-13T16:27:05.507Z"}}), 5)
put("gateway", '{"code":40010001,"message":"invalid qty"}', 6)
for text in list(shared("binance", "order_response")) + list(shared("binance", "new_order")):
    put("gateway", text, 7)
put("gateway", '{"code":-2013,"msg":"Order does not exist."}', 7)
for text in list(shared("okx", "http_place_order")) + list(shared("okx", "http_cancel")):
    put("gateway", text, 8)
for text in list(shared("deribit", "ws_error")) + list(shared("deribit", "ws_order_")):
    put("gateway", text, 9)
    result = json.loads(text).get("result")
    if isinstance(result, dict):
        put("gateway", json.dumps([result.get("order", result)], separators=(",", ":")), 9)

# sim: REST requests (selector venue, then 0) and WebSocket frames (then 1).
# venues: 0 binance, 1 binance-futures, 2 okx, 3 deribit, 4 alpaca.
def sim(venue, http, text):
    put("sim", bytes([venue, 0 if http else 1]) + text.encode())
sim(0, True, "POST /api/v3/order\nx-mbx-apikey: ot-sim-key\n\nsymbol=BTCUSDT&side=BUY&type=LIMIT"
             "&timeInForce=GTC&quantity=1&price=30000&newClientOrderId=o1&timestamp=1652459225000"
             "&signature=00")
sim(1, True, "DELETE /fapi/v1/order?symbol=SUSHIUSDT&origClientOrderId=o1&timestamp=1&signature=0\n"
             "x-mbx-apikey: ot-sim-key\n\n")
sim(1, True, "GET /fapi/v1/depth?symbol=SUSHIUSDT&limit=1000\n\n")
sim(2, True, "POST /api/v5/trade/order\nok-access-key: ot-sim-key\nok-access-sign: x\n"
             "ok-access-timestamp: 2022-05-13T16:27:05.507Z\nok-access-passphrase: ot-sim-passphrase\n\n"
             '{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"1","px":"30000","clOrdId":"o1"}')
sim(2, False, '{"op":"login","args":[{"apiKey":"ot-sim-key","passphrase":"p","timestamp":"1","sign":"x"}]}')
sim(2, False, '{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}')
sim(3, False, '{"jsonrpc":"2.0","id":1,"method":"public/auth","params":{"grant_type":"client_credentials",'
              '"client_id":"ot-sim-key","client_secret":"ot-sim-secret"}}')
sim(3, False, '{"jsonrpc":"2.0","id":2,"method":"private/buy","params":{"instrument_name":"BTC-PERPETUAL",'
              '"amount":10,"type":"limit","price":30000,"label":"o1"}}')
sim(0, False, '{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}')
sim(4, True, "POST /v2/orders\napca-api-key-id: ot-sim-key\napca-api-secret-key: ot-sim-secret\n\n"
             '{"symbol":"BTCUSD","qty":"1","side":"buy","type":"limit","time_in_force":"gtc",'
             '"limit_price":"30000","client_order_id":"o1"}')
sim(4, False, '{"action":"auth","key":"ot-sim-key","secret":"ot-sim-secret"}')

# store: an open segment (0) and a sealed one written by ot-store (1).
rec = open(os.path.join(DATA, "okx.raw")).readlines()[20:30]
put("store", "".join(f"{1652459225507260300 + i} {i} {{\"type\":\"trade\",\"i\":{i}}}\n"
                     for i in range(10)), 0)
tool = os.path.join(BIN, "ot-store")
if os.path.exists(tool):
    tmp = tempfile.mkdtemp()
    events = "".join(json.dumps({"type": "trade", "venue": "okx", "symbol": "BTC-USDT",
                                 "ts": 1652459225507260300 + i, "recv": 1652459225507260300 + i,
                                 "price": "30000.1", "qty": "1", "side": "buy", "id": str(i)}) + "\n"
                     for i in range(20))
    subprocess.run([tool, "write", "--dir", tmp], input=events.encode(), check=True)
    for z in glob.glob(os.path.join(tmp, "**", "*.zst"), recursive=True):
        put("store", open(z, "rb").read(), 1)
    shutil.rmtree(tmp)
