// Deribit v2 JSON-RPC market data: book.<instrument>.raw (snapshot, then
// changes linked by change_id / prev_change_id), trades.<instrument>.raw,
// ticker.<instrument>.raw (mark, index, IVs, greeks), quote.<instrument>.
// Deribit writes prices and amounts as JSON numbers; they are passed on as
// the venue's own digits (the number token), never through a double.
#pragma once

#include <memory>

#include "venues/venue.h"

namespace ot::deribit {

std::unique_ptr<FrameParser> make_parser();

}  // namespace ot::deribit
