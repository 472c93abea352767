// Strategies through the StrategyRunner, on a paper venue in the same
// process (strategy → exec engine → reports back), as a backtest runs them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "core/event_decoder.h"
#include "exec/exec_engine.h"
#include "exec/paper.h"
#include "features/features.h"
#include "learn/model.h"
#include "strat/runner.h"
#include "test_util.h"

namespace {

using ot::Decimal;

struct Diag final : ot::Diagnostics {
  void error(std::string_view, std::string_view m) override { errors.emplace_back(m); }
  void warning(std::string_view, std::string_view m) override { notes.emplace_back(m); }
  std::vector<std::string> errors, notes;
};

// strategy → (orders) → exec engine → (reports) → strategy, in one thread.
struct Loop {
  struct ToExec final : ot::LineSink {
    Loop* loop;
    void write_line(std::string_view, std::string_view line) override {
      lines.emplace_back(line);
      ot::test::Padded p{std::string(line)};
      loop->exec.process_line(p.view(), "strategy", 0);
    }
    std::vector<std::string> lines;
  };
  struct ToStrategy final : ot::LineSink {
    Loop* loop;
    void write_line(std::string_view, std::string_view line) override {
      if (line.find("{\"type\":\"exec\"") != 0) return;
      execs.emplace_back(line);
      ot::test::Padded p{std::string(line)};
      loop->runner.process_feedback(p.view());
    }
    std::vector<std::string> execs;
  };

  Loop(std::unique_ptr<ot::Strategy> s, std::vector<std::pair<std::string, std::string>> params)
      : strategy(std::move(s)),
        paper(ot::PaperConfig{}),
        exec(paper, to_strategy, diag),
        runner(*strategy, to_exec, diag, ot::RunnerOptions{"", "t", "bbo"}) {
    to_exec.loop = this;
    to_strategy.loop = this;
    ot::Params p;
    strategy->params(p);
    for (auto& [k, v] : params) REQUIRE(p.set(k, v));
    REQUIRE(strategy->validate());
    runner.start();
  }
  void market(ot::Nanos t, const char* bid, const char* ask, const char* bid_qty = "5",
              const char* ask_qty = "5") {
    const std::string ts = std::to_string(t);
    const std::string book = R"({"type":"book","venue":"x","symbol":"S","recv":)" + ts +
                             R"(,"snapshot":true,"bids":[[")" + bid + R"(",")" + bid_qty +
                             R"("]],"asks":[[")" + ask + R"(",")" + ask_qty + R"("]]})";
    const std::string bbo = R"({"type":"bbo","venue":"x","symbol":"S","ts":)" + ts + R"(,"recv":)" +
                            ts + R"(,"bid":")" + bid + R"(","bid_qty":")" + bid_qty +
                            R"(","ask":")" + ask + R"(","ask_qty":")" + ask_qty + "\"}";
    for (const auto& l : {book, bbo}) {
      ot::test::Padded p{l};
      runner.process_line(p.view(), "market", 0);
    }
  }
  std::vector<ot::Order> orders() const {
    std::vector<ot::Order> out;
    ot::EventDecoder d({ot::EventType::order});
    ot::DecodedEvent ev;
    for (const auto& l : to_exec.lines) {
      ot::test::Padded p{l};
      if (d.decode(p.view(), ev) && ev.kind == ot::EventType::order) {
        ev.order.id = {};
        ev.order.venue = {};
        ev.order.symbol = {};
        ev.order.strategy = {};
        out.push_back(ev.order);
      }
    }
    return out;
  }

  std::unique_ptr<ot::Strategy> strategy;
  Diag diag;
  ToExec to_exec;
  ToStrategy to_strategy;
  ot::PaperVenue paper;
  ot::ExecEngine exec;
  ot::StrategyRunner runner;
};

constexpr ot::Nanos kS = 1'000'000'000;

}  // namespace

TEST_CASE("parameters: typed, named, checked", "[strat][params]") {
  auto s = ot::make_strategy("mm");
  REQUIRE(s);
  ot::Params p;
  s->params(p);
  CHECK(p.set("gamma", "0.5"));
  const auto lots = p.set("gamma", "lots");
  REQUIRE_FALSE(lots);
  CHECK_THAT(lots.error().message(), Catch::Contains("expected a number"));
  CHECK(lots.error().is_usage());
  CHECK_FALSE(p.set("qty", "1.2.3"));
  const auto unknown = p.set("nonsense", "1");
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message(), Catch::Contains("unknown parameter"));
  const auto invalid = s->validate();  // no symbol
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().message() == "mm: --symbol is required");
  CHECK(ot::make_strategy("nope") == nullptr);
  CHECK(ot::builtin_strategies().size() == 6);
}

