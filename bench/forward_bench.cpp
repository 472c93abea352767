// The learned strategy's forward pass per call: our own (learn/model.h,
// what `ot-strat learned` runs, normalisation included) next to libtorch's
// on the same model and (normalised) inputs, one sample at a time as a strategy decides; and the
// largest difference between their outputs.
//
//   ot-bench-forward MODEL [--calls N]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "learn/model.h"
#include "train/torch_mlp.h"
#include "train/torch_net.h"

namespace {

double ns_per_call(int calls, auto&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) fn(i);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ot-bench-forward MODEL [--calls N]\n");
    return 2;
  }
  const int calls = argc > 3 ? std::stoi(argv[3]) : 200000;
  auto loaded = ot::learn::load_model(argv[1]);
  if (!loaded) {
    std::fprintf(stderr, "ot-bench-forward: error: %s\n", loaded.error().message().c_str());
    return 1;
  }
  const ot::learn::Model m = std::move(loaded).value();
  const std::size_t n = m.inputs();
  torch::set_num_threads(1);
  std::mt19937_64 rng(1);
  std::normal_distribution<float> g(0, 1);
  const int distinct = 1024;
  std::vector<float> x(distinct * n);
  for (float& v : x) v = g(rng);
  // The model as a libtorch network, its weights copied in.
  std::vector<std::size_t> hidden;
  for (std::size_t i = 0; i + 1 < m.layers.size(); ++i) hidden.push_back(m.layers[i].out);
  torch::nn::Sequential net = ot::train::make_net(n, hidden, m.outputs());
  {
    torch::NoGradGuard no_grad;
    auto params = net->parameters();
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
      const auto& l = m.layers[i];
      params[2 * i].copy_(ot::train::as_tensor(l.w, l.in));
      params[2 * i + 1].copy_(ot::train::as_tensor(l.b, 1).flatten());
    }
  }
  ot::learn::Forward own(m);
  float sink = 0;
  // Ours as the strategy calls it: raw features in, normalised, then the
  // layers.
  std::vector<double> raw(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    raw[i] = m.mean[i % n] + m.scale[i % n] * static_cast<double>(x[i]);
  }
  const double own_ns = ns_per_call(calls, [&](int i) {
    sink += own.run(std::span<const double>(raw).subspan((i % distinct) * n, n))[0];
  });
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> inputs;
  for (int i = 0; i < distinct; ++i) {
    inputs.push_back(ot::train::as_tensor(std::span<const float>(x).subspan(i * n, n), n));
  }
  const double torch_ns = ns_per_call(
      calls / 10, [&](int i) { sink += net->forward(inputs[i % distinct]).data_ptr<float>()[0]; });
  double worst = 0;
  const std::vector<float> ref = ot::train::torch_forward(m, x);
  for (int i = 0; i < distinct; ++i) {
    const auto got = own.run_normalised(std::span<const float>(x).subspan(i * n, n));
    for (std::size_t o = 0; o < m.outputs(); ++o) {
      const double r = ref[i * m.outputs() + o];
      worst = std::max(worst, std::abs(got[o] - r) / std::max(1.0, std::abs(r)));
    }
  }
  std::printf(
      "forward pass of %zu inputs, %zu layers: own %.0f ns/call, libtorch %.0f ns/call (x%.0f); "
      "largest relative difference %.2g over %d inputs (%g)\n",
      n, m.layers.size(), own_ns, torch_ns, torch_ns / own_ns, worst, distinct, sink * 0);
  return 0;
}
