#include "strat/learned.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "learn/model.h"
#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {

FeatureTap::FeatureTap(features::FeatureConfig config) : set_(std::move(config)) {
  for (std::size_t d : set_.config().depths) levels_ = std::max(levels_, d);
  wants_depth_ = levels_ > 1;
}

void FeatureTap::on_top(const TopOfBookEvent& e, StrategyContext& ctx) {
  const Nanos t = ctx.now();
  set_.on_top(e);
  if (wants_depth_ && ctx.depth(e.venue, e.symbol, levels_, bids_, asks_)) {
    set_.on_depth(t, bids_, asks_);
  }
}

void FeatureTap::on_trade(const Trade& t) { set_.on_trade(t); }

void FeatureTap::on_bar(const Candle& k) { set_.on_bar(k); }

void FeatureTap::on_exec(const Exec& e) {
  if ((e.status != ExecStatus::partial && e.status != ExecStatus::filled) || !e.qty) return;
  set_.on_fill(e.ts, e.side, e.qty->to_double());
}

namespace {

class Learned final : public Strategy {
 public:
  std::string_view name() const override { return "learned"; }
  std::string_view tag() const override { return tag_; }

  void params(Params& p) override {
    p.add("model", path_, "model file written by ot-train");
    p.add("venue", venue_, "venue of the instrument (as in the events)");
    p.add("symbol", symbol_, "instrument to trade");
    p.add("max_position", max_position_, "position when the model signals");
    p.add("threshold_bps", threshold_bps_,
          "supervised: act on predicted moves of at least this many bps");
    p.add("range_tolerance", range_tolerance_,
          "halt when a feature leaves its training range by this fraction of it");
    p.add("warmup", warmup_s_, "seconds of data before the first order (default: longest window)");
  }

  Result<> validate() override {
    auto fail = [](const std::string& what) {
      return Error(ErrorCode::invalid_argument, "learned: " + what);
    };
    if (path_.empty()) return fail("--model is required");
    if (symbol_.empty()) return fail("--symbol is required");
    if (max_position_.mantissa <= 0) return fail("--max_position must be positive");
    if (range_tolerance_ < 0) return fail("--range_tolerance must not be negative");
    auto m = learn::load_model(path_);
    if (!m) return m.error();
    model_ = std::make_unique<learn::Model>(std::move(m).value());
    auto config = features::parse_description(model_->features);
    if (!config) return config.error().within(path_);
    tap_ = std::make_unique<FeatureTap>(*config);
    if (tap_->features().names() != model_->names) {
      return fail(path_ + ": the model's features are not this version's (retrain it)");
    }
    if (model_->kind == "rl") {
      targets_.clear();
      for (const auto& a : model_->actions) {
        if (a == "short")
          targets_.push_back(-1);
        else if (a == "flat")
          targets_.push_back(0);
        else if (a == "long")
          targets_.push_back(1);
        else
          return fail(path_ + ": unknown action '" + a + "'");
      }
    } else if (model_->outputs() != 1) {
      return fail(path_ + ": a supervised model has one output");
    }
    forward_ = std::make_unique<learn::Forward>(*model_);
    x_.assign(model_->inputs(), 0.0);
    tag_ = "learned:" + learn::model_hash(*model_).substr(0, 16);
    if (warmup_s_ <= 0) warmup_s_ = static_cast<double>(features::longest_window(*config)) * 1e-9;
    return {};
  }

  bool wants_depth() const override { return tap_ && tap_->wants_depth(); }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    tap_->on_top(e, ctx);
    if (!start_) start_ = ctx.now();
    if (targets_.empty() || model_->step <= 0) return decide(ctx);
    // An rl policy acts on the clock it was trained on.
    if (!clock_started_) {
      clock_started_ = true;
      ctx.set_timer(next_tick(ctx.now(), model_->step));
    }
  }

  void on_timer(Nanos now, StrategyContext& ctx) override {
    ctx.set_timer(next_tick(now, model_->step));
    decide(ctx);
  }

  void on_trade(const Trade& t, StrategyContext&) override {
    if (is_for(t.venue, t.symbol, venue_, symbol_)) tap_->on_trade(t);
  }

