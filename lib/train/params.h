// The trainer's settings as named parameters, set by `ot-train --param
// k=v` and by the [supervised] or [rl] table of `--config FILE`, over a
// TrainConfig. man ot-train lists them.
#pragma once

#include <cstdint>
#include <string>

#include "strat/strategy.h"
#include "train/trainer.h"

namespace ot::train {

class TrainParams {
 public:
  // `rl`: the agent's defaults (a smaller, more regularised network: hidden
  // 16, l2 0.01, lr 0.0003), which TrainConfig's own defaults do not have.
  TrainParams(TrainConfig& c, bool rl);
  Params& params() { return p_; }
  // After every value is set: durations and lists into the config.
  // invalid_argument for a value that does not parse or is out of range.
  Result<> apply();

 private:
  TrainConfig& c_;
  Params p_;
  std::string horizon_ = "10s", step_ = "1s", hidden_ = "32,32", purge_, expires_ = "0", warmup_;
  std::int64_t epochs_ = 40, batch_ = 256, patience_ = 8, episodes_ = 6, replay_ = 50000,
               learn_after_ = 500, target_every_ = 500;
};

}  // namespace ot::train
