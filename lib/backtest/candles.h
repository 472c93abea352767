// Candle (OHLCV bar) files for backtests, in the two common CSV layouts:
//   - with a header "timestamp,open,high,low,close,volume": the bar's open
//     time as "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) or epoch seconds or
//     milliseconds;
//   - Binance's kline CSV without a header: open time (ms), open, high, low,
//     close, volume, close time (ms), ...
// The bar interval is the step between the first two open times (Binance:
// close time + 1 ms − open time).
//
// Threading: one reader per thread.
#pragma once

#include <memory>
#include <string>

#include "core/diagnostics.h"
#include "core/events.h"
#include "core/result.h"
#include "io/input.h"

namespace ot {

// True if `path` names a candle file (".csv", optionally .gz/.zst).
bool is_candle_file(const std::string& path);

class CandleReader {
 public:
  // `venue` and `symbol` label the bars (CSV files do not say).
  CandleReader(std::unique_ptr<LineInput> in, std::string venue, std::string symbol);
  // The next bar; false at the end. Malformed rows go to `diag` and are
  // skipped. The candle's views are valid until the next call.
  bool next(Candle& out, Diagnostics& diag);
  const LineInput& input() const { return *in_; }

 private:
  Result<> parse_row(std::string_view line, Candle& out);
  std::unique_ptr<LineInput> in_;
  std::string venue_, symbol_;
  bool header_checked_ = false, binance_ = false;
  Nanos interval_ = 0;
  std::string rows_[2];  // the current row and the one read ahead
  int ahead_ = 0;        // which of rows_ holds pending_
  Candle pending_;
  bool has_pending_ = false;
};

}  // namespace ot
