// Simulator protocols by venue name: one line per venue.
#include "venues/alpaca/alpaca_sim.h"
#include "venues/binance/binance_venue.h"
#include "venues/deribit/deribit_venue.h"
#include "venues/okx/okx_venue.h"
#include "venues/sim_protocol.h"

namespace ot {

std::unique_ptr<SimProtocol> make_sim_protocol(std::string_view venue,
                                               std::string_view data_venue) {
  // Order entry only: on top of the capture's own venue.
  if (venue == "alpaca") {
    auto market = make_sim_protocol(data_venue, data_venue);
    return market ? alpaca::make_sim(std::move(market)) : nullptr;
  }
  if (venue == "binance") return binance::make_sim(binance::Market::spot);
  if (venue == "binance-futures") return binance::make_sim(binance::Market::usdm);
  if (venue == "binance-delivery") return binance::make_sim(binance::Market::coinm);
  if (venue == "okx") return okx::make_sim();
  if (venue == "deribit") return deribit::make_sim();
  return nullptr;
}

}  // namespace ot
