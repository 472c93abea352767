// A backtest's market data, played in time order as structs: capture files
// (tardis raw format, through ot-feed's parsers and book-sync rules), event
// files (NDJSON, several merged by time: recv, else ts), an ot-store
// directory or database, or candle CSVs (one kind per run).
//
// Threading: single-threaded; the listener is called on the caller's thread.
#pragma once

#include "backtest/backtest.h"
#include "core/diagnostics.h"
#include "core/events.h"

namespace ot {

// Receives the market events of a backtest; candles besides the events.
class MarketDataListener : public EventListener {
 public:
  virtual void on_candle(const Candle& k) = 0;
};

// Plays the data `c` names to `out`, counting the market events taken
// (book, trade, ticker; each candle) in r.events and the input files'
// bytes in r.bytes. Unusable records, lines and frames are reported to
// `diag` and skipped. False (with the reason in diag) if the data cannot be
// opened or read to its end, or mixes kinds.
bool play_data(const BacktestConfig& c, MarketDataListener& out, Diagnostics& diag,
               const ProgressFn& progress, BacktestResult& r);

}  // namespace ot
