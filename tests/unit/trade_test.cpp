// Orders, executions, the paper venue, the journal, the order state machine
// and positions.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "core/amount.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "exec/exec_engine.h"
#include "exec/journal.h"
#include "exec/paper.h"
#include "feed/replay.h"
#include "risk/positions.h"
#include "test_util.h"
#include "venues/venue.h"

namespace {

using ot::Decimal;

Decimal dec(const char* s) { return *Decimal::parse(s); }

// A limit order on the paper venue at price 1 (views into `id`).
ot::Order paper_order(std::string_view id, const char* qty) {
  ot::Order o;
  o.id = id;
  o.venue = "paper";
  o.symbol = "X";
  o.qty = dec(qty);
  o.price = dec("1");
  return o;
}

struct Lines final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

struct Quiet final : ot::Diagnostics {
  void error(std::string_view w, std::string_view m) override {
    errors.push_back(std::string(w) + ": " + std::string(m));
  }
  void warning(std::string_view w, std::string_view m) override {
    warnings.push_back(std::string(w) + ": " + std::string(m));
  }
  std::vector<std::string> errors, warnings;
};

// The capture's frames as event lines (book, trade, quote), as ot-feed
// writes them.
std::vector<std::string> capture_events(const std::string& name) {
  std::ifstream in(ot::test::data_path(name));
  std::string line;
  Lines out;
  ot::EventEncoder enc(out);
  std::unique_ptr<ot::FrameParser> parser;
  while (std::getline(in, line)) {
    ot::Nanos recv = 0;
    std::string_view frame;
    if (!ot::split_capture_line(line, recv, frame)) continue;
    ot::test::Padded padded{std::string(frame)};
    if (!parser) parser = ot::make_detected_parser(padded.view());
    if (parser) parser->parse(padded.view(), recv, enc);
  }
  return out.lines;
}

// One exec report, owned.
struct Report {
  std::string id, status, side, reason, liquidity;
  std::optional<Decimal> price, qty, fee;
  Decimal filled, leaves;
  std::int64_t seq = 0;
};

std::vector<Report> reports(const std::vector<std::string>& lines) {
  ot::EventDecoder dec({ot::EventType::exec});
  ot::DecodedEvent ev;
  std::string err;
  std::vector<Report> out;
  for (const auto& l : lines) {
    ot::test::Padded p{l};
    REQUIRE(dec.decode(p.view(), ev, err));
    if (ev.kind != ot::EventType::exec) continue;
    const auto& e = ev.exec;
    out.push_back(Report{std::string(e.id), std::string(ot::to_string(e.status)),
                         std::string(ot::to_string(e.side)), std::string(e.reason),
                         std::string(ot::to_string(e.liquidity)), e.price, e.qty, e.fee, e.filled,
                         e.leaves, e.seq.value_or(0)});
  }
  return out;
}

std::string order_line(const std::string& id, const char* side, const char* qty, const char* price,
                       const char* kind = "limit", const char* tif = "gtc",
                       const char* symbol = "SUSHIUSDT") {
  std::string s = "{\"type\":\"order\",\"id\":\"" + id +
                  "\",\"venue\":\"binance-futures\",\"symbol\":\"" + symbol + "\",\"side\":\"" +
                  side + "\",\"qty\":\"" + qty + "\"";
  if (price != nullptr) s += ",\"price\":\"" + std::string(price) + "\"";
  return s + ",\"kind\":\"" + kind + "\",\"tif\":\"" + tif + "\"}";
}

// Runs lines through an ExecEngine on a paper venue.
struct PaperRun {
  explicit PaperRun(ot::PaperConfig cfg = {}) : paper(cfg), engine(paper, out, diag) {}
  void feed(const std::string& line) {
    ot::test::Padded p{line};
    engine.process_line(p.view(), "test", ++n);
  }
  ot::PaperVenue paper;
  Lines out;
  Quiet diag;
  ot::ExecEngine engine;
  std::uint64_t n = 0;
};

}  // namespace

