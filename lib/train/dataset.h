// Training data for learned strategies: the features of features.h and the
// mid, sampled on a fixed clock from a backtest's data, with the label a
// supervised model learns (the mid's log move over a horizon, in bps).
//
// The samples come from a backtest run (backtest/backtest.h) whose
// strategy only listens: the same data reader, book-sync rules, fused
// chain and FeatureTap (strat/learned.h) that serve the model in a
// backtest and live. A sample at t is taken on a timer at t, so it sees
// the events before t and nothing after; the label is the only thing
// that looks ahead, and it is kept apart (`move`).
//
// Threading: single-threaded.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "backtest/backtest.h"
#include "core/diagnostics.h"
#include "features/features.h"

namespace ot::train {

struct DatasetOptions {
  features::FeatureConfig features;
  Nanos step = features::kSecond;  // the sampling clock
  Nanos horizon = 10 * features::kSecond;
  Nanos warmup = -1;  // no samples before this much data (-1: the longest window)
};

struct Dataset {
  std::vector<std::string> names;  // the features, FeatureSet::names()
  std::vector<Nanos> t;            // sample times
  std::vector<double> x;           // t.size() × names.size(), row by row
  std::vector<double> mid;         // the mid at t
  std::vector<double> move;        // 1e4·log(mid(t + horizon) / mid(t)); NaN: no mid then

  std::size_t rows() const { return t.size(); }
  std::size_t cols() const { return names.size(); }
  std::span<const double> row(std::size_t i) const { return {x.data() + i * cols(), cols()}; }
  // The rows with t in [from, to) and a label.
  std::vector<std::size_t> select(Nanos from, Nanos to) const;
};

// Samples `data` (its files or store, instrument from its params `venue`
// and `symbol`, window from its filter) as `o` says. False (reason in
// diag) when the backtest cannot run.
bool build_dataset(const BacktestConfig& data, const DatasetOptions& o, Dataset& out,
                   Diagnostics& diag);

// Normalisation and ranges of the rows `rows` of `d`: mean and standard
// deviation, minimum and maximum. A feature constant over the rows (to
// 1e-9 of its size: rounding noise is no variation) has lo = hi = its
// mean and scale max(1, |mean|).
struct FeatureStats {
  std::vector<double> mean, scale, lo, hi;
  bool constant(std::size_t j) const { return hi[j] <= lo[j]; }
};
FeatureStats feature_stats(const Dataset& d, std::span<const std::size_t> rows);

}  // namespace ot::train
