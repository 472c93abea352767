// Bars and indicators (lib/bars): the indicators against their textbook
// definitions and published worked examples, warm-up included; the bar
// builder's kinds and rules; the engine's lines; the candle CSV both ways.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "bars/bar_builder.h"
#include "bars/bar_engine.h"
#include "bars/candle_csv.h"
#include "core/event_decoder.h"
#include "io/input.h"
#include "test_util.h"

using namespace ot;
using namespace ot::test;

namespace {

IndicatorSpec spec_of(std::string_view text) {
  auto list = parse_indicators(text);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  return list->front();
}

std::vector<std::optional<double>> run(std::string_view text, const std::vector<double>& closes) {
  Indicator ind(spec_of(text));
  std::vector<std::optional<double>> out;
  for (double c : closes) out.push_back(ind.update(BarSample{0, c, 0, 0}));
  return out;
}

struct Collect final : BarSink {
  struct Row {
    Nanos start, end, ts;
    std::string open, high, low, close, volume, buy_volume, vwap;
    std::uint64_t trades;
    bool forming;
    std::vector<std::optional<double>> indicators;
  };
  std::vector<Row> bars;
  void on_bar(const Bar& b) override {
    bars.push_back(
        Row{b.start, b.end, b.ts, b.open.to_string(), b.high.to_string(), b.low.to_string(),
            b.close.to_string(), b.volume.to_string(), b.buy_volume.to_string(),
            b.vwap().to_string(), b.trades, b.forming,
            std::vector<std::optional<double>>(b.indicators.begin(), b.indicators.end())});
  }
};

constexpr Nanos kS = 1'000'000'000LL;

}  // namespace

TEST_CASE("indicator lists parse, and bad ones say why", "[bars][indicators]") {
  auto list = parse_indicators("ema:20,rsi:14,vwap,vol:60,sma:5,vwap:3");
  REQUIRE(list);
  std::vector<std::string> names;
  for (const auto& s : *list) names.push_back(s.name);
  CHECK(names ==
        std::vector<std::string>{"ema_20", "rsi_14", "vwap_day", "vol_60", "sma_5", "vwap_3"});
  CHECK(parse_indicators("")->empty());
  CHECK_FALSE(parse_indicators("ema"));
  CHECK_FALSE(parse_indicators("ema:0"));
  CHECK_FALSE(parse_indicators("ema:2x"));
  CHECK_FALSE(parse_indicators("macd:12"));
  CHECK_FALSE(parse_indicators("ema:5,ema:5"));
  CHECK_FALSE(parse_indicators("ema:5,"));
  CHECK(parse_indicators("macd:12").error().message().find("unknown indicator 'macd'") !=
        std::string::npos);
}

TEST_CASE("SMA and EMA follow the textbook, seeding and warm-up included", "[bars][indicators]") {
  const auto sma = run("sma:3", {1, 2, 3, 4, 5, 6});
  CHECK_FALSE(sma[0]);
  CHECK_FALSE(sma[1]);
  CHECK(*sma[2] == Approx(2));
  CHECK(*sma[5] == Approx(5));
  // StockCharts' ChartSchool worked example: a 10-day EMA seeded with the
  // 10-day SMA, values as published (2 decimals).
  const std::vector<double> closes = {22.27, 22.19, 22.08, 22.17, 22.18, 22.13, 22.23, 22.43,
                                      22.24, 22.29, 22.15, 22.39, 22.38, 22.61, 23.36, 24.05,
                                      23.75, 23.83, 23.95, 23.63, 23.82, 23.87, 23.65, 23.19,
                                      23.10, 23.33, 22.68, 23.10, 22.40, 22.17};
  const std::vector<double> published = {22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.80,
                                         22.97, 23.13, 23.28, 23.34, 23.43, 23.51, 23.54,
                                         23.47, 23.40, 23.39, 23.26, 23.23, 23.08, 22.92};
  const auto ema = run("ema:10", closes);
  for (int i = 0; i < 9; ++i) CHECK_FALSE(ema[static_cast<std::size_t>(i)]);
  for (std::size_t i = 0; i < published.size(); ++i) {
    INFO("bar " << i + 10);
    REQUIRE(ema[i + 9]);
    CHECK(std::abs(*ema[i + 9] - published[i]) <= 0.011);
  }
}