  void on_bar(const Candle& k, StrategyContext&) override {
    if (is_for(k.venue, k.symbol, venue_, symbol_)) tap_->on_bar(k);
  }

  void on_exec(const Exec& e, StrategyContext&) override { tap_->on_exec(e); }

  void on_stop(StrategyContext& ctx) override { cancel_working(ctx); }

 private:
  void decide(StrategyContext& ctx) {
    const Nanos now = ctx.now();
    if (!top_.valid || !tap_->features().ready()) return;
    if (static_cast<double>(now - *start_) * 1e-9 < warmup_s_) return;
    tap_->features().compute(now, x_);
    if (!guard(ctx)) return;
    const auto out = forward_->run(x_);
    Decimal target = target_;
    if (!targets_.empty()) {
      const auto best = std::max_element(out.begin(), out.end()) - out.begin();
      target = scaled(targets_[static_cast<std::size_t>(best)]);
    } else if (std::abs(out[0]) >= threshold_bps_) {
      target = scaled(out[0] > 0 ? 1 : -1);
      signal_at_ = now;
    } else if (now - signal_at_ >= model_->horizon) {
      target = Decimal{0, max_position_.scale};
    }
    target_ = target;
    trader_.trade_to(ctx, venue_, symbol_, target_, top_);
  }

  Decimal scaled(int sign) const {
    return sign >= 0 ? (sign == 0 ? Decimal{0, max_position_.scale} : max_position_)
                     : negate(max_position_);
  }

  // False (after saying so once) while the model must not trade.
  bool guard(StrategyContext& ctx) {
    const bool expired = model_->expires != 0 && ctx.now() >= model_->expires;
    std::size_t out = x_.size();  // the first feature out of range
    for (std::size_t i = 0; !expired && i < x_.size(); ++i) {
      const double lo = model_->lo[i], hi = model_->hi[i];
      if (hi <= lo) continue;  // constant in training: no weight
      // A narrow range far from zero (a one-tick spread in bps) is
      // judged by its size, not its width.
      const double slack =
          range_tolerance_ * std::max(hi - lo, std::max(std::abs(lo), std::abs(hi)));
      if (x_[i] < lo - slack || x_[i] > hi + slack) {
        out = i;
        break;
      }
    }
    if (!expired && out == x_.size()) {
      if (halted_) {
        halted_ = false;
        ctx.status(venue_, symbol_, "strategy_resumed", "features back in their training range");
      }
      return true;
    }
    if (!halted_) {  // said once, so formatted once
      halted_ = true;
      cancel_working(ctx);
      const std::string why =
          expired ? "model expired at " + format_iso8601(model_->expires)
                  : fmt::format("feature {} = {:.6g} outside its training range [{:.6g}, {:.6g}]",
                                model_->names[out], x_[out], model_->lo[out], model_->hi[out]);
      ctx.status(venue_, symbol_, "strategy_halted", why);
    }
    return false;
  }

  void cancel_working(StrategyContext& ctx) {
    std::vector<std::string> open;
    ctx.orders().for_each_open([&](const TrackedOrder& o) { open.emplace_back(o.id); });
    for (const auto& id : open) ctx.cancel(id);
  }

  std::string path_, venue_, symbol_, tag_ = "learned";
  Decimal max_position_{1, 0};
  double threshold_bps_ = 1, range_tolerance_ = 0.25, warmup_s_ = 0;

  std::unique_ptr<learn::Model> model_;
  std::unique_ptr<learn::Forward> forward_;
  std::unique_ptr<FeatureTap> tap_;
  std::vector<double> x_;
  std::vector<int> targets_;  // rl: per action
  Top top_;
  TargetTrader trader_;
  Decimal target_{0, 0};
  std::optional<Nanos> start_;  // the first event of its instrument
  Nanos signal_at_ = 0;
  bool halted_ = false, clock_started_ = false;
};

}  // namespace

std::unique_ptr<Strategy> make_learned() { return std::make_unique<Learned>(); }

}  // namespace ot::strat