TEST_CASE("Amount: exact money arithmetic", "[trade][amount]") {
  using ot::Amount;
  CHECK(Amount::product(dec("7.6110"), dec("6")).to_string() == "45.666");
  CHECK(Amount::product(dec("0.00000001"), dec("0.0000000001")).to_string() ==
        "0.000000000000000001");
  CHECK(Amount::of(dec("10")).divided_by(Amount::of(dec("3"))).to_string(6) == "3.333333");
  CHECK(Amount::of(dec("-10")).divided_by(Amount::of(dec("3"))).to_string(2) == "-3.33");
  CHECK(Amount::of(dec("2")).divided_by(Amount::of(dec("3"))).to_string(3) == "0.667");
  CHECK(Amount::of(dec("123.45")).times(dec("0.0002")).to_string() == "0.02469");
  CHECK((Amount::of(dec("1.5")) - Amount::of(dec("2"))).to_string() == "-0.5");
  CHECK(Amount::of(dec("0")).to_string() == "0");
  CHECK(Amount::from_double(-1.25).to_string() == "-1.25");
  CHECK(ot::round_to_tick(7.61149, dec("0.001"), ot::Round::nearest).to_string() == "7.611");
  CHECK(ot::round_to_tick(7.6115, dec("0.001"), ot::Round::nearest).to_string() == "7.612");
  CHECK(ot::round_to_tick(7.6119, dec("0.001"), ot::Round::down).to_string() == "7.611");
  CHECK(ot::round_to_tick(-7.6111, dec("0.001"), ot::Round::down).to_string() == "-7.612");
  CHECK(ot::round_to_tick(7.6111, dec("0.005"), ot::Round::up).to_string() == "7.615");
  CHECK(ot::add(dec("1.5"), dec("0.25")).to_string() == "1.75");
  CHECK(ot::sub(dec("1"), dec("0.001")).to_string() == "0.999");
}

TEST_CASE("trading events encode and decode back", "[trade][codec]") {
  Lines sink;
  ot::EventEncoder enc(sink);
  ot::Order o;
  o.id = "mm-1";
  o.venue = "binance";
  o.symbol = "BTCUSDT";
  o.side = ot::Side::sell;
  o.qty = dec("0.010");
  o.price = dec("30261.5");
  o.tif = ot::Tif::post_only;
  o.strategy = "mm";
  o.ts = 5;
  enc.write(o);
  CHECK(
      sink.lines.back() ==
      R"({"type":"order","id":"mm-1","venue":"binance","symbol":"BTCUSDT","ts":5,"side":"sell","qty":"0.010","price":"30261.5","kind":"limit","tif":"post_only","strategy":"mm"})");
  ot::Exec e;
  e.id = "mm-1";
  e.venue = "binance";
  e.symbol = "BTCUSDT";
  e.side = ot::Side::sell;
  e.status = ot::ExecStatus::partial;
  e.price = dec("30261.5");
  e.qty = dec("0.004");
  e.filled = dec("0.004");
  e.leaves = dec("0.006");
  e.fee = dec("0.0242092");
  e.liquidity = ot::Liquidity::maker;
  e.seq = 7;
  enc.write(e);
  ot::EventDecoder decoder({ot::EventType::order, ot::EventType::exec});
  ot::DecodedEvent ev;
  std::string err;
  ot::test::Padded p0{sink.lines[0]};
  REQUIRE(decoder.decode(p0.view(), ev, err));
  CHECK(ev.order.id == "mm-1");
  CHECK(ev.order.tif == ot::Tif::post_only);
  CHECK(ev.order.price->to_string() == "30261.5");
  CHECK(ev.order.qty.to_string() == "0.010");
  ot::test::Padded p1{sink.lines[1]};
  REQUIRE(decoder.decode(p1.view(), ev, err));
  CHECK(ev.exec.status == ot::ExecStatus::partial);
  CHECK(ev.exec.leaves.to_string() == "0.006");
  CHECK(ev.exec.liquidity == ot::Liquidity::maker);
  CHECK(*ev.exec.seq == 7);
  // Required fields and bad values are reported by name.
  for (const char* bad :
       {R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1"})",
        R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1","price":"abc"})",
        R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1","price":"1","side":"up"})",
        R"({"type":"exec","status":"new"})"}) {
    ot::test::Padded p{bad};
    CHECK_FALSE(decoder.decode(p.view(), ev, err));
    CHECK_THAT(err, Catch::Contains("field"));
  }
  // `type` after other members still decodes.
  ot::test::Padded late{R"({"id":"c1","type":"cancel"})"};
  ot::EventDecoder cdec({ot::EventType::cancel});
  REQUIRE(cdec.decode(late.view(), ev, err));
  CHECK(ev.cancel.id == "c1");
}

TEST_CASE("order state machine", "[trade][orders]") {
  ot::OrderTracker t;
  const ot::Order o = paper_order("a", "10");
  REQUIRE(t.add(o));
  CHECK_FALSE(t.add(o));
  ot::Exec e;
  e.id = "a";
  e.status = ot::ExecStatus::new_;
  e.filled = dec("0");
  e.leaves = dec("10");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::duplicate);  // duplicated ack
  e.status = ot::ExecStatus::partial;
  e.price = dec("1");
  e.qty = dec("4");
  e.filled = dec("4");
  e.leaves = dec("6");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.find("a")->leaves().to_string() == "6");
  e.filled = dec("3");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // filled went down
  e.filled = dec("11");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // beyond the order
  e.status = ot::ExecStatus::rejected;
  e.filled = dec("4");
  e.qty.reset();
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // reject after a fill
  e.status = ot::ExecStatus::filled;
  e.qty = dec("6");
  e.filled = dec("10");
  e.leaves = dec("0");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.open_count() == 0);
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::duplicate);
  e.status = ot::ExecStatus::canceled;
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // after final
  CHECK(t.find("a")->notional.to_string() == "10");
}

