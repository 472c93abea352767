// ot-exec's gateway to Binance (spot, USD-M, COIN-M): see the .cpp.
#pragma once

#include <memory>

#include "venues/binance/binance_parser.h"
#include "venues/network_gateway.h"

namespace ot::binance {

Result<std::unique_ptr<Gateway>> make_gateway(Market m, GatewayOptions options);

}  // namespace ot::binance
