#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>

#include "core/decimal.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "risk/black76.h"
#include "test_util.h"
#include "venues/venue.h"

namespace {

struct TickerCollector final : ot::EventListener {
  struct Row {
    std::string symbol;
    ot::Nanos ts = 0;
    double underlying = 0, mark_iv = 0, rate = 0, mark = 0, delta = 0, gamma = 0, vega = 0,
           theta = 0;
  };
  void on_book(const ot::BookUpdate&) override {}
  void on_trade(const ot::Trade&) override {}
  void on_quote(const ot::Quote&) override {}
  void on_status(const ot::Status&) override {}
  void on_ticker(const ot::Ticker& t) override {
    ot::Ticker c = t;
    auto num = [&](ot::TickerField f) {
      return ot::Decimal::parse(c[f]).value_or(ot::Decimal{}).to_double();
    };
    rows.push_back(Row{std::string(t.symbol), t.ts.value_or(0), num(ot::TickerField::underlying),
                       num(ot::TickerField::mark_iv), num(ot::TickerField::interest_rate),
                       num(ot::TickerField::mark), num(ot::TickerField::delta),
                       num(ot::TickerField::gamma), num(ot::TickerField::vega),
                       num(ot::TickerField::theta)});
  }
  std::vector<Row> rows;
};

}  // namespace

TEST_CASE("Black-76 satisfies put-call parity and textbook values", "[risk][black76]") {
  const double F = 100, K = 95, T = 0.5, s = 0.3, r = 0.02;
  auto c = ot::black76(F, K, T, s, r, true);
  auto p = ot::black76(F, K, T, s, r, false);
  CHECK(c.price - p.price == Approx(std::exp(-r * T) * (F - K)).epsilon(1e-12));
  CHECK(c.delta - p.delta == Approx(std::exp(-r * T)).epsilon(1e-12));
  CHECK(c.gamma == Approx(p.gamma));
  CHECK(c.vega == Approx(p.vega));
  // Finite differences agree with the closed forms.
  const double h = 1e-3;
  auto up = ot::black76(F + h, K, T, s, r, true), dn = ot::black76(F - h, K, T, s, r, true);
  CHECK((up.price - dn.price) / (2 * h) == Approx(c.delta).epsilon(1e-6));
  CHECK((up.price - 2 * c.price + dn.price) / (h * h) == Approx(c.gamma).epsilon(1e-4));
  auto vup = ot::black76(F, K, T, s + 0.01, r, true);
  CHECK(vup.price - c.price == Approx(c.vega).epsilon(1e-2));
  const double day = 1.0 / 365;
  auto later = ot::black76(F, K, T - day, s, r, true);
  CHECK(later.price - c.price == Approx(c.theta).epsilon(1e-2));
  // Implied volatility inverts the price.
  CHECK(ot::implied_vol(c.price, F, K, T, r, true) == Approx(s).epsilon(1e-9));
  CHECK(ot::implied_vol(1e9, F, K, T, r, true) < 0);
  // Expired: intrinsic value.
  CHECK(ot::black76(F, K, 0, s, r, true).price == Approx(5));
  CHECK(ot::black76(F, K, -1, s, r, false).price == 0);
}

