// The engine behind ot-bars: consumes event lines, keeps a BarBuilder per
// venue and symbol, and writes `bar` events (every other event passes
// through unchanged, in order) or the candle CSV that ot-backtest reads.
//
// CSV (one instrument per file, the first one met unless venue/symbol
// say): a header, then a row per closed bar:
//   timestamp,open,high,low,close,volume,close_time,trades,buy_volume,vwap[,<indicator>...]
// with times as "YYYY-MM-DD HH:MM:SS[.fffffffff]" (UTC) and an empty cell
// for an indicator that warms up.
//
// Threading: single-threaded; lines go to the LineSink synchronously,
// diagnostics to the Diagnostics listener.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bars/bar_builder.h"
#include "core/diagnostics.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/string_map.h"

namespace ot {

enum class BarFormat : std::uint8_t { events, csv };

struct BarEngineOptions {
  BarSpec spec;
  BarFormat format = BarFormat::events;
  bool forming = false;  // also a forming bar after each trade (events only)
  // Bars for this venue and symbol only (empty: any); other trades pass.
  std::string venue, symbol;
  // Instruments with bars at most; trades beyond are reported and passed.
  std::size_t max_instruments = 100000;
};

struct BarEngineStats {
  std::uint64_t lines = 0;
  std::uint64_t malformed = 0;
  std::uint64_t trades = 0;  // trades (or mids) counted in bars
  std::uint64_t bars = 0;    // closed bars written
  std::uint64_t late = 0;    // trades stamped before their bar's start
  std::uint64_t unfilled = 0;
  std::uint64_t skipped = 0;  // trades not in any bar: no time, bad numbers, caps
};

class BarEngine final : private BarSink {
 public:
  BarEngine(BarEngineOptions options, LineSink& out, Diagnostics& diag);
  ~BarEngine() override;

  // Processes one line (followed by kLinePadding readable bytes), named by
  // source and line number in messages. False if the line was malformed;
  // it has then been reported and skipped.
  bool process_line(std::string_view line, std::string_view source, std::uint64_t line_number);
  // Closes every bar in progress (end of input), in the order the
  // instruments first appeared.
  void finish();

  const BarEngineStats& stats() const { return stats_; }

 private:
  struct Instrument;
  void on_bar(const Bar& bar) override;
  Instrument* instrument(std::string_view venue, std::string_view symbol);
  void on_trade(const Trade& t);
  void on_top(const TopOfBookEvent& q);
  void write_csv_header();

  BarEngineOptions opt_;
  LineSink& out_;
  Diagnostics& diag_;
  EventDecoder decoder_;
  DecodedEvent decoded_;
  StringMap<std::unique_ptr<Instrument>> instruments_;
  std::vector<Instrument*> order_;  // first seen first
  Instrument* csv_instrument_ = nullptr;
  bool cap_reported_ = false;
  BarEngineStats stats_;
  std::string line_, topic_, key_, text_;
  LinePlace place_;  // the line being processed, for messages
};

}  // namespace ot
