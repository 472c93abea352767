// Candle (OHLCV bar) files, read by backtests in the two common CSV layouts:
//   - with a header "timestamp,open,high,low,close,volume[,...]": the bar's
//     open time as "YYYY-MM-DD HH:MM:SS[.fffffffff]" (UTC) or epoch seconds,
//     milliseconds or nanoseconds; a "close_time" column, when the header
//     has one, gives each bar's end (bars of uneven length: tick, volume);
//   - Binance's kline CSV without a header: open time (ms), open, high, low,
//     close, volume, close time (ms), ...
// Without a close time, the bar interval is the step between the first two
// open times (Binance: close time + 1 ms - open time).
// ot-bars writes the first layout (append_candle_header / append_candle_row):
//   timestamp,open,high,low,close,volume,close_time,trades,buy_volume,vwap[,<indicator>...]
// with an empty cell for an indicator that warms up.
//
// Threading: one reader per thread.
#pragma once

#include <memory>
#include <string>

#include "bars/bar_builder.h"
#include "core/diagnostics.h"
#include "core/events.h"
#include "core/result.h"
#include "io/input.h"

namespace ot {

// The header line (no newline) for bars with these indicators.
void append_candle_header(std::string& out, const std::vector<IndicatorSpec>& indicators);
// A closed bar's row (no newline).
void append_candle_row(std::string& out, const Bar& bar);
// An exact sum (a bar's volume) as decimal text, trailing zeros dropped.
void append_amount(std::string& out, const Amount& a);
// An indicator's value as written in bar events and candle rows: 12
// significant digits, at most 18 decimals, trailing zeros dropped.
void append_indicator_value(std::string& out, double v);

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
  int close_column_ = -1;  // the header's close_time column
  Nanos interval_ = 0;
  std::string rows_[2];  // the current row and the one read ahead
  int ahead_ = 0;        // which of rows_ holds pending_
  Candle pending_;
  bool has_pending_ = false;
};

}  // namespace ot
