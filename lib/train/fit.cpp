#include "train/fit.h"

#include <cmath>

#ifdef OT_HAVE_TORCH
#include "train/torch_mlp.h"
#endif

namespace ot::train {
namespace {

// The normalised inputs of `rows` (constant features zero) and their moves.
void normalised(const Dataset& d, std::span<const std::size_t> rows, const FeatureStats& s,
                std::vector<float>& x, std::vector<float>& y) {
  const std::size_t n = d.cols();
  x.assign(rows.size() * n, 0.0f);
  y.resize(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto r = d.row(rows[k]);
    for (std::size_t j = 0; j < n; ++j) {
      if (!s.constant(j)) x[k * n + j] = static_cast<float>((r[j] - s.mean[j]) / s.scale[j]);
    }
    y[k] = static_cast<float>(d.move[rows[k]]);
  }
}

// Ridge regression on centred inputs: (XᵀX + λnI) w = Xᵀ(y − ȳ), b = ȳ,
// solved by Cholesky in double precision.
Result<learn::Layer> ridge(std::span<const float> x, std::span<const float> y, std::size_t n,
                           const FeatureStats& s, double l2) {
  const std::size_t rows = y.size();
  double ybar = 0;
  for (float v : y) ybar += v;
  ybar /= static_cast<double>(rows);
  std::vector<double> a(n * n, 0.0), rhs(n, 0.0);
  for (std::size_t k = 0; k < rows; ++k) {
    const float* r = x.data() + k * n;
    const double dy = y[k] - ybar;
    for (std::size_t i = 0; i < n; ++i) {
      rhs[i] += r[i] * dy;
      for (std::size_t j = 0; j <= i; ++j) a[i * n + j] += static_cast<double>(r[i]) * r[j];
    }
  }
  const double lambda = l2 * static_cast<double>(rows) + 1e-9;
  for (std::size_t i = 0; i < n; ++i) {
    a[i * n + i] += s.constant(i) ? 1.0 : lambda;
    for (std::size_t j = 0; j < i; ++j) a[j * n + i] = a[i * n + j];
  }
  // Cholesky: a = L Lᵀ, in place (lower triangle).
  for (std::size_t j = 0; j < n; ++j) {
    double sum = a[j * n + j];
    for (std::size_t k = 0; k < j; ++k) sum -= a[j * n + k] * a[j * n + k];
    if (!(sum > 0)) return Error(ErrorCode::invalid_argument, "linear fit: singular features");
    a[j * n + j] = std::sqrt(sum);
    for (std::size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (std::size_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / a[j * n + j];
    }
  }
  std::vector<double> w(rhs);
  for (std::size_t i = 0; i < n; ++i) {  // L z = rhs
    for (std::size_t k = 0; k < i; ++k) w[i] -= a[i * n + k] * w[k];
    w[i] /= a[i * n + i];
  }
  for (std::size_t i = n; i-- > 0;) {  // Lᵀ w = z
    for (std::size_t k = i + 1; k < n; ++k) w[i] -= a[k * n + i] * w[k];
    w[i] /= a[i * n + i];
  }
  learn::Layer l;
  l.in = n;
  l.out = 1;
  l.w.resize(n);
  for (std::size_t i = 0; i < n; ++i) l.w[i] = s.constant(i) ? 0.0f : static_cast<float>(w[i]);
  l.b = {static_cast<float>(ybar)};
  return l;
}

}  // namespace

bool have_torch() {
#ifdef OT_HAVE_TORCH
  return true;
#else
  return false;
#endif
}

Result<learn::Model> fit_supervised(const Dataset& d, std::span<const std::size_t> train,
                                    std::span<const std::size_t> valid, const FitOptions& o,
                                    const EpochFn& log) {
  if (o.model != "mlp" && o.model != "linear") {
    return Error(ErrorCode::invalid_argument, "model is mlp or linear, not '" + o.model + "'");
  }
  if (train.empty()) return Error(ErrorCode::invalid_argument, "no training samples with a label");
  const FeatureStats s = feature_stats(d, train);
  learn::Model m;
  m.names = d.names;
  m.mean = s.mean;
  m.scale = s.scale;
  m.lo = s.lo;
  m.hi = s.hi;
  std::vector<float> x, y, vx, vy;
  normalised(d, train, s, x, y);
  normalised(d, valid, s, vx, vy);
  if (o.model == "linear") {
    auto l = ridge(x, y, d.cols(), s, o.l2);
    if (!l) return l.error();
    m.layers.push_back(std::move(l).value());
    if (log) {
      EpochLog e = score(m, d, valid);
      e.epoch = 1;
      e.loss = score(m, d, train).valid_loss;
      e.best = true;
      log(e);
    }
    return m;
  }
#ifdef OT_HAVE_TORCH
  auto layers = train_mlp(x, y, vx, vy, d.cols(), o, log);
  if (!layers) return layers.error();
  m.layers = std::move(layers).value();
  // Constant features: no weight, whatever training left there.
  learn::Layer& first = m.layers.front();
  for (std::size_t j = 0; j < first.in; ++j) {
    if (!s.constant(j)) continue;
    for (std::size_t o2 = 0; o2 < first.out; ++o2) first.w[o2 * first.in + j] = 0.0f;
  }
  return m;
#else
  return Error(ErrorCode::invalid_argument,
               "this build has no libtorch (configure with -DOT_WITH_TORCH=ON); "
               "--param model=linear trains without it");
#endif
}

EpochLog score(const learn::Model& m, const Dataset& d, std::span<const std::size_t> rows) {
  EpochLog e;
  if (rows.empty()) return e;
  learn::Forward f(m);
  double se = 0, sp = 0, sy = 0, spp = 0, syy = 0, spy = 0;
  for (std::size_t i : rows) {
    const double p = f.run(d.row(i))[0], y = d.move[i];
    se += (p - y) * (p - y);
    sp += p;
    sy += y;
    spp += p * p;
    syy += y * y;
    spy += p * y;
  }
  const double n = static_cast<double>(rows.size());
  e.valid_loss = se / n;
  const double cov = spy / n - sp / n * sy / n;
  const double vp = spp / n - sp / n * sp / n, vy = syy / n - sy / n * sy / n;
  e.valid_corr = vp > 0 && vy > 0 ? cov / std::sqrt(vp * vy) : 0;
  return e;
}

}  // namespace ot::train
