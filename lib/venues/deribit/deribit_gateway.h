// ot-exec's gateway to Deribit: see the .cpp.
#pragma once

#include <memory>

#include "venues/network_gateway.h"

namespace ot::deribit {

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions options);

}  // namespace ot::deribit
