// Binance spot, USD-M and COIN-M market-data frames: combined-stream
// envelopes ({"stream":…,"data":…}), depthUpdate diffs, REST depth snapshots
// injected as generated "@depthSnapshot" frames, bookTicker, aggTrade, trade.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "venues/venue.h"

namespace ot::binance {

enum class Market { spot, usdm, coinm };

std::string_view venue_name(Market m);

// Stream names are lowercase symbols ("btcusdt@depth@100ms"); events carry the
// venue's uppercase symbol.
std::string stream_prefix(std::string_view symbol);
// "btcusdt@depthSnapshot" -> "BTCUSDT", into `out` (reused, no allocation
// once it has grown).
void symbol_of_stream(std::string_view stream, std::string& out);

// `fixed`: the market is known (live sessions, --venue); otherwise the parser
// starts as spot and switches, once, on the first frame that shows futures
// fields (pu, an event type on bookTicker, T on a snapshot).
// `fast`: diff depth frames in Binance's exact layout are read straight from
// the bytes; false sends every frame through simdjson (the two give the same
// events; tests compare them).
std::unique_ptr<FrameParser> make_parser(Market m, bool fixed, bool fast = true);

}  // namespace ot::binance