TEST_CASE("a tracker keeps open orders and only the latest final ones", "[trade][orders]") {
  // Twenty orders; every third stays open, the rest are canceled in a
  // shuffled order. With three finals kept, the open ones and the last three
  // canceled remain, in the order they were added.
  ot::OrderTracker t(3);
  ot::OrderTracker all;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(std::string("o").append(std::to_string(i)));
  for (const auto& id : ids) {
    const ot::Order o = paper_order(id, "1");
    REQUIRE(t.add(o));
    REQUIRE(all.add(o));
  }
  std::vector<std::string> to_cancel;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 != 0) to_cancel.push_back(ids[static_cast<std::size_t>(i)]);
  }
  std::mt19937 rng(9);
  std::shuffle(to_cancel.begin(), to_cancel.end(), rng);
  ot::Exec e;
  e.status = ot::ExecStatus::canceled;
  e.filled = dec("0");
  e.leaves = dec("0");
  for (const auto& id : to_cancel) {
    e.id = id;
    REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    REQUIRE(all.apply(e).kind == ot::OrderTracker::Applied::ok);
  }
  CHECK(t.open_count() == 7);
  CHECK(t.size() == 7 + 3);
  CHECK(all.size() == 20);
  std::vector<std::string> open;
  for (const auto* o : t.open_orders()) open.push_back(o->id);
  CHECK(open == std::vector<std::string>{"o0", "o3", "o6", "o9", "o12", "o15", "o18"});
  for (std::size_t k = 0; k < to_cancel.size(); ++k) {
    const bool kept = k + 3 >= to_cancel.size();
    CHECK((t.find(to_cancel[k]) != nullptr) == kept);
    e.id = to_cancel[k];
    // A repeated final report: recognized while kept, unknown once forgotten.
    CHECK(t.apply(e).kind ==
          (kept ? ot::OrderTracker::Applied::duplicate : ot::OrderTracker::Applied::refused));
    CHECK(all.apply(e).kind == ot::OrderTracker::Applied::duplicate);
  }
}

TEST_CASE("a tracker lists each instrument's open orders", "[trade][orders]") {
  // Orders on three symbols, some ended by fills or cancels: each
  // instrument's list holds its own open orders, in the order added.
  ot::OrderTracker t(2);
  const char* symbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  std::map<std::string, std::vector<std::string>> want;
  for (int i = 0; i < 30; ++i) {
    std::string id("m");
    id += std::to_string(i);
    ot::Order o = paper_order(id, "2");
    o.symbol = symbols[i % 3];
    REQUIRE(t.add(o));
    ot::Exec e;
    e.id = o.id;
    e.status = ot::ExecStatus::new_;
    e.filled = dec("0");
    e.leaves = dec("2");
    REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    if (i % 4 == 1) {  // filled in two parts
      e.status = ot::ExecStatus::partial;
      e.qty = dec("1");
      e.price = dec("100");
      e.filled = dec("1");
      e.leaves = dec("1");
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
      e.status = ot::ExecStatus::filled;
      e.filled = dec("2");
      e.leaves = dec("0");
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    } else if (i % 5 == 2) {
      e.status = ot::ExecStatus::canceled;
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    } else {
      want[std::string(o.symbol)].push_back(std::string(o.id));
    }
  }
  std::size_t total = 0;
  for (const char* s : symbols) {
    std::vector<std::string> got;
    t.for_each_open_in("paper", s, [&](const ot::TrackedOrder& o) {
      CHECK(o.symbol == s);
      CHECK(o.open());
      got.push_back(o.id);
    });
    CHECK(got == want[s]);
    CHECK(t.open_count_in("paper", s) == want[s].size());
    total += got.size();
  }
  CHECK(total == t.open_count());
  CHECK(t.open_count_in("binance", "BTCUSDT") == 0);
  CHECK(t.open_count_in("paper", "XRPUSDT") == 0);
}

