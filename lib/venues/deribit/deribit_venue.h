// The Deribit venue for the registry.
#pragma once

#include <memory>

#include "venues/venue.h"

namespace ot {
class SimProtocol;  // venues/sim_protocol.h
}  // namespace ot

namespace ot::deribit {

// ot-sim's protocol for this venue (in the ot_venue_sim library).
std::unique_ptr<SimProtocol> make_sim();

const Venue& venue();

}  // namespace ot::deribit
