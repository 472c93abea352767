// ot-sim's Alpaca order entry over another venue's replayed market.
#pragma once

#include <memory>

#include "venues/sim_protocol.h"

namespace ot::alpaca {

// Alpaca's Trading API on top of `market`, the simulator protocol of the
// capture's own venue (which keeps serving its market data).
std::unique_ptr<SimProtocol> make_sim(std::unique_ptr<SimProtocol> market);

}  // namespace ot::alpaca
