// ot-exec's gateway to Alpaca: see the .cpp.
#pragma once

#include <memory>

#include "venues/network_gateway.h"

namespace ot::alpaca {

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions options);

}  // namespace ot::alpaca