TEST_CASE("mm quotes around the reservation price, skews with inventory, never crosses",
          "[strat][mm]") {
  Loop loop(ot::make_strategy("mm"), {{"symbol", "S"},
                                      {"qty", "1"},
                                      {"gamma", "0.1"},
                                      {"kappa", "1"},
                                      {"sigma", "1"},
                                      {"horizon", "10"},
                                      {"max_inventory", "2"},
                                      {"tick", "0.01"}});
  loop.market(1 * kS, "100.00", "100.10");
  auto o = loop.orders();
  REQUIRE(o.size() == 2);
  // s = 10005 ticks, δ = 0.1·1·10 + 20·ln(1.1) = 2.906; bid ⌊10005 − 1.45⌋.
  CHECK(o[0].side == ot::Side::buy);
  CHECK(o[0].price->to_string() == "100.03");
  CHECK(o[0].tif == ot::Tif::post_only);
  CHECK(o[1].price->to_string() == "100.07");
  // Our bid gets hit (the ask moves to our price): long 1, quotes shift down
  // by q·γ·σ²·τ = 1 tick.
  loop.market(2 * kS, "100.00", "100.03", "5", "1");
  REQUIRE(loop.runner.position("x", "S").to_string() == "1");
  // Old quotes are canceled first, new ones follow on the next update.
  loop.market(3 * kS, "100.00", "100.10");
  loop.market(4 * kS, "100.00", "100.10");
  o = loop.orders();
  auto last = [&](ot::Side side) {
    for (auto it = o.rbegin(); it != o.rend(); ++it) {
      if (it->side == side) return it->price->to_string();
    }
    return std::string();
  };
  CHECK(last(ot::Side::buy) == "100.02");
  CHECK(last(ot::Side::sell) == "100.06");
  // A narrow market: quotes never cross it.
  const std::size_t seen = o.size();
  for (int t = 5; t < 8; ++t) loop.market(t * kS, "100.04", "100.05");
  o = loop.orders();
  REQUIRE(o.size() > seen);
  for (std::size_t i = seen; i < o.size(); ++i) {
    if (o[i].side == ot::Side::buy) CHECK(o[i].price->to_double() <= 100.04 + 1e-9);
    if (o[i].side == ot::Side::sell) CHECK(o[i].price->to_double() >= 100.05 - 1e-9);
  }
  CHECK(loop.diag.errors.empty());
}

TEST_CASE("mm stops quoting the side beyond max inventory and pulls on an invalid book",
          "[strat][mm]") {
  Loop loop(
      ot::make_strategy("mm"),
      {{"symbol", "S"}, {"qty", "1"}, {"sigma", "1"}, {"max_inventory", "1"}, {"tick", "0.01"}});
  loop.market(1 * kS, "100.00", "100.10");
  REQUIRE(loop.orders().size() == 2);
  loop.market(2 * kS, "100.00", "100.00", "5", "1");  // a crossed update fills our bid
  REQUIRE(loop.runner.position("x", "S").to_string() == "1");
  loop.market(3 * kS, "100.00", "100.10");
  loop.market(3 * kS + 1, "100.00", "100.10");
  for (std::size_t i = 2; i < loop.orders().size(); ++i) {
    CHECK(loop.orders()[i].side == ot::Side::sell);  // no more bids at max inventory
  }
  const std::string st =
      R"({"type":"status","venue":"x","symbol":"S","ts":4000000000,"event":"book_invalid","detail":"gap"})";
  ot::test::Padded p{st};
  const auto before = loop.runner.stats().cancels;
  loop.runner.process_line(p.view(), "m", 0);
  CHECK(loop.runner.stats().cancels > before);
  const auto n = loop.orders().size();
  loop.market(5 * kS, "100.00", "100.10");
  CHECK(loop.orders().size() == n);  // paused until book_valid
}

TEST_CASE("twap works the parent order in slices and catches up", "[strat][twap]") {
  Loop loop(ot::make_strategy("twap"),
            {{"symbol", "S"}, {"side", "buy"}, {"qty", "10"}, {"duration", "10"}, {"slices", "5"}});
  for (int t = 0; t <= 12; ++t) loop.market((10 + t) * kS, "100.00", "100.10", "50", "3");
  const auto o = loop.orders();
  REQUIRE(o.size() >= 5);
  CHECK(o[0].qty.to_string() == "2");
  CHECK(o[0].tif == ot::Tif::ioc);
  CHECK(o[0].price->to_string() == "100.10");
  CHECK(loop.runner.position("x", "S").to_string() == "10");
}

TEST_CASE("momentum follows a trend, meanrev fades a stretch", "[strat][momentum][meanrev]") {
  Loop mom(ot::make_strategy("momentum"),
           {{"symbol", "S"}, {"qty", "2"}, {"fast", "2"}, {"slow", "10"}, {"warmup", "5"}});
  for (int t = 0; t < 40; ++t) {
    const double px = 100 + 0.05 * t;
    char bid[16], ask[16];
    std::snprintf(bid, sizeof bid, "%.2f", px);
    std::snprintf(ask, sizeof ask, "%.2f", px + 0.01);
    mom.market(t * kS, bid, ask, "50", "50");
  }
  CHECK(mom.runner.position("x", "S").to_string() == "2");
  Loop rev(ot::make_strategy("meanrev"), {{"symbol", "S"},
                                          {"qty", "1"},
                                          {"window", "20"},
                                          {"interval", "1"},
                                          {"entry_z", "2"},
                                          {"exit_z", "0.5"}});
  for (int t = 0; t < 30; ++t) {
    rev.market(t * kS, t % 2 ? "100.00" : "100.02", t % 2 ? "100.02" : "100.04", "50", "50");
  }
  rev.market(31 * kS, "100.30", "100.32", "50", "50");  // stretched up: short
  CHECK(rev.runner.position("x", "S").to_string() == "-1");
}

