#include "train/trainer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "core/time.h"
#include "net/crypto.h"

#ifdef OT_HAVE_TORCH
#include "train/torch_dqn.h"
#endif

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

namespace {

// What both trainers start from: the data's hash, its samples and the
// windows. False (reported) when they cannot be had.
struct Prepared {
  Dataset d;
  Windows w;
  std::vector<std::size_t> train, valid, test;  // rows with a label
};

bool prepare(const TrainConfig& c, TrainReport& report, Prepared& p, Diagnostics& diag) {
  auto hash = data_hash(c.data);
  if (!hash) {
    diag.error("", hash.error().message());
    return false;
  }
  report.data_sha256 = *hash;
  // Files: all of them; a store: what its filter selects.
  BacktestConfig all = c.data;
  if (!all.data.empty()) all.filter = StoreFilter{};
  if (!build_dataset(all, c.dataset, p.d, diag)) return false;
  if (p.d.rows() < 3) {
    diag.error("", fmt::format("{} samples: too few to split into training, validation and test",
                               p.d.rows()));
    return false;
  }
  const Nanos purge = c.purge >= 0 ? c.purge : c.dataset.horizon;
  const Nanos t0 = p.d.t.front(), t1 = p.d.t.back() + c.dataset.step;
  p.w = split(c, t0, t1, purge);
  if (!(t0 < p.w.train_to && p.w.train_to < p.w.valid_to && p.w.valid_to < t1)) {
    diag.error("", fmt::format("the training window must end before the validation window, and "
                               "both inside the data ({} to {})",
                               format_iso8601(t0), format_iso8601(t1)));
    return false;
  }
  report.windows = p.w;
  p.train = p.d.select(p.w.train_from, p.w.train_to - c.dataset.horizon);
  p.valid = p.d.select(p.w.valid_from, p.w.valid_to - c.dataset.horizon);
  p.test = p.d.select(p.w.test_from, p.w.test_to);
  report.train_rows = p.train.size();
  report.valid_rows = p.valid.size();
  report.test_rows = p.test.size();
  if (p.train.empty() || p.valid.empty() || p.test.empty()) {
    diag.error("", fmt::format("windows too short for the horizon: {} training, {} validation and "
                               "{} test samples with a label",
                               p.train.size(), p.valid.size(), p.test.size()));
    return false;
  }
  return true;
}

// The metadata every model file carries.
void describe_model(learn::Model& m, const TrainConfig& c, const Prepared& p,
                    const TrainReport& report, const FitOptions& o) {
  m.features = features::describe(c.dataset.features);
  m.horizon = c.dataset.horizon;
  m.step = c.dataset.step;
  m.train_from = p.w.train_from;
  m.train_to = p.w.train_to;
  m.data_sha256 = report.data_sha256;
  m.seed = o.seed;
  m.expires = c.expires_after > 0 ? p.w.train_to + c.expires_after : 0;
  m.info = {{"model", o.model},
            {"l2", number(o.l2)},
            {"train_rows", std::to_string(p.train.size())},
            {"valid_rows", std::to_string(p.valid.size())}};
  if (o.model != "linear") {
    std::string hidden;
    for (std::size_t h : o.hidden) {
      if (!hidden.empty()) hidden += ',';
      hidden += std::to_string(h);
    }
    m.info.emplace_back("hidden", hidden);
    m.info.emplace_back("lr", number(o.lr));
    m.info.emplace_back("batch", std::to_string(o.batch));
  }
}

// The linear baseline, written beside the model, and the test-window
// backtests of the model and the baselines.
bool finish(const TrainConfig& c, const Prepared& p, TrainReport& report, Diagnostics& diag) {
  FitOptions lin_opt = c.fit;
  lin_opt.model = "linear";
  auto linear = fit_supervised(p.d, p.train, p.valid, lin_opt);
  if (!linear) {
    diag.error("", "linear baseline: " + linear.error().message());
    return false;
  }
  learn::Model lin = std::move(linear).value();
  describe_model(lin, c, p, report, lin_opt);
  lin.info.emplace_back("valid_corr", number(score(lin, p.d, p.valid).valid_corr));
  report.linear_test = score(lin, p.d, p.test);
  const std::string lin_path = c.out + ".linear";
  if (auto s = save_model(lin_path, lin); !s) {
    diag.error("", s.error().message());
    return false;
  }
  if (!c.evaluate) return true;
  const Windows& w = p.w;
  report.policies.push_back(evaluate_policy(c, "learned", c.out, w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "linear", lin_path, w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "mm", "", w.test_from, w.test_to, diag));
  report.policies.push_back(evaluate_policy(c, "none", "", w.test_from, w.test_to, diag));
  return true;
}

bool save(const std::string& path, const learn::Model& m, TrainReport& report, Diagnostics& diag) {
  auto saved = save_model(path, m);
  if (!saved) {
    diag.error("", saved.error().message());
    return false;
  }
  report.model_hash = *saved;
  return true;
}

}  // namespace