TEST_CASE("Greeks match Deribit on every ticker of the capture", "[risk][black76][deribit]") {
  std::ifstream in(ot::test::data_path("deribit.raw"));
  REQUIRE(in);
  auto venue = ot::find_venue("deribit");
  REQUIRE(venue);
  auto parser = venue->make_parser();
  TickerCollector tickers;
  std::string line;
  while (std::getline(in, line)) {
    ot::Nanos recv = 0;
    std::string_view frame;
    if (!ot::split_capture_line(line, recv, frame)) continue;
    ot::test::Padded padded{std::string(frame)};
    parser->parse(padded.view(), recv, tickers);
  }
  REQUIRE(tickers.rows.size() == 89);  // every ticker frame of the capture
  double worst_delta = 0, worst_gamma = 0, worst_mark = 0;
  for (const auto& row : tickers.rows) {
    INFO(row.symbol << " ts=" << row.ts);
    auto inst = ot::describe_instrument("deribit", row.symbol);
    REQUIRE(inst);
    REQUIRE(inst->option());
    const double t = ot::year_fraction(row.ts, inst->expiry);
    auto g =
        ot::black76(row.underlying, inst->strike, t, row.mark_iv / 100, row.rate, inst->call());
    CHECK(std::fabs(g.delta - row.delta) <= 0.0001);
    CHECK(std::fabs(g.gamma - row.gamma) <= 0.000005);
    CHECK(std::fabs(g.vega - row.vega) <= std::max(0.001 * std::fabs(row.vega), 0.000005));
    CHECK(std::fabs(g.price_coin - row.mark) <= 0.0003);
    // Deribit rounds theta to 5 decimals too; it is not in the published
    // tolerance list, but the model must land on the same value.
    CHECK(std::fabs(g.theta - row.theta) <= std::max(0.002 * std::fabs(row.theta), 0.00002));
    CHECK(g.delta_pa == Approx(g.delta - g.price_coin));
    worst_delta = std::max(worst_delta, std::fabs(g.delta - row.delta));
    worst_gamma = std::max(worst_gamma, std::fabs(g.gamma - row.gamma));
    worst_mark = std::max(worst_mark, std::fabs(g.price_coin - row.mark));
  }
  WARN("worst |delta| " << worst_delta << ", |gamma| " << worst_gamma << ", |mark| " << worst_mark);
}

// ---- the risk gate ----

#include "core/event_decoder.h"
#include "risk/limits.h"
#include "risk/risk_engine.h"

namespace {

struct Sink final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
  // Lines of one type since index `from`.
  std::vector<std::string> of(const std::string& type, std::size_t from = 0) const {
    std::vector<std::string> out;
    for (std::size_t i = from; i < lines.size(); ++i) {
      if (lines[i].find("{\"type\":\"" + type + "\"") == 0) out.push_back(lines[i]);
    }
    return out;
  }
};

struct Diag final : ot::Diagnostics {
  void error(std::string_view, std::string_view m) override { errors.emplace_back(m); }
  void warning(std::string_view, std::string_view) override {}
  std::vector<std::string> errors;
};

// Why a limits file is refused (the test fails if it is taken); a usage
// error, always.
std::string limits_error(std::string_view text) {
  const auto l = ot::parse_limits(text);
  if (l) FAIL("limits taken: " << text);
  CHECK(l.error().is_usage());
  return l.error().message();
}

