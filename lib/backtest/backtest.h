// ot-backtest's engine: a deterministic, single-threaded run of
// book → strategy → risk → paper execution on a simulated clock, with the
// very components the live programs use (BookEngine, StrategyRunner,
// RiskEngine, ExecEngine over the PaperVenue), handed structs instead of
// lines.
//
// Data: capture files (tardis raw format, through ot-feed's parsers and
// book-sync rules), event files (NDJSON, as ot-feed / ot-store read write
// them), an ot-store directory or database, or candle CSVs. The clock is the
// data's receive time. Each market event reaches the paper venue at that
// time and the strategy's side (book, strategy, risk) `market_latency` later;
// orders reach the venue `order_latency` after the strategy sent them and
// reports come back `report_latency` after the venue made them. Funding:
// when ticker events carry `funding_rate`, positions in that instrument pay
// (long, positive rate) or receive it at 00:00, 08:00 and 16:00 UTC at the
// last mark.
//
// Identical inputs and config give identical results (sampled latencies
// draw from generators seeded by `seed`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backtest/latency.h"
#include "core/decimal.h"
#include "core/diagnostics.h"
#include "store/store.h"

namespace ot {

class Strategy;

struct BacktestConfig {
  std::vector<std::string> data;  // files: captures, .ndjson events, .csv candles
  std::string store_dir;          // or an ot-store directory
  std::string db_url;             // or an ot-store database
  std::string db_schema = "ot";
  // For store_dir / db_url: what is read. For files: from/to is the
  // window the strategy trades in; book updates before `from` build the
  // books (no strategy hears of them), everything else outside is skipped.
  StoreFilter filter;
  std::string strategy;
  // Builds the strategy instead of the registry (a program's own strategy:
  // the trainer's recorder and agent); `strategy` still names its config
  // section and its orders' id prefix.
  std::function<std::unique_ptr<Strategy>()> make_strategy;
  std::string config_file;  // TOML; the [<strategy>] section sets parameters
  std::vector<std::pair<std::string, std::string>> params;  // after the file, in order
  std::vector<std::string> symbols;  // one strategy instance per symbol (empty: one, as configured)
  std::string limits_file;           // ot-risk limits (empty: none)
  LatencyModel order_latency, report_latency, market_latency;
  Decimal maker_fee{0, 0}, taker_fee{0, 0};
  double capital = 100000;  // for returns, in the PnL currency
  Nanos bar = 0;            // equity sampling / return period; 0: auto
  std::string candle_venue = "paper", candle_symbol = "BTC-PERPETUAL";
  std::uint64_t seed = 1;
};

struct EquityPoint {
  Nanos t = 0;
  double equity = 0, drawdown = 0;
  std::vector<double> position;  // per traded symbol (BacktestResult::symbols)
  std::vector<double> price;     // mid / close per traded symbol (0: none yet)
};

struct FillPoint {
  Nanos t = 0;
  std::size_t symbol = 0;  // index in BacktestResult::symbols
  bool buy = true;
  double price = 0, qty = 0;
};

struct BacktestResult {
  // Summary figures by name, in the order they are written.
  std::vector<std::pair<std::string, double>> metrics;
  std::string summary;               // the one-line JSON summary
  std::vector<std::string> symbols;  // "venue symbol" of the instruments traded or quoted
  std::vector<EquityPoint> equity;
  std::vector<FillPoint> fills;
  std::vector<std::string> fill_lines;  // the exec events with a fill, as written
  std::uint64_t events = 0, bytes = 0;
  std::uint64_t dropped = 0;  // records, lines and frames skipped as unusable (reported)
  bool config_error = false;  // the run failed on the config (a usage error), not the data
  double metric(std::string_view name) const;
};

// Progress: fraction done (0..1) of the input bytes, when known.
using ProgressFn = std::function<void(double)>;

// Runs one backtest. False (with the reason in diag) when the config or the
// data cannot be used; problems with single records are reported and skipped.
bool run_backtest(const BacktestConfig& config, BacktestResult& result, Diagnostics& diag,
                  const ProgressFn& progress = {});

// Runs `base` once per parameter combination (each replacing base.params)
// on `jobs` threads; results in combination order. Each run reports to its
// own Diagnostics from `make_diag`. `progress` (0..1 over all runs) is
// called from the worker threads, one at a time. Returns per run whether it
// succeeded.
std::vector<char> run_grid(
    const BacktestConfig& base,
    const std::vector<std::vector<std::pair<std::string, std::string>>>& combos, unsigned jobs,
    const std::function<std::unique_ptr<Diagnostics>()>& make_diag,
    std::vector<BacktestResult>& results, const ProgressFn& progress = {});

}  // namespace ot