TEST_CASE("RSI is Wilder's, as in the published worked example", "[bars][indicators]") {
  // StockCharts' ChartSchool RSI example (14 periods): the first value at
  // the 15th close, then Wilder's smoothing; values as published.
  const std::vector<double> closes = {44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955,
                                      45.4245, 45.8433, 46.0826, 45.8931, 46.0328, 45.6140, 46.2820,
                                      46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122,
                                      46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783,
                                      44.2181, 44.5672, 43.4205, 42.6628, 43.1314};
  const std::vector<double> published = {70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93,
                                         63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46,
                                         41.87, 45.46, 37.30, 33.08, 37.77};
  const auto rsi = run("rsi:14", closes);
  for (int i = 0; i < 14; ++i) CHECK_FALSE(rsi[static_cast<std::size_t>(i)]);
  for (std::size_t i = 0; i < published.size(); ++i) {
    INFO("bar " << i + 15);
    REQUIRE(rsi[i + 14]);
    CHECK(std::abs(*rsi[i + 14] - published[i]) <= 0.006);
  }
  // No losses: 100; no change at all: 50.
  CHECK(*run("rsi:2", {1, 2, 3}).back() == 100);
  CHECK(*run("rsi:2", {5, 5, 5}).back() == 50);
}

TEST_CASE("realised volatility is sqrt(sum r^2) of the last N log returns", "[bars][indicators]") {
  const std::vector<double> c = {100, 101, 99.5, 102, 102, 98, 100.25};
  const auto vol = run("vol:3", c);
  for (int i = 0; i < 3; ++i) CHECK_FALSE(vol[static_cast<std::size_t>(i)]);
  for (std::size_t i = 3; i < c.size(); ++i) {
    double sum = 0;
    for (std::size_t k = i - 2; k <= i; ++k) sum += std::pow(std::log(c[k] / c[k - 1]), 2);
    CHECK(*vol[i] == Approx(std::sqrt(sum)).epsilon(1e-12));
  }
}

TEST_CASE("VWAP over N bars and over the UTC day", "[bars][indicators]") {
  Indicator rolling(spec_of("vwap:2")), day(spec_of("vwap"));
  const Nanos d = 86400 * kS;
  struct In {
    Nanos start;
    double volume, notional;
  };
  const std::vector<In> in = {
      {d - 60 * kS, 2, 200}, {d, 1, 110}, {d + 60 * kS, 0, 0}, {d + 120 * kS, 3, 330}};
  std::vector<std::optional<double>> r, s;
  for (const auto& b : in) {
    r.push_back(rolling.update(BarSample{b.start, 1, b.volume, b.notional}));
    s.push_back(day.update(BarSample{b.start, 1, b.volume, b.notional}));
  }
  CHECK_FALSE(r[0]);
  CHECK(*r[1] == Approx(310.0 / 3));
  CHECK(*r[2] == Approx(110.0));
  CHECK(*r[3] == Approx(110.0));
  CHECK(*s[0] == Approx(100.0));
  CHECK(*s[1] == Approx(110.0));  // a new day starts afresh
  CHECK(*s[2] == Approx(110.0));
  CHECK(*s[3] == Approx(440.0 / 4));
  Indicator none(spec_of("vwap:1"));
  CHECK_FALSE(none.update(BarSample{0, 1, 0, 0}));  // no volume: null
}

TEST_CASE("peek gives what update would, and changes nothing", "[bars][indicators]") {
  for (const char* text : {"sma:4", "ema:4", "rsi:4", "vol:4", "vwap:4", "vwap"}) {
    INFO(text);
    Indicator a(spec_of(text)), b(spec_of(text));
    for (int i = 0; i < 40; ++i) {
      const BarSample s{i * 60 * kS, 100 + std::sin(i) * 5, 1.0 + i % 3, (100 + i) * (1.0 + i % 3)};
      const auto peeked = a.peek(s);
      (void)a.peek(BarSample{s.start, 1, 1, 1});  // a forming bar that moved on
      const auto updated = a.update(s);
      CHECK(peeked == updated);
      CHECK(b.update(s) == updated);
    }
  }
}

