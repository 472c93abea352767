// ot-exec's gateway to OKX: see the .cpp.
#pragma once

#include <memory>

#include "venues/network_gateway.h"

namespace ot::okx {

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions options);

}  // namespace ot::okx
