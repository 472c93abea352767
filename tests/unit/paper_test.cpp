// The paper venue (exec/paper): fees, queue position, time in force, latency,
// reduce_only, the end of input, and its properties on a real capture.
#include "exec/paper.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "exec/exec_engine.h"
#include "exec_test_util.h"
#include "risk/positions.h"
#include "test_util.h"
#include "venues/venue.h"

using ot::Decimal;
using namespace ot::test;
using namespace ot::test::exec;

TEST_CASE("paper venue: fees in the settlement currency", "[exec][paper]") {
  // Deribit's BTC-PERPETUAL is inverse: 100 USD bought at 50000 is worth
  // 0.002 BTC, so a 5 bp taker fee is 0.000001 BTC. A linear contract pays
  // on price × size in the quote.
  PaperRun run({{}, {}, dec("0.0002"), dec("0.0005"), {}, {}});
  run.feed(
      R"({"type":"book","venue":"deribit","symbol":"BTC-PERPETUAL","recv":1,"snapshot":true,"bids":[["49999.5","1000"]],"asks":[["50000","1000"]]})");
  run.feed(
      R"({"type":"order","id":"i1","venue":"deribit","symbol":"BTC-PERPETUAL","side":"buy","qty":"100","kind":"market"})");
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"BTCUSDT","recv":1,"snapshot":true,"bids":[["49999.5","1"]],"asks":[["50000","1"]]})");
  run.feed(
      R"({"type":"order","id":"l1","venue":"binance-futures","symbol":"BTCUSDT","side":"buy","qty":"0.002","kind":"market"})");
  auto r = reports(run.out.lines);
  std::vector<std::string> fees;
  for (const auto& x : r) {
    if (x.fee) fees.push_back(x.fee->to_string());
  }
  CHECK(fees == std::vector<std::string>{"0.000001", "0.05"});  // 0.002 × 50000 × 0.0005

  // Contracts pay on what they are worth: 2 OKX BTC-USDT-SWAP contracts
  // are 0.02 BTC (0.02 × 50000 × 0.0005 USDT); 2 Binance COIN-M BTCUSD_PERP
  // contracts are 200 USD (200 / 50000 × 0.0005 BTC).
  run.feed(
      R"({"type":"book","venue":"okx","symbol":"BTC-USDT-SWAP","recv":1,"snapshot":true,"bids":[["49999.5","100"]],"asks":[["50000","100"]]})");
  run.feed(
      R"({"type":"order","id":"c1","venue":"okx","symbol":"BTC-USDT-SWAP","side":"buy","qty":"2","kind":"market"})");
  run.feed(
      R"({"type":"book","venue":"binance-delivery","symbol":"BTCUSD_PERP","recv":1,"snapshot":true,"bids":[["49999.5","100"]],"asks":[["50000","100"]]})");
  run.feed(
      R"({"type":"order","id":"c2","venue":"binance-delivery","symbol":"BTCUSD_PERP","side":"buy","qty":"2","kind":"market"})");
  fees.clear();
  for (const auto& x : reports(run.out.lines)) {
    if (x.fee) fees.push_back(x.fee->to_string());
  }
  CHECK(fees == std::vector<std::string>{"0.000001", "0.05", "0.5", "0.000002"});
}

