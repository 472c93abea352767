#!/usr/bin/python3
"""ot-dash in a real browser (Debian's chromium, headless, driven by
chromium-driver through python3-selenium; nothing downloaded), end to end:

  ot-feed replay -> ot-book -> ot-strat (twap on a symbol not traded: it
  passes the stream on) -> ot-risk -> ot-exec --venue paper -> ot-dash,
  with ot-dash's orders going to ot-risk's input.

The page loads with the token; the ladder's best bid and ask equal ot-book's
last bbo; the chart has candles; the health panel lists the venue; an order
typed in the ticket reaches ot-risk (ot-exec's journal holds it as typed),
its ack shows in the open orders, a marketable one's fill on the chart and
in the fills; a rejected order shows ot-risk's reason; the kill switch
reaches ot-risk and the page shows it engaged; a page without the token is
refused; an options desk's greeks show with the state of its delta hedge.
A screenshot of the page and of each panel is written to
$OT_ARTEFACTS (default build/test-artefacts/dash/)."""
import signal
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from common import *
from dash_client import start_dash

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
ARTEFACTS = os.environ.get("OT_ARTEFACTS", os.path.join(ROOT, "build/test-artefacts/dash"))
CAPTURE = os.path.join(DATA, CAPTURES["binance-futures"])
SYMBOL = "SUSHIUSDT"


def browser(tmp):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--user-data-dir={tmp}/chrome", "--window-size=1600,1100"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def wait_for(driver, what, fn, timeout=20):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: fn(d))
    except Exception:
        check(False, f"{what} (timed out)")
        return None


