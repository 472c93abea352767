// The trainer's settings as named parameters, set by `ot-train --param
// k=v` and by the [supervised] table of `--config FILE`, over a
// TrainConfig. man ot-train lists them.
#pragma once

#include <cstdint>
#include <string>

#include "strat/strategy.h"
#include "train/trainer.h"

namespace ot::train {

class TrainParams {
 public:
  explicit TrainParams(TrainConfig& c);
  Params& params() { return p_; }
  // After every value is set: durations and lists into the config.
  // invalid_argument for a value that does not parse or is out of range.
  Result<> apply();

 private:
  TrainConfig& c_;
  Params p_;
  std::string horizon_ = "10s", step_ = "1s", hidden_ = "32,32", purge_, expires_ = "0";
  std::int64_t epochs_ = 40, batch_ = 256, patience_ = 8;
};

}  // namespace ot::train
