// The OKX venue for the registry.
#pragma once

#include "venues/venue.h"

namespace ot::okx {

const Venue& venue();

}  // namespace ot::okx
