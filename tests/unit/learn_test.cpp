// Model files (lib/learn) and the trainer's pieces (lib/train): exact round
// trips and refusals of the file, the forward pass against hand-computed
// values and against libtorch's, the dataset's causality, and deterministic
// fits.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "learn/model.h"
#include "test_util.h"
#include "train/dataset.h"
#include "train/fit.h"
#ifdef OT_HAVE_TORCH
#include "train/torch_mlp.h"
#endif

using namespace ot::test;

namespace {

constexpr ot::Nanos kSec = 1'000'000'000LL;

// A model of the given layer widths with weights drawn from `seed`, scaled
// as training starts them (standard deviation 1/√fan-in).
ot::learn::Model random_model(const std::vector<std::size_t>& widths, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  ot::learn::Model m;
  for (std::size_t i = 0; i < widths.front(); ++i) {
    std::string name = "f";  // (built with +=: GCC 12 warns wrongly on "f" + to_string)
    name += std::to_string(i);
    m.names.push_back(name);
    m.mean.push_back(0.25 * static_cast<double>(i));
    m.scale.push_back(1.0 + 0.5 * static_cast<double>(i));
    m.lo.push_back(-1.0 - static_cast<double>(i));
    m.hi.push_back(1.0 + static_cast<double>(i));
  }
  for (std::size_t k = 1; k < widths.size(); ++k) {
    ot::learn::Layer l;
    l.in = widths[k - 1];
    l.out = widths[k];
    l.activation =
        k + 1 == widths.size() ? ot::learn::Activation::linear : ot::learn::Activation::relu;
    const float sd = 1.0f / std::sqrt(static_cast<float>(l.in));
    for (std::size_t i = 0; i < l.in * l.out; ++i) l.w.push_back(sd * n(rng));
    for (std::size_t i = 0; i < l.out; ++i) l.b.push_back(sd * n(rng));
    m.layers.push_back(std::move(l));
  }
  m.features = "v1 test";
  m.horizon = 10 * kSec;
  m.step = kSec;
  m.train_from = 1700000000 * kSec;
  m.train_to = 1700003600 * kSec;
  m.data_sha256 = std::string(64, 'a');
  m.seed = seed;
  m.info = {{"model", "mlp"}, {"note", "two words"}};
  return m;
}

// A market of book snapshots and trades on paper/X, one event per 100 ms,
// from `seed`; after `alter_after` (if set), prices and sizes drawn anew.
std::string market(std::uint64_t seed, ot::Nanos start, int events,
                   std::optional<ot::Nanos> alter_after = {}) {
  std::mt19937_64 rng(seed), other(seed + 99);
  std::string out;
  long mid = 10000;
  for (int k = 0; k < events; ++k) {
    const ot::Nanos t = start + k * (kSec / 10);
    auto& g = alter_after && t > *alter_after ? other : rng;
    mid += static_cast<long>(g() % 3) - 1;
    const double bq = 1.0 + static_cast<double>(g() % 100) / 25,
                 aq = 1.0 + static_cast<double>(g() % 100) / 25;
    auto px = [](long ticks) {
      return std::to_string(ticks / 100) + "." + (ticks % 100 < 10 ? "0" : "") +
             std::to_string(ticks % 100);
    };
    out += R"({"type":"book","venue":"paper","symbol":"X","recv":)" + std::to_string(t) +
           R"(,"snapshot":true,"bids":[[")" + px(mid) + R"(",")" + std::to_string(bq) + R"("],[")" +
           px(mid - 1) + R"(","3"]],"asks":[[")" + px(mid + 1) + R"(",")" + std::to_string(aq) +
           R"("],[")" + px(mid + 2) + R"(","3"]]})" + "\n";
    if (g() % 3 == 0) {
      const bool buy = g() % 2 == 0;
      out += R"({"type":"trade","venue":"paper","symbol":"X","recv":)" + std::to_string(t + 1) +
             R"(,"price":")" + px(buy ? mid + 1 : mid) + R"(","qty":"0.5","side":")" +
             (buy ? "buy" : "sell") + R"(","id":")" + std::to_string(k) + "\"}\n";
    }
  }
  return out;
}

