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
  std::unique_ptr<Gateway> (*make)(const GatewayOptions&, std::string&);
};

const Entry kGateways[] = {
    {"binance", [](const GatewayOptions& o,
                   std::string& e) { return binance::make_gateway(binance::Market::spot, o, e); }},
    {"binance-futures",
     [](const GatewayOptions& o, std::string& e) {
       return binance::make_gateway(binance::Market::usdm, o, e);
     }},
    {"binance-delivery",
     [](const GatewayOptions& o, std::string& e) {
       return binance::make_gateway(binance::Market::coinm, o, e);
     }},
    {"okx", [](const GatewayOptions& o, std::string& e) { return okx::make_gateway(o, e); }},
    {"deribit",
     [](const GatewayOptions& o, std::string& e) { return deribit::make_gateway(o, e); }},
    {"alpaca", [](const GatewayOptions& o, std::string& e) { return alpaca::make_gateway(o, e); }},
};

}  // namespace

std::unique_ptr<Gateway> make_gateway(const GatewayOptions& o, std::string& error) {
  for (const Entry& g : kGateways) {
    if (g.venue == o.venue) return g.make(o, error);
  }
  error = "no gateway for venue '" + o.venue + "' (have: " + gateway_venues() + ")";
  return nullptr;
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
