// The online features of learned strategies (lib/features): each value on a
// hand-made stream, the description a model file keeps, and no look-ahead:
// altering every event after t leaves every feature at or before t the
// same, to the bit.
#include "features/features.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace ot;
using namespace ot::features;

namespace {

constexpr Nanos kT0 = 1'700'000'000'000'000'000LL;
constexpr Nanos kMs = 1'000'000;

Decimal dec(double v) { return *Decimal::parse(std::to_string(v)); }

struct Values {
  FeatureSet& f;
  std::vector<double> v;
  explicit Values(FeatureSet& fs) : f(fs), v(fs.size()) {}
  double at(Nanos now, std::string_view name) {
    f.compute(now, v);
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f.names()[i] == name) return v[i];
    }
    FAIL("no feature " << name);
    return 0;
  }
};

Bar bar(double open, double high, double low, double close, double volume) {
  Bar b;
  b.open = dec(open), b.high = dec(high), b.low = dec(low), b.close = dec(close);
  b.volume = Amount::from_double(volume);
  return b;
}

}  // namespace

TEST_CASE("features: names, and the description a model keeps", "[features]") {
  FeatureSet f;
  CHECK(f.size() == 2 + 3 + 3 * 3 + 3 + 4);
  CHECK(f.names().front() == "spread_bps");
  CHECK(std::find(f.names().begin(), f.names().end(), "imbalance_5") != f.names().end());
  CHECK(std::find(f.names().begin(), f.names().end(), "flow_10s") != f.names().end());
  CHECK(std::find(f.names().begin(), f.names().end(), "return_60s_bps") != f.names().end());
  CHECK(f.names().back() == "bar_return_5_bps");
  const std::string d = describe(f.config());
  CHECK(d == "v1 depths=1,5,10 windows=1s,10s,60s vol=60s/1s fill_cap=3600s bars=5");
  FeatureConfig c;
  c.depths = {1, 3};
  c.windows = {250 * kMs, 5 * kSecond};
  c.vol_window = 30 * kSecond;
  c.vol_step = 500 * kMs;
  c.bar_lookback = 3;
  auto back = parse_description(describe(c));
  REQUIRE(back);
  CHECK(describe(*back) == describe(c));
  CHECK(FeatureSet(*back).names() == FeatureSet(c).names());
  CHECK_FALSE(parse_description("v0 depths=1"));
  CHECK_FALSE(parse_description("v1 depths=0"));
  CHECK_FALSE(parse_description("v1 windows=1h"));
  CHECK_FALSE(parse_description("v1 vol=1s/2s"));
  CHECK_FALSE(parse_description("v1 colour=blue"));
  CHECK_FALSE(parse_description(""));
}

