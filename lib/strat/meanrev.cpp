// Mean reversion: the mid sampled every `interval` seconds, its rolling
// mean and standard deviation over `window` samples, z = (mid − mean) / sd.
// Short `qty` when z > entry_z, long when z < −entry_z, flat once
// |z| < exit_z; in between the position is held.
#include <cmath>
#include <deque>

#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {
namespace {

class MeanReversion final : public Strategy {
 public:
  std::string_view name() const override { return "meanrev"; }

  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument (as in the events)");
    p.add("symbol", symbol_, "instrument to trade");
    p.add("qty", qty_, "position size when the mid is stretched");
    p.add("window", window_, "samples in the rolling mean");
    p.add("interval", interval_s_, "seconds between samples");
    p.add("entry_z", entry_z_, "enter beyond this z-score");
    p.add("exit_z", exit_z_, "go flat within this z-score");
  }

  Result<> validate() override {
    std::string error;
    if (symbol_.empty())
      error = "meanrev: --symbol is required";
    else if (qty_.mantissa <= 0)
      error = "meanrev: --qty must be positive";
    else if (window_ < 2)
      error = "meanrev: --window must be at least 2";
    else if (interval_s_ <= 0)
      error = "meanrev: --interval must be positive";
    else if (exit_z_ < 0 || entry_z_ <= exit_z_)
      error = "meanrev: need 0 <= --exit-z < --entry-z";
    return error.empty() ? Result<>() : Error(ErrorCode::invalid_argument, error);
  }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    if (!top_.valid) return;
    const Nanos step = static_cast<Nanos>(interval_s_ * 1e9);
    if (next_sample_ != 0 && ctx.now() < next_sample_) return;
    next_sample_ = ctx.now() + step;
    const double mid = top_.mid();
    samples_.push_back(mid);
    sum_ += mid;
    sum_sq_ += mid * mid;
    if (static_cast<std::int64_t>(samples_.size()) > window_) {
      const double old = samples_.front();
      samples_.pop_front();
      sum_ -= old;
      sum_sq_ -= old * old;
    }
    if (static_cast<std::int64_t>(samples_.size()) < window_) return;
    const double n = static_cast<double>(samples_.size());
    const double mean = sum_ / n;
    const double var = std::max(sum_sq_ / n - mean * mean, 0.0);
    if (var <= 0) return;
    last_z_ = (mid - mean) / std::sqrt(var);
    if (last_z_ > entry_z_)
      target_ = negate(qty_);
    else if (last_z_ < -entry_z_)
      target_ = qty_;
    else if (std::fabs(last_z_) < exit_z_)
      target_ = Decimal{0, 0};
    trader_.trade_to(ctx, venue_, symbol_, target_, top_);
  }

 private:
  std::string venue_, symbol_;
  Decimal qty_{1, 0};
  std::int64_t window_ = 60;
  double interval_s_ = 1, entry_z_ = 2, exit_z_ = 0.5;

  Top top_;
  std::deque<double> samples_;
  double sum_ = 0, sum_sq_ = 0, last_z_ = 0;
  Nanos next_sample_ = 0;
  Decimal target_{0, 0};
  TargetTrader trader_;
};

}  // namespace

std::unique_ptr<Strategy> make_mean_reversion() { return std::make_unique<MeanReversion>(); }

}  // namespace ot::strat
