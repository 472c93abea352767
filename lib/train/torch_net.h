// libtorch pieces the trainers share (only with -DOT_WITH_TORCH=ON): the
// network shape every learned model has, and its export to model layers.
#pragma once

#include <torch/torch.h>

#include <span>
#include <vector>

#include "learn/model.h"

namespace ot::train {

// Linear layers of the widths `hidden` with relu between, then a linear
// layer of `outputs`.
torch::nn::Sequential make_net(std::size_t inputs, const std::vector<std::size_t>& hidden,
                               std::size_t outputs);
// The network's weights as model layers (relu hidden layers, linear last).
std::vector<learn::Layer> export_layers(const torch::nn::Sequential& net);
// A rows × cols tensor of its own (a copy of `v`).
torch::Tensor as_tensor(std::span<const float> v, std::size_t cols);

}  // namespace ot::train
