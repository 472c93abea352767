// The backtest's parts: owned event copies (core/owned_events), the fused
// chain (chain/fused_chain), the ledger, the summary, and the data player.
#include "backtest/backtest.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backtest/data.h"
#include "backtest/ledger.h"
#include "backtest/summary.h"
#include "chain/fused_chain.h"
#include "core/owned_events.h"
#include "exec/paper.h"
#include "risk/positions.h"
#include "test_util.h"

using namespace ot::test;
using ot::Decimal;

namespace {

constexpr ot::Nanos kSec = 1'000'000'000LL;

ot::PriceLevel level(const char* p, const char* q) { return {p, q}; }

// On every top of book, one IOC buy of 1 at the ask; optionally, on each
// fill, one more IOC buy (an order sent while a report is being handled).
class Taker final : public ot::Strategy {
 public:
  explicit Taker(bool again_on_fill = false) : again_(again_on_fill) {}
  std::string_view name() const override { return "taker"; }
  void params(ot::Params&) override {}
  void on_top(const ot::TopOfBookEvent& t, ot::StrategyContext& ctx) override {
    if (!t.has_ask || sent_ > 0) return;
    ask_ = t.ask;
    buy(t.venue, t.symbol, ctx);
  }
  void on_exec(const ot::Exec& e, ot::StrategyContext& ctx) override {
    seen.push_back(std::string(e.id) + " " + std::string(ot::to_string(e.status)));
    if (again_ && e.status == ot::ExecStatus::filled && sent_ < 2) buy(e.venue, e.symbol, ctx);
  }
  std::vector<std::string> seen;

 private:
  void buy(std::string_view venue, std::string_view symbol, ot::StrategyContext& ctx) {
    ot::OrderRequest r;
    r.venue = venue;
    r.symbol = symbol;
    r.side = ot::Side::buy;
    r.qty = dec("1");
    r.price = ask_;
    r.tif = ot::Tif::ioc;
    ++sent_;  // first: the report may come back from inside submit()
    ctx.submit(r);
  }
  bool again_;
  int sent_ = 0;
  Decimal ask_;
};

struct Reports {
  std::vector<std::string> lines;  // "id status [price]"
  void add(const ot::Exec& e) {
    std::string s = std::string(e.id) + " " + std::string(ot::to_string(e.status));
    if (e.price) s += " " + e.price->to_string();
    lines.push_back(s);
  }
};

}  // namespace

