// Momentum: a fast and a slow exponential moving average (time constants
// in seconds) of the mid (bbo/quote events) or of trade prices. Long
// `qty` while fast is above slow by more than `threshold_bps`, short
// (or flat with long_only) while below by as much; in between the position
// is held. Trades to its target with marketable IOC orders.
#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {
namespace {

class Momentum final : public Strategy {
 public:
  std::string_view name() const override { return "momentum"; }

  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument (as in the events)");
    p.add("symbol", symbol_, "instrument to trade");
    p.add("qty", qty_, "position size when in a trend");
    p.add("fast", fast_s_, "fast EMA time constant, seconds");
    p.add("slow", slow_s_, "slow EMA time constant, seconds");
    p.add("threshold_bps", threshold_bps_, "fast must lead slow by this much, basis points");
    p.add("source", source_, "mid or trades");
    p.add("long_only", long_only_, "flat instead of short in a down trend");
    p.add("warmup", warmup_s_, "seconds of data before the first trade (default: slow)");
  }

  Result<> validate() override {
    std::string error;
    if (symbol_.empty())
      error = "momentum: --symbol is required";
    else if (qty_.mantissa <= 0)
      error = "momentum: --qty must be positive";
    else if (fast_s_ <= 0 || slow_s_ <= fast_s_)
      error = "momentum: need 0 < --fast < --slow";
    else if (source_ != "mid" && source_ != "trades")
      error = "momentum: --source is mid or trades";
    return error.empty() ? Result<>() : Error(ErrorCode::invalid_argument, error);
  }

  void on_start(StrategyContext&) override {
    fast_.tau_s = fast_s_;
    slow_.tau_s = slow_s_;
    if (warmup_s_ <= 0) warmup_s_ = slow_s_;
  }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    if (source_ == "mid" && top_.valid) sample(top_.mid(), ctx);
  }

  void on_trade(const Trade& t, StrategyContext& ctx) override {
    if (!is_for(t.venue, t.symbol, venue_, symbol_) || source_ != "trades") return;
    if (venue_.empty()) venue_ = t.venue;
    if (auto p = Decimal::parse(t.price)) sample(p->to_double(), ctx);
  }

  void on_stop(StrategyContext&) override {}

 private:
  void sample(double x, StrategyContext& ctx) {
    if (start_ == 0) start_ = ctx.now();
    fast_.add(x, ctx.now());
    slow_.add(x, ctx.now());
    if (static_cast<double>(ctx.now() - start_) * 1e-9 < warmup_s_) return;
    const double lead_bps = (fast_.value - slow_.value) / slow_.value * 1e4;
    if (lead_bps > threshold_bps_)
      target_ = qty_;
    else if (lead_bps < -threshold_bps_)
      target_ = long_only_ ? Decimal{0, 0} : negate(qty_);
    trader_.trade_to(ctx, venue_, symbol_, target_, top_);
  }

  std::string venue_, symbol_, source_ = "mid";
  Decimal qty_{1, 0};
  double fast_s_ = 10, slow_s_ = 60, threshold_bps_ = 0, warmup_s_ = 0;
  bool long_only_ = false;

  TimeEma fast_, slow_;
  Top top_;
  Nanos start_ = 0;
  Decimal target_{0, 0};
  TargetTrader trader_;
};

}  // namespace

std::unique_ptr<Strategy> make_momentum() { return std::make_unique<Momentum>(); }

}  // namespace ot::strat
