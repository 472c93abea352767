// Gateways by venue name: one line per venue.
#include "venues/alpaca/alpaca_gateway.h"
#include "venues/binance/binance_gateway.h"
#include "venues/deribit/deribit_gateway.h"
#include "venues/network_gateway.h"
#include "venues/okx/okx_gateway.h"

namespace ot {

namespace {

struct Entry {
  std::string_view venue;
  Result<std::unique_ptr<Gateway>> (*make)(const GatewayOptions&);
};

const Entry kGateways[] = {
    {"binance",
     [](const GatewayOptions& o) { return binance::make_gateway(binance::Market::spot, o); }},
    {"binance-futures",
     [](const GatewayOptions& o) { return binance::make_gateway(binance::Market::usdm, o); }},
    {"binance-delivery",
     [](const GatewayOptions& o) { return binance::make_gateway(binance::Market::coinm, o); }},
    {"okx", [](const GatewayOptions& o) { return okx::make_gateway(o); }},
    {"deribit", [](const GatewayOptions& o) { return deribit::make_gateway(o); }},
    {"alpaca", [](const GatewayOptions& o) { return alpaca::make_gateway(o); }},
};

}  // namespace

Result<std::unique_ptr<Gateway>> make_gateway(const GatewayOptions& o) {
  for (const Entry& g : kGateways) {
    if (g.venue == o.venue) return g.make(o);
  }
  return Error(ErrorCode::invalid_argument,
               "no gateway for venue '" + o.venue + "' (have: " + gateway_venues() + ")");
}

std::vector<std::string_view> gateway_venue_names() {
  std::vector<std::string_view> names;
  for (const Entry& g : kGateways) names.push_back(g.venue);
  return names;
}

std::string gateway_venues() {
  std::string out;
  for (const Entry& g : kGateways) {
    if (!out.empty()) out += ", ";
    out += g.venue;
  }
  return out;
}

}  // namespace ot
