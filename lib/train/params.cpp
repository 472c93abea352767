#include "train/params.h"

#include <charconv>
#include <utility>

#include "backtest/latency.h"

namespace ot::train {

TrainParams::TrainParams(TrainConfig& c, bool rl) : c_(c) {
  if (rl) {
    hidden_ = "16";
    c.fit.l2 = 0.01;
    c.fit.lr = 3e-4;
  }
  p_.add("model", c.fit.model, "mlp (libtorch) or linear (ridge regression)");
  p_.add("hidden", hidden_, "mlp: hidden layer widths, e.g. 32,32");
  p_.add("epochs", epochs_, "mlp: passes over the training samples at most");
  p_.add("batch", batch_, "mlp: samples per gradient step");
  p_.add("lr", c.fit.lr, "mlp: Adam's learning rate");
  p_.add("l2", c.fit.l2, "weight decay (mlp) or ridge penalty (linear)");
  p_.add("patience", patience_,
         "mlp: stop after this many epochs without a better validation loss");
  p_.add("horizon", horizon_, "the move predicted: the mid this long after the sample");
  p_.add("step", step_, "sampling clock");
  p_.add("warmup", warmup_, "no samples before this much data (default: the longest window)");
  p_.add("purge", purge_, "gap between the windows (default: the horizon)");
  p_.add("train_fraction", c.train_fraction, "training window, fraction of the data's time");
  p_.add("valid_fraction", c.valid_fraction, "validation window, fraction of the data's time");
  p_.add("expires", expires_, "the model expires this long after its training data (0: never)");
  p_.add("episodes", episodes_, "rl: passes over the training window");
  p_.add("gamma", c.rl.gamma, "rl: discount per step");
  p_.add("inventory_penalty", c.rl.inventory_penalty, "rl: bps per step at a full position");
  p_.add("eps_end", c.rl.eps_end, "rl: exploration rate at the end");
  p_.add("explore", c.rl.explore, "rl: fraction of all steps over which exploration falls");
  p_.add("replay", replay_, "rl: transitions kept for replay");
  p_.add("learn_after", learn_after_, "rl: transitions before learning starts");
  p_.add("target_every", target_every_, "rl: steps between target network copies");
  p_.add("max_position", c.max_position, "evaluation: the learned policy's position");
  p_.add("threshold_bps", c.threshold_bps, "evaluation: act on predicted moves of this many bps");
}

Result<> TrainParams::apply() {
  auto bad = [](std::string what) { return Error(ErrorCode::invalid_argument, std::move(what)); };
  auto duration = [&](const std::string& name, const std::string& text, Nanos& out) -> Result<> {
    auto d = parse_duration(text);
    if (!d || *d < 0) return bad(name + ": not a duration: '" + text + "'");
    out = *d;
    return {};
  };
  if (auto r = duration("horizon", horizon_, c_.dataset.horizon); !r) return r;
  if (auto r = duration("step", step_, c_.dataset.step); !r) return r;
  if (auto r = duration("expires", expires_, c_.expires_after); !r) return r;
  c_.dataset.warmup = -1;
  if (!warmup_.empty()) {
    if (auto r = duration("warmup", warmup_, c_.dataset.warmup); !r) return r;
  }
  c_.purge = -1;
  if (!purge_.empty()) {
    if (auto r = duration("purge", purge_, c_.purge); !r) return r;
  }
  if (c_.dataset.step <= 0 || c_.dataset.horizon < c_.dataset.step) {
    return bad("step must be positive and horizon at least one step");
  }
  if (batch_ > replay_) return bad("batch must not exceed replay");
  c_.fit.hidden.clear();
  std::string_view h = hidden_;
  while (!h.empty()) {
    const std::size_t comma = std::min(h.find(','), h.size());
    std::size_t width = 0;
    const auto part = h.substr(0, comma);
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), width);
    if (ec != std::errc() || p != part.data() + part.size() || width == 0 || width > 4096) {
      return bad("hidden: expected widths such as 32,32, not '" + hidden_ + "'");
    }
    c_.fit.hidden.push_back(width);
    h.remove_prefix(std::min(comma + 1, h.size()));
  }
  if (epochs_ < 1 || batch_ < 1 || patience_ < 1)
    return bad("epochs, batch and patience must be positive");
  if (episodes_ < 1 || replay_ < 1 || learn_after_ < 0 || target_every_ < 1) {
    return bad("episodes, replay and target_every must be positive");
  }
  if (!(c_.rl.gamma >= 0 && c_.rl.gamma < 1) || !(c_.rl.eps_end >= 0 && c_.rl.eps_end <= 1) ||
      !(c_.rl.explore >= 0 && c_.rl.explore <= 1)) {
    return bad("gamma must be in [0, 1), eps_end and explore in [0, 1]");
  }
  c_.rl.episodes = static_cast<int>(episodes_);
  c_.rl.replay = static_cast<std::size_t>(replay_);
  c_.rl.warmup = static_cast<std::size_t>(learn_after_);
  c_.rl.target_every = static_cast<int>(target_every_);
  c_.fit.epochs = static_cast<int>(epochs_);
  c_.fit.batch = static_cast<std::size_t>(batch_);
  c_.fit.patience = static_cast<int>(patience_);
  if (!(c_.train_fraction > 0) || !(c_.valid_fraction > 0) ||
      c_.train_fraction + c_.valid_fraction >= 1) {
    return bad(
        "train_fraction and valid_fraction must be positive and leave room for a test window");
  }
  return {};
}

}  // namespace ot::train