TEST_CASE("paper venue: fees in the settlement currency", "[trade][paper]") {
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

TEST_CASE("paper venue: queue position, trades through, book crossing", "[trade][paper]") {
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

TEST_CASE("paper venue: taking liquidity and time in force", "[trade][paper]") {
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

TEST_CASE("paper venue properties on a real capture", "[trade][paper][property]") {
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
    std::string err;
    std::map<std::string, std::pair<Decimal, Decimal>> top;
    int next = 0;
    for (const auto& line : events) {
      run.feed(line);
      ot::test::Padded p{line};
      if (qdec.decode(p.view(), q, err) && q.kind == ot::EventType::quote) {
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
      REQUIRE(d.decode(p.view(), ev, err));
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

TEST_CASE("paper venue latency delays arrival and reports", "[trade][paper]") {
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

TEST_CASE("the exec engine refuses a reused id after forgetting the order", "[trade][orders]") {
  // More final orders than the engine keeps: the first one's record is gone,
  // its id is still refused, and a cancel of it says why.
  PaperRun run;
  const std::string book =
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297000000"]]})";
  run.feed(book);
  const std::size_t n = ot::ExecEngine::kKeepFinal + 10;
  for (std::size_t i = 0; i < n; ++i) {
    std::string id = "x";
    id += std::to_string(i);
    run.feed(order_line(id, "buy", "1", nullptr, "market"));
  }
  run.out.lines.clear();
  CHECK(run.engine.ids_used() == n);
  CHECK(run.engine.orders().size() <= ot::ExecEngine::kKeepFinal);
  CHECK(run.engine.orders().find("x0") == nullptr);
  run.feed(order_line("x0", "buy", "1", nullptr, "market"));
  run.feed(order_line("x5", "buy", "1", nullptr, "market"));
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 2);  // answered, not sent
  for (const auto& e : r) {
    CHECK(e.status == "rejected");
    CHECK_THAT(e.reason, Catch::Contains("final long ago"));
  }
  CHECK(run.engine.stats().duplicate_orders == 2);
  run.feed(order_line("fresh", "buy", "1", nullptr, "market"));
  CHECK(reports(run.out.lines).size() == 4);  // new, filled
  // A client order id longer than any venue takes is rejected, not sent.
  const std::string long_id(ot::kMaxOrderIdBytes + 1, 'z');
  run.feed(order_line(long_id, "buy", "1", nullptr, "market"));
  r = reports(run.out.lines);
  REQUIRE(r.size() == 5);
  CHECK(r.back().id == long_id);
  CHECK(r.back().status == "rejected");
  CHECK_THAT(r.back().reason, Catch::Contains("longer than 1024"));
}

TEST_CASE("journal: whole records only, restart restores and never re-sends", "[trade][journal]") {
  char tmpl[] = "/tmp/ot-journal-XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  const std::string path = tmpl;
  const std::string book =
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297"]]})";
  {
    PaperRun run;
    std::string err;
    REQUIRE(run.engine.open_journal(path, false, err));
    run.feed(book);
    run.feed(order_line("j1", "buy", "1", "7.600"));
    run.feed(order_line("j2", "buy", "1", nullptr, "market"));
    CHECK(reports(run.out.lines).size() == 3);
  }
  {
    // A torn record (power loss mid-write) is cut off at reopen.
    std::ofstream f(path, std::ios::app);
    f << R"({"type":"order","id":"j3","ven)";
  }
  PaperRun again;
  std::string err;
  REQUIRE(again.engine.open_journal(path, false, err));
  CHECK(again.engine.stats().restored == 1);  // j1 rests again
  CHECK(again.engine.orders().find("j2")->status == ot::ExecStatus::filled);
  again.feed(book);
  again.feed(order_line("j1", "buy", "1", "7.600"));
  again.feed(order_line("j2", "buy", "1", nullptr, "market"));
  again.feed(order_line("j3", "buy", "1", "7.600"));
  auto r = reports(again.out.lines);
  // j1 and j2 are not sent again: their state is restated. Only j3 is new.
  REQUIRE(r.size() == 3);
  CHECK(r[0].id == "j1");
  CHECK(r[0].status == "new");
  CHECK(r[1].id == "j2");
  CHECK(r[1].status == "filled");
  CHECK(r[1].filled.to_string() == "1");
  CHECK(r[2].id == "j3");
  CHECK(r[2].status == "new");
  CHECK(r[0].seq == 4);  // the endpoint's sequence continues
  again.feed(R"({"type":"cancel","id":"j1"})");
  r = reports(again.out.lines);
  CHECK(r.back().id == "j1");
  CHECK(r.back().status == "canceled");
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(all.back() == '\n');
  CHECK(all.find("\"j3\",\"ven\n") == std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("positions: average cost, realized and unrealized PnL", "[trade][positions]") {
  ot::PositionBook b;
  b.fill("binance", "BTCUSDT", ot::Side::buy, dec("100"), dec("2"), dec("0.1"), 1);
  b.fill("binance", "BTCUSDT", ot::Side::buy, dec("110"), dec("2"), dec("0.1"), 2);
  const auto* p = b.find("binance", "BTCUSDT");
  CHECK(p->avg_price().to_string() == "105");
  b.fill("binance", "BTCUSDT", ot::Side::sell, dec("120"), dec("3"), dec("0.1"), 3);
  CHECK(p->qty.to_string() == "1");
  CHECK(p->realized.to_string() == "45");  // 3 × (120 − 105)
  b.fill("binance", "BTCUSDT", ot::Side::sell, dec("90"), dec("3"), dec("0"), 4);  // through zero
  CHECK(p->qty.to_string() == "-2");
  CHECK(p->realized.to_string() == "30");  // + 1 × (90 − 105)
  CHECK(p->avg_price().to_string() == "90");
  b.mark("binance", "BTCUSDT", dec("80"));
  CHECK(p->unrealized().to_string() == "20");
  CHECK(b.equity_pnl().to_string() == "49.7");
  // Inverse: 1000 USD long at 40000, closed at 50000: 1000 × (1/40000 − 1/50000) coin.
  b.fill("deribit", "BTC-PERPETUAL", ot::Side::buy, dec("40000"), dec("1000"), dec("0"), 5);
  const auto* inv = b.find("deribit", "BTC-PERPETUAL");
  CHECK(inv->inverse);
  b.mark("deribit", "BTC-PERPETUAL", dec("50000"));
  CHECK(inv->unrealized().to_string() == "0.005");
  b.fill("deribit", "BTC-PERPETUAL", ot::Side::sell, dec("50000"), dec("1000"), dec("0"), 6);
  CHECK(inv->realized.to_string() == "0.005");
  CHECK(inv->qty.is_zero());
  CHECK(ot::is_inverse("okx", "BTC-USD-SWAP"));
  CHECK_FALSE(ot::is_inverse("okx", "BTC-USDT-SWAP"));
  CHECK_FALSE(ot::is_inverse("deribit", "BTC-27DEC24-60000-C"));
  CHECK(ot::is_inverse("deribit", "BTC-27DEC24"));
}

TEST_CASE("positions value contracts at their size", "[trade][positions][contracts]") {
  ot::PositionBook b;
  // OKX BTC-USDT-SWAP: 100 contracts of 0.01 BTC bought at 30000, sold at
  // 30100: 1 BTC × 100 USDT.
  b.fill("okx", "BTC-USDT-SWAP", ot::Side::buy, dec("30000"), dec("100"), dec("0"), 1);
  const auto* lin = b.find("okx", "BTC-USDT-SWAP");
  CHECK(lin->avg_price().to_string() == "30000");
  b.mark("okx", "BTC-USDT-SWAP", dec("30050"));
  CHECK(lin->unrealized().to_string() == "50");
  b.fill("okx", "BTC-USDT-SWAP", ot::Side::sell, dec("30100"), dec("100"), dec("0"), 2);
  CHECK(lin->realized.to_string() == "100");
  CHECK(lin->qty.is_zero());
  // Binance COIN-M BTCUSD_PERP: 10 contracts of 100 USD long at 40000,
  // closed at 50000: 1000 × (1/40000 − 1/50000) BTC.
  b.fill("binance-delivery", "BTCUSD_PERP", ot::Side::buy, dec("40000"), dec("10"), dec("0"), 3);
  const auto* inv = b.find("binance-delivery", "BTCUSD_PERP");
  CHECK(inv->inverse);
  CHECK(inv->avg_price().to_string() == "40000");
  CHECK(inv->as_event().qty.to_string() == "10");  // the venue's units
  b.fill("binance-delivery", "BTCUSD_PERP", ot::Side::sell, dec("50000"), dec("10"), dec("0"), 4);
  CHECK(inv->realized.to_string() == "0.005");
  // OKX BTC-USD-SWAP is 100 USD a contract, like Binance's.
  b.fill("okx", "BTC-USD-SWAP", ot::Side::sell, dec("50000"), dec("1"), dec("0"), 5);
  b.mark("okx", "BTC-USD-SWAP", dec("40000"));
  CHECK(b.find("okx", "BTC-USD-SWAP")->unrealized().to_string() ==
        "0.0005");  // 100/40000 − 100/50000
  // Unknown sizes are valued at 1 and say so.
  b.fill("okx", "DOGE-USDT-SWAP", ot::Side::buy, dec("0.1"), dec("10"), dec("0"), 6);
  CHECK_FALSE(b.find("okx", "DOGE-USDT-SWAP")->size_known);
}

// ---- Binance order entry ----

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/client.h"
#include "net/crypto.h"
#include "net/net.h"
#include "venues/binance/binance_orders.h"

TEST_CASE("Binance signatures equal the documented example", "[trade][binance][sign]") {
  // The key, secret, query and signature of Binance's "SIGNED endpoint
  // examples" in its REST API documentation.
  const std::string secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const std::string query =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
      "timestamp=1499827319559";
  CHECK(ot::binance::sign(query, "", secret) ==
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  // Query and body together: the same bytes, split anywhere.
  CHECK(ot::binance::sign(query.substr(0, 40), query.substr(40), secret) ==
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  CHECK(ot::net::hmac_sha256_base64("key", "The quick brown fox jumps over the lazy dog") ==
        "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
  CHECK(ot::net::equal_constant_time("abc", "abc"));
  CHECK_FALSE(ot::net::equal_constant_time("abc", "abd"));
}

TEST_CASE("HMAC-SHA256 with kept key states equals OpenSSL's one-shot HMAC", "[trade][sign]") {
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  const std::string long_key(131, '\xaa');
  CHECK(ot::net::hmac_sha256_hex(long_key,
                                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // RFC 4231 test case 2, then case 6 again: the kept state follows the key.
  CHECK(ot::net::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(ot::net::hmac_sha256_hex(long_key,
                                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string key(rng() % 3 == 0 ? rng() % 130 : 64, '\0'), data(rng() % 300, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    for (char& c : data) c = static_cast<char>(rng());
    unsigned char want[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), want, &n);
    char hex[65];
    for (unsigned k = 0; k < 32; ++k) std::snprintf(hex + 2 * k, 3, "%02x", want[k]);
    CHECK(ot::net::hmac_sha256_hex(key, data) == hex);
  }
}

TEST_CASE("The venue HTTP client writes plain HTTP/1.1 and refuses forged headers",
          "[trade][http]") {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  using namespace std::chrono_literals;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto url =
      ot::net::parse_url("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  REQUIRE(url);
  std::vector<std::string> seen;  // each request as the server read it
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
        std::string in;
        for (int answered = 0; answered < 2;) {
          char chunk[4096];
          in.append(chunk, co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable));
          const auto head = in.find("\r\n\r\n");
          if (head == std::string::npos) continue;
          const auto cl = in.find("Content-Length: ");
          const std::size_t body = cl < head ? std::stoul(in.substr(cl + 16)) : 0;
          if (in.size() < head + 4 + body) continue;
          seen.push_back(in.substr(0, head + 4 + body));
          in.erase(0, head + 4 + body);
          const std::string res =
              "HTTP/1.1 200 OK\r\nX-Mbx-Used-Weight-1m: 7\r\nContent-Length: 2\r\n\r\n{}";
          co_await asio::async_write(s, asio::buffer(res), asio::use_awaitable);
          ++answered;
        }
      },
      asio::detached);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  ot::net::HttpClient client(io.get_executor(), *url, tls);
  std::vector<ot::net::Response> got;
  bool refused = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        ot::net::Headers h;
        h.emplace_back("X-MBX-APIKEY", "k");
        got.push_back(co_await client.request("GET", "/fapi/v1/time", h, "", 5s));
        ot::net::Headers forged;
        forged.emplace_back("X-MBX-APIKEY", "k\r\nX-Evil: 1");
        try {
          co_await client.request("POST", "/fapi/v1/order", forged, "", 5s);
        } catch (const boost::system::system_error& e) {
          refused = e.code() == asio::error::invalid_argument;
        }
        got.push_back(co_await client.request("POST", "/api/v5/trade/order", h, "{\"a\":1}", 5s));
      },
      asio::detached);
  io.run_for(10s);
  REQUIRE(got.size() == 2);
  CHECK(refused);
  REQUIRE(seen.size() == 2);  // the forged request sent nothing
  CHECK(seen[0] ==
        "GET /fapi/v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: optitrade/0.1\r\n"
        "X-MBX-APIKEY: k\r\n\r\n");
  CHECK(seen[1] ==
        "POST /api/v5/trade/order HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: optitrade/0.1\r\n"
        "X-MBX-APIKEY: k\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  CHECK(got[0].status == 200);
  CHECK(got[0].body == "{}");
  CHECK(got[0].header("x-mbx-used-weight-1m") == "7");
}

TEST_CASE("Binance order parameters and user stream events", "[trade][binance]") {
  using ot::binance::Market;
  ot::Order o;
  o.id = "mm-x-1";
  o.venue = "binance-futures";
  o.symbol = "BTCUSDT";
  o.side = ot::Side::sell;
  o.qty = dec("0.010");
  o.price = dec("30261.5");
  o.tif = ot::Tif::post_only;
  CHECK(ot::binance::new_order_params(o, Market::usdm) ==
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTX&quantity=0.010&price=30261.5&"
        "newClientOrderId=mm-x-1");
  CHECK(ot::binance::new_order_params(o, Market::spot) ==
        "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.010&price=30261.5&"
        "newClientOrderId=mm-x-1");
  CHECK(ot::binance::form_value("a=1&symbol=BTC%2DUSD&x=", "symbol") == "BTC-USD");
  // The venue's own samples.
  auto partial = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/order_update_trade_partial.json")),
      Market::usdm, nullptr);
  REQUIRE(partial);
  partial->bind();
  CHECK(partial->exec.id == "TEST");
  CHECK(partial->exec.status == ot::ExecStatus::partial);
  CHECK(partial->exec.qty->to_string() == "0.001");
  CHECK(partial->exec.price->to_string() == "7100.50");
  CHECK(partial->exec.filled.to_string() == "0.001");
  CHECK(partial->exec.leaves.to_string() == "0.001");
  CHECK(partial->exec.fee->to_string() == "0.01000000");
  CHECK(partial->exec.liquidity == ot::Liquidity::maker);
  CHECK(partial->exec.trade_id == "12345678");
  auto spot = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/execution_report_trade.json")), Market::spot,
      nullptr);
  REQUIRE(spot);
  spot->bind();
  CHECK(spot->exec.status == ot::ExecStatus::filled);
  CHECK(spot->exec.qty->to_string() == "1.00000000");
  CHECK(spot->exec.leaves.is_zero());
  auto canceled = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/execution_report_canceled.json")),
      Market::spot, nullptr);
  REQUIRE(canceled);
  canceled->bind();
  CHECK(canceled->exec.status == ot::ExecStatus::canceled);
  CHECK(canceled->exec.id == "x-TD67BGP9-T0000000000000");
  std::string kind;
  CHECK_FALSE(
      ot::binance::parse_order_event(R"({"e":"listenKeyExpired","E":1})", Market::usdm, &kind));
  CHECK(kind == "listenKeyExpired");
  CHECK_FALSE(ot::binance::parse_order_event("not json", Market::usdm, nullptr));
  // What the simulator writes, the gateway reads back.
  ot::Exec e;
  e.id = o.id;
  e.side = o.side;
  e.status = ot::ExecStatus::partial;
  e.price = dec("30261.5");
  e.qty = dec("0.004");
  e.filled = dec("0.004");
  e.leaves = dec("0.006");
  e.fee = dec("0.0242092");
  e.liquidity = ot::Liquidity::maker;
  for (Market m : {Market::usdm, Market::spot}) {
    const std::string json =
        ot::binance::order_event_json(e, o, 42, 7, m, 1'700'000'000'000'000'000);
    auto back = ot::binance::parse_order_event(json, m, nullptr);
    REQUIRE(back);
    back->bind();
    CHECK(back->exec.id == "mm-x-1");
    CHECK(back->exec.status == ot::ExecStatus::partial);
    CHECK(back->exec.qty->to_string() == "0.004");
    CHECK(back->exec.leaves.to_string() == "0.006");
    CHECK(back->exec.fee->to_string() == "0.0242092");
    CHECK(back->exec.venue_id == "42");
    CHECK(back->exec.trade_id == "7");
  }
}

// ---- Deribit order entry ----

#include "venues/deribit/deribit_orders.h"

TEST_CASE("Deribit client signature, order params and private notifications", "[trade][deribit]") {
  // HMAC-SHA256 of "timestamp\nnonce\ndata" (computed independently with
  // `printf '1576074319000\nabcd\n' | openssl dgst -sha256 -hmac secret`).
  CHECK(ot::deribit::client_signature("secret", 1576074319000, "abcd", "") ==
        "2f8be71cf381d25294b12663e428df58e95a5e968ae7d7e566bcc15ab6c4bc1a");
  ot::Order o;
  o.id = "hedge-BTC-1";
  o.venue = "deribit";
  o.symbol = "BTC-PERPETUAL";
  o.side = ot::Side::sell;
  o.qty = dec("120");
  o.kind = ot::OrderKind::market;
  o.tif = ot::Tif::ioc;
  CHECK(
      ot::deribit::order_params(o) ==
      R"({"instrument_name":"BTC-PERPETUAL","amount":120,"type":"market","label":"hedge-BTC-1","time_in_force":"immediate_or_cancel"})");
  const std::string trade =
      ot::deribit::trade_object(o, "BTC-7", "42", dec("32100.5"), dec("120"), dec("0.00000112"),
                                ot::Liquidity::taker, "filled", 1626993720915);
  auto evs = ot::deribit::parse_private(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.trades.any.any.raw","data":[)" +
      trade + "]}}");
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].is_trade);
  CHECK(evs[0].exec.id == "hedge-BTC-1");
  CHECK(evs[0].exec.price->to_string() == "32100.5");
  CHECK(evs[0].exec.qty->to_string() == "120");
  CHECK(evs[0].exec.fee->to_string() == "0.00000112");
  CHECK(evs[0].exec.side == ot::Side::sell);
  const std::string order =
      ot::deribit::order_object(o, "BTC-7", "open", dec("20"), dec("32100.5"), 1626993720915);
  evs = ot::deribit::parse_private(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.orders.BTC-PERPETUAL.raw","data":)" +
      order + "}}");
  REQUIRE(evs.size() == 1);
  CHECK_FALSE(evs[0].is_trade);
  CHECK(evs[0].exec.status == ot::ExecStatus::partial);
  CHECK(evs[0].exec.leaves.to_string() == "100");
  CHECK_FALSE(evs[0].exec.order_price);  // a market order's price 0 is no price
  CHECK(ot::deribit::parse_private(R"({"jsonrpc":"2.0","method":"heartbeat"})").empty());
  CHECK(ot::deribit::parse_private("garbage").empty());

  SECTION("answers to requests") {
    auto a = ot::deribit::parse_rpc_answer(R"({"jsonrpc":"2.0","id":7,"result":0})");
    REQUIRE(a);
    CHECK(a->id == 7);
    CHECK_FALSE(a->failed);
    CHECK(a->result == "0");
    a = ot::deribit::parse_rpc_answer(
        R"({"jsonrpc":"2.0","id":8,"error":{"code":10028,"message":"too_many_requests"}})");
    REQUIRE(a);
    CHECK(a->failed);
    CHECK(a->error_text() == "deribit 10028: too_many_requests");
    // An error without a code or a message is still an error: the order it
    // answers is rejected, not left waiting.
    a = ot::deribit::parse_rpc_answer(R"({"id":9,"error":{}})");
    REQUIRE(a);
    CHECK(a->failed);
    CHECK(a->error_text() == "deribit 0: (no message)");
    CHECK_FALSE(ot::deribit::parse_rpc_answer(R"({"id":"x","result":1})"));
    CHECK_FALSE(ot::deribit::parse_rpc_answer(R"({"id":3})"));
    CHECK_FALSE(ot::deribit::parse_rpc_answer("{"));
  }
  SECTION("order state after a reconnect") {
    auto st = ot::deribit::parse_order_states("[" + order + "]");
    REQUIRE(st);
    REQUIRE(st->size() == 1);
    CHECK((*st)[0].exec.filled.to_string() == "20");
    CHECK((*st)[0].label == "hedge-BTC-1");
    st = ot::deribit::parse_order_states("[]");
    REQUIRE(st);
    CHECK(st->empty());
    CHECK_FALSE(ot::deribit::parse_order_states("null"));
    CHECK_FALSE(ot::deribit::parse_order_states(R"([{"label":"x"}])"));
  }
}

// ---- OKX order entry ----

#include "venues/okx/okx_orders.h"

TEST_CASE("OKX signatures, order bodies and the orders channel", "[trade][okx]") {
  // base64(HMAC-SHA256(secret, timestamp + method + path + body)), the value
  // computed independently with openssl.
  CHECK(ot::okx::rest_signature("secret", "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order",
                                R"({"instId":"BTC-USDT"})") ==
        "I64FCA5BpQbPVAu81/jgcqwMMz/badKJDsMDOMpXB0Y=");
  CHECK(ot::okx::iso_timestamp(1607418537715000000) == "2020-12-08T09:08:57.715Z");
  ot::Order o;
  o.id = "mm1";
  o.venue = "okx";
  o.symbol = "BTC-USDT";
  o.side = ot::Side::buy;
  o.qty = dec("0.01");
  o.price = dec("30000.1");
  o.tif = ot::Tif::post_only;
  CHECK(
      ot::okx::order_body(o) ==
      R"({"instId":"BTC-USDT","tdMode":"cash","clOrdId":"mm1","side":"buy","ordType":"post_only","sz":"0.01","px":"30000.1"})");
  o.symbol = "BTC-USDT-SWAP";
  CHECK(ot::okx::order_body(o).find(R"("tdMode":"cross")") != std::string::npos);
  // The venue's own push of a filled market order.
  auto evs = ot::okx::parse_orders(ot::test::read_file(ot::test::data_path("okx/ws_orders.json")));
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].exec.id == "001BTCUSDT20250106001");
  CHECK(evs[0].exec.status == ot::ExecStatus::filled);
  CHECK(evs[0].exec.qty->to_string() == "0.03");
  CHECK(evs[0].exec.price->to_string() == "103698.9");
  CHECK(evs[0].exec.fee->to_string() == "0.021776769");  // OKX writes a cost as negative
  CHECK(evs[0].exec.liquidity == ot::Liquidity::maker);
  CHECK(evs[0].exec.trade_id == "1518905529");
  // What the simulator writes, the gateway reads back.
  const std::string push =
      R"({"arg":{"channel":"orders","instType":"ANY"},"data":[)" +
      ot::okx::order_json(
          o, "77", "partially_filled", dec("0.004"), dec("30000.1"),
          ot::okx::OrderFill{dec("30000.1"), dec("0.004"), dec("0.06"), ot::Liquidity::maker, "9"},
          "", 1607418537715) +
      "]}";
  evs = ot::okx::parse_orders(push);
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].exec.status == ot::ExecStatus::partial);
  CHECK(evs[0].exec.leaves.to_string() == "0.006");
  CHECK(evs[0].exec.fee->to_string() == "0.06");
  CHECK(evs[0].exec.venue_id == "77");
  CHECK(ot::okx::parse_orders(R"({"event":"login","code":"0"})").empty());
}

TEST_CASE("paper venue: reduce_only against its own fills", "[trade][paper]") {
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

TEST_CASE("paper venue: the end of input settles what is in flight", "[trade][paper]") {
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
