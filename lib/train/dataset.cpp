#include "train/dataset.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "strat/common.h"
#include "strat/learned.h"

namespace ot::train {
namespace {

// Listens to one instrument and takes a sample on each tick of the clock.
class Recorder final : public Strategy {
 public:
  Recorder(const DatasetOptions& o, Dataset& out) : o_(o), out_(out), tap_(o.features) {
    warmup_ = o.warmup >= 0 ? o.warmup : features::longest_window(o.features);
    out_.names = tap_.features().names();
    row_.resize(out_.names.size());
  }

  std::string_view name() const override { return "record"; }
  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument");
    p.add("symbol", symbol_, "instrument to sample");
  }
  Result<> validate() override {
    if (symbol_.empty())
      return Error(ErrorCode::invalid_argument, "the instrument's symbol is required");
    return {};
  }
  bool wants_depth() const override { return tap_.wants_depth(); }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!strat::is_for(e.venue, e.symbol, venue_, symbol_)) return;
    top_.update(e);
    tap_.on_top(e, ctx);
    if (!start_) {
      start_ = ctx.now();
      // The clock's ticks fall on multiples of the step.
      ctx.set_timer(strat::next_tick(ctx.now(), o_.step));
    }
  }
  void on_trade(const Trade& t, StrategyContext&) override {
    if (strat::is_for(t.venue, t.symbol, venue_, symbol_)) tap_.on_trade(t);
  }
  void on_bar(const Candle& k, StrategyContext&) override {
    if (strat::is_for(k.venue, k.symbol, venue_, symbol_)) tap_.on_bar(k);
  }

  void on_timer(Nanos now, StrategyContext& ctx) override {
    ctx.set_timer(strat::next_tick(now, o_.step));
    if (!top_.valid || !tap_.features().ready() || now - *start_ < warmup_) return;
    tap_.features().compute(now, row_);
    out_.t.push_back(now);
    out_.x.insert(out_.x.end(), row_.begin(), row_.end());
    out_.mid.push_back(top_.mid());
  }

 private:
  const DatasetOptions& o_;
  Dataset& out_;
  strat::FeatureTap tap_;
  strat::Top top_;
  std::string venue_, symbol_;
  std::vector<double> row_;
  std::optional<Nanos> start_;  // the first event of its instrument
  Nanos warmup_ = 0;
};

}  // namespace

std::vector<std::size_t> Dataset::select(Nanos from, Nanos to) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < rows(); ++i) {
    if (t[i] >= from && t[i] < to && std::isfinite(move[i])) out.push_back(i);
  }
  return out;
}

bool build_dataset(const BacktestConfig& data, const DatasetOptions& o, Dataset& out,
                   Diagnostics& diag) {
  out = Dataset{};
  BacktestConfig c = data;
  c.strategy = "record";
  c.make_strategy = [&o, &out] { return std::make_unique<Recorder>(o, out); };
  c.limits_file.clear();
  BacktestResult r;
  if (!run_backtest(c, r, diag)) return false;
  // Labels: the mid one horizon on (the first sample at or after t + H,
  // within a step of it).
  out.move.assign(out.rows(), std::numeric_limits<double>::quiet_NaN());
  std::size_t j = 0;
  for (std::size_t i = 0; i < out.rows(); ++i) {
    const Nanos want = out.t[i] + o.horizon;
    while (j < out.rows() && out.t[j] < want) ++j;
    if (j == out.rows()) break;
    if (out.t[j] - want <= o.step && out.mid[i] > 0 && out.mid[j] > 0) {
      out.move[i] = 1e4 * std::log(out.mid[j] / out.mid[i]);
    }
  }
  return true;
}

FeatureStats feature_stats(const Dataset& d, std::span<const std::size_t> rows) {
  const std::size_t n = d.cols();
  FeatureStats s;
  s.mean.assign(n, 0);
  s.scale.assign(n, 1);
  s.lo.assign(n, std::numeric_limits<double>::infinity());
  s.hi.assign(n, -std::numeric_limits<double>::infinity());
  for (std::size_t i : rows) {
    const auto r = d.row(i);
    for (std::size_t j = 0; j < n; ++j) {
      s.mean[j] += r[j];
      s.lo[j] = std::min(s.lo[j], r[j]);
      s.hi[j] = std::max(s.hi[j], r[j]);
    }
  }
  if (rows.empty()) {
    s.lo.assign(n, 0);
    s.hi.assign(n, 0);
    return s;
  }
  const double count = static_cast<double>(rows.size());
  for (double& m : s.mean) m /= count;
  // Constant up to rounding (a microprice on candles, where bid = ask):
  // constant, so that no weight and no guard stands on the noise.
  for (std::size_t j = 0; j < n; ++j) {
    if (s.hi[j] - s.lo[j] <= 1e-9 * std::max({1.0, std::abs(s.lo[j]), std::abs(s.hi[j])})) {
      s.lo[j] = s.hi[j] = s.mean[j];
    }
  }
  std::vector<double> var(n, 0);
  for (std::size_t i : rows) {
    const auto r = d.row(i);
    for (std::size_t j = 0; j < n; ++j) var[j] += (r[j] - s.mean[j]) * (r[j] - s.mean[j]);
  }
  for (std::size_t j = 0; j < n; ++j) {
    const double sd = std::sqrt(var[j] / count);
    s.scale[j] = s.constant(j) || !(sd > 0) ? std::max(1.0, std::abs(s.mean[j])) : sd;
  }
  return s;
}

}  // namespace ot::train
