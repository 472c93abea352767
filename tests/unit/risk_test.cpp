#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "core/decimal.h"
#include "feed/replay.h"
#include "risk/black76.h"
#include "test_util.h"
#include "venues/deribit/instrument.h"
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

TEST_CASE("Deribit instrument names", "[risk][deribit]") {
  auto o = ot::deribit::parse_instrument("BTC-27DEC24-60000-C");
  REQUIRE(o);
  CHECK(o->kind == ot::deribit::InstrumentKind::option);
  CHECK(o->currency == "BTC");
  CHECK(o->strike == 60000);
  CHECK(o->call);
  CHECK(o->underlying_future == "BTC-27DEC24");
  // 2024-12-27 08:00:00 UTC
  CHECK(o->expiry == 1735286400LL * 1'000'000'000LL);
  auto p = ot::deribit::parse_instrument("ETH-5JAN25-3500-P");
  REQUIRE(p);
  CHECK_FALSE(p->call);
  CHECK(p->expiry == 1736064000LL * 1'000'000'000LL);
  auto x = ot::deribit::parse_instrument("XRP_USDC-30JUN25-0d625-C");
  REQUIRE(x);
  CHECK(x->strike == Approx(0.625));
  CHECK_FALSE(x->inverse);
  auto f = ot::deribit::parse_instrument("BTC-27DEC24");
  REQUIRE(f);
  CHECK(f->kind == ot::deribit::InstrumentKind::future);
  auto perp = ot::deribit::parse_instrument("BTC-PERPETUAL");
  REQUIRE(perp);
  CHECK(perp->kind == ot::deribit::InstrumentKind::perpetual);
  for (const char* bad : {"", "BTC", "BTC-32DEC24-1-C", "BTC-27XXX24-1-C", "BTC-27DEC24-1-X",
                          "BTC-27DEC24-abc-C", "-PERPETUAL"}) {
    CHECK_FALSE(ot::deribit::parse_instrument(bad));
  }
}

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
    auto inst = ot::deribit::parse_instrument(row.symbol);
    REQUIRE(inst);
    REQUIRE(inst->kind == ot::deribit::InstrumentKind::option);
    const double t = ot::year_fraction(row.ts, inst->expiry);
    auto g = ot::black76(row.underlying, inst->strike, t, row.mark_iv / 100, row.rate, inst->call);
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
  WARN("worst |delta| " << worst_delta << ", |gamma| " << worst_gamma << ", |mark| "
                        << worst_mark);
}