ot::BacktestConfig data_config(const std::string& path) {
  ot::BacktestConfig c;
  c.data = {path};
  c.params = {{"venue", "paper"}, {"symbol", "X"}};
  return c;
}

}  // namespace

TEST_CASE("model file: exact round trip, same bytes for the same model", "[learn]") {
  auto m = random_model({5, 8, 3, 1}, 7);
  m.lo[0] = -0.0;
  m.hi[1] = 1e-300;  // hex floats keep every bit
  m.layers[0].w[0] = 1.17549435e-38f;
  const std::string text = ot::learn::serialize(m);
  CHECK(text.starts_with("optitrade-model 1\n"));
  const auto back = must(ot::learn::parse_model(text));
  CHECK(ot::learn::serialize(back) == text);
  CHECK(back.layers[0].w == m.layers[0].w);
  CHECK(back.hi[1] == 1e-300);
  CHECK(std::signbit(back.lo[0]));
  CHECK(back.info == m.info);
  CHECK(ot::learn::model_hash(back) == text.substr(text.size() - 65, 64));

  TempDir dir;
  const std::string path = dir.path + "/m.model";
  const auto hash = must(ot::learn::save_model(path, m));
  CHECK(read_file(path) == text);
  CHECK(hash == ot::learn::model_hash(m));
  CHECK(ot::learn::serialize(must(ot::learn::load_model(path))) == text);
}

TEST_CASE("model file: altered, cut short or misshapen files are refused", "[learn]") {
  const std::string text = ot::learn::serialize(random_model({3, 4, 1}, 1));
  SECTION("a changed weight") {
    std::string bad = text;
    const std::size_t w = bad.find("\nw ") + 3;
    bad[w] = bad[w] == '1' ? '-' : '1';
    const auto r = ot::learn::parse_model(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("hash mismatch"));
  }
  SECTION("cut short") {
    for (std::size_t len : {text.size() - 1, text.size() - 80, text.size() / 2}) {
      CHECK_FALSE(ot::learn::parse_model(text.substr(0, len)));
    }
  }
  SECTION("not a model") {
    const auto r = ot::learn::parse_model("hello\n");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("not an optitrade model"));
  }
  SECTION("layers that do not fit, with a valid hash") {
    auto m = random_model({3, 4, 1}, 1);
    m.layers[1].in = 5;
    m.layers[1].w.resize(5);
    const auto r = ot::learn::parse_model(ot::learn::serialize(m));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("layer takes 5 inputs, 4 come in"));
  }
  SECTION("a missing file") {
    const auto r = ot::learn::load_model("/nonexistent/m.model");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ot::ErrorCode::not_found);
  }
}

TEST_CASE("forward pass: normalisation, relu, tanh and linear by hand", "[learn]") {
  ot::learn::Model m;
  m.names = {"a", "b"};
  m.mean = {1, 0};
  m.scale = {2, 1};
  m.lo = m.hi = {0, 0};
  m.layers.push_back({2, 2, ot::learn::Activation::relu, {1, 1, 1, -1}, {0, -0.5f}});
  m.layers.push_back({2, 1, ot::learn::Activation::tanh, {0.5f, 2}, {0.1f}});
  ot::learn::Forward f(m);
  // x = ((3 - 1) / 2, 0.25) = (1, 0.25); hidden = relu(1.25, 0.25); out = tanh(0.625 + 0.5 + 0.1)
  const std::vector<double> in{3, 0.25};
  const auto out = f.run(in);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == Approx(std::tanh(1.225)).epsilon(1e-6));
  // relu clips: x = (-1, 2): hidden = relu(1, -3.5) = (1, 0).
  const std::vector<double> in2{-1, 2};
  CHECK(f.run(in2)[0] == Approx(std::tanh(0.6)).epsilon(1e-6));
}

