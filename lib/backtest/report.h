// Backtest reports: summary.json, fills.ndjson, equity.csv, a self-contained
// report.html with inline SVG plots, and the same plots as SVG files; grid
// comparison tables; --fail-if thresholds.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "backtest/backtest.h"
#include "core/diagnostics.h"
#include "core/result.h"

namespace ot {

// Writes the report files into `dir` (created); io_error on a failure.
Result<> write_report(const std::string& dir, const BacktestResult& r);

// An SVG line chart over time. Exposed for tests.
struct ChartSeries {
  std::string name, color;
  std::vector<std::pair<Nanos, double>> points;
};
struct ChartMarker {
  Nanos t;
  double y;
  bool up;  // a buy (triangle up, green) or a sell (down, red)
};
// `span` fixes the time axis (so a report's charts share one); {0, 0}
// fits it to the data.
struct TimeSpan {
  Nanos from = 0, to = 0;
};
std::string svg_chart(const std::string& title, const std::vector<ChartSeries>& series,
                      const std::vector<ChartMarker>& markers = {}, bool percent = false,
                      TimeSpan span = {});
// Value-axis ticks: multiples of a round step (1, 2 or 5 × 10^k) inside
// [lo, hi], about four of them, and the decimals that tell them apart.
struct AxisTicks {
  std::vector<double> values;
  int decimals = 0;
};
AxisTicks axis_ticks(double lo, double hi);
// A tick's text with `decimals` decimals.
std::string tick_label(double v, int decimals);

// `--param k=a,b,c` lists: every combination, the last parameter varying
// fastest. A value without commas is a single choice.
std::vector<std::vector<std::pair<std::string, std::string>>> expand_grid(
    const std::vector<std::pair<std::string, std::string>>& params);

// `--fail-if 'sharpe<1.0'`: metric, operator (< <= > >= == !=), value.
struct Threshold {
  std::string metric, op;
  double value = 0;
  std::string text;
};
// invalid_argument for a malformed threshold or an unknown metric.
Result<Threshold> parse_threshold(const std::string& text);
// True when the result crosses the threshold (the run should fail). An
// unknown metric is an error caught by parse_threshold's caller.
bool crossed(const Threshold& t, const BacktestResult& r);
bool known_metric(const std::string& name);

// The grid's comparison table: CSV (params then metrics, one row per run).
std::string grid_csv(const std::vector<std::vector<std::pair<std::string, std::string>>>& combos,
                     const std::vector<BacktestResult>& results);

}  // namespace ot
