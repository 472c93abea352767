#include "strat/strategies.h"

namespace ot {

const std::vector<StrategyFactory>& builtin_strategies() {
  static const std::vector<StrategyFactory> all = {
      {"mm", "Avellaneda-Stoikov market maker", strat::make_market_maker},
      {"momentum", "EMA crossover on the mid or trades", strat::make_momentum},
      {"meanrev", "z-score of the mid against a rolling mean", strat::make_mean_reversion},
      {"twap", "work a parent order evenly over time", strat::make_twap},
      {"learned", "a model trained by ot-train (supervised or rl)", strat::make_learned},
      {"probe", "tick-to-trade probe: an IOC at the bid per top-of-book change", strat::make_probe},
  };
  return all;
}

std::unique_ptr<Strategy> make_strategy(std::string_view name) {
  for (const auto& f : builtin_strategies()) {
    if (f.name == name) return f.create();
  }
  return nullptr;
}

}  // namespace ot
