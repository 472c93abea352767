// Deribit instrument names: options "BTC-27DEC24-60000-C" (currency, expiry
// day, strike, C/P; a 'd' in the strike is a decimal point, as in
// "XRP_USDC-30JUN25-0d625-C"), futures "BTC-27DEC24", perpetuals
// "BTC-PERPETUAL". Options and futures expire at 08:00 UTC. Instruments of
// a plain currency ("BTC", "ETH") are coin-margined; the "_USDC" ones are
// linear, settled in USDC.
#pragma once

#include <optional>
#include <string_view>

#include "core/instrument.h"

namespace ot::deribit {

// `name` in common terms: the underlying is Deribit's currency ("BTC",
// "XRP_USDC"); inverse futures and perpetuals trade in lots of 10 USD (BTC)
// or 1 USD (the other coins). nullopt if `name` is not a Deribit option,
// future or perpetual name. The contract size is left to the registry.
std::optional<Instrument> describe(std::string_view name);

}  // namespace ot::deribit