TEST_CASE("paper venue: queue position, trades through, book crossing", "[exec][paper]") {
  PaperRun run({{}, {}, dec("0.0002"), dec("0.0004"), {}, {}});
  auto book = [](const char* bids, const char* asks, bool snap) {
    return std::string(
               "{\"type\":\"book\",\"venue\":\"binance-futures\",\"symbol\":\"SUSHIUSDT\","
               "\"recv\":1,\"snapshot\":") +
           (snap ? "true" : "false") + ",\"bids\":" + bids + ",\"asks\":" + asks + "}";
  };
  auto trade = [](const char* side, const char* price, const char* qty) {
    return std::string(
               "{\"type\":\"trade\",\"venue\":\"binance-futures\",\"symbol\":\"SUSHIUSDT\","
               "\"recv\":2,\"price\":\"") +
           price + "\",\"qty\":\"" + qty + "\",\"side\":\"" + side + "\"}";
  };
  run.feed(book(R"([["7.611","6"],["7.610","100"]])", R"([["7.612","297"],["7.613","50"]])", true));
  run.feed(order_line("b1", "buy", "10", "7.611"));  // rests behind 6
  run.feed(trade("sell", "7.611", "4"));             // queue 6 → 2
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == "new");
  run.feed(trade("sell", "7.611", "5"));  // 2 ahead, 3 fill us
  r = reports(run.out.lines);
  REQUIRE(r.size() == 2);
  CHECK(r[1].status == "partial");
  CHECK(r[1].qty->to_string() == "3");
  CHECK(r[1].liquidity == "maker");
  CHECK(r[1].fee->to_string() == "0.0045666");  // 3 × 7.611 × 0.0002
  // Cancels ahead of us shrink the queue; a trade through our price fills.
  run.feed(trade("sell", "7.610", "2"));
  r = reports(run.out.lines);
  CHECK(r.back().qty->to_string() == "2");
  CHECK(r.back().filled.to_string() == "5");
  // The ask comes down to our price: traded through, the rest fills.
  run.feed(book("[]", R"([["7.611","1"]])", false));
  r = reports(run.out.lines);
  CHECK(r.back().status == "filled");
  CHECK(r.back().filled.to_string() == "10");
  CHECK(run.paper.working_orders() == 0);
}

TEST_CASE("paper venue: taking liquidity and time in force", "[exec][paper]") {
  PaperRun run;
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297"],["7.613","50"],["7.620","1000"]]})");
  run.feed(order_line("m1", "buy", "320", nullptr, "market"));
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 3);
  CHECK(r[1].price->to_string() == "7.612");
  CHECK(r[1].qty->to_string() == "297");
  CHECK(r[2].price->to_string() == "7.613");
  CHECK(r[2].status == "filled");
  CHECK(r[2].liquidity == "taker");
  // The size we took is not there twice until the venue updates the level.
  run.feed(order_line("i1", "buy", "100", "7.613", "limit", "ioc"));
  r = reports(run.out.lines);
  CHECK(r.back().status == "expired");
  CHECK(r[r.size() - 2].qty->to_string() == "27");
  run.feed(order_line("f1", "buy", "5000", "7.620", "limit", "fok"));
  r = reports(run.out.lines);
  CHECK(r.back().status == "expired");
  CHECK(r.back().filled.to_string() == "0");
  run.feed(order_line("p1", "buy", "1", "7.612", "limit", "post_only"));
  r = reports(run.out.lines);
  CHECK(r.back().status == "rejected");
  run.feed(order_line("x1", "buy", "1", "7.0", "limit", "gtc", "NOSUCH"));
  r = reports(run.out.lines);
  CHECK(r.back().status == "rejected");
  CHECK_THAT(r.back().reason, Catch::Contains("no market data"));
  // Amend: a new price loses the queue, a smaller size keeps it; cancel.
  run.feed(order_line("g1", "buy", "10", "7.600"));
  run.feed(R"({"type":"amend","id":"g1","qty":"4"})");
  r = reports(run.out.lines);
  CHECK(r.back().leaves.to_string() == "4");
  CHECK(r.back().reason == "amended");
  run.feed(R"({"type":"cancel","id":"g1"})");
  r = reports(run.out.lines);
  CHECK(r.back().status == "canceled");
  run.feed(R"({"type":"cancel","id":"g1"})");  // already final: a status, no exec
  CHECK(reports(run.out.lines).size() == r.size());
  // Re-sending an id is idempotent: not sent again, and answered with the
  // order's state as it is.
  run.feed(order_line("g1", "buy", "10", "7.600"));
  auto again = reports(run.out.lines);
  REQUIRE(again.size() == r.size() + 1);
  CHECK(again.back().id == "g1");
  CHECK(again.back().status == "canceled");
  CHECK_THAT(again.back().reason, Catch::Contains("already used"));
  CHECK(run.engine.stats().duplicate_orders == 1);
}