TEST_CASE("features: the book, trades, fills and candles", "[features]") {
  FeatureSet f;
  Values x(f);
  CHECK_FALSE(f.ready());
  CHECK(x.at(kT0, "spread_bps") == 0);
  CHECK(x.at(kT0, "since_fill_s") == 3600);
  f.on_top(kT0, 99, 3, 101, 1);
  CHECK(f.ready());
  CHECK(x.at(kT0, "spread_bps") == Approx(2.0 / 100 * 1e4));
  // microprice: (99·1 + 101·3) / 4 = 100.5
  CHECK(x.at(kT0, "micro_mid_bps") == Approx(0.5 / 100 * 1e4));
  CHECK(x.at(kT0, "imbalance_1") == Approx(0.5));
  CHECK(x.at(kT0, "imbalance_5") == 0);  // no depth yet
  const std::vector<Level> bids = {{dec(99), dec(1)}, {dec(98), dec(4)}};
  const std::vector<Level> asks = {{dec(101), dec(2)}, {dec(102), dec(1)}, {dec(103), dec(2)}};
  f.on_depth(kT0, bids, asks);
  CHECK(x.at(kT0, "imbalance_1") == Approx(-1.0 / 3));
  CHECK(x.at(kT0, "imbalance_5") == Approx(0.0));  // 5 against 5

  // Trades: flow over the windows, and their expiry.
  f.on_trade(kT0 + 100 * kMs, 100, 2, Side::buy);
  f.on_trade(kT0 + 900 * kMs, 100, 1, Side::sell);
  CHECK(x.at(kT0 + 950 * kMs, "flow_1s") == Approx(1.0 / 3));
  CHECK(x.at(kT0 + 950 * kMs, "signed_volume_1s") == Approx(1));
  CHECK(x.at(kT0 + 1500 * kMs, "flow_1s") == Approx(-1));  // the buy left the second
  CHECK(x.at(kT0 + 1500 * kMs, "flow_10s") == Approx(1.0 / 3));
  CHECK(x.at(kT0 + 2 * kSecond, "flow_1s") == 0);
  CHECK(x.at(kT0 + 2 * kSecond, "signed_volume_10s") == Approx(1));

  // Returns: the mid 10 s ago (100) against now (110).
  f.on_top(kT0 + 10 * kSecond, 109, 1, 111, 1);
  CHECK(x.at(kT0 + 10 * kSecond, "return_10s_bps") == Approx(std::log(1.1) * 1e4));
  CHECK(x.at(kT0 + 10 * kSecond, "return_1s_bps") == Approx(std::log(1.1) * 1e4));
  CHECK(x.at(kT0 + 10 * kSecond, "return_60s_bps") == 0);  // not 60 s of mids yet
  CHECK(x.at(kT0 + 12 * kSecond, "return_1s_bps") == 0);   // no move in the last second

  // Own fills.
  f.on_fill(kT0 + 12 * kSecond, Side::buy, 3);
  f.on_fill(kT0 + 13 * kSecond, Side::sell, 1);
  CHECK(x.at(kT0 + 15 * kSecond, "inventory") == 2);
  CHECK(x.at(kT0 + 15 * kSecond, "since_fill_s") == Approx(2));

  // Candles.
  f.on_bar(bar(100, 104, 98, 102, 9));
  f.on_bar(bar(102, 103, 100, 101, 4));
  Bar forming = bar(1, 1, 1, 1, 1);
  forming.forming = true;
  f.on_bar(forming);
  CHECK(x.at(kT0 + 15 * kSecond, "bar_return_bps") == Approx(std::log(101.0 / 102) * 1e4));
  CHECK(x.at(kT0 + 15 * kSecond, "bar_range_bps") == Approx(3.0 / 101 * 1e4));
  CHECK(x.at(kT0 + 15 * kSecond, "bar_log_volume") == Approx(std::log(5.0)));
  CHECK(x.at(kT0 + 15 * kSecond, "bar_return_5_bps") == 0);  // fewer than 6 closes
  for (double c : {103.0, 104.0, 105.0, 106.0}) f.on_bar(bar(c, c, c, c, 1));
  CHECK(x.at(kT0 + 15 * kSecond, "bar_return_5_bps") == Approx(std::log(106.0 / 102) * 1e4));

  // A candle (a file's row, a bar event) gives what the bar gives.
  FeatureSet g;
  Values y(g);
  for (double c : {100.0, 102.0, 101.0, 103.0, 104.0, 105.0, 106.0}) g.on_bar(bar(c, c, c, c, 1));
  g.on_bar(bar(106, 108, 105, 107, 4));
  ot::Candle k;
  k.open = "107";
  k.high = "109.5";
  k.low = "106";
  k.close = "108";
  k.volume = "6";
  g.on_bar(k);
  k.close = "x";  // does not parse: ignored
  g.on_bar(k);
  CHECK(y.at(kT0, "bar_return_bps") == Approx(std::log(108.0 / 107) * 1e4));
  CHECK(y.at(kT0, "bar_range_bps") == Approx(3.5 / 108 * 1e4));
  CHECK(y.at(kT0, "bar_log_volume") == Approx(std::log(7.0)));
  CHECK(y.at(kT0, "bar_return_5_bps") == Approx(std::log(108.0 / 103) * 1e4));
}

TEST_CASE("features: realised volatility of one-second mid returns", "[features]") {
  FeatureSet f;
  Values x(f);
  f.on_top(kT0, 99.5, 1, 100.5, 1);                // mid 100
  f.on_top(kT0 + 1500 * kMs, 100.5, 1, 101.5, 1);  // 101, in the second step
  f.on_top(kT0 + 2500 * kMs, 99.5, 1, 100.5, 1);   // 100, in the third
  // Steps closed: [0,1) at 100 (0), [1,2) at 101, [2,3) at 100, [3,4) unchanged.
  const double r1 = std::log(101.0 / 100), r2 = std::log(100.0 / 101);
  CHECK(x.at(kT0 + 4 * kSecond, "volatility_bps") == Approx(std::sqrt(r1 * r1 + r2 * r2) * 1e4));
  // A long quiet spell: the moves leave the 60 s window.
  CHECK(x.at(kT0 + 3600 * kSecond, "volatility_bps") == 0);
  // A crossed top is kept out.
  f.on_top(kT0 + 3601 * kSecond, 102, 1, 101, 1);
  CHECK(x.at(kT0 + 3601 * kSecond, "spread_bps") == Approx(1.0 / 100 * 1e4));
}