#ifdef OT_HAVE_TORCH
TEST_CASE("forward pass: equal to libtorch's on random models and inputs", "[learn][torch]") {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (const auto& widths : std::vector<std::vector<std::size_t>>{
           {4, 1}, {25, 32, 32, 1}, {25, 64, 3}, {10, 16, 16, 16, 1}}) {
    auto m = random_model(widths, widths.size() * 11 + widths.front());
    ot::learn::Forward f(m);
    const std::size_t rows = 200;
    std::vector<float> x(rows * m.inputs());
    for (float& v : x) v = n(rng);
    const std::vector<float> want = ot::train::torch_forward(m, x);
    REQUIRE(want.size() == rows * m.outputs());
    double worst = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto got =
          f.run_normalised(std::span<const float>(x).subspan(r * m.inputs(), m.inputs()));
      for (std::size_t o = 0; o < m.outputs(); ++o) {
        const double ref = want[r * m.outputs() + o];
        worst = std::max(worst, std::abs(got[o] - ref) / std::max(1.0, std::abs(ref)));
      }
    }
    INFO("widths " << widths.size() << " layers, worst relative difference " << worst);
    CHECK(worst <= 1e-6);
  }
}
#endif

TEST_CASE("dataset: samples at t are unchanged when every event after t is altered",
          "[train][lookahead]") {
  TempDir dir;
  const ot::Nanos start = 1700000000 * kSec, cut = start + 95 * kSec + kSec / 2;
  write_file(dir.path + "/a.ndjson", market(5, start, 1800));
  write_file(dir.path + "/b.ndjson", market(5, start, 1800, cut));
  ot::train::DatasetOptions o;
  o.horizon = 5 * kSec;
  o.warmup = 0;
  ot::train::Dataset a, b;
  Quiet diag;
  REQUIRE(ot::train::build_dataset(data_config(dir.path + "/a.ndjson"), o, a, diag));
  REQUIRE(ot::train::build_dataset(data_config(dir.path + "/b.ndjson"), o, b, diag));
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.rows() > 150);
  std::size_t before = 0, differ_after = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    REQUIRE(a.t[i] == b.t[i]);
    const bool same =
        std::equal(a.row(i).begin(), a.row(i).end(), b.row(i).begin()) && a.mid[i] == b.mid[i];
    if (a.t[i] <= cut) {
      ++before;
      INFO("sample at " << (a.t[i] - start) / kSec << " s");
      CHECK(same);
    } else if (!same) {
      ++differ_after;
    }
  }
  CHECK(before > 30);
  CHECK(differ_after > 50);  // the alteration is visible where it may be
  // Labels look ahead by the horizon, and only they do.
  std::size_t labels_differ = 0;
  for (std::size_t i = 0; i < a.rows() && a.t[i] <= cut; ++i) {
    if (a.move[i] != b.move[i]) {
      ++labels_differ;
      CHECK(a.t[i] + o.horizon > cut);
    }
  }
  CHECK(labels_differ > 0);
}