TEST_CASE("paper venue properties on a real capture", "[exec][paper][property]") {
  const auto events = capture_events("binance-futures.raw");
  REQUIRE(events.size() > 1000);
  const char* symbols[] = {"SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT"};
  std::vector<std::vector<std::string>> outputs;
  for (int round = 0; round < 2; ++round) {
    std::mt19937 rng(20261123);
    PaperRun run({0, 0, dec("0.0002"), dec("0.0004"), {}, {}});
    std::map<std::string, ot::Decimal> ordered;
    // Last bid/ask per symbol from quote events, to place sensible prices.
    ot::EventDecoder qdec({ot::EventType::quote});
    ot::DecodedEvent q;
    std::map<std::string, std::pair<Decimal, Decimal>> top;
    int next = 0;
    for (const auto& line : events) {
      run.feed(line);
      ot::test::Padded p{line};
      if (qdec.decode(p.view(), q) && q.kind == ot::EventType::quote) {
        top[std::string(q.top.symbol)] = {q.top.bid, q.top.ask};
      }
      if (rng() % 10 != 0 || top.empty()) continue;
      const char* sym = symbols[rng() % 4];
      if (top.count(sym) == 0) continue;
      const auto [bid, ask] = top[sym];
      const bool buy = rng() % 2 == 0;
      const int kind = static_cast<int>(rng() % 6);
      const std::string qty = std::to_string(1 + rng() % 50);
      const Decimal tick{1, bid.scale};
      Decimal px = buy ? bid : ask;
      const int off = static_cast<int>(rng() % 5) - 1;  // one tick aggressive .. 3 passive
      px = buy ? ot::sub(px, Decimal{off * tick.mantissa, tick.scale})
               : ot::add(px, Decimal{off * tick.mantissa, tick.scale});
      const std::string id = "o" + std::to_string(next++);
      const std::string price = px.to_string();
      const char* tifs[] = {"gtc", "gtc", "ioc", "fok", "post_only", "gtc"};
      run.feed(order_line(id, buy ? "buy" : "sell", qty.c_str(),
                          kind == 5 ? nullptr : price.c_str(), kind == 5 ? "market" : "limit",
                          tifs[kind], sym));
      ordered[id] = *Decimal::parse(qty);
      if (rng() % 4 == 0 && next > 3) {
        run.feed("{\"type\":\"cancel\",\"id\":\"o" + std::to_string(rng() % next) + "\"}");
      }
    }
    REQUIRE(next > 100);
    const auto r = reports(run.out.lines);
    // filled ≤ ordered; cumulative filled equals the sum of fills; a final
    // state ends every order's reports; seq counts up by one.
    std::map<std::string, Decimal> sum;
    std::map<std::string, bool> final_seen;
    std::map<std::string, ot::Amount> position;
    ot::Amount cash, fees;
    std::int64_t seq = 0;
    int fills = 0;
    for (const auto& x : r) {
      CHECK(x.seq == ++seq);
      INFO(x.id);
      CHECK_FALSE(final_seen[x.id]);
      CHECK(ot::compare(x.filled, ordered.at(x.id)) <= 0);
      if (x.qty && x.qty->mantissa > 0) {
        ++fills;
        sum[x.id] = ot::add(sum.count(x.id) ? sum[x.id] : Decimal{0, 0}, *x.qty);
        const ot::Amount notional = ot::Amount::product(*x.price, *x.qty);
        cash += x.side == "buy" ? -notional : notional;
        fees += ot::Amount::of(*x.fee);
      }
      CHECK(ot::compare(x.filled, sum.count(x.id) ? sum[x.id] : Decimal{0, 0}) == 0);
      if (x.status != "new" && x.status != "partial") final_seen[x.id] = true;
    }
    CHECK(fills > 20);
    // Positions from the same fills: realized + unrealized − fees equals
    // the cash flow plus the marked value of what is held, after fees.
    ot::PositionBook book;
    std::map<std::string, ot::Amount> held;
    std::map<std::string, Decimal> last_price;
    for (const auto& line : run.out.lines) {
      ot::EventDecoder d({ot::EventType::exec});
      ot::DecodedEvent ev;
      ot::test::Padded p{line};
      REQUIRE(d.decode(p.view(), ev));
      if (ev.kind != ot::EventType::exec || !ev.exec.qty || ev.exec.qty->mantissa == 0) continue;
      book.fill(ev.exec.venue, ev.exec.symbol, ev.exec.side, *ev.exec.price, *ev.exec.qty,
                *ev.exec.fee, ev.exec.ts);
      last_price[std::string(ev.exec.symbol)] = *ev.exec.price;
    }
    ot::Amount marked;
    for (const auto* p : book.all()) {
      const Decimal m = last_price[p->symbol];
      book.mark(p->venue, p->symbol, m);
      marked += p->qty.times(m);
    }
    CHECK((book.equity_pnl() - (cash + marked - fees)).abs() < ot::Amount::of(dec("0.000001")));
    outputs.push_back(run.out.lines);
  }
  // Same input, same output.
  CHECK(outputs[0] == outputs[1]);
}

