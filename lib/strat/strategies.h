// Constructors of the built-in strategies (see each .cpp for the model).
#pragma once

#include <memory>

#include "strat/strategy.h"

namespace ot::strat {

std::unique_ptr<Strategy> make_market_maker();
std::unique_ptr<Strategy> make_momentum();
std::unique_ptr<Strategy> make_mean_reversion();
std::unique_ptr<Strategy> make_twap();
std::unique_ptr<Strategy> make_probe();
std::unique_ptr<Strategy> make_learned();

}  // namespace ot::strat