TEST_CASE("owned market events keep every string and level value", "[backtest][owned]") {
  std::string venue = "okx", symbol = "BTC-USDT", p1 = "100.5", q1 = "2", p2 = "101", q2 = "0";
  std::vector<ot::PriceLevel> bids{level(p1.c_str(), q1.c_str())};
  bids[0].price_value = dec("100.5");
  std::vector<ot::PriceLevel> asks{level(p2.c_str(), q2.c_str())};
  ot::BookUpdate u;
  u.venue = venue;
  u.symbol = symbol;
  u.seq = 7;
  u.recv = 42;
  u.bids = bids;
  u.asks = asks;
  u.bids_json = R"([["100.5","2"]])";
  auto copy = std::make_unique<ot::OwnedMarketEvent>(u);
  // The producer's buffers are reused for the next frame.
  venue.assign("xxx");
  symbol.assign("yyyyyyyy");
  p1.assign("99999");
  bids.clear();
  const ot::BookUpdate& b = copy->book();
  CHECK(copy->kind() == ot::OwnedMarketEvent::Kind::book);
  CHECK(b.venue == "okx");
  CHECK(b.symbol == "BTC-USDT");
  CHECK(*b.seq == 7);
  CHECK(b.recv == 42);
  REQUIRE(b.bids.size() == 1);
  REQUIRE(b.asks.size() == 1);
  CHECK(b.bids[0].price == "100.5");
  CHECK(b.bids[0].price_value.to_string() == "100.5");  // the value read, kept
  CHECK(b.bids[0].qty_value.scale < 0);                 // not read: parsed from the text
  CHECK(b.asks[0].qty == "0");
  CHECK(b.bids_json == R"([["100.5","2"]])");

  ot::Trade t;
  std::string id = "t-1";
  t.venue = "deribit";
  t.symbol = "BTC-PERPETUAL";
  t.price = "30000";
  t.qty = "10";
  t.id = id;
  t.side = ot::Side::sell;
  ot::OwnedMarketEvent tc(t);
  id.assign("zzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
  CHECK(tc.trade().id == "t-1");
  CHECK(tc.trade().side == ot::Side::sell);

  ot::Status s;
  s.venue = "binance";
  s.event = "book_invalid";
  s.detail = "gap at 812";
  ot::OwnedMarketEvent sc(s);
  CHECK(sc.status().event == "book_invalid");
  CHECK(sc.status().detail == "gap at 812");
}

TEST_CASE("fused chain: the venue sees a book update before the strategy's order",
          "[backtest][chain]") {
  const bool venue_sees_market = GENERATE(true, false);
  ot::PaperVenue paper(ot::PaperConfig{});
  Quiet diag;
  ot::FusedChainOptions o;
  o.venue_sees_market = venue_sees_market;
  ot::FusedChain chain(paper, o, diag);
  Taker taker;
  ot::RunnerOptions ro;
  ro.id_prefix = "t";
  chain.add_strategy(taker, ro);
  Reports reports;
  chain.set_report_listener([&](const ot::Exec& e) { reports.add(e); });
  chain.start();
  BookBuilder bb;
  auto& u = bb.make("paper", "X", true, {level("99", "1")}, {level("101", "5")});
  u.recv = kSec;
  chain.on_book(u);
  chain.poll(2 * kSec);
  REQUIRE_FALSE(reports.lines.empty());
  if (venue_sees_market) {
    // It takes the ask the strategy saw.
    CHECK(reports.lines.back() == "t-0-1 filled 101");
  } else {
    // Nobody fed the venue: it has no book to take from.
    CHECK(reports.lines.back() == "t-0-1 rejected");
  }
  CHECK(diag.errors.empty());
}

TEST_CASE("fused chain: a report made while one is handled waits its turn", "[backtest][chain]") {
  ot::PaperVenue paper(ot::PaperConfig{});
  Quiet diag;
  ot::FusedChain chain(paper, ot::FusedChainOptions{}, diag);
  Taker taker(true);
  ot::RunnerOptions ro;
  ro.id_prefix = "t";
  chain.add_strategy(taker, ro);
  Reports reports;
  chain.set_report_listener([&](const ot::Exec& e) { reports.add(e); });
  std::vector<std::string> orders;
  chain.set_order_observer([&](const ot::Order& o) { orders.emplace_back(o.id); });
  int tops = 0;
  chain.set_top_observer([&](const ot::TopOfBookEvent&) { ++tops; });
  chain.start();
  BookBuilder bb;
  auto& u = bb.make("paper", "X", true, {level("99", "1")}, {level("101", "5")});
  u.recv = kSec;
  chain.on_book(u);
  chain.poll(2 * kSec);
  CHECK(tops == 1);
  CHECK(orders == std::vector<std::string>{"t-0-1", "t-0-2"});
  // The strategy, and then the listener, hear every report of the first
  // order before any of the second, which it sent from inside the first fill.
  const std::vector<std::string> want{"t-0-1 new", "t-0-1 filled 101", "t-0-2 new",
                                      "t-0-2 filled 101"};
  CHECK(reports.lines == want);
  CHECK(taker.seen ==
        std::vector<std::string>{"t-0-1 new", "t-0-1 filled", "t-0-2 new", "t-0-2 filled"});
}

namespace {

// Reads the book's top three levels a side on every top of book.
class DepthReader final : public ot::Strategy {
 public:
  explicit DepthReader(bool wants = true) : wants_(wants) {}
  std::string_view name() const override { return "depth"; }
  void params(ot::Params&) override {}
  bool wants_depth() const override { return wants_; }
  void on_top(const ot::TopOfBookEvent& t, ot::StrategyContext& ctx) override {
    std::vector<ot::Level> bids, asks;
    if (!ctx.depth(t.venue, t.symbol, 3, bids, asks)) {
      seen.emplace_back("none");
      return;
    }
    std::string s;
    for (const auto* side : {&bids, &asks}) {
      if (side == &asks) s += " |";
      for (const ot::Level& l : *side) {
        s += ' ';
        s += l.price.to_string();
        s += 'x';
        s += l.qty.to_string();
      }
    }
    seen.push_back(s);
  }
  std::vector<std::string> seen;

 private:
  bool wants_;
};

}  // namespace

TEST_CASE("fused chain: a strategy reads the chain's book as of the event", "[backtest][chain]") {
  ot::PaperVenue paper(ot::PaperConfig{});
  Quiet diag;
  ot::FusedChain chain(paper, ot::FusedChainOptions{}, diag);
  DepthReader reader;
  chain.add_strategy(reader, ot::RunnerOptions{});
  chain.start();
  BookBuilder bb;
  auto& u = bb.make("paper", "X", true,
                    {level("99", "1"), level("98", "2"), level("97", "3"), level("96", "4")},
                    {level("101", "5"), level("102", "6")});
  u.recv = kSec;
  chain.on_book(u);
  auto& d = bb.make("paper", "X", false, {level("99", "0"), level("98.5", "7")}, {});
  d.recv = 2 * kSec;
  chain.on_book(d);
  ot::Status gap;
  gap.venue = "paper";
  gap.symbol = "X";
  gap.event = "gap";
  chain.on_status(gap);
  auto& again = bb.make("paper", "X", true, {level("90", "1")}, {level("91", "1")});
  again.recv = 3 * kSec;
  chain.on_book(again);
  CHECK(reader.seen == std::vector<std::string>{" 99x1 98x2 97x3 | 101x5 102x6",
                                                " 98.5x7 98x2 97x3 | 101x5 102x6", " 90x1 | 91x1"});
}

TEST_CASE("strategy runner: depth from the stream's depth events", "[strat]") {
  for (const bool wants : {true, false}) {
    DepthReader reader(wants);
    Lines out;
    Quiet diag;
    ot::StrategyRunner runner(reader, out, diag, ot::RunnerOptions{});
    runner.start();
    auto feed = [&](const std::string& line) {
      Padded p{line};
      runner.process_line(p.view(), "test", 0);
    };
    const std::string bbo =
        R"({"type":"bbo","venue":"x","symbol":"S","ts":1,"bid":"99","bid_qty":"1","ask":"101","ask_qty":"5"})";
    feed(bbo);
    feed(R"({"type":"depth","venue":"x","symbol":"S","ts":2,"bids":[["99","1"],["98","2"],)"
         R"(["97","3"],["96","4"]],"asks":[["101","5"]]})");
    feed(bbo);
    feed(R"({"type":"status","venue":"x","symbol":"S","ts":3,"event":"book_invalid",)"
         R"("detail":"gap"})");
    feed(bbo);
    const std::vector<std::string> want =
        wants ? std::vector<std::string>{"none", " 99x1 98x2 97x3 | 101x5", "none"}
              : std::vector<std::string>{"none", "none", "none"};
    CHECK(reader.seen == want);
    CHECK(out.lines.size() == 5);  // every event passed on
  }
}

TEST_CASE("ledger: funding at 00/08/16 UTC, an equity point per bar, FIFO holding",
          "[backtest][ledger]") {
  ot::PositionBook positions;
  ot::BacktestResult r;
  const ot::Nanos bar = 3600 * kSec;
  ot::Ledger ledger(positions, 1000, bar, r);
  const ot::Nanos t0 = 1'700'000'000LL * kSec;  // 2023-11-14T22:13:20Z
  ledger.begin(t0);
  ledger.advance(t0, true);
  REQUIRE(r.equity.size() == 1);
  CHECK(r.equity[0].equity == 1000);

  ot::Ticker tk;
  tk.venue = "binance-futures";
  tk.symbol = "BTCUSDT";
  tk[ot::TickerField::funding_rate] = "0.001";
  tk[ot::TickerField::mark] = "100";
  ledger.on_ticker(tk);
  positions.fill("binance-futures", "BTCUSDT", ot::Side::buy, dec("100"), dec("2"), dec("0"), t0);
  ot::Exec e;
  e.id = "a";
  e.venue = "binance-futures";
  e.symbol = "BTCUSDT";
  e.side = ot::Side::buy;
  e.status = ot::ExecStatus::filled;
  e.price = dec("100");
  e.qty = dec("2");
  e.ts = t0;
  ledger.on_report(e);
  REQUIRE(r.fills.size() == 1);
  REQUIRE(r.fill_lines.size() == 1);
  CHECK(r.fill_lines[0].find("\"id\":\"a\"") != std::string::npos);
  CHECK(r.symbols == std::vector<std::string>{"binance-futures BTCUSDT"});

  // 2023-11-15T00:00Z: a long pays 2 × 100 × 0.001 = 0.2.
  const ot::Nanos midnight = 1'700'006'400LL * kSec;
  ledger.advance(midnight + kSec, true);
  CHECK(ledger.totals().funding == Approx(-0.2));
  // Points at 23:00 and 00:00 (every multiple of the bar), not at the event.
  REQUIRE(r.equity.size() == 3);
  CHECK(r.equity[1].t == midnight - bar);
  CHECK(r.equity[2].t == midnight);
  CHECK(r.equity[2].position == std::vector<double>{2});

  // Sell 2 an hour after the buy: 2 units held 1 h.
  positions.fill("binance-futures", "BTCUSDT", ot::Side::sell, dec("110"), dec("2"), dec("0"),
                 t0 + bar);
  e.id = "b";
  e.side = ot::Side::sell;
  e.price = dec("110");
  e.ts = t0 + bar;
  ledger.on_report(e);
  CHECK(ledger.totals().closing_fills == 1);
  CHECK(ledger.totals().wins == 1);
  CHECK(ledger.totals().holding_sum / ledger.totals().holding_qty == Approx(3600e9));
  CHECK(ledger.pnl() == Approx(20 - 0.2));
  ledger.finish(midnight + kSec);
  CHECK(r.equity.back().equity == Approx(1000 + 20 - 0.2));
  CHECK(ledger.positions() ==
        std::vector<std::pair<std::string, std::string>>{{"binance-futures BTCUSDT", "0"}});
}

TEST_CASE("summary: figures from a known equity curve", "[backtest][summary]") {
  ot::PositionBook positions;
  ot::BacktestResult r;
  ot::BacktestConfig c;
  c.strategy = "mm";
  c.capital = 100;
  ot::Ledger ledger(positions, c.capital, 86400 * kSec, r);
  ledger.begin(kSec);
  // Equity 100, 110, 99: returns +0.10, −0.11 of the capital.
  for (double eq : {110.0, 99.0}) {
    ot::EquityPoint p;
    p.t = r.equity.back().t + 86400 * kSec;
    p.equity = eq;
    r.equity.push_back(p);
  }
  r.equity[2].drawdown = 11.0 / 110;
  ot::Params params;
  std::string symbol = "BTCUSDT";
  params.add("symbol", symbol, "instrument");
  ot::summarize(c, params, ledger, positions, 3 * 86400 * kSec, r);
  const double mean = (0.10 - 0.11) / 2;
  const double sd = std::sqrt(((0.10 - mean) * (0.10 - mean) + (-0.11 - mean) * (-0.11 - mean)));
  CHECK(r.metric("sharpe") == Approx(mean / sd * std::sqrt(365.0)));
  CHECK(r.metric("sortino") == Approx(mean / std::sqrt(0.11 * 0.11 / 2) * std::sqrt(365.0)));
  CHECK(r.metric("max_drawdown") == Approx(0.1));
  CHECK(std::isnan(r.metric("no such figure")));
  CHECK(r.summary.starts_with(R"({"strategy":"mm","params":{"symbol":"BTCUSDT"},"start":)"));
  CHECK(r.summary.ends_with(R"("positions":{}})"));
}

TEST_CASE("data: candle files report progress to the end", "[backtest][data]") {
  // More candles than the progress step (65536), so progress is asked for
  // while the files are being read.
  TempDir dir;
  const std::string path = dir.path + "/1m.csv";
  std::string csv = "timestamp,open,high,low,close,volume\n";
  for (int i = 0; i < 70000; ++i) {
    csv += std::to_string(1'600'000'000 + 60 * i) + ",100,101,99,100.5,3\n";
  }
  write_file(path, csv);
  struct Count final : ot::MarketDataListener {
    void on_book(const ot::BookUpdate&) override {}
    void on_trade(const ot::Trade&) override {}
    void on_quote(const ot::Quote&) override {}
    void on_ticker(const ot::Ticker&) override {}
    void on_status(const ot::Status&) override {}
    void on_candle(const ot::Candle&) override { ++candles; }
    int candles = 0;
  } out;
  ot::BacktestConfig c;
  c.data = {path, path};  // two files: the second starts after the first's bytes
  ot::BacktestResult r;
  Quiet diag;
  std::vector<double> seen;
  REQUIRE(ot::play_data(
      c, out, diag, [&](double f) { seen.push_back(f); }, r));
  CHECK(out.candles == 140000);
  CHECK(r.events == 140000);
  CHECK(r.bytes == 2 * csv.size());
  REQUIRE(seen.size() == 2);  // at events 65536 and 131072
  // Within the first file, then past it (its bytes and some of the second's).
  CHECK(seen[0] > 0);
  CHECK(seen[0] <= 0.5);
  CHECK(seen[1] > 0.5);
  CHECK(seen[1] <= 1);
  CHECK(diag.errors.empty());
}

TEST_CASE("data: captures, event files and candles do not mix", "[backtest][data]") {
  struct None final : ot::MarketDataListener {
    void on_book(const ot::BookUpdate&) override {}
    void on_trade(const ot::Trade&) override {}
    void on_quote(const ot::Quote&) override {}
    void on_ticker(const ot::Ticker&) override {}
    void on_status(const ot::Status&) override {}
    void on_candle(const ot::Candle&) override {}
  } out;
  ot::BacktestConfig c;
  c.data = {data_path("binance-futures.raw"), "x.csv"};
  ot::BacktestResult r;
  Quiet diag;
  CHECK_FALSE(ot::play_data(c, out, diag, {}, r));
  REQUIRE(diag.errors.size() == 1);
  CHECK(diag.errors[0].find("cannot be mixed") != std::string::npos);
}
