#include "train/torch_mlp.h"

#include <cmath>
#include <limits>
#include <random>

#include "train/torch_net.h"

namespace ot::train {

torch::Tensor as_tensor(std::span<const float> v, std::size_t cols) {
  const auto rows = static_cast<std::int64_t>(cols == 0 ? 0 : v.size() / cols);
  // from_blob does not own the memory: clone into a tensor of its own.
  return torch::from_blob(const_cast<float*>(v.data()), {rows, static_cast<std::int64_t>(cols)},
                          torch::kFloat32)
      .clone();
}

torch::nn::Sequential make_net(std::size_t inputs, const std::vector<std::size_t>& hidden,
                               std::size_t outputs) {
  torch::nn::Sequential net;
  std::size_t width = inputs;
  for (std::size_t h : hidden) {
    net->push_back(
        torch::nn::Linear(static_cast<std::int64_t>(width), static_cast<std::int64_t>(h)));
    net->push_back(torch::nn::ReLU());
    width = h;
  }
  net->push_back(
      torch::nn::Linear(static_cast<std::int64_t>(width), static_cast<std::int64_t>(outputs)));
  return net;
}

std::vector<learn::Layer> export_layers(const torch::nn::Sequential& net) {
  std::vector<learn::Layer> out;
  for (const auto& module : net->children()) {
    const auto* lin = module->as<torch::nn::Linear>();
    if (lin == nullptr) continue;
    learn::Layer l;
    const torch::Tensor w = lin->weight.detach().contiguous();
    const torch::Tensor b = lin->bias.detach().contiguous();
    l.out = static_cast<std::size_t>(w.size(0));
    l.in = static_cast<std::size_t>(w.size(1));
    l.w.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    l.b.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    l.activation = learn::Activation::relu;
    out.push_back(std::move(l));
  }
  if (!out.empty()) out.back().activation = learn::Activation::linear;
  return out;
}

namespace {

double mse(torch::nn::Sequential& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  return torch::mse_loss(net->forward(x), y).item<double>();
}

double corr(torch::nn::Sequential& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const torch::Tensor p = net->forward(x).to(torch::kFloat64).flatten();
  const torch::Tensor t = y.to(torch::kFloat64).flatten();
  const torch::Tensor pc = p - p.mean(), tc = t - t.mean();
  const double den = std::sqrt((pc * pc).sum().item<double>() * (tc * tc).sum().item<double>());
  return den > 0 ? (pc * tc).sum().item<double>() / den : 0.0;
}

}  // namespace

namespace {

Result<std::vector<learn::Layer>> train(std::span<const float> x, std::span<const float> y,
                                        std::span<const float> valid_x,
                                        std::span<const float> valid_y, std::size_t cols,
                                        const FitOptions& o, const EpochFn& log) {
  if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0)) {
    return Error(ErrorCode::invalid_argument, "mlp: need epochs ≥ 1, batch ≥ 1 and lr > 0");
  }
  torch::manual_seed(o.seed);
  torch::set_num_threads(std::max(1, o.threads));
  torch::nn::Sequential net = make_net(cols, o.hidden, 1);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.l2));
  const torch::Tensor tx = as_tensor(x, cols), ty = as_tensor(y, 1);
  const bool validate = !valid_y.empty();
  const torch::Tensor vx = validate ? as_tensor(valid_x, cols) : tx;
  const torch::Tensor vy = validate ? as_tensor(valid_y, 1) : ty;
  const std::int64_t n = tx.size(0);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(o.seed);
  double best = std::numeric_limits<double>::infinity();
  std::vector<learn::Layer> kept;
  int since_best = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    // Fisher-Yates with our generator: the same batches on every machine.
    for (std::size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[static_cast<std::size_t>(rng() % i)]);
    }
    const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64).clone();
    net->train();
    for (std::int64_t at = 0; at < n; at += static_cast<std::int64_t>(o.batch)) {
      const std::int64_t len = std::min<std::int64_t>(static_cast<std::int64_t>(o.batch), n - at);
      const torch::Tensor idx = perm.narrow(0, at, len);
      opt.zero_grad();
      torch::Tensor loss =
          torch::mse_loss(net->forward(tx.index_select(0, idx)), ty.index_select(0, idx));
      loss.backward();
      opt.step();
    }
    net->eval();
    EpochLog e;
    e.epoch = epoch;
    e.loss = mse(net, tx, ty);
    e.valid_loss = mse(net, vx, vy);
    e.valid_corr = corr(net, vx, vy);
    e.best = e.valid_loss < best;
    if (e.best) {
      best = e.valid_loss;
      kept = export_layers(net);
      since_best = 0;
    } else {
      ++since_best;
    }
    if (log) log(e);
    if (validate && since_best >= o.patience) break;
  }
  if (!validate) kept = export_layers(net);
  if (kept.empty()) {
    return Error(ErrorCode::invalid_argument,
                 "mlp: no epoch with a finite validation loss (a smaller lr may help)");
  }
  return kept;
}

}  // namespace

Result<std::vector<learn::Layer>> train_mlp(std::span<const float> x, std::span<const float> y,
                                            std::span<const float> valid_x,
                                            std::span<const float> valid_y, std::size_t cols,
                                            const FitOptions& o, const EpochFn& log) {
  try {
    return train(x, y, valid_x, valid_y, cols, o, log);
  } catch (const std::exception& e) {  // libtorch reports with c10::Error
    return Error(ErrorCode::refused, std::string("libtorch: ") + e.what());
  }
}

std::vector<float> torch_forward(const learn::Model& m, std::span<const float> x) {
  torch::NoGradGuard no_grad;
  torch::Tensor a = as_tensor(x, m.inputs());
  for (const learn::Layer& l : m.layers) {
    const torch::Tensor w = torch::from_blob(
        const_cast<float*>(l.w.data()),
        {static_cast<std::int64_t>(l.out), static_cast<std::int64_t>(l.in)}, torch::kFloat32);
    const torch::Tensor b = torch::from_blob(const_cast<float*>(l.b.data()),
                                             {static_cast<std::int64_t>(l.out)}, torch::kFloat32);
    a = torch::nn::functional::linear(a, w, b);
    if (l.activation == learn::Activation::relu) a = torch::relu(a);
    if (l.activation == learn::Activation::tanh) a = torch::tanh(a);
  }
  a = a.contiguous();
  return std::vector<float>(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
}

}  // namespace ot::train
