// What risk, greeks and hedging need to know of an instrument, in words
// common to every venue. Each venue reads its own names into one of these
// (Venue::describe, lib/venues/<venue>/); nothing outside lib/venues parses
// a venue's instrument names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/time.h"

namespace ot {

enum class InstrumentKind : std::uint8_t { spot, perpetual, future, option };
enum class OptionRight : std::uint8_t { none, call, put };

struct Instrument {
  InstrumentKind kind = InstrumentKind::spot;
  // What greeks and hedges are grouped by, in the venue's own word for it:
  // Deribit's currency ("BTC", "XRP_USDC"), OKX's instrument family
  // ("BTC-USD"), Binance's pair ("BTCUSDT"). An option and the futures and
  // perpetuals it is hedged with share it.
  std::string underlying;
  // The currency prices of premium, PnL and fees are paid in: the coin for
  // coin-margined instruments ("BTC"), the quote for linear ones ("USDT",
  // "USDC"); empty where the name does not say (Binance spot).
  std::string currency;
  // Coin-margined: PnL in the coin while the underlying is priced in USD.
  // Such futures and perpetuals count their quantity in USD (see
  // usd_quantity()); such options are priced in the coin, so their delta is
  // premium-adjusted.
  bool inverse = false;
  // What one unit of quantity is worth in the value unit (USD for inverse
  // futures and perpetuals, the coin otherwise), as ot::contract_size says;
  // nullopt where neither the venue's rules nor the user fix it.
  std::optional<Decimal> contract_size;
  // The step order quantities must be multiples of, where the venue's rules
  // fix it for every instrument of the kind (Deribit's inverse BTC
  // contracts: 10 USD; OKX's coin-margined contracts: 1); nullopt otherwise.
  std::optional<Decimal> lot;
  Nanos expiry = 0;   // futures and options (UTC); 0 for the rest
  double strike = 0;  // options
  OptionRight right = OptionRight::none;

  bool option() const { return kind == InstrumentKind::option; }
  bool call() const { return right == OptionRight::call; }
  // Whether the quantity is in USD (inverse futures and perpetuals), which
  // is how positions account for it (Venue::inverse).
  bool usd_quantity() const { return inverse && kind != InstrumentKind::option; }
};

// "YYMMDD" (as in OKX's and Binance's expiry names) at `hour` UTC of that
// day; nullopt unless six digits of a valid month and day.
std::optional<Nanos> parse_yymmdd(std::string_view yymmdd, int hour);

}  // namespace ot
