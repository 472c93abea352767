// Deribit instrument names: options "BTC-27DEC24-60000-C" (underlying,
// expiry day, strike, C/P; a 'd' in the strike is a decimal point, as in
// "XRP_USDC-30JUN25-0d625-C"), futures "BTC-27DEC24", perpetuals
// "BTC-PERPETUAL". Deribit options and futures expire at 08:00 UTC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace ot::deribit {

enum class InstrumentKind { option, future, perpetual };

struct Instrument {
  InstrumentKind kind = InstrumentKind::perpetual;
  std::string currency;  // "BTC", "ETH", "XRP_USDC"
  Nanos expiry = 0;      // options and futures
  double strike = 0;     // options
  bool call = false;     // options
  // The future an option is priced off ("BTC-27DEC24"), or the perpetual.
  std::string underlying_future;
  // Coin-margined (inverse): premium and PnL in the coin; linear for the
  // USDC-settled "_USDC" instruments.
  bool inverse = true;
};

// nullopt if `name` is not a Deribit option, future or perpetual name.
std::optional<Instrument> parse_instrument(std::string_view name);

// Deribit's inverse futures and perpetuals are sized in USD: BTC contracts
// are multiples of 10 USD, others of 1 USD.
double contract_size_usd(std::string_view currency);

}  // namespace ot::deribit
