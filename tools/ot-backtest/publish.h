// What ot-backtest does with its finished runs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "backtest/backtest.h"
#include "backtest/report.h"
#include "core/diagnostics.h"

namespace ot {

// A run crossed a --fail-if threshold.
inline constexpr int kExitThreshold = 3;

// Prints each finished run's summary line on stdout (`ok[i]` false: run i
// failed); with a `report_dir`, writes its reports there (run-N/ for each
// run of a grid, and grid.csv); warns of every crossed threshold. The exit
// status: 0; 1 if a run failed or a file could not be written; 2 if a run's
// configuration was wrong; else 3 if a threshold was crossed.
int publish_results(const std::vector<std::vector<std::pair<std::string, std::string>>>& combos,
                    const std::vector<BacktestResult>& results, const std::vector<char>& ok,
                    const std::string& report_dir, const std::vector<Threshold>& thresholds,
                    Diagnostics& diag);

}  // namespace ot