TEST_CASE("a long window keeps its sum exact across laps", "[bars][indicators]") {
  Indicator sma(spec_of("sma:7"));
  std::optional<double> last;
  for (int i = 0; i < 200000; ++i) last = sma.update(BarSample{0, 0.1 * (i % 13) + 1e6, 0, 0});
  double want = 0;
  for (int i = 200000 - 7; i < 200000; ++i) want += 0.1 * (i % 13) + 1e6;
  CHECK(*last == Approx(want / 7).epsilon(1e-15));
}

TEST_CASE("time bars: OHLCV, vwap, counts, empty intervals and the last bar", "[bars]") {
  BarSpec spec;
  spec.indicators = *parse_indicators("sma:2");
  Collect c;
  BarBuilder b(spec, "binance", "BTCUSDT");
  const Nanos t0 = 1'699'999'980 * kS;  // a whole minute
  b.on_trade(t0 + 1 * kS, 0, dec("100.10"), dec("0.5"), Side::buy, c);
  b.on_trade(t0 + 2 * kS, 0, dec("101.00"), dec("1"), Side::sell, c);
  b.on_trade(t0 + 3 * kS, 0, dec("99.5"), dec("0.25"), Side::buy, c);
  b.on_trade(t0 + 59 * kS, 0, dec("100"), dec("0"), Side::buy, c);
  CHECK(c.bars.empty());
  b.on_trade(t0 + 180 * kS, 0, dec("102"), dec("2"), Side::buy, c);  // two minutes empty
  REQUIRE(c.bars.size() == 3);
  const auto& first = c.bars[0];
  CHECK(first.start == t0);
  CHECK(first.end == t0 + 60 * kS);
  CHECK(first.ts == first.end);
  CHECK(first.open == "100.10");
  CHECK(first.high == "101.00");
  CHECK(first.low == "99.5");
  CHECK(first.close == "100");
  CHECK(first.volume == "1.75");
  CHECK(first.buy_volume == "0.75");
  CHECK(first.trades == 4);
  // (100.10*0.5 + 101*1 + 99.5*0.25) / 1.75 = 175.925 / 1.75
  CHECK(first.vwap == "100.5285714286");
  CHECK_FALSE(first.indicators[0]);
  for (int i = 1; i <= 2; ++i) {
    const auto& e = c.bars[static_cast<std::size_t>(i)];
    CHECK(e.start == t0 + i * 60 * kS);
    CHECK(e.open == "100");
    CHECK(e.close == "100");
    CHECK(e.volume == "0");
    CHECK(e.trades == 0);
    CHECK(e.vwap == "100");
  }
  CHECK(*c.bars[1].indicators[0] == Approx(100));
  // A trade stamped before its bar counts in the bar in progress.
  b.on_trade(t0 + 170 * kS, 0, dec("103"), dec("1"), Side::sell, c);
  CHECK(b.late() == 1);
  b.finish(c);
  REQUIRE(c.bars.size() == 4);
  CHECK(c.bars[3].start == t0 + 180 * kS);
  CHECK(c.bars[3].close == "103");
  CHECK(c.bars[3].volume == "3");
  CHECK(c.bars[3].trades == 2);
}

TEST_CASE("volumes are exact sums, however many digits they take", "[bars]") {
  BarSpec spec;
  Collect c;
  BarBuilder b(spec, "v", "s");
  for (int i = 1; i <= 4; ++i) {
    b.on_trade(i * kS, 0, dec("1"), dec("50972.2792843750075"), Side::buy, c);
  }
  b.finish(c);
  REQUIRE(c.bars.size() == 1);
  CHECK(c.bars[0].volume == "203889.11713750003");  // 19 digits on the way
  Lines out;
  Quiet diag;
  BarEngineOptions opt;
  BarEngine engine(opt, out, diag);
  for (int i = 1; i <= 3; ++i) {
    const Padded line(
        R"({"type":"trade","venue":"v","symbol":"s","ts":1000000000,"price":"1","qty":"50972.2792843750075","side":"buy","id":"1"})");
    engine.process_line(line.view(), "in", 1);
  }
  engine.finish();
  CHECK(out.lines.back().find(R"("volume":"152916.8378531250225")") != std::string::npos);
}

