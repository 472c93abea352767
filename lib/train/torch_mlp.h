// The libtorch side of training (built only with -DOT_WITH_TORCH=ON): the
// multilayer perceptron's training loop, and libtorch's own forward pass of
// a model, against which the serving forward pass is tested.
#pragma once

#include <span>
#include <vector>

#include "learn/model.h"
#include "train/fit.h"

namespace ot::train {

// Trains an mlp on normalised inputs (rows × cols, row by row) and moves;
// the model's layers (the caller sets the rest). Picks the epoch by the
// validation loss as fit_supervised says. libtorch's own failures come back
// as `refused` errors.
Result<std::vector<learn::Layer>> train_mlp(std::span<const float> x, std::span<const float> y,
                                            std::span<const float> valid_x,
                                            std::span<const float> valid_y, std::size_t cols,
                                            const FitOptions& o, const EpochFn& log);

// libtorch's forward pass of the model's layers on normalised inputs
// (rows × inputs); rows × outputs values.
std::vector<float> torch_forward(const learn::Model& m, std::span<const float> x);

}  // namespace ot::train