def text(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


os.makedirs(ARTEFACTS, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    # ot-book's last bbo per symbol, for the ladder.
    replay = run([tool("ot-feed"), "replay", CAPTURE])
    booked = run([tool("ot-book")], stdin=replay.stdout).stdout.decode().splitlines()
    last_bbo = {}
    for line in booked:
        e = json.loads(line)
        if e["type"] == "bbo":
            last_bbo[e["symbol"]] = e
    bbo = last_bbo[SYMBOL]

    ep = {k: f"ipc://{tmp}/{k}" for k in ("md", "bbo", "strat", "dash", "risk", "all", "fills")}
    limits = os.path.join(tmp, "risk.toml")
    with open(limits, "w") as f:
        f.write('[account]\nmax_open_orders = 10\n[defaults]\nmax_order_qty = "100"\n')
    journal = os.path.join(tmp, "exec.journal")
    err = open(os.path.join(tmp, "chain.err"), "w")
    procs = [
        subprocess.Popen([tool("ot-exec"), "--venue", "paper", "--in", ep["risk"], "--out", ep["all"],
                          "--out-pattern", "pub", "--fills-out", ep["fills"], "--fills-subscribers", "2", "--journal", journal],
                         stderr=err),
        subprocess.Popen([tool("ot-risk"), "--limits", limits, "--in", f"{ep['strat']},{ep['dash']}",
                          "--out", ep["risk"], "--fills", ep["fills"]], stderr=err),
        subprocess.Popen([tool("ot-strat"), "--in", ep["bbo"], "--out", ep["strat"], "--fills", ep["fills"],
                          "twap", "--symbol", "NOT-TRADED"], stderr=err),
    ]
    report = os.path.join(tmp, "report")
    bt = run([tool("ot-backtest"), "--data", CAPTURE, "--strategy", "mm", "--config",
              os.path.join(ROOT, "examples/mm.toml"), "--taker-fee", "0.0004", "--report", report])
    check(bt.returncode == 0, "a backtest report to show")
    # An options desk: Deribit's capture and a fill on 10 ETH calls, through
    # ot-risk hedging ETH's delta in the perpetual, and ot-exec paper.
    desk = os.path.join(tmp, "desk.out")
    with open(os.path.join(tmp, "desk.toml"), "w") as f:
        f.write('[greeks."deribit:ETH"]\ndelta_band = 0.05\nhedge_symbol = "ETH-PERPETUAL"\n')
    deribit = run([tool("ot-feed"), "replay", os.path.join(DATA, CAPTURES["deribit"])]).stdout
    option_fill = (b'{"type":"exec","venue":"deribit","symbol":"ETH-30JUL21-2800-C","id":"d-1","side":"buy",'
                   b'"status":"filled","price":"0.002","qty":"10","filled":"10","leaves":"0","fee":"0.0003",'
                   b'"ts":1626993800000000000}\n')
    desk_run = run(["bash", "-c", f"{tool('ot-risk')} --limits {tmp}/desk.toml | {tool('ot-exec')} --venue paper"
                    f" > {desk}"], stdin=deribit + option_fill)
    greeks = [json.loads(l) for l in open(desk) if l.startswith('{"type":"greeks"')]
    check(desk_run.returncode == 0 and greeks and greeks[-1].get("hedge") == "ETH-PERPETUAL",
          "the options desk's greeks, with its hedge")
    dash, url, _, _ = start_dash(["--in", ep["all"], "--in", desk, "--orders", ep["dash"], "--report", report],
                                 os.path.join(tmp, "dash.err"))
    procs.append(dash)
    procs.append(subprocess.Popen([tool("ot-book"), "--in", ep["md"], "--out", ep["bbo"], "--pass-book",
                                   "--emit", "bbo", "depth=20"], stderr=err))
    check(url.startswith("http://127.0.0.1:"), f"ot-dash prints its URL ({url})")
    time.sleep(0.5)
    # The capture's 30 s in real time: orders are entered while the market
    # moves (the paper venue's clock is the market's).
    feed = subprocess.Popen([tool("ot-feed"), "replay", "--speed", "1", "--out", ep["md"], CAPTURE],
                            stderr=err)

    driver = browser(tmp)
    try:
        base = url.split("?")[0]
        driver.get(base)
        check("401" in driver.find_element(By.TAG_NAME, "body").text, "the page without the token: 401")
        driver.get(url)
        wait_for(driver, "the page connects", lambda d: text(d, "#conn") == "live")
        wait_for(driver, "the instruments are listed",
                 lambda d: any(SYMBOL in o.text for o in d.find_elements(By.CSS_SELECTOR, "#instrument option")))
        Select(driver.find_element(By.ID, "instrument")).select_by_visible_text(f"binance-futures {SYMBOL}")
        wait_for(driver, "the ladder fills", lambda d: text(d, "#best-ask") not in ("", "-"))

        def ticket(side, qty, price, tif="gtc"):
            f = driver.find_element(By.ID, "ticket")
            Select(f.find_element(By.NAME, "side")).select_by_visible_text(side)
            for name, value in (("qty", qty), ("price", price)):
                box = f.find_element(By.NAME, name)
                box.clear()
                box.send_keys(value)
            Select(f.find_element(By.NAME, "tif")).select_by_visible_text(tif)
            driver.find_element(By.ID, "submit").click()
            return wait_for(driver, "the server answers the ticket",
                            lambda d: text(d, "#reply") if text(d, "#reply").startswith(("sent", "refused"))
                            and text(d, "#reply") != ticket.last else None)
        ticket.last = ""

        # A resting order: acknowledged, in the open orders.
        below = f"{float(bbo['bid']) * 0.9:.3f}"
        ticket.last = ticket("buy", "5", below)
        check(ticket.last.startswith("sent order dash-"), f"the ticket is sent ({ticket.last})")
        oid = ticket.last.split()[-1]
        rows = wait_for(driver, "the ack shows in the open orders", lambda d: oid in text(d, "#orders"))
        check(bool(rows), f"{oid} acknowledged and open")
        lines = [json.loads(l) for l in open(journal) if '"type":"order"' in l]
        typed = [o for o in lines if o.get("id") == oid]
        check(typed and typed[0]["side"] == "buy" and typed[0]["qty"] == "5" and typed[0]["price"] == below
              and typed[0]["symbol"] == SYMBOL and typed[0]["venue"] == "binance-futures",
              f"the order reached ot-risk and ot-exec as typed ({typed[:1]})")
        # A marketable one: filled, on the chart and in the fills.
        ticket.last = ticket("buy", "5", f"{float(text(driver, '#best-ask')) * 1.01:.3f}", "ioc")
        fid = ticket.last.split()[-1]
        wait_for(driver, "the fill shows in the fills", lambda d: fid in text(d, "#fills"))
        markers = wait_for(driver, "the fill is on the chart",
                           lambda d: int(d.find_element(By.ID, "chart").get_attribute("data-markers") or 0) or None)
        check(markers is not None and markers >= 1, f"fill markers on the chart ({markers})")
        # Too large for the limits: ot-risk's reason on the page.
        ticket.last = ticket("buy", "500", below)
        wait_for(driver, "the reject shows with ot-risk's reason",
                 lambda d: "max_order_qty" in text(d, "#risk"))
        check("max_order_qty" in text(driver, "#risk"), "the reject shows ot-risk's reason")
        # Cancel from the table.
        driver.find_element(By.CSS_SELECTOR, "#orders tbody button").click()
        wait_for(driver, "the cancel empties the open orders", lambda d: oid not in text(d, "#orders"))
        check(oid not in text(driver, "#orders"), "cancel from the orders table")
        # The kill switch.
        driver.find_element(By.ID, "kill").click()
        wait_for(driver, "the kill switch shows engaged", lambda d: "ENGAGED" in text(d, "#kill-state"))
        check("ENGAGED" in text(driver, "#kill-state"), "the kill switch reaches ot-risk and shows engaged")

        # The end of the replay: the final state.
        feed.wait(timeout=120)
        check(feed.returncode == 0, "the capture is replayed through the chain")
        got = wait_for(driver, "the ladder shows the last bbo",
                       lambda d: (text(d, "#best-bid"), text(d, "#best-ask"))
                       if float(text(d, "#best-bid")) == float(bbo["bid"]) else None, timeout=10)
        check(got is not None and tuple(float(x) for x in got) == (float(bbo["bid"]), float(bbo["ask"])),
              f"the ladder's best bid and ask equal ot-book's last bbo ({got} vs {bbo['bid']}/{bbo['ask']})")
        candles = int(driver.find_element(By.ID, "chart").get_attribute("data-candles") or 0)
        check(candles > 0, f"the chart has candles ({candles})")
        check("binance-futures" in text(driver, "#health"), "the health panel lists the venue")
        check(SYMBOL in text(driver, "#positions"), "the position from the fill, with its PnL")
        row = text(driver, "#greeks tbody")
        check(f"deribit ETH {round(greeks[-1]['delta'], 6)}" in row
              and "hedge: ETH-PERPETUAL 0 ± 0.05: outside band" in row,
              f"the desk's greeks and its hedge's state: outside its band, the hedge expired ({row})")
        points = wait_for(driver, "the backtest report is charted",
                          lambda d: int(d.find_element(By.ID, "reports-panel").get_attribute("data-points") or 0)
                          or None)
        check(points is not None and "pnl" in text(driver, "#report-summary"),
              f"the backtest report: its summary and equity curve ({points} points)")
        violations = [l["message"] for l in driver.get_log("browser") if "Content Security Policy" in l["message"]]
        check(not violations, f"no Content-Security-Policy violations ({violations[:1]})")
        logos = driver.find_elements(By.CSS_SELECTOR, "#chart a#tv-attr-logo")
        check(logos and logos[0].get_attribute("href").startswith("https://www.tradingview.com")
              and logos[0].value_of_css_property("position") == "absolute",
              "the chart library's attribution logo, styled")
        driver.save_screenshot(os.path.join(ARTEFACTS, "page.png"))
        for panel in ("ladder-panel", "chart-panel", "ticket-panel", "orders-panel", "positions-panel",
                      "tape-panel", "health-panel", "reports-panel"):
            driver.find_element(By.ID, panel).screenshot(os.path.join(ARTEFACTS, f"{panel}.png"))
        check(os.path.getsize(os.path.join(ARTEFACTS, "page.png")) > 10000,
              f"screenshots written to {ARTEFACTS}")
    finally:
        driver.quit()
        if feed.poll() is None:
            feed.kill()
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
finish()
