// The Binance venues (spot, USD-M futures, COIN-M futures) for the registry.
#pragma once

#include "venues/binance/binance_parser.h"
#include "venues/venue.h"

namespace ot::binance {

const Venue& venue(Market m);

}  // namespace ot::binance
