// Gateways by venue name: one line per venue.
#include "venues/alpaca/alpaca_gateway.h"
#include "venues/binance/binance_gateway.h"
#include "venues/deribit/deribit_gateway.h"
#include "venues/gateway.h"
#include "venues/okx/okx_gateway.h"

namespace ot {

std::unique_ptr<Gateway> make_gateway(const GatewayOptions& o, std::string& error) {
  if (o.venue == "binance") return binance::make_gateway(binance::Market::spot, o, error);
  if (o.venue == "binance-futures") return binance::make_gateway(binance::Market::usdm, o, error);
  if (o.venue == "binance-delivery") {
    return binance::make_gateway(binance::Market::coinm, o, error);
  }
  if (o.venue == "deribit") return deribit::make_gateway(o, error);
  if (o.venue == "okx") return okx::make_gateway(o, error);
  if (o.venue == "alpaca") return alpaca::make_gateway(o, error);
  error = "no gateway for venue '" + o.venue + "' (have: " + gateway_venues() + ")";
  return nullptr;
}

std::string gateway_venues() {
  return "binance, binance-futures, binance-delivery, okx, deribit, alpaca";
}

}  // namespace ot