TEST_CASE("linear fit: recovers a planted linear relation, the same bytes every time", "[train]") {
  ot::train::Dataset d;
  d.names = {"a", "b", "constant", "rounding"};
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0, 1);
  for (int i = 0; i < 2000; ++i) {
    const double a = n(rng) * 3 + 1, b = n(rng);
    d.t.push_back(i * kSec);
    d.x.insert(d.x.end(), {a, b, 7.0, 0.5 + 1e-14 * n(rng)});  // constant but for rounding
    d.mid.push_back(100);
    d.move.push_back(2 * a - 5 * b + 0.5 + 0.01 * n(rng));
  }
  std::vector<std::size_t> train, valid;
  for (std::size_t i = 0; i < 2000; ++i) (i < 1500 ? train : valid).push_back(i);
  ot::train::FitOptions o;
  o.model = "linear";
  o.l2 = 0;
  const auto m = must(ot::train::fit_supervised(d, train, valid, o));
  REQUIRE(m.layers.size() == 1);
  const auto& l = m.layers[0];
  // In normalised units: weight = slope × the feature's standard deviation.
  CHECK(l.w[0] / m.scale[0] == Approx(2).epsilon(0.01));
  CHECK(l.w[1] / m.scale[1] == Approx(-5).epsilon(0.01));
  CHECK(l.w[2] == 0);  // constant in training: no weight
  CHECK(m.lo[2] == 7);
  CHECK(m.hi[2] == 7);
  CHECK(l.w[3] == 0);  // rounding noise is no variation
  CHECK(m.lo[3] == m.hi[3]);
  CHECK(ot::train::score(m, d, valid).valid_corr > 0.9999);
  CHECK(ot::learn::serialize(must(ot::train::fit_supervised(d, train, valid, o))) ==
        ot::learn::serialize(m));
}

#ifdef OT_HAVE_TORCH
TEST_CASE("mlp fit: the same seed gives the same model bytes, another seed another model",
          "[train][torch]") {
  ot::train::Dataset d;
  d.names = {"a", "b"};
  std::mt19937_64 rng(2);
  std::normal_distribution<double> n(0, 1);
  for (int i = 0; i < 1200; ++i) {
    const double a = n(rng), b = n(rng);
    d.t.push_back(i * kSec);
    d.x.insert(d.x.end(), {a, b});
    d.mid.push_back(100);
    d.move.push_back(a * b + 0.1 * n(rng));  // an interaction a line cannot fit
  }
  std::vector<std::size_t> train, valid;
  for (std::size_t i = 0; i < 1200; ++i) (i < 900 ? train : valid).push_back(i);
  ot::train::FitOptions o;
  o.epochs = 60;
  o.patience = 60;
  o.lr = 3e-3;
  o.batch = 64;
  std::vector<ot::train::EpochLog> log;
  const auto m =
      must(ot::train::fit_supervised(d, train, valid, o, [&](const auto& e) { log.push_back(e); }));
  CHECK(log.size() == 60);
  CHECK(ot::train::score(m, d, valid).valid_corr > 0.9);
  o.model = "linear";
  CHECK(std::abs(ot::train::score(must(ot::train::fit_supervised(d, train, valid, o)), d, valid)
                     .valid_corr) < 0.2);
  o.model = "mlp";
  CHECK(ot::learn::serialize(must(ot::train::fit_supervised(d, train, valid, o))) ==
        ot::learn::serialize(m));
  o.seed = 2;
  CHECK(ot::learn::serialize(must(ot::train::fit_supervised(d, train, valid, o))) !=
        ot::learn::serialize(m));
}
#endif

TEST_CASE("dataset: candle files give the candle features", "[train]") {
  ot::BacktestConfig c;
  c.data = {data_path("candles/binance-adabtc-1m-2021-11-27.csv")};
  c.params = {{"symbol", "BTC-PERPETUAL"}};
  ot::train::DatasetOptions o;
  o.step = 60 * kSec;
  o.horizon = 60 * kSec;
  o.warmup = 0;
  ot::train::Dataset d;
  Quiet diag;
  REQUIRE(ot::train::build_dataset(c, o, d, diag));
  REQUIRE(d.rows() >= 8);
  const auto col = [&](std::string_view name) {
    return static_cast<std::size_t>(std::find(d.names.begin(), d.names.end(), name) -
                                    d.names.begin());
  };
  std::size_t moved = 0;
  for (std::size_t i = 1; i < d.rows(); ++i) {
    const double ret = d.row(i)[col("bar_return_bps")];
    const double want = 1e4 * std::log(d.mid[i] / d.mid[i - 1]);  // the closes, as the mid
    CHECK(ret == Approx(want).margin(1e-9));
    CHECK(d.row(i)[col("bar_log_volume")] > 0);
    moved += ret != 0;
  }
  CHECK(moved > 0);
}