bool train_supervised(const TrainConfig& c, TrainReport& report, Diagnostics& diag,
                      const EpochFn& log) {
  Prepared p;
  if (!prepare(c, report, p, diag)) return false;
  auto fitted = fit_supervised(p.d, p.train, p.valid, c.fit, log);
  if (!fitted) {
    diag.error("", fitted.error().message());
    return false;
  }
  learn::Model model = std::move(fitted).value();
  model.kind = "supervised";
  model.target = "move_bps";
  describe_model(model, c, p, report, c.fit);
  if (c.fit.model == "mlp") model.info.emplace_back("epochs", std::to_string(c.fit.epochs));
  model.info.emplace_back("valid_corr", number(score(model, p.d, p.valid).valid_corr));
  report.valid = score(model, p.d, p.valid);
  report.test = score(model, p.d, p.test);
  return save(c.out, model, report, diag) && finish(c, p, report, diag);
}

bool train_rl(const TrainConfig& c, TrainReport& report, Diagnostics& diag, const EpochFn& log) {
#ifndef OT_HAVE_TORCH
  (void)c, (void)report, (void)log;
  diag.error("", "rl needs libtorch: this build has none (configure with -DOT_WITH_TORCH=ON)");
  return false;
#else
  report.rl = true;
  Prepared p;
  if (!prepare(c, report, p, diag)) return false;
  const auto max_position = Decimal::parse(c.max_position);
  if (!max_position || max_position->mantissa <= 0) {
    diag.error("", "max_position: not a positive quantity: '" + c.max_position + "'");
    return false;
  }
  FeatureStats stats = feature_stats(p.d, p.train);
  // The agent's own state never moves in the sampled data (nothing traded
  // there): its normalisation and range are what the agent can reach.
  for (std::size_t j = 0; j < p.d.names.size(); ++j) {
    if (p.d.names[j] == "inventory") {
      const double max = max_position->to_double();
      stats.mean[j] = 0, stats.scale[j] = max, stats.lo[j] = -max, stats.hi[j] = max;
    } else if (p.d.names[j] == "since_fill_s") {
      const double cap = static_cast<double>(c.dataset.features.fill_cap) * 1e-9;
      stats.mean[j] = 0, stats.scale[j] = cap, stats.lo[j] = 0, stats.hi[j] = cap;
    }
  }
  learn::Model model;
  model.kind = "rl";
  model.target = "action_value";
  model.names = p.d.names;
  model.mean = stats.mean;
  model.scale = stats.scale;
  model.lo = stats.lo;
  model.hi = stats.hi;
  model.actions = {"short", "flat", "long"};
  FitOptions o = c.fit;
  o.model = "dqn";
  describe_model(model, c, p, report, o);
  model.info.emplace_back("episodes", std::to_string(c.rl.episodes));
  model.info.emplace_back("gamma", number(c.rl.gamma));
  model.info.emplace_back("inventory_penalty", number(c.rl.inventory_penalty));
  // The agent acts once a step over the training window, each episode.
  const auto steps = static_cast<std::size_t>((p.w.train_to - p.w.train_from) / c.dataset.step);
  const std::string episode_path = c.out + ".episode";
  double best = -std::numeric_limits<double>::infinity();
  std::vector<learn::Layer> kept;
  // The greedy policy of each episode, for its validation run (removed at
  // the end, whatever the outcome).
  struct Remove {
    const std::string& path;
    ~Remove() { std::remove(path.c_str()); }
  } remove_episode{episode_path};
  try {
    DqnTrainer dqn(c.dataset, stats, c.fit, c.rl, *max_position,
                   steps * static_cast<std::size_t>(std::max(1, c.rl.episodes)));
    for (int episode = 1; episode <= c.rl.episodes; ++episode) {
      EpisodeStats es;
      BacktestConfig bt = c.data;
      bt.filter.from = p.w.train_from;
      bt.filter.to = p.w.train_to;
      bt.strategy = "rl";
      bt.make_strategy = [&dqn, &es] { return dqn.make_agent(es); };
      BacktestResult r;
      if (!run_backtest(bt, r, diag)) return false;
      model.layers = dqn.layers();
      if (auto s = save_model(episode_path, model); !s) {
        diag.error("", s.error().message());
        return false;
      }
      const PolicyScore v =
          evaluate_policy(c, "learned", episode_path, p.w.valid_from, p.w.valid_to, diag);
      if (!v.ok) return false;
      EpochLog e;
      e.epoch = episode;
      e.loss = es.steps > 0 ? es.loss / static_cast<double>(es.steps) : 0;
      e.reward = es.reward;
      e.train_pnl = r.metric("pnl");
      for (const auto& [k, val] : v.metrics) {
        if (k == "pnl") e.valid_pnl = val;
      }
      e.best = e.valid_pnl > best;
      if (e.best) {
        best = e.valid_pnl;
        kept = model.layers;
      }
      if (log) log(e);
    }
  } catch (const std::exception& e) {  // libtorch reports with c10::Error
    diag.error("", std::string("libtorch: ") + e.what());
    return false;
  }
  if (!kept.empty()) model.layers = kept;  // else every validation failed: the last
  return save(c.out, model, report, diag) && finish(c, p, report, diag);
#endif
}

