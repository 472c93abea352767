// The learned strategy (`ot-strat learned --model FILE`, `ot-backtest
// --strategy learned --param model=FILE`) and the piece it shares with the
// trainer: FeatureTap, which feeds a features::FeatureSet from what a
// strategy hears of one instrument, so that the features a model is
// trained on and the features it is served are computed by the same code
// from the same events.
//
// The policy, once `warmup` has passed (supervised: on each top of book of
// its instrument):
//   supervised model (a predicted mid move over the horizon, in bps):
//     |prediction| ≥ threshold_bps → position target ±max_position, held
//     for the model's horizon; no signal for a horizon → target 0;
//   rl model (one value per action, actions "short", "flat", "long"):
//     the target of the action with the highest value, chosen once per
//     step of the clock the agent was trained on (the model's step).
// It trades to its target with one marketable IOC order at a time
// (strat/common.h's TargetTrader).
//
// Guards: when a feature leaves its training range [lo, hi] by more than
// range_tolerance × max(hi − lo, |lo|, |hi|) (a narrow range far from zero,
// such as a one-tick spread in bps, is judged by its size), or the model is past its expiry, it
// cancels what is working, sends no new order, and says so in a `status` event (strategy_halted,
// with the feature and its value); it resumes (strategy_resumed) once every feature is back in
// range. Features that were constant in training carry no weight and are not guarded. ot-risk's
// limits apply to its orders as to any other.
//
// Orders carry "learned:<the first 16 hex digits of the model's sha256>"
// in `strategy`.
//
// Threading: as every strategy, on its runner's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "features/features.h"
#include "strat/strategy.h"

namespace ot::strat {

class FeatureTap {
 public:
  explicit FeatureTap(features::FeatureConfig config = {});

  features::FeatureSet& features() { return set_; }
  // Whether it reads the book's depth (a depth of more than one level).
  bool wants_depth() const { return wants_depth_; }

  // The instrument's events (the caller filters by instrument). on_top
  // reads the book's depth through the context when wants_depth().
  void on_top(const TopOfBookEvent& e, StrategyContext& ctx);
  void on_trade(const Trade& t);
  void on_bar(const Candle& k);
  // Own reports: fills move the inventory feature.
  void on_exec(const Exec& e);

 private:
  features::FeatureSet set_;
  bool wants_depth_ = false;
  std::size_t levels_ = 1;
  std::vector<Level> bids_, asks_;
};

// The first tick of a clock of period `step` (ticks at multiples of it)
// after `now`: where a strategy acting on the clock sets its next timer, so
// that a gap in the data skips ticks instead of delaying the clock.
inline Nanos next_tick(Nanos now, Nanos step) { return (now / step + 1) * step; }

std::unique_ptr<Strategy> make_learned();

}  // namespace ot::strat
