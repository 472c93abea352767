// OKX instrument names and what one contract of each is worth.
//
//   BTC-USDT                 spot
//   BTC-USDT-SWAP            linear perpetual (USDT-margined)
//   BTC-USD-SWAP             inverse perpetual (coin-margined)
//   BTC-USD-241227           futures (inverse here; BTC-USDT-241227 linear)
//   BTC-USD-241227-60000-C   option (valued in the coin)
//
// Futures and options expire at 08:00 UTC of the day their name gives.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/instrument.h"
#include "core/result.h"

namespace ot::okx {

struct InstrumentName {
  enum Kind { unknown, spot, swap, futures, option } kind = unknown;
  // Views into the name: "BTC", "USD", "241227", "60000", "C" (the last
  // three empty where the kind has none).
  std::string_view base, quote, expiry, strike, right;
};

// The parts of an OKX instrument name; kind unknown if it has none of the
// shapes above.
InstrumentName parse_instrument(std::string_view name);

// `name` in common terms: the underlying is OKX's instrument family
// ("BTC-USD"), or the pair itself for spot; contracts quoted in USD are
// coin-margined and trade in whole contracts, as options do. nullopt if the
// name has none of the shapes above.
std::optional<Instrument> describe(std::string_view name);

// One contract in the instrument's value unit, as OKX's instruments list
// gives it (ctVal × ctMult): 1 for spot; coin-margined swaps and futures
// 100 USD for BTC, 10 USD for the others; options 0.01 BTC or 0.1 ETH;
// USDT-margined BTC 0.01 BTC, ETH 0.1 ETH. nullopt for the rest, whose
// sizes vary by instrument (give them with ot::set_contract_size).
std::optional<Decimal> contract_size(const InstrumentName& n);

// Reads the body of GET /api/v5/public/instruments (or a push of the
// "instruments" channel, which carries the same "data" list): each swap,
// futures and option contract's size, ctVal × ctMult, goes to `each` (spot
// and margin pairs have none). corrupt if the body is not such a list, or
// the venue answered with an error code.
Result<> read_contract_sizes(std::string_view body,
                             const std::function<void(std::string_view, const Decimal&)>& each);

}  // namespace ot::okx
