// Reinforcement learning on libtorch (built only with -DOT_WITH_TORCH=ON):
// a deep Q-network agent whose environment is the fused backtest itself.
//
// The agent is a Strategy: run_backtest drives it through the same data
// reader, book, risk and paper venue (queue position, latency, fees) as any
// backtest. Every `step` of the data's clock it reads the features (the
// learned strategy's FeatureTap), chooses an action ε-greedily (short,
// flat or long: a position target of −1, 0 or +1 × max_position), and
// trades to it with the learned strategy's TargetTrader. The reward of a
// step is the change of its marked-to-mid equity (fees paid included), in
// bps of the position's notional, minus inventory_penalty × (position /
// max_position)².
//
// Learning: double DQN (the online network picks the next action, the
// target network values it), Huber loss, Adam, a replay memory sampled
// uniformly, the target network copied every `target_every` steps, ε
// falling linearly from 1 to eps_end over the first `explore` fraction of
// all steps. Everything random draws from one generator seeded with the
// seed, and libtorch's from the same seed.
//
// Threading: single-threaded, as run_backtest.
#pragma once

#include <memory>
#include <vector>

#include "learn/model.h"
#include "strat/strategy.h"
#include "train/dataset.h"
#include "train/fit.h"
#include "train/trainer.h"

namespace ot::train {

class DqnTrainer {
 public:
  // `stats` normalises the inputs (the features, as sampled); the agent's
  // position is ±max_position or 0; `total_steps` (of all episodes) paces ε.
  DqnTrainer(const DatasetOptions& data, const FeatureStats& stats, const FitOptions& fit,
             const RlOptions& rl, Decimal max_position, std::size_t total_steps);
  ~DqnTrainer();

  // A fresh agent for one episode (its stats go to `out`); the strategy
  // reads `venue` and `symbol` parameters as the others do.
  std::unique_ptr<Strategy> make_agent(EpisodeStats& out);
  // The online network's layers (relu hidden layers, linear output).
  std::vector<learn::Layer> layers() const;

  struct Impl;  // the networks, the optimiser and the replay memory

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot::train
