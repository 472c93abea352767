// The Binance venues (spot, USD-M futures, COIN-M futures) for the registry.
#pragma once

#include <memory>

#include "venues/binance/binance_parser.h"
#include "venues/venue.h"

namespace ot {
class SimProtocol;  // venues/sim_protocol.h
}  // namespace ot

namespace ot::binance {

// ot-sim's protocol for this venue (in the ot_venue_sim library).
std::unique_ptr<SimProtocol> make_sim(Market m);

const Venue& venue(Market m);

}  // namespace ot::binance
