// OKX v5 public market data: books / books-l2-tbt / books50-l2-tbt (snapshot
// then updates, seqId/prevSeqId, CRC32 checksum), bbo-tbt, trades, tickers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "venues/venue.h"

namespace ot::okx {

// `fast`: book frames in the venue's exact layout are read straight from the
// bytes; anything else (and everything with fast false) goes through simdjson.
std::unique_ptr<FrameParser> make_parser(bool fast = true);

// OKX's book checksum: CRC32 (signed 32-bit) of
// "bid1px:bid1sz:ask1px:ask1sz:bid2px:…" over the top 25 levels of each
// side, a side's missing levels left out, using the venue's own strings.
std::int64_t checksum(std::span<const PriceLevel> bids, std::span<const PriceLevel> asks);
inline constexpr int kChecksumDepth = 25;

}  // namespace ot::okx