struct Gate {
  explicit Gate(const char* toml) {
    limits = ot::test::must(ot::parse_limits(toml));
    engine = std::make_unique<ot::RiskEngine>(limits, out, diag);
  }
  void feed(const std::string& line) {
    ot::test::Padded p{line};
    engine->process_line(p.view(), "test", ++n);
  }
  void fill(const std::string& line) {
    ot::test::Padded p{line};
    engine->process_feedback(p.view());
  }
  // Sends an order; returns the reject reason ("" if it passed).
  std::string order(const std::string& id, const char* side, const char* qty, const char* price,
                    const char* symbol = "BTCUSDT", const char* venue = "binance") {
    const std::size_t before = out.lines.size();
    std::string line = std::string("{\"type\":\"order\",\"id\":\"") + id + "\",\"venue\":\"" +
                       venue + "\",\"symbol\":\"" + symbol + "\",\"side\":\"" + side +
                       "\",\"qty\":\"" + qty + "\"";
    line += price ? std::string(",\"price\":\"") + price + "\",\"kind\":\"limit\""
                  : std::string(",\"kind\":\"market\"");
    feed(line + ",\"ts\":" + std::to_string(ts) + "}");
    auto rejects = out.of("exec", before);
    if (rejects.empty()) {
      REQUIRE(out.of("order", before).size() == 1);
      return "";
    }
    const auto at = rejects[0].find("\"reason\":\"");
    return rejects[0].substr(at + 10, rejects[0].find('"', at + 10) - at - 10);
  }
  void bbo(const char* bid, const char* ask, const char* symbol = "BTCUSDT",
           const char* venue = "binance") {
    feed(std::string("{\"type\":\"bbo\",\"venue\":\"") + venue + "\",\"symbol\":\"" + symbol +
         "\",\"ts\":" + std::to_string(ts) + ",\"bid\":\"" + bid +
         "\",\"bid_qty\":\"1\",\"ask\":\"" + ask + "\",\"ask_qty\":\"1\"}");
  }
  std::int64_t seq = 0;
  void exec(const std::string& id, const char* status, const char* side, const char* price,
            const char* qty, const char* filled, const char* leaves, const char* symbol = "BTCUSDT",
            const char* venue = "binance") {
    std::string line = "{\"type\":\"exec\",\"id\":\"" + id + "\",\"venue\":\"" + venue +
                       "\",\"symbol\":\"" + symbol + "\",\"ts\":" + std::to_string(ts) +
                       ",\"side\":\"" + side + "\",\"status\":\"" + status + "\"";
    if (price)
      line += std::string(",\"price\":\"") + price + "\",\"qty\":\"" + qty + "\",\"fee\":\"0\"";
    line += std::string(",\"filled\":\"") + filled + "\",\"leaves\":\"" + leaves +
            "\",\"seq\":" + std::to_string(++seq) + "}";
    fill(line);
  }
  ot::RiskLimits limits;
  Sink out;
  Diag diag;
  std::unique_ptr<ot::RiskEngine> engine;
  std::uint64_t n = 0;
  ot::Nanos ts = 1'700'000'000'000'000'000;
};

}  // namespace