TEST_CASE("time bars skip empty intervals on request, and long gaps always", "[bars]") {
  BarSpec spec;
  spec.fill_empty = false;
  Collect c;
  BarBuilder b(spec, "v", "s");
  b.on_trade(10 * kS, 0, dec("1"), dec("1"), Side::buy, c);
  b.on_trade(200 * kS, 0, dec("2"), dec("1"), Side::buy, c);
  b.finish(c);
  REQUIRE(c.bars.size() == 2);
  CHECK(c.bars[1].start == 180 * kS);

  BarSpec capped;
  capped.max_fill = 2;
  Collect d;
  BarBuilder e(capped, "v", "s");
  e.on_trade(10 * kS, 0, dec("1"), dec("1"), Side::buy, d);
  e.on_trade(200 * kS, 0, dec("2"), dec("1"), Side::buy, d);  // 2 empty: filled
  e.on_trade(600 * kS, 0, dec("3"), dec("1"), Side::buy, d);  // 6 empty: skipped
  CHECK(d.bars.size() == 4);
  CHECK(e.unfilled() == 6);
}

TEST_CASE("tick, volume and dollar bars close on their threshold", "[bars]") {
  const std::vector<std::pair<const char*, const char*>> trades = {
      {"10", "1"}, {"11", "2"}, {"12", "1.5"}, {"13", "0.5"}, {"9", "3"}};
  auto build = [&](BarKind kind, const char* size) {
    BarSpec spec;
    spec.kind = kind;
    spec.size = dec(size);
    Collect c;
    BarBuilder b(spec, "v", "s");
    Nanos t = 5 * kS;
    for (const auto& [p, q] : trades) b.on_trade(t += kS, 0, dec(p), dec(q), Side::buy, c);
    b.finish(c);
    return c.bars;
  };
  const auto tick = build(BarKind::tick, "2");
  REQUIRE(tick.size() == 3);
  CHECK(tick[0].start == 6 * kS);
  CHECK(tick[0].end == 7 * kS);
  CHECK(tick[0].close == "11");
  CHECK(tick[2].trades == 1);  // the end of the input closes the rest
  const auto volume = build(BarKind::volume, "2.5");
  REQUIRE(volume.size() == 2);
  CHECK(volume[0].volume == "3");  // the crossing trade is in the bar whole
  CHECK(volume[1].volume == "5");
  const auto dollar = build(BarKind::dollar, "40");
  REQUIRE(dollar.size() == 2);
  CHECK(dollar[0].trades == 3);              // 10 + 22 + 18 = 50 >= 40
  CHECK(dollar[0].vwap == "11.1111111111");  // 50 / 4.5
}

TEST_CASE("a forming bar carries peeked indicators; the closed bar follows", "[bars]") {
  BarSpec spec;
  spec.interval = 60 * kS;
  spec.indicators = *parse_indicators("sma:1");
  Collect c;
  BarBuilder b(spec, "v", "s");
  b.on_trade(1 * kS, 0, dec("5"), dec("1"), Side::buy, c);
  REQUIRE(b.write_forming(c));
  b.on_trade(2 * kS, 0, dec("6"), dec("1"), Side::buy, c);
  REQUIRE(b.write_forming(c));
  b.finish(c);
  REQUIRE(c.bars.size() == 3);
  CHECK(c.bars[0].forming);
  CHECK(*c.bars[0].indicators[0] == 5);
  CHECK(*c.bars[1].indicators[0] == 6);
  CHECK_FALSE(c.bars[2].forming);
  CHECK(c.bars[2].close == "6");
  CHECK(*c.bars[2].indicators[0] == 6);
  CHECK_FALSE(b.write_forming(c));
}

