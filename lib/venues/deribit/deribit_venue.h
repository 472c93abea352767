// The Deribit venue for the registry.
#pragma once

#include "venues/venue.h"

namespace ot::deribit {

const Venue& venue();

}  // namespace ot::deribit