TEST_CASE("limits files: values, sections and errors", "[risk][limits]") {
  const ot::RiskLimits l = ot::test::must(ot::parse_limits(R"(
[account]
max_open_orders = 3
order_rate = 2.5
daily_loss = "100"
[defaults]
max_order_qty = "1.5"
price_collar_bps = 50
[symbols."binance:ETHUSDT"]
max_order_qty = "10"
[greeks."deribit:BTC"]
delta_band = 0.1
hedge_symbol = "BTC-PERPETUAL"
)"));
  CHECK(l.account.order_burst == 2.5);
  CHECK(l.for_symbol("binance", "ETHUSDT").max_order_qty->to_string() == "10");
  CHECK(l.for_symbol("binance", "ETHUSDT").price_collar_bps == 50);  // from defaults
  CHECK(l.for_symbol("okx", "ETHUSDT").max_order_qty->to_string() == "1.5");
  CHECK(l.for_underlying("deribit", "BTC")->hedge_symbol == "BTC-PERPETUAL");
  CHECK_THAT(limits_error("[defaults]\nmax_ordr_qty = \"1\"\n"),
             Catch::Contains("line 2") && Catch::Contains("max_ordr_qty"));
  CHECK_THAT(limits_error("[defaults]\nmax_order_qty = 1.5\n"), Catch::Contains("decimal"));
  // Floats beyond any integer: refused, never converted (that was undefined
  // behaviour, found by the config fuzz harness).
  CHECK_THAT(limits_error("[defaults]\nmax_notional = 444444444444444444444444444440.05\n"),
             Catch::Contains("decimal"));
  CHECK_THAT(limits_error("[account]\nmax_open_orders = 1e30\n"), Catch::Contains("integer"));
  CHECK_THAT(limits_error("[account]\nmax_open_orders = 20.0\n"), Catch::Contains("integer"));
  CHECK_FALSE(limits_error("[account\n").empty());
  CHECK_THAT(limits_error("[greeks.\"deribit:BTC\"]\ndelta_band = 1\n"),
             Catch::Contains("hedge_symbol"));
}

TEST_CASE("every pre-trade limit rejects with its reason", "[risk][limits]") {
  Gate g(R"(
[account]
max_open_orders = 10
order_rate = 1
order_burst = 3
[defaults]
max_order_qty = "2"
max_notional = "150000"
max_position = "3"
price_collar_bps = 100
max_open_orders = 4
)");
  CHECK_THAT(g.order("a", "buy", "1", "50000"), Catch::Contains("no reference price"));
  g.bbo("50000", "50001");
  CHECK(g.order("b", "buy", "1", "49990") == "");
  CHECK_THAT(g.order("c", "buy", "2.5", "49990"), Catch::Contains("max_order_qty"));
  CHECK_THAT(g.order("d", "buy", "1", "49000"), Catch::Contains("collar"));
  CHECK(g.order("e", "sell", "2", "50010") == "");
  CHECK_THAT(g.order("f", "sell", "1", "49990"), Catch::Contains("self-trade"));
  CHECK_THAT(g.order("f2", "buy", "1", "50010"), Catch::Contains("self-trade"));
  // Order rate: a burst of 3 (b, e, h), then one per second.
  CHECK(g.order("h", "buy", "1", "49980") == "");
  CHECK_THAT(g.order("h2", "buy", "1", "49980"), Catch::Contains("order rate"));
  g.ts += 2'000'000'000;
  g.bbo("50000", "50001");
  // Position: 1 held + 1 working bid + 2 would be 4 > 3.
  g.exec("b", "filled", "buy", "49990", "1", "1", "0");
  CHECK_THAT(g.order("j", "buy", "2", "49980"), Catch::Contains("max_position"));
  CHECK(g.order("k", "buy", "1", "49980") == "");
  CHECK(g.order("l", "sell", "1", "50020") == "");
  // Open orders per symbol: e, h, k, l.
  CHECK_THAT(g.order("l2", "sell", "1", "50020"), Catch::Contains("open orders"));
  CHECK_THAT(g.order("m", "buy", "1", "50000", "ETHUSDT"), Catch::Contains("no reference"));
  g.bbo("100000", "100001", "XBT");
  CHECK_THAT(g.order("n", "buy", "1.6", "100000", "XBT"), Catch::Contains("max_notional"));
  CHECK(g.engine->stats().rejected == 10);
  // Positions are announced on fills.
  auto pos = g.out.of("position");
  REQUIRE_FALSE(pos.empty());
  CHECK_THAT(pos.back(),
             Catch::Contains("\"qty\":\"1\"") && Catch::Contains("\"avg_price\":\"49990\""));
}

TEST_CASE("contract sizes: notional in contracts' value, unknown sizes refused",
          "[risk][limits][contracts]") {
  Gate g(R"(
[defaults]
max_notional = "1000"
[contracts]
"okx:SOL-USDT-SWAP" = "1"
)");
  // OKX BTC-USDT-SWAP counts contracts of 0.01 BTC: 3 are worth 900 USDT at
  // 30000, 4 are 1200.
  g.bbo("30000", "30000.1", "BTC-USDT-SWAP", "okx");
  CHECK(g.order("a", "buy", "3", "30000", "BTC-USDT-SWAP", "okx") == "");
  CHECK_THAT(g.order("b", "buy", "4", "30000", "BTC-USDT-SWAP", "okx"),
             Catch::Contains("notional 1200 above"));
  // Coin-margined: 10 BTC-USD-SWAP contracts are 1000 USD, 11 are 1100.
  g.bbo("30000", "30000.1", "BTC-USD-SWAP", "okx");
  CHECK(g.order("c", "buy", "10", "30000", "BTC-USD-SWAP", "okx") == "");
  CHECK_THAT(g.order("d", "buy", "11", "30000", "BTC-USD-SWAP", "okx"),
             Catch::Contains("notional 1100 above"));
  // Binance COIN-M ETHUSD_PERP: 10 USD a contract.
  g.bbo("2000", "2000.1", "ETHUSD_PERP", "binance-delivery");
  CHECK_THAT(g.order("e", "buy", "101", "2000", "ETHUSD_PERP", "binance-delivery"),
             Catch::Contains("notional 1010 above"));
  // A size the venue's rules do not fix: refused unless the limits give it.
  g.bbo("1", "1.001", "DOGE-USDT-SWAP", "okx");
  CHECK_THAT(g.order("f", "buy", "1", "1", "DOGE-USDT-SWAP", "okx"),
             Catch::Contains("contract size of okx DOGE-USDT-SWAP unknown") &&
                 Catch::Contains("[contracts]"));
  g.bbo("100", "100.01", "SOL-USDT-SWAP", "okx");
  CHECK(g.order("h", "buy", "10", "100", "SOL-USDT-SWAP", "okx") == "");
  CHECK(ot::contract_size("okx", "SOL-USDT-SWAP")->to_string() == "1");

  CHECK_THAT(limits_error("[contracts]\nSOL-USDT-SWAP = \"1\"\n"),
             Catch::Contains("line 2") && Catch::Contains("venue:symbol"));
  CHECK_THAT(limits_error("[contracts]\n\"okx:X-USDT-SWAP\" = \"0\"\n"),
             Catch::Contains("positive"));
  CHECK_THAT(limits_error("[contracts]\n\"okx:X-USDT-SWAP\" = 0.5\n"), Catch::Contains("decimal"));
}

TEST_CASE("kill switch: control message, kill file, loss limit", "[risk][kill]") {
  Gate g(R"(
[account]
daily_loss = "100"
[defaults]
max_order_qty = "10"
)");
  g.bbo("100", "101");
  CHECK(g.order("a", "buy", "5", "99") == "");
  CHECK(g.order("b", "buy", "5", "98") == "");
  const std::size_t before = g.out.lines.size();
  g.feed(R"({"type":"control","command":"kill","detail":"operator"})");
  auto cancels = g.out.of("cancel", before);
  CHECK(cancels.size() == 2);
  auto st = g.out.of("status", before);
  REQUIRE(st.size() == 1);
  CHECK_THAT(st[0], Catch::Contains("\"event\":\"kill\"") && Catch::Contains("operator"));
  CHECK_THAT(g.order("c", "buy", "1", "99"), Catch::Contains("kill switch"));
  g.feed(R"({"type":"control","command":"resume"})");
  CHECK(g.order("c2", "buy", "1", "99") == "");
  // Loss limit: bought 5 at 99 (a), marked down to 70: −145 ≤ −100.
  g.exec("a", "filled", "buy", "99", "5", "5", "0");
  CHECK_FALSE(g.engine->killed());
  g.bbo("70", "70.5");
  CHECK(g.engine->killed());
  CHECK_THAT(g.out.of("status").back(), Catch::Contains("daily loss"));
  // Kill file.
  Gate f("[account]\nkill_file = \"/tmp/ot-risk-test-kill\"\n");
  std::remove("/tmp/ot-risk-test-kill");
  f.engine->check_kill_file();
  CHECK_FALSE(f.engine->killed());
  { std::ofstream("/tmp/ot-risk-test-kill") << "stop\n"; }
  f.engine->check_kill_file();
  CHECK(f.engine->killed());
  // Polled: one look per 100 ms.
  Gate p("[account]\nkill_file = \"/tmp/ot-risk-test-kill\"\n");
  std::remove("/tmp/ot-risk-test-kill");
  p.engine->poll_kill_file(1'000'000'000);
  { std::ofstream("/tmp/ot-risk-test-kill") << "stop\n"; }
  p.engine->poll_kill_file(1'050'000'000);
  CHECK_FALSE(p.engine->killed());
  p.engine->poll_kill_file(1'100'000'000);
  CHECK(p.engine->killed());
  std::remove("/tmp/ot-risk-test-kill");
}

TEST_CASE("delta hedging keeps an options book inside its band", "[risk][hedge][deribit]") {
  Gate g(R"(
[greeks."deribit:BTC"]
delta_band = 0.05
hedge_symbol = "BTC-PERPETUAL"
max_gamma = 0.002
)");
  // Tickers of the capture price the options.
  std::ifstream in(ot::test::data_path("deribit.raw"));
  auto parser = ot::find_venue("deribit")->make_parser();
  Sink events;
  ot::EventEncoder enc(events);
  std::string line;
  while (std::getline(in, line)) {
    ot::Nanos recv = 0;
    std::string_view frame;
    if (!ot::split_capture_line(line, recv, frame)) continue;
    ot::test::Padded padded{std::string(frame)};
    parser->parse(padded.view(), recv, enc);
  }
  auto tickers = events.of("ticker");
  REQUIRE(tickers.size() == 89);
  std::size_t i = 0;
  auto next_tickers = [&](std::size_t n) {
    for (std::size_t k = 0; k < n && i < tickers.size(); ++k) g.feed(tickers[i++]);
  };
  next_tickers(30);
  g.ts = 1626993730000000000;
  g.bbo("32100", "32100.5", "BTC-PERPETUAL", "deribit");
  // Sell 10 calls (delta about −10 × 0.2x).
  REQUIRE(g.order("opt", "sell", "10", "0.05", "BTC-25MAR22-30000-C", "deribit") == "");
  g.exec("opt", "filled", "sell", "0.2", "10", "10", "0", "BTC-25MAR22-30000-C", "deribit");
  const auto* pf = g.engine->portfolio("deribit:BTC");
  REQUIRE(pf != nullptr);
  const double before = pf->delta;
  CHECK(before < -0.5);
  auto hedges = g.out.of("order");
  REQUIRE(hedges.size() == 2);  // the option order, then the hedge
  const std::string& h = hedges.back();
  CHECK_THAT(
      h, Catch::Contains("\"symbol\":\"BTC-PERPETUAL\"") && Catch::Contains("\"side\":\"buy\""));
  // USD size: delta × F rounded to 10 USD contracts.
  ot::EventDecoder d({ot::EventType::order});
  ot::DecodedEvent ev;
  ot::test::Padded hp{h};
  REQUIRE(d.decode(hp.view(), ev));
  const double usd = ev.order.qty.to_double();
  CHECK(std::fmod(usd, 10.0) == 0);
  CHECK(usd == Approx(std::round(-before * 32100.25 / 10) * 10));
  // No second hedge while the first works.
  next_tickers(10);
  CHECK(g.out.of("order").size() == 2);
  // The hedge fills: the book is back inside the band.
  const std::string hid(ev.order.id);
  const std::string qty = ev.order.qty.to_string();
  g.exec(hid, "filled", "buy", "32100.5", qty.c_str(), qty.c_str(), "0", "BTC-PERPETUAL",
         "deribit");
  CHECK(std::fabs(g.engine->portfolio("deribit:BTC")->delta) <= 0.05);
  // Later tickers move the greeks; whenever the band is left, a hedge follows.
  next_tickers(tickers.size());
  const bool inside = std::fabs(g.engine->portfolio("deribit:BTC")->delta) <= 0.05;
  CHECK((inside || g.out.of("order").size() > 2));
  // Gamma limit: buying 1000 calls would break max_gamma.
  CHECK_THAT(g.order("big", "buy", "1000", "0.2", "BTC-25MAR22-30000-C", "deribit"),
             Catch::Contains("gamma"));
  CHECK_FALSE(g.out.of("greeks").empty());
  // The greeks events say how the underlying is hedged.
  CHECK_THAT(g.out.of("greeks").back(), Catch::Contains(R"("hedge":"BTC-PERPETUAL")") &&
                                            Catch::Contains(R"("delta_target":0,)") &&
                                            Catch::Contains(R"("delta_band":0.05)"));
}

TEST_CASE("OKX options: greeks from opt-summary, a hedge in whole swap contracts",
          "[risk][hedge][okx]") {
  Gate g(R"(
[greeks."okx:BTC-USD"]
delta_band = 0.05
hedge_symbol = "BTC-USD-SWAP"
max_vega = 1000
)");
  // OKX's sample push, through the venue's parser.
  std::ifstream in(ot::test::data_path("okx/ws_opt_summary.json"));
  std::stringstream items;
  items << in.rdbuf();
  ot::test::Padded frame(R"({"arg":{"channel":"opt-summary","instFamily":"BTC-USD"},"data":)" +
                         items.str() + "}");
  Sink events;
  ot::EventEncoder enc(events);
  REQUIRE(ot::find_venue("okx")->make_parser()->parse(frame.view(), 1, enc).kind ==
          ot::FrameKind::data);
  const auto tickers = events.of("ticker");
  REQUIRE(tickers.size() == 2);
  g.ts = 1711612800000000000;  // the push's time: a year before expiry
  for (const auto& t : tickers) g.feed(t);
  g.bbo("92100", "92101", "BTC-USD-SWAP", "okx");
  // Sell 100 calls of 0.01 BTC: one BTC of calls.
  REQUIRE(g.order("opt", "sell", "100", "0.1", "BTC-USD-250328-92000-C", "okx") == "");
  g.exec("opt", "filled", "sell", "0.1", "100", "100", "0", "BTC-USD-250328-92000-C", "okx");
  const auto* pf = g.engine->portfolio("okx:BTC-USD");
  REQUIRE(pf != nullptr);
  // Black-76 at 53 % over 365 days, premium-adjusted (coin-margined):
  // N(d1) − V/F, times −1 BTC.
  const auto want = ot::black76(92150.50, 92000, 1.0, 0.53, 0, true);
  CHECK(pf->delta == Approx(-want.delta_pa));
  CHECK(pf->vega == Approx(-want.vega));
  CHECK_THAT(g.out.of("greeks").back(), Catch::Contains(R"("underlying":"BTC-USD")"));
  auto hedges = g.out.of("order");
  REQUIRE(hedges.size() == 2);
  // Whole contracts of 100 USD: delta × F / 100.
  ot::EventDecoder d({ot::EventType::order});
  ot::DecodedEvent ev;
  ot::test::Padded hp{hedges.back()};
  REQUIRE(d.decode(hp.view(), ev));
  CHECK(ev.order.symbol == "BTC-USD-SWAP");
  CHECK(ev.order.side == ot::Side::buy);
  CHECK(ev.order.qty.scale == 0);
  CHECK(ev.order.qty.to_double() == std::round(-pf->delta * 92100.5 / 100));
  // The vega limit counts contracts at their size: 0.01 BTC each.
  const double room = 1000 + pf->vega;  // vega left before the limit
  const long under = static_cast<long>(room / (want.vega * 0.01)) - 10;
  CHECK(g.order("fits", "sell", std::to_string(under).c_str(), "0.1", "BTC-USD-250328-92000-C",
                "okx") == "");
  const long over = under + 1000;
  CHECK_THAT(
      g.order("big", "sell", std::to_string(over).c_str(), "0.1", "BTC-USD-250328-92000-C", "okx"),
      Catch::Contains("vega"));
}

TEST_CASE("reduce_only orders may only reduce the position", "[risk][limits]") {
  Gate g("");
  g.bbo("50000", "50001");
  auto reduce = [&](const std::string& id, const char* side, const char* qty) {
    g.feed("{\"type\":\"order\",\"id\":\"" + id +
           "\",\"venue\":\"binance\",\"symbol\":\"BTCUSDT\",\"side\":\"" + side + "\",\"qty\":\"" +
           qty + "\",\"kind\":\"market\",\"reduce_only\":true}");
    auto r = g.out.of("exec");
    return !r.empty() && r.back().find("\"id\":\"" + id + "\"") != std::string::npos;
  };
  CHECK(reduce("r1", "sell", "1"));  // flat: nothing to reduce
  CHECK(g.order("b", "buy", "2", "50000") == "");
  g.exec("b", "filled", "buy", "50000", "2", "2", "0");
  CHECK(reduce("r2", "buy", "1"));   // long: a buy would add
  CHECK(reduce("r3", "sell", "3"));  // would flip to short
  CHECK_FALSE(reduce("r4", "sell", "1.5"));
  CHECK(reduce("r5", "sell", "1"));  // with r4 working: 2.5 > 2
  CHECK_FALSE(reduce("r6", "sell", "0.5"));
  CHECK(g.engine->stats().rejected == 4);
}

TEST_CASE("the gate answers unreadable requests and refused amends by id", "[risk][orders]") {
  Gate g("");
  g.bbo("50000", "50001");
  g.feed(R"({"type":"order","id":"x","venue":"binance","symbol":"BTCUSDT","qty":"1","price":"1"})");
  auto e = g.out.of("exec");
  REQUIRE(e.size() == 1);
  CHECK_THAT(e[0], Catch::Contains("\"id\":\"x\"") && Catch::Contains("\"status\":\"rejected\"") &&
                       Catch::Contains("field 'side': missing"));
  CHECK(g.out.of("order").empty());
  CHECK(g.order("ok", "buy", "1", "50000") == "");
  g.feed(R"({"type":"amend","id":"ok","price":"-1"})");
  e = g.out.of("exec");
  REQUIRE(e.size() == 2);
  // Restated, not rejected: the order still works at the venue.
  CHECK_THAT(e[1], Catch::Contains("\"status\":\"new\"") && Catch::Contains("\"leaves\":\"1\"") &&
                       Catch::Contains("amend rejected: price must be positive"));
  CHECK(g.out.of("amend").empty());
  CHECK(g.order("ok", "buy", "1", "50000") == "duplicate client order id");
  CHECK_THAT(g.out.of("exec").back(), Catch::Contains("\"status\":\"new\""));
}

TEST_CASE("a restarted gate adopts orders from their executions, each fill once",
          "[risk][orders]") {
  // A gate restarted reads the executions again from the stream's start:
  // orders its predecessor approved are known from their reports.
  Gate g("[account]\nmax_open_orders = 2\n");
  g.bbo("50000", "50001");
  g.exec("old1", "new", "buy", nullptr, nullptr, "0", "3");
  g.exec("old1", "partial", "buy", "50000", "1", "1", "2");
  g.exec("old1", "partial", "buy", "50000", "1", "1", "2");  // the same fill again
  g.exec("old2", "new", "sell", nullptr, nullptr, "0", "1");
  g.exec("gone", "rejected", "sell", nullptr, nullptr, "0", "0");  // never working: not kept
  CHECK(g.engine->stats().adopted == 2);
  CHECK(g.engine->stats().fills == 1);
  const auto positions = g.out.of("position");
  REQUIRE(positions.size() == 1);
  CHECK_THAT(positions.back(), Catch::Contains("\"qty\":\"1\""));
  // Both adopted orders are working: the open-orders limit counts them, and
  // a redelivered old order is restated, not approved again.
  CHECK_THAT(g.order("n1", "buy", "1", "50000"), Catch::Contains("open orders"));
  const std::size_t before = g.out.lines.size();
  g.feed(
      R"({"type":"order","id":"old1","venue":"binance","symbol":"BTCUSDT","side":"buy","qty":"3","price":"50000","kind":"limit"})");
  const auto restated = g.out.of("exec", before);
  REQUIRE(restated.size() == 1);
  CHECK_THAT(restated[0],
             Catch::Contains("\"status\":\"partial\"") && Catch::Contains("\"filled\":\"1\""));
  CHECK(g.out.of("order", before).empty());
}