TEST_CASE("intervals parse with their units", "[bars]") {
  CHECK(*parse_interval("500ms") == 500'000'000);
  CHECK(*parse_interval("10s") == 10 * kS);
  CHECK(*parse_interval("1m") == 60 * kS);
  CHECK(*parse_interval("4h") == 4 * 3600 * kS);
  CHECK(*parse_interval("1d") == 86400 * kS);
  for (const char* bad : {"", "m", "0m", "-1m", "1x", "1.5m", "1000000d"}) {
    INFO(bad);
    CHECK_FALSE(parse_interval(bad));
  }
}

TEST_CASE("the engine passes every line, then writes the bars it closed", "[bars]") {
  Lines out;
  Quiet diag;
  BarEngineOptions opt;
  opt.spec.indicators = *parse_indicators("ema:2");
  BarEngine engine(opt, out, diag);
  const std::vector<std::string> in = {
      R"({"type":"book","venue":"x","symbol":"A","ts":1,"bids":[],"asks":[]})",
      R"({"type":"trade","venue":"x","symbol":"A","ts":60000000000,"price":"10","qty":"1","side":"buy","id":"1"})",
      R"({"type":"trade","venue":"x","symbol":"A","ts":120000000001,"price":"11","qty":"2","side":"sell","id":"2"})",
      R"({"type":"trade","venue":"x","symbol":"A","ts":120000000002,"price":"-1","qty":"2","side":"sell","id":"3"})",
      R"(not json)"};
  for (std::size_t i = 0; i < in.size(); ++i) {
    engine.process_line(Padded(in[i]).view(), "in", i + 1);
  }
  engine.finish();
  REQUIRE(out.lines.size() == 6);
  for (std::size_t i = 0; i < 3; ++i) CHECK(out.lines[i] == in[i]);
  CHECK(
      out.lines[3] ==
      R"({"type":"bar","venue":"x","symbol":"A","ts":120000000000,"kind":"time","interval":"1m","source":"trade","start":60000000000,"end":120000000000,"open":"10","high":"10","low":"10","close":"10","volume":"1","buy_volume":"1","trades":1,"vwap":"10","ema_2":null})");
  CHECK(out.lines[4] == in[3]);
  CHECK(out.lines[5].find(R"("start":120000000000,)") != std::string::npos);
  CHECK(out.lines[5].find(R"("ema_2":"10.5")") != std::string::npos);
  REQUIRE(diag.errors.size() == 2);
  CHECK(diag.errors[0] == "in:4: trade price is not a positive decimal (not in a bar)");
  CHECK(diag.errors[1].rfind("in:5: malformed event", 0) == 0);
  CHECK(engine.stats().bars == 2);
  CHECK(engine.stats().skipped == 1);
}

TEST_CASE("candle CSV rows read back as the bars they came from", "[bars][candles]") {
  Lines out;
  Quiet diag;
  BarEngineOptions opt;
  opt.format = BarFormat::csv;
  opt.spec.kind = BarKind::tick;
  opt.spec.size = dec("2");
  opt.spec.indicators = *parse_indicators("sma:2");
  BarEngine engine(opt, out, diag);
  const char* trades[] = {
      R"({"type":"trade","venue":"x","symbol":"A","ts":1700000000123456789,"price":"10.5","qty":"1","side":"buy","id":"1"})",
      R"({"type":"trade","venue":"x","symbol":"A","ts":1700000001000000000,"price":"11","qty":"2","side":"sell","id":"2"})",
      R"({"type":"trade","venue":"y","symbol":"B","ts":1700000001000000000,"price":"1","qty":"2","side":"sell","id":"2"})",
      R"({"type":"trade","venue":"x","symbol":"A","ts":1700000002500000000,"price":"12","qty":"1","side":"sell","id":"3"})"};
  std::uint64_t n = 0;
  for (const char* t : trades) {
    const Padded line{std::string(t)};
    engine.process_line(line.view(), "in", ++n);
  }
  engine.finish();
  REQUIRE(out.lines.size() == 3);
  CHECK(out.lines[0] ==
        "timestamp,open,high,low,close,volume,close_time,trades,buy_volume,vwap,sma_2");
  CHECK(out.lines[1] ==
        "2023-11-14 22:13:20.123456789,10.5,11,10.5,11,3,2023-11-14 22:13:21,2,1,10.8333333333,");
  CHECK(out.lines[2] == "2023-11-14 22:13:22.5,12,12,12,12,1,2023-11-14 22:13:22.5,1,0,12,11.5");
  REQUIRE(diag.warnings.size() == 1);
  CHECK(diag.warnings[0].find("a candle CSV holds one instrument (x A)") != std::string::npos);

  TempDir dir;
  std::string file;
  for (const auto& l : out.lines) file += l + "\n";
  write_file(dir.path + "/bars.csv", file);
  CandleReader reader(open_input(dir.path + "/bars.csv").value(), "x", "A");
  Candle k;
  REQUIRE(reader.next(k, diag));
  CHECK(k.open_time == 1700000000123456789);
  CHECK(k.close_time == 1700000001000000000);  // from close_time, not the step
  CHECK(k.open == "10.5");
  CHECK(k.volume == "3");
  REQUIRE(reader.next(k, diag));
  CHECK(k.close_time == k.open_time);  // a one-trade bar lasts as long as its trade
  CHECK(k.close == "12");
  CHECK_FALSE(reader.next(k, diag));
  CHECK(diag.errors.empty());
}