std::string log_line(const EpochLog& e, bool rl) {
  const char* best = e.best ? "true" : "false";
  if (rl) {
    return fmt::format(
        "{{\"episode\":{},\"loss\":{},\"reward\":{},\"train_pnl\":{},\"valid_pnl\":{},"
        "\"best\":{}}}\n",
        e.epoch, number(e.loss), number(e.reward), number(e.train_pnl), number(e.valid_pnl), best);
  }
  return fmt::format(
      "{{\"epoch\":{},\"loss\":{},\"valid_loss\":{},\"valid_corr\":{},\"best\":{}}}\n", e.epoch,
      number(e.loss), number(e.valid_loss), number(e.valid_corr), best);
}

std::string report_lines(const TrainReport& r) {
  std::string out;
  for (const auto& p : r.policies) {
    out += fmt::format("{{\"policy\":\"{}\",\"window\":\"test\",\"from\":{},\"to\":{}", p.policy,
                       r.windows.test_from, r.windows.test_to);
    for (const auto& [k, v] : p.metrics) out += fmt::format(",\"{}\":{}", k, number(v));
    if (p.policy == "learned") {
      if (!r.rl) out += fmt::format(",\"pred_corr\":{}", number(r.test.valid_corr));
      out += fmt::format(",\"model\":\"{}\"", r.model_hash);
    } else if (p.policy == "linear") {
      out += fmt::format(",\"pred_corr\":{}", number(r.linear_test.valid_corr));
    }
    out += "}\n";
  }
  return out;
}

}  // namespace ot::train