namespace {

// A model over the default features that always predicts `move_bps`, with
// spread_bps's training range [0, 20] and every other feature constant.
ot::learn::Model constant_model(float move_bps) {
  ot::learn::Model m;
  ot::features::FeatureSet fs;
  m.names = fs.names();
  m.features = ot::features::describe(fs.config());
  m.mean.assign(m.names.size(), 0);
  m.scale.assign(m.names.size(), 1);
  m.lo.assign(m.names.size(), 0);
  m.hi.assign(m.names.size(), 0);
  m.hi[0] = 20;  // spread_bps
  m.horizon = 1'000'000'000LL;
  m.layers.push_back({m.names.size(),
                      1,
                      ot::learn::Activation::linear,
                      std::vector<float>(m.names.size(), 0.0f),
                      {move_bps}});
  return m;
}

std::vector<std::string> statuses(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (l.find("{\"type\":\"status\"") == 0) out.push_back(l);
  }
  return out;
}

}  // namespace

TEST_CASE("learned: trades on the model's signal, halts outside the training range, resumes",
          "[strat][learned]") {
  ot::test::TempDir dir;
  const std::string path = dir.path + "/m.model";
  const auto m = constant_model(5);
  REQUIRE(ot::learn::save_model(path, m));
  Loop loop(ot::make_strategy("learned"),
            {{"model", path}, {"symbol", "S"}, {"max_position", "2"}, {"warmup", "0.001"}});
  CHECK(loop.strategy->tag() == "learned:" + ot::learn::model_hash(m).substr(0, 16));
  const ot::Nanos s = 1'000'000'000LL;
  loop.market(s, "100.00", "100.01");  // first event: warm-up starts
  loop.market(2 * s, "100.00", "100.01");
  REQUIRE(loop.orders().size() == 1);
  CHECK(loop.orders()[0].side == ot::Side::buy);
  CHECK(loop.orders()[0].qty == ot::test::dec("2"));
  const auto order =
      std::find_if(loop.to_exec.lines.begin(), loop.to_exec.lines.end(),
                   [](const auto& l) { return l.starts_with("{\"type\":\"order\""); });
  REQUIRE(order != loop.to_exec.lines.end());
  CHECK_THAT(
      *order,
      Catch::Contains("\"strategy\":\"learned:" + ot::learn::model_hash(m).substr(0, 16) + "\""));
  // A spread of 100 bps: spread_bps beyond 20 + 0.25 × 20.
  loop.market(3 * s, "100.00", "101.00");
  auto st = statuses(loop.to_exec.lines);
  REQUIRE(st.size() == 1);
  CHECK_THAT(st[0], Catch::Contains("\"event\":\"strategy_halted\"") &&
                        Catch::Contains("spread_bps = 99.5") &&
                        Catch::Contains("outside its training range [0, 20]"));
  loop.market(4 * s, "100.00", "101.00");
  CHECK(statuses(loop.to_exec.lines).size() == 1);  // said once
  loop.market(5 * s, "99.00", "99.01");
  st = statuses(loop.to_exec.lines);
  REQUIRE(st.size() == 2);
  CHECK_THAT(st[1], Catch::Contains("strategy_resumed"));
}

TEST_CASE("learned: an expired model sends nothing; a model of other features is refused",
          "[strat][learned]") {
  ot::test::TempDir dir;
  const std::string path = dir.path + "/m.model";
  auto m = constant_model(5);
  m.expires = 1'500'000'000LL;
  REQUIRE(ot::learn::save_model(path, m));
  Loop loop(ot::make_strategy("learned"), {{"model", path}, {"symbol", "S"}, {"warmup", "0.001"}});
  loop.market(1'000'000'000LL, "100.00", "100.01");
  loop.market(2'000'000'000LL, "100.00", "100.01");
  CHECK(loop.orders().empty());
  const auto st = statuses(loop.to_exec.lines);
  REQUIRE(st.size() == 1);
  CHECK_THAT(st[0], Catch::Contains("model expired at 1970-01-01T00:00:01.5"));

  m.names[3] = "something_else";
  REQUIRE(ot::learn::save_model(path, m));
  auto s = ot::make_strategy("learned");
  ot::Params p;
  s->params(p);
  REQUIRE(p.set("model", path));
  REQUIRE(p.set("symbol", "S"));
  const auto v = s->validate();
  REQUIRE_FALSE(v);
  CHECK_THAT(v.error().message(), Catch::Contains("not this version's"));
}