namespace {

// A seeded stream of every kind of event the features read.
struct Event {
  enum Kind { top, depth, trade, fill, bar } kind;
  Nanos ts;
  double a, b, c, d;
  Side side;
};

std::vector<Event> stream(unsigned seed, std::size_t n, Nanos from) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Event> out;
  double mid = 100;
  Nanos ts = from;
  for (std::size_t i = 0; i < n; ++i) {
    ts += static_cast<Nanos>(u(rng) * 200 * kMs);
    mid *= std::exp((u(rng) - 0.5) * 0.002);
    const double half = 0.01 + u(rng) * 0.05;
    const double pick = u(rng);
    const Side side = u(rng) < 0.5 ? Side::buy : Side::sell;
    if (pick < 0.4) {
      out.push_back({Event::top, ts, mid - half, 1 + u(rng) * 5, mid + half, 1 + u(rng) * 5, side});
    } else if (pick < 0.55) {
      out.push_back({Event::depth, ts, mid - half, u(rng) * 9, mid + half, u(rng) * 9, side});
    } else if (pick < 0.9) {
      out.push_back({Event::trade, ts, mid, 0.1 + u(rng), 0, 0, side});
    } else if (pick < 0.95) {
      out.push_back({Event::fill, ts, 0, 0.1 + u(rng), 0, 0, side});
    } else {
      out.push_back({Event::bar, ts, mid * (1 + u(rng) * 0.001), mid * (1 - u(rng) * 0.001), mid,
                     u(rng) * 50, side});
    }
  }
  return out;
}

// The features after each event, at its time, as a strategy sees them.
std::vector<std::vector<double>> run(const std::vector<Event>& events) {
  FeatureSet f;
  std::vector<std::vector<double>> out;
  std::vector<Level> bids, asks;
  for (const Event& e : events) {
    switch (e.kind) {
      case Event::top:
        f.on_top(e.ts, e.a, e.b, e.c, e.d);
        break;
      case Event::depth:
        bids.clear(), asks.clear();
        for (int k = 0; k < 12; ++k) {
          bids.push_back({dec(e.a - k * 0.01), dec(e.b + k)});
          asks.push_back({dec(e.c + k * 0.01), dec(e.d + 2 * k)});
        }
        f.on_depth(e.ts, bids, asks);
        break;
      case Event::trade:
        f.on_trade(e.ts, e.a, e.b, e.side);
        break;
      case Event::fill:
        f.on_fill(e.ts, e.side, e.b);
        break;
      case Event::bar:
        f.on_bar(bar(e.c, e.a, e.b, e.c, e.d));
        break;
    }
    out.emplace_back(f.size());
    f.compute(e.ts, out.back());
  }
  return out;
}

}  // namespace

TEST_CASE("features use no future data", "[features]") {
  const std::vector<Event> events = stream(7, 20000, kT0);
  const std::size_t cut = events.size() / 2;
  const Nanos t = events[cut].ts;
  // Every event after t altered: other prices, sizes, sides and kinds, at
  // other times (still after t).
  std::vector<Event> altered(events.begin(), events.begin() + static_cast<long>(cut) + 1);
  for (const Event& e : stream(99, events.size() - cut - 1, t + 1)) altered.push_back(e);
  REQUIRE(altered.size() == events.size());
  const auto a = run(events);
  const auto b = run(altered);
  std::size_t same = 0;
  for (std::size_t i = 0; i <= cut; ++i) {
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      if (std::memcmp(&a[i][k], &b[i][k], sizeof(double)) == 0) ++same;
    }
  }
  CHECK(same == (cut + 1) * a[0].size());  // to the bit, every feature, every event up to t
  // The alteration is seen after t (the comparison can fail).
  std::size_t differ = 0;
  for (std::size_t i = cut + 1; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(differ > (a.size() - cut) * 9 / 10);
  // Every feature moves somewhere in the stream (none is dead).
  for (std::size_t k = 0; k < a[0].size(); ++k) {
    bool moved = false;
    for (std::size_t i = 1; i < a.size() && !moved; ++i) moved = a[i][k] != a[0][k];
    INFO(FeatureSet().names()[k]);
    CHECK(moved);
  }
}
