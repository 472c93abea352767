// The store: names, days, times, the file store's segments and crash
// recovery, COPY escaping; the backtest's parts: latency models, candles,
// the paper venue's bar matching, grids and thresholds.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "backtest/latency.h"
#include "backtest/report.h"
#include "bars/candle_csv.h"
#include "core/event_encoder.h"
#include "exec/exec_engine.h"
#include "exec/paper.h"
#include "io/input.h"
#include "store/file_store.h"
#include "store/pg_schema.h"
#include "store/pg_store.h"
#include "store/record_key.h"
#include "test_util.h"

namespace {

using ot::test::TempDir;

std::vector<std::string> read_all(const std::string& dir, const ot::StoreFilter& f = {}) {
  auto r = ot::test::must(ot::FileStoreReader::open(dir, f));
  std::vector<std::string> out;
  ot::StoredRecord rec;
  while (r->next(rec)) out.emplace_back(rec.line);
  REQUIRE(r->error().empty());
  return out;
}

struct Quiet final : ot::Diagnostics {
  void error(std::string_view, std::string_view m) override { errors.emplace_back(m); }
  void warning(std::string_view, std::string_view) override {}
  std::vector<std::string> errors;
};

}  // namespace

TEST_CASE("store names, days and times", "[store]") {
  CHECK(ot::encode_name("BTC/USD") == "BTC%2FUSD");
  CHECK(ot::encode_name(".hidden") == "%2Ehidden");
  CHECK(ot::encode_name("BTC-PERPETUAL") == "BTC-PERPETUAL");
  CHECK(ot::encode_name("") == "_");
  CHECK(ot::decode_name("BTC%2FUSD") == "BTC/USD");
  CHECK(ot::decode_name(ot::encode_name("a b/c%d.e")) == "a b/c%d.e");
  CHECK(ot::utc_day(0) == "1970-01-01");
  CHECK(ot::utc_day(1652459225507260300) == "2022-05-13");
  CHECK(ot::utc_day(951782400LL * 1'000'000'000) == "2000-02-29");
  CHECK(*ot::day_start("2022-05-13") == 1652400000LL * 1'000'000'000);
  CHECK(!ot::day_start("2022-5-13"));
  CHECK(*ot::parse_time_arg("2022-05-13") == 1652400000LL * 1'000'000'000);
  CHECK(*ot::parse_time_arg("2022-05-13T00:00:01.5Z") == 1652400001500000000LL);
  CHECK(*ot::parse_time_arg("17") == 17);
  CHECK(!ot::parse_time_arg("yesterday"));
  CHECK(ot::format_time(1652400001500000000LL) == "2022-05-13T00:00:01.500000000Z");
}

TEST_CASE("event keys", "[store]") {
  ot::EventKeyReader keys;
  ot::RecordKey k;
  ot::test::Padded a{R"({"type":"trade","venue":"okx","symbol":"BTC-USDT","ts":5,"recv":7})"};
  REQUIRE(keys.key(a.view(), 99, k));
  CHECK(k.type == "trade");
  CHECK(k.venue == "okx");
  CHECK(k.symbol == "BTC-USDT");
  CHECK(k.time == 7);
  ot::test::Padded b{R"({"type":"control","command":"kill"})"};
  REQUIRE(keys.key(b.view(), 99, k));
  CHECK(k.time == 99);
  CHECK(k.venue.empty());
  ot::test::Padded c{R"({"venue":"okx"})"};
  const auto untyped = keys.key(c.view(), 0, k);
  REQUIRE_FALSE(untyped);
  CHECK(untyped.error().code() == ot::ErrorCode::corrupt);
  CHECK(untyped.error().message() == "event without a string \"type\"");
  ot::test::Padded d{R"({"type":"trade","recv":"x"})"};
  const auto bad_time = keys.key(d.view(), 0, k);
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().message() == "\"recv\" is not an integer (nanoseconds)");
}

TEST_CASE("file store: segments, order, recovery", "[store]") {
  TempDir t;
  ot::FileStoreOptions o;
  o.dir = t.path;
  o.segment_bytes = 200;  // seal often
  std::vector<std::string> written;
  {
    auto w = ot::test::must(ot::FileStoreWriter::open(o));
    const auto second = ot::FileStoreWriter::open(o);
    REQUIRE_FALSE(second);
    CHECK(second.error().code() == ot::ErrorCode::unavailable);
    CHECK(second.error().message().find("in use") != std::string::npos);
    for (int i = 0; i < 50; ++i) {
      const std::string sym = i % 2 ? "A" : "B";
      const std::string line = "{\"type\":\"trade\",\"symbol\":\"" + sym +
                               "\",\"recv\":" + std::to_string(1000 + i) + "}";
      REQUIRE(w->append(ot::RecordKey{"v", sym, "trade", 1000 + i}, line));
      written.push_back(line);
      if (i % 7 == 0) REQUIRE(w->flush());
    }
    REQUIRE(w->close());
  }
  CHECK(read_all(t.path) == written);
  ot::StoreFilter f;
  f.symbols = {"A"};
  f.from = 1010;
  f.to = 1020;
  auto some = read_all(t.path, f);
  CHECK(some.size() == 5);  // 1011, 1013, ..., 1019
  const auto ls = ot::test::must(ot::list_store(t.path, {}));
  REQUIRE(ls.size() == 2);
  CHECK(ls[0].symbol == "A");
  CHECK(ls[0].records == 25);
  CHECK(ls[0].first == 1001);
  CHECK(ls[0].last == 1049);
  CHECK(ls[0].segments > 1);
  // A crash between the rename of a sealed segment and the removal of its
  // open file leaves both: the sealed one counts, once.
  const std::string seg = t.path + "/v/A/1970-01-01/trade/000001";
  std::filesystem::copy_file(seg + ".zst", seg + ".ndjson");
  CHECK(read_all(t.path) == written);
  auto w = ot::test::must(ot::FileStoreWriter::open(o));
  REQUIRE(w->append(ot::RecordKey{"v", "A", "trade", 2000}, "{\"late\":1}"));
  REQUIRE(w->close());
  CHECK(!std::filesystem::exists(seg + ".ndjson"));
  CHECK(read_all(t.path).back() == "{\"late\":1}");
}

// numeric's binary COPY form: ndigits, weight, sign, dscale, base-10000 digits.
static std::vector<int> numeric_words(std::string_view text) {
  std::string out;
  if (!ot::pg::append_numeric(out, text)) return {};
  std::vector<int> words;
  for (std::size_t i = 4; i + 1 < out.size(); i += 2) {
    words.push_back(static_cast<std::int16_t>((static_cast<unsigned char>(out[i]) << 8) |
                                              static_cast<unsigned char>(out[i + 1])));
  }
  return words;
}

TEST_CASE("binary COPY numerics and the record digest", "[store]") {
  using W = std::vector<int>;
  CHECK(numeric_words("123.45") == W{2, 0, 0, 2, 123, 4500});
  CHECK(numeric_words("0.0002") == W{1, -1, 0, 4, 2});
  CHECK(numeric_words("0.05") == W{1, -1, 0, 2, 500});
  CHECK(numeric_words("1500") == W{1, 0, 0, 0, 1500});
  CHECK(numeric_words("1.5e3") == W{1, 0, 0, 0, 1500});
  CHECK(numeric_words("1e-05") == W{1, -2, 0, 5, 1000});
  CHECK(numeric_words("-0.5") == W{1, -1, 0x4000, 1, 5000});
  CHECK(numeric_words("007.10") == W{2, 0, 0, 2, 7, 1000});
  CHECK(numeric_words("0.000") == W{0, 0, 0, 3});
  CHECK(numeric_words("12345678.9") == W{3, 1, 0, 1, 1234, 5678, 9000});
  CHECK(numeric_words("abc").empty());
  CHECK(numeric_words("1e5000").empty());
  CHECK(ot::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(ot::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(ot::pg_table_for("trade") == "trade");
  CHECK(ot::pg_table_for("candle") == "other");
  CHECK(ot::pg_table_for("other") == "other");
}

TEST_CASE("latency models", "[backtest]") {
  CHECK(ot::parse_duration("250us") == 250'000);
  CHECK(ot::parse_duration("1.5ms") == 1'500'000);
  CHECK(ot::parse_duration("42") == 42);
  CHECK(!ot::parse_duration("5 parsecs"));
  auto fixed = ot::LatencyModel::parse("2ms");
  REQUIRE(fixed);
  CHECK(fixed->is_fixed());
  CHECK(fixed->fixed() == 2'000'000);
  auto u = ot::LatencyModel::parse("uniform:1ms,2ms");
  REQUIRE(u);
  auto a = u->sampler(7), b = u->sampler(7);
  for (int i = 0; i < 100; ++i) {
    const ot::Nanos x = a();
    CHECK(x == b());
    CHECK(x >= 1'000'000);
    CHECK(x <= 2'000'000);
  }
  auto ln = ot::LatencyModel::parse("lognormal:1ms,0.5");
  REQUIRE(ln);
  auto s = ln->sampler(1);
  std::vector<ot::Nanos> v;
  for (int i = 0; i < 2001; ++i) v.push_back(s());
  std::nth_element(v.begin(), v.begin() + 1000, v.end());
  CHECK(v[1000] > 900'000);  // the median
  CHECK(v[1000] < 1'100'000);
  CHECK(!ot::LatencyModel::parse("uniform:2ms,1ms"));
  CHECK(!ot::LatencyModel::parse("gamma:1,2"));
  const auto unreadable = ot::LatencyModel::parse("file:/nonexistent");
  REQUIRE_FALSE(unreadable);
  CHECK(unreadable.error().message() == "latency 'file:/nonexistent': cannot read /nonexistent");
}

TEST_CASE("candle files", "[backtest]") {
  TempDir t;
  const std::string path = t.path + "/c.csv";
  std::ofstream(path) << "timestamp,open,high,low,close,volume\n"
                         "2022-01-01 00:00:00.000000,100,110,90,105,3\n"
                         "2022-01-01 00:01:00.000000,105,106,x,104,1\n"
                         "2022-01-01 00:02:00.000000,104,108,101,107,2\n";
  ot::CandleReader r(ot::open_input(path).value(), "paper", "BTC");
  Quiet diag;
  ot::Candle c;
  REQUIRE(r.next(c, diag));
  CHECK(c.open_time == 1640995200LL * 1'000'000'000);
  CHECK(c.close_time == c.open_time + 120LL * 1'000'000'000);  // the step to the next good row
  CHECK(c.close == "105");
  REQUIRE(r.next(c, diag));
  CHECK(c.high == "108");
  CHECK(!r.next(c, diag));
  CHECK(diag.errors.size() == 1);
  CHECK(ot::is_candle_file("a.csv.zst"));
  CHECK(!ot::is_candle_file("a.raw"));
}

TEST_CASE("paper venue matches orders against bars", "[backtest][paper]") {
  struct Reports final : ot::ExecListener {
    void on_exec(const ot::Exec& e) override {
      fills.push_back({e.status, e.price ? e.price->to_string() : "", e.liquidity});
    }
    void on_venue_status(const ot::Status&) override {}
    struct F {
      ot::ExecStatus status;
      std::string price;
      ot::Liquidity liq;
    };
    std::vector<F> fills;
  } reports;
  ot::PaperVenue venue(ot::PaperConfig{});
  venue.set_listener(reports);
  auto bar = [&](ot::Nanos t, const char* o, const char* h, const char* l, const char* c) {
    ot::Candle k{"paper", "BTC", t, t + 60, o, h, l, c, "1", {}, {}, -1, false};
    venue.on_candle(k);
  };
  bar(0, "100", "101", "99", "100");
  auto order = [&](const char* id, ot::Side side, const char* price, ot::OrderKind kind) {
    ot::Order o;
    o.id = id;
    o.venue = "paper";
    o.symbol = "BTC";
    o.side = side;
    o.qty = *ot::Decimal::parse("1");
    if (price) o.price = *ot::Decimal::parse(price);
    o.kind = kind;
    o.ts = 60;
    venue.submit(o);
  };
  order("m", ot::Side::buy, nullptr, ot::OrderKind::market);
  order("l1", ot::Side::buy, "98", ot::OrderKind::limit);    // traded through next bar
  order("l2", ot::Side::sell, "103", ot::OrderKind::limit);  // only touched: no fill
  bar(61, "99.5", "103", "97", "98");
  std::vector<std::string> got;
  for (const auto& f : reports.fills) {
    if (f.status == ot::ExecStatus::filled)
      got.push_back(f.price + (f.liq == ot::Liquidity::maker ? "m" : "t"));
  }
  CHECK(got == std::vector<std::string>{"99.5t", "98m"});
}

TEST_CASE("grids and thresholds", "[backtest]") {
  auto g = ot::expand_grid({{"a", "1,2"}, {"b", "x"}, {"c", "5,6,7"}});
  REQUIRE(g.size() == 6);
  CHECK(g[0] ==
        std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "x"}, {"c", "5"}});
  CHECK(g[5] ==
        std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"b", "x"}, {"c", "7"}});
  ot::Threshold t = ot::test::must(ot::parse_threshold("sharpe<1.0"));
  CHECK(t.metric == "sharpe");
  CHECK(t.op == "<");
  CHECK(t.value == 1.0);
  t = ot::test::must(ot::parse_threshold("max_drawdown >= 0.2"));
  CHECK(t.op == ">=");
  ot::BacktestResult r;
  r.metrics = {{"max_drawdown", 0.25}};
  CHECK(ot::crossed(t, r));
  r.metrics = {{"max_drawdown", 0.1}};
  CHECK(!ot::crossed(t, r));
  CHECK(ot::parse_threshold("luck>1").error().message() ==
        "--fail-if 'luck>1': unknown metric 'luck'");
  CHECK(!ot::parse_threshold("sharpe~1"));
  CHECK(!ot::parse_threshold("sharpe<abc"));
}