TEST_CASE("paper venue latency delays arrival and reports", "[exec][paper]") {
  PaperRun run({1'000'000, 500'000, {}, {}, {}, {}});  // 1 ms to the venue, 0.5 ms back
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1000000000,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297"]]})");
  run.feed(
      R"({"type":"order","id":"l1","venue":"binance-futures","symbol":"SUSHIUSDT","side":"buy","qty":"5","kind":"market","ts":1000000000})");
  CHECK(reports(run.out.lines).empty());  // still on its way
  // The ask is gone before the order arrives: it takes the next level.
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1000500000,"snapshot":false,"bids":[],"asks":[["7.612","0"],["7.615","10"]]})");
  CHECK(reports(run.out.lines).empty());
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1001600000,"snapshot":false,"bids":[["7.611","7"]],"asks":[]})");
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 2);
  CHECK(r[1].price->to_string() == "7.615");
}

TEST_CASE("paper venue: reduce_only against its own fills", "[exec][paper]") {
  PaperRun run;
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","60"]],"asks":[["7.612","297"]]})");
  auto reduce = [](const char* id, const char* side, const char* qty) {
    return std::string(R"({"type":"order","id":")") + id +
           R"(","venue":"binance-futures","symbol":"SUSHIUSDT","side":")" + side + R"(","qty":")" +
           qty + R"(","kind":"market","reduce_only":true})";
  };
  run.feed(reduce("r1", "sell", "1"));
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 1);
  CHECK(r[0].status == "rejected");
  CHECK_THAT(r[0].reason, Catch::Contains("reduce_only"));
  run.feed(order_line("b", "buy", "5", nullptr, "market"));
  run.feed(reduce("r2", "sell", "6"));
  CHECK(reports(run.out.lines).back().status == "rejected");
  run.feed(reduce("r3", "sell", "5"));
  r = reports(run.out.lines);
  CHECK(r.back().id == "r3");
  CHECK(r.back().status == "filled");
  run.feed(reduce("r4", "sell", "1"));  // flat again
  CHECK(reports(run.out.lines).back().status == "rejected");
}

TEST_CASE("paper venue: the end of input settles what is in flight", "[exec][paper]") {
  ot::PaperConfig cfg;
  cfg.order_latency = 1000;
  cfg.report_latency = 5000;
  PaperRun run(cfg);
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1000,"snapshot":true,"bids":[["7.611","60"]],"asks":[["7.612","297"]]})");
  run.feed(
      R"({"type":"order","id":"a","venue":"binance-futures","symbol":"SUSHIUSDT","side":"buy","qty":"1","kind":"market","ts":900})");
  run.feed(
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":2000,"bids":[["7.610","1"]],"asks":[]})");
  // a arrived at 1900 and filled; its reports are due at 6900.
  run.feed(
      R"({"type":"order","id":"late","venue":"binance-futures","symbol":"SUSHIUSDT","side":"buy","qty":"1","price":"7.6","ts":9000})");
  CHECK(reports(run.out.lines).empty());
  run.engine.finish();
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 3);
  CHECK(r[0].id == "a");
  CHECK(r[1].status == "filled");
  CHECK(r[2].id == "late");
  CHECK(r[2].status == "expired");
  CHECK_THAT(r[2].reason, Catch::Contains("input ended"));
}