TEST_CASE("bar events decode into the candle the backtester reads", "[bars][candles]") {
  EventDecoder d({EventType::bar});
  DecodedEvent ev;
  const Padded line(
      R"({"type":"bar","venue":"x","symbol":"A","ts":120,"kind":"time","interval":"1m","source":"trade","start":60,"end":120,"open":"10","high":"11","low":"9","close":"10.5","volume":"3","buy_volume":"1","trades":4,"vwap":"10.2","forming":true,"ema_2":null,"rsi_3":"55.1"})");
  REQUIRE(d.decode(line.view(), ev));
  REQUIRE(ev.kind == EventType::bar);
  CHECK(ev.bar.venue == "x");
  CHECK(ev.bar.open_time == 60);
  CHECK(ev.bar.close_time == 120);
  CHECK(ev.bar.high == "11");
  CHECK(ev.bar.trades == 4);
  CHECK(ev.bar.vwap == "10.2");
  CHECK(ev.bar.forming);
  const Padded no_prices(R"({"type":"bar","venue":"x","symbol":"A","start":60,"end":120})");
  CHECK_FALSE(d.decode(no_prices.view(), ev));
  const Padded backwards(
      R"({"type":"bar","venue":"x","symbol":"A","start":60,"end":50,"open":"1","high":"1","low":"1","close":"1","volume":"0"})");
  CHECK_FALSE(d.decode(backwards.view(), ev));
}

TEST_CASE("vwap over bars with no volume left in the window is null", "[bars][indicators]") {
  // Floating sums keep a leftover (2.8e-17 here) once the volume left.
  Indicator w(spec_of("vwap:3"));
  std::vector<std::optional<double>> v;
  for (double vol : {0.1, 0.2, 0.0, 0.0, 0.0}) v.push_back(w.update(BarSample{0, 1, vol, vol * 7}));
  CHECK(*v[2] == Approx(7));
  CHECK(*v[3] == Approx(7));
  CHECK_FALSE(v[4]);
  CHECK_FALSE(w.peek(BarSample{0, 1, 0, 0}));
}

TEST_CASE("a bar's vwap keeps what digits it can, tick sizes count whole trades", "[bars]") {
  BarSpec spec;
  Collect c;
  BarBuilder b(spec, "v", "s");
  // 1.5e8 with a fraction that does not end: fewer decimals, not the close.
  b.on_trade(kS, 0, dec("150000000.1"), dec("1"), Side::buy, c);
  b.on_trade(2 * kS, 0, dec("150000000.2"), dec("2"), Side::buy, c);
  b.finish(c);
  REQUIRE(c.bars.size() == 1);
  CHECK(c.bars[0].vwap == "150000000.166666667");  // 18 digits: 9 decimals
  BarSpec tick;
  tick.kind = BarKind::tick;
  tick.size = dec("3.0");
  Collect t;
  BarBuilder tb(tick, "v", "s");
  for (int i = 1; i <= 6; ++i) tb.on_trade(i * kS, 0, dec("1"), dec("1"), Side::buy, t);
  CHECK(t.bars.size() == 2);
}
