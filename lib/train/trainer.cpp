#include "train/trainer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "net/crypto.h"

namespace ot::train {
namespace {

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:.10g}", v);
}

// The instrument the data params name ("venue", "symbol").
std::string param(const BacktestConfig& c, std::string_view name) {
  for (const auto& [k, v] : c.params) {
    if (k == name) return v;
  }
  return "";
}

Windows split(const TrainConfig& c, Nanos t0, Nanos t1, Nanos purge) {
  Windows w;
  const double span = static_cast<double>(t1 - t0);
  const Nanos a = c.train_until.value_or(t0 + static_cast<Nanos>(span * c.train_fraction));
  const Nanos b =
      c.valid_until.value_or(t0 + static_cast<Nanos>(span * (c.train_fraction + c.valid_fraction)));
  w.train_from = t0;
  w.train_to = a;
  w.valid_from = a + purge;
  w.valid_to = b;
  w.test_from = b + purge;
  w.test_to = t1;
  return w;
}

}  // namespace

Result<std::string> data_hash(const BacktestConfig& c) {
  net::Sha256 h;
  if (c.data.empty()) {
    h.update(c.store_dir.empty() ? c.db_url : c.store_dir);
    for (const auto& v : c.filter.venues) h.update("\nvenue " + v);
    for (const auto& s : c.filter.symbols) h.update("\nsymbol " + s);
    if (c.filter.from) h.update("\nfrom " + std::to_string(*c.filter.from));
    if (c.filter.to) h.update("\nto " + std::to_string(*c.filter.to));
    return h.hex();
  }
  std::string buf(1 << 16, '\0');
  for (const auto& path : c.data) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return os_error(path, errno);
    while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
      h.update(std::string_view(buf.data(), static_cast<std::size_t>(f.gcount())));
    }
    if (f.bad()) return os_error(path, errno);
  }
  return h.hex();
}

PolicyScore evaluate_policy(const TrainConfig& c, const std::string& policy,
                            const std::string& model, Nanos from, Nanos to, Diagnostics& diag) {
  PolicyScore s;
  s.policy = policy;
  const char* names[] = {"pnl", "sharpe", "sharpe_t", "max_drawdown", "fills", "turnover", "fees"};
  if (policy == "none") {
    for (const char* n : names) s.metrics.emplace_back(n, 0.0);
    return s;
  }
  BacktestConfig bt = c.data;
  bt.make_strategy = nullptr;
  bt.filter.from = from;
  bt.filter.to = to;
  bt.strategy = policy == "mm" ? "mm" : "learned";
  bt.params.clear();
  for (const char* k : {"venue", "symbol"}) {
    const std::string v = param(c.data, k);
    if (!v.empty()) bt.params.emplace_back(k, v);
  }
  if (policy != "mm") {
    bt.params.emplace_back("model", model);
    bt.params.emplace_back("max_position", c.max_position);
    bt.params.emplace_back("threshold_bps", number(c.threshold_bps));
  }
  BacktestResult r;
  if (!run_backtest(bt, r, diag)) {
    s.ok = false;
    for (const char* n : names) s.metrics.emplace_back(n, std::nan(""));
    return s;
  }
  // The t statistic of the mean period return: Sharpe per period × √n.
  double mean = 0, var = 0;
  std::vector<double> rets;
  for (std::size_t i = 1; i < r.equity.size(); ++i) {
    rets.push_back(r.equity[i].equity - r.equity[i - 1].equity);
  }
  for (double x : rets) mean += x;
  const double n = static_cast<double>(rets.size());
  if (n > 0) mean /= n;
  for (double x : rets) var += (x - mean) * (x - mean);
  const double sd = n > 1 ? std::sqrt(var / (n - 1)) : 0;
  const double t = sd > 0 ? mean / sd * std::sqrt(n) : 0;
  for (const char* k : names) {
    s.metrics.emplace_back(k, std::string_view(k) == "sharpe_t" ? t : r.metric(k));
  }
  return s;
}

