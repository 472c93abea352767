// Fitting supervised models on a Dataset: a linear model (ridge
// regression, solved exactly in double precision) and a multilayer
// perceptron trained with libtorch (when the build has it,
// -DOT_WITH_TORCH=ON). Both predict the mid's move over the horizon in bps
// from the normalised features, and both come out as a learn::Model that
// `ot-strat learned` serves with its own forward pass.
//
// Features constant over the training rows (the inventory of a strategy
// that never traded, the spread of candle data) carry no weight: their
// inputs are zero in training and their weights zero in the model.
//
// Determinism: the same rows, options and seed give the same model, bit
// for bit (libtorch's generator seeded, its threads fixed, the batches
// shuffled by our own generator).
//
// Threading: one call at a time per process when training with libtorch
// (its seed and thread count are global).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "learn/model.h"
#include "train/dataset.h"

namespace ot::train {

struct FitOptions {
  std::string model = "mlp";                // mlp or linear
  std::vector<std::size_t> hidden{32, 32};  // mlp: hidden layer widths (relu)
  int epochs = 40;
  std::size_t batch = 256;
  double lr = 1e-3;
  double l2 = 1e-4;  // weight decay (mlp); ridge penalty per row (linear)
  int patience = 8;  // mlp: epochs without a better validation loss before stopping
  std::uint64_t seed = 1;
  int threads = 1;
};

// One line of the training log.
struct EpochLog {
  int epoch = 0;
  double loss = 0;        // mean squared error on the training rows
  double valid_loss = 0;  // and on the validation rows
  double valid_corr = 0;  // correlation of prediction and move on the validation rows
  bool best = false;      // the epoch kept
  // rl: the episode's reward and PnL, and the greedy policy's PnL on the
  // validation window (NaN for supervised fits).
  double reward = std::nan(""), train_pnl = std::nan(""), valid_pnl = std::nan("");
};
using EpochFn = std::function<void(const EpochLog&)>;

// Whether this build can train an mlp.
bool have_torch();

// Fits o.model on the rows `train`, keeping the epoch with the lowest
// loss on `valid` (the last epoch when `valid` is empty). The model comes
// with its layers, names, normalisation and ranges; the caller fills in
// the metadata (features line, horizon, data range and hash, seed).
// invalid_argument for an unknown model, no training rows, or an mlp in a
// build without libtorch.
Result<learn::Model> fit_supervised(const Dataset& d, std::span<const std::size_t> train,
                                    std::span<const std::size_t> valid, const FitOptions& o,
                                    const EpochFn& log = {});

// The prediction quality of a model on rows of d: mean squared error and
// correlation with the move.
EpochLog score(const learn::Model& m, const Dataset& d, std::span<const std::size_t> rows);

}  // namespace ot::train
