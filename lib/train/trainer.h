// ot-train's work: sample the data (train/dataset.h), split it by time into
// training, validation and test windows with purge gaps between them, fit
// a model on the training window choosing its epoch on the validation
// window (train/fit.h), write the model file (learn/model.h), and evaluate
// it out of sample: backtests of the learned policy on the test window
// next to baselines on the same window (no trading, the mm strategy with
// its defaults, a linear model on the same features and rows, served by
// the same policy).
//
// Walk-forward split of the samples' time range [T0, T1):
//   train [T0, a) · purge · valid [a + purge, b) · purge · test [b + purge, T1)
// with a and b from explicit times or fractions of the range. The samples
// of the training and validation windows also stop a horizon before their
// window's end, so no label reaches past it; the purge (default: the
// horizon) keeps the next window's features clear of the labels' span.
//
// Threading: single-threaded (the backtests run one after another).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "backtest/backtest.h"
#include "core/diagnostics.h"
#include "train/dataset.h"
#include "train/fit.h"

namespace ot::train {

// ot-train rl: the agent of train/torch_dqn.h.
struct RlOptions {
  int episodes = 6;                 // passes over the training window
  double gamma = 0.95;              // discount per step
  double inventory_penalty = 0.05;  // bps per step at a full position
  double eps_end = 0.05;            // exploration at the end
  double explore = 0.5;             // fraction of all steps over which ε falls from 1
  std::size_t replay = 50000;       // transitions kept
  std::size_t warmup = 500;         // transitions before learning starts
  int target_every = 500;           // steps between target network copies
};

// What one rl episode did.
struct EpisodeStats {
  double reward = 0;  // the episode's summed reward
  double loss = 0;    // summed TD loss of its learning steps
  std::size_t steps = 0;
};

struct TrainConfig {
  // The data (files or store), the instrument (its params `venue` and
  // `symbol`), and the execution model of the evaluation backtests
  // (latencies, fees, capital, seed).
  BacktestConfig data;
  DatasetOptions dataset;
  FitOptions fit;
  RlOptions rl;
  std::optional<Nanos> train_until, valid_until;  // else fractions of the range
  double train_fraction = 0.6, valid_fraction = 0.2;
  Nanos purge = -1;         // -1: the horizon
  Nanos expires_after = 0;  // the model expires this long after its data ends (0: never)
  // The learned policy's settings in the evaluation (and the defaults kept
  // in the model's info).
  std::string max_position = "1";
  double threshold_bps = 1;
  std::string out;  // the model file; the linear baseline goes to out + ".linear"
  bool evaluate = true;
};

struct Windows {
  Nanos train_from = 0, train_to = 0, valid_from = 0, valid_to = 0, test_from = 0, test_to = 0;
};

struct PolicyScore {
  std::string policy;  // learned, linear, mm, none
  bool ok = true;      // false: its backtest failed (reported), the figures are NaN
  std::vector<std::pair<std::string, double>> metrics;
};

struct TrainReport {
  Windows windows;
  std::size_t train_rows = 0, valid_rows = 0, test_rows = 0;
  EpochLog valid, test;  // prediction quality of the model kept
  EpochLog linear_test;  // and of the linear baseline
  std::string model_hash, data_sha256;
  bool rl = false;                    // an agent: no prediction figures (valid, test)
  std::vector<PolicyScore> policies;  // on the test window
};

// The SHA-256 of the data's bytes (files in order; for a store, its
// location and filter).
Result<std::string> data_hash(const BacktestConfig& c);

// Runs everything above; the model file is written before the evaluation.
// False (reason in diag) when the data cannot be read or has too few
// samples for three windows, or the fit fails.
bool train_supervised(const TrainConfig& c, TrainReport& report, Diagnostics& diag,
                      const EpochFn& log = {});

// The same for an rl agent (train/torch_dqn.h): `rl.episodes` passes over
// the training window in the fused backtest, each followed by a backtest
// of the greedy policy on the validation window; the episode with the
// highest validation PnL is kept. Needs libtorch.
bool train_rl(const TrainConfig& c, TrainReport& report, Diagnostics& diag,
              const EpochFn& log = {});

// Backtests `policy` (learned and linear: with the model file `model`) on
// the window [from, to) of c.data; the figures a quant compares: pnl,
// sharpe, sharpe_t (the t statistic of the mean period return, whose
// |value| < 2 is no evidence of an edge), max_drawdown, fills, turnover,
// fees. None: the figures of no trading.
PolicyScore evaluate_policy(const TrainConfig& c, const std::string& policy,
                            const std::string& model, Nanos from, Nanos to, Diagnostics& diag);

// One line of the training log (NDJSON): epoch, loss, valid_loss,
// valid_corr, best; for rl: episode, loss, reward, train_pnl, valid_pnl,
// best (a figure that is not finite as null).
std::string log_line(const EpochLog& e, bool rl);

// The report as NDJSON lines, one per policy: {"policy":..,"window":"test",..}.
std::string report_lines(const TrainReport& r);

}  // namespace ot::train
