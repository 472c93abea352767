// Backtest reports for ot-dash (--report DIR): what ot-backtest --report
// wrote (man ot-backtest: summary.json, equity.csv, fills.ndjson), read
// once at start, for the page to chart interactively. A directory of a
// grid run (run-N/ subdirectories and grid.csv) gives one report per run.
//
// Threading: loaded before the server starts; read-only after.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"

namespace ot::dash {

struct Report {
  std::string name;     // the directory, as given, with /run-N for a grid's runs
  std::string summary;  // summary.json's object
  // The charts' data as one JSON object: {"name","summary","equity":[[t,
  // equity, -drawdown]...],"symbols":[...],"prices":[[[t,price]...]...],
  // "fills":[{"time","instrument","side","price","qty"}...]}, times in
  // seconds, instruments as equity.csv names them ("venue symbol").
  std::string data;
};

// The reports under `dir`; at most `max_points` rows of equity.csv are kept
// (evenly thinned, the last row always). io_error when `dir` holds no
// summary.json, directly or in a run-N/ subdirectory.
Result<std::vector<Report>> load_reports(const std::string& dir, std::size_t max_points = 5000);

}  // namespace ot::dash