bool train_supervised(const TrainConfig& c, TrainReport& report, Diagnostics& diag,
                      const EpochFn& log) {
  auto hash = data_hash(c.data);
  if (!hash) {
    diag.error("", hash.error().message());
    return false;
  }
  report.data_sha256 = *hash;
  // Files: all of them; a store: what its filter selects.
  BacktestConfig all = c.data;
  if (!all.data.empty()) all.filter = StoreFilter{};
  Dataset d;
  if (!build_dataset(all, c.dataset, d, diag)) return false;
  if (d.rows() < 3) {
    diag.error("", fmt::format("{} samples: too few to split into training, validation and test",
                               d.rows()));
    return false;
  }
  const Nanos purge = c.purge >= 0 ? c.purge : c.dataset.horizon;
  const Windows w = split(c, d.t.front(), d.t.back() + c.dataset.step, purge);
  report.windows = w;
  const auto train = d.select(w.train_from, w.train_to - c.dataset.horizon);
  const auto valid = d.select(w.valid_from, w.valid_to - c.dataset.horizon);
  const auto test = d.select(w.test_from, w.test_to);
  report.train_rows = train.size();
  report.valid_rows = valid.size();
  report.test_rows = test.size();
  if (train.empty() || valid.empty() || test.empty()) {
    diag.error("", fmt::format("windows too short for the horizon: {} training, {} validation and "
                               "{} test samples with a label",
                               train.size(), valid.size(), test.size()));
    return false;
  }
  auto fitted = fit_supervised(d, train, valid, c.fit, log);
  if (!fitted) {
    diag.error("", fitted.error().message());
    return false;
  }
  FitOptions lin_opt = c.fit;
  lin_opt.model = "linear";
  auto linear = fit_supervised(d, train, valid, lin_opt);
  if (!linear) {
    diag.error("", "linear baseline: " + linear.error().message());
    return false;
  }
  auto finish = [&](learn::Model& m, const FitOptions& o) {
    m.kind = "supervised";
    m.target = "move_bps";
    m.features = features::describe(c.dataset.features);
    m.horizon = c.dataset.horizon;
    m.train_from = w.train_from;
    m.train_to = w.train_to;
    m.data_sha256 = report.data_sha256;
    m.seed = o.seed;
    m.expires = c.expires_after > 0 ? w.train_to + c.expires_after : 0;
    m.info = {{"model", o.model},
              {"step_ns", std::to_string(c.dataset.step)},
              {"l2", number(o.l2)},
              {"train_rows", std::to_string(train.size())},
              {"valid_rows", std::to_string(valid.size())}};
    if (o.model == "mlp") {
      std::string hidden;
      for (std::size_t h : o.hidden) {
        if (!hidden.empty()) hidden += ',';
        hidden += std::to_string(h);
      }
      m.info.emplace_back("hidden", hidden);
      m.info.emplace_back("epochs", std::to_string(o.epochs));
      m.info.emplace_back("lr", number(o.lr));
      m.info.emplace_back("batch", std::to_string(o.batch));
    }
    m.info.emplace_back("valid_corr", number(score(m, d, valid).valid_corr));
  };
  learn::Model model = std::move(fitted).value();
  learn::Model lin = std::move(linear).value();
  finish(model, c.fit);
  finish(lin, lin_opt);
  report.valid = score(model, d, valid);
  report.test = score(model, d, test);
  report.linear_test = score(lin, d, test);
  auto saved = save_model(c.out, model);
  if (!saved) {
    diag.error("", saved.error().message());
    return false;
  }
  report.model_hash = *saved;
  const std::string lin_path = c.out + ".linear";
  if (auto s = save_model(lin_path, lin); !s) {
    diag.error("", s.error().message());
    return false;
  }
  if (!c.evaluate) return true;
  report.policies.push_back(evaluate_policy(c, "learned", c.out, w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "linear", lin_path, w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "mm", "", w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "none", "", w.test_from, w.test_to, diag));
  return true;
}

std::string report_lines(const TrainReport& r) {
  std::string out;
  for (const auto& p : r.policies) {
    out += fmt::format("{{\"policy\":\"{}\",\"window\":\"test\",\"from\":{},\"to\":{}", p.policy,
                       r.windows.test_from, r.windows.test_to);
    for (const auto& [k, v] : p.metrics) out += fmt::format(",\"{}\":{}", k, number(v));
    if (p.policy == "learned") {
      out += fmt::format(",\"pred_corr\":{},\"model\":\"{}\"", number(r.test.valid_corr),
                         r.model_hash);
    } else if (p.policy == "linear") {
      out += fmt::format(",\"pred_corr\":{}", number(r.linear_test.valid_corr));
    }
    out += "}\n";
  }
  return out;
}

}  // namespace ot::train
