// ot-train: trains a learned policy on captures, stored events or candles
// in the fused backtest engine, writes a model file that `ot-strat
// learned` and `ot-backtest --strategy learned` serve, and evaluates it
// walk-forward against baselines.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "../common/tool.h"
#include "store/store.h"
#include "train/params.h"
#include "train/trainer.h"

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Train a learned strategy and evaluate it out of sample (man ot-train)", "ot-train"};
  app.set_version_flag("--version", "ot-train 0.1.0");
  train::TrainConfig c;
  std::string mode, venue, symbol, config, log_path, progress = "auto", train_until, valid_until,
                                                     maker = "0", taker = "0", latency = "0";
  std::vector<std::string> params;
  bool quiet = false, no_eval = false;
  app.add_option("mode", mode, "supervised or rl")
      ->required()
      ->check(CLI::IsMember({"supervised", "rl"}));
  app.add_option("--data", c.data.data, "Captures, event files (.ndjson) or candle CSVs");
  app.add_option("--store", c.data.store_dir, "Or an ot-store directory");
  app.add_option("--db", c.data.db_url, "Or an ot-store PostgreSQL database");
  app.add_option("--out,-o", c.out, "The model file to write")->required();
  app.add_option("--venue", venue, "Venue of the instrument (as in the events)");
  app.add_option("--symbol", symbol, "Instrument to learn and trade")->required();
  app.add_option("--config", config, "TOML file; its [supervised] or [rl] table sets parameters");
  app.add_option("--param", params, "NAME=VALUE (man ot-train lists them)")->take_all();
  app.add_option("--seed", c.fit.seed, "Seed: the same seed and data give the same model bytes");
  app.add_option("--threads", c.fit.threads, "libtorch threads")->check(CLI::Range(1, 256));
  app.add_option("--train-until", train_until, "End of the training window (a time)");
  app.add_option("--valid-until", valid_until, "End of the validation window (a time)");
  app.add_option("--log", log_path, "Write the training log (NDJSON, one line per epoch)");
  app.add_option("--maker-fee", maker, "Evaluation: maker fee rate");
  app.add_option("--taker-fee", taker, "Evaluation: taker fee rate");
  app.add_option("--limits", c.data.limits_file, "Evaluation: ot-risk limits file");
  app.add_option("--latency", latency, "Evaluation: order and report latency, e.g. 250us");
  app.add_option("--candle-venue", c.data.candle_venue, "Venue name for candle CSVs");
  app.add_option("--candle-symbol", c.data.candle_symbol, "Symbol name for candle CSVs");
  app.add_flag("--no-evaluate", no_eval, "Write the model without the test-window backtests");
  app.add_option("--progress", progress, "auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  train::TrainParams tp(c, mode == "rl");  // the agent has defaults of its own

  auto usage = [](const std::string& m) {
    tool::usage_error("ot-train", m);
    return tool::kExitUsage;
  };
  if ((!c.data.data.empty()) + (!c.data.store_dir.empty()) + (!c.data.db_url.empty()) != 1) {
    return usage("give exactly one of --data, --store, --db");
  }
  if (!config.empty()) {
    if (auto r = load_strategy_config(config, mode, tp.params()); !r)
      return usage(r.error().message());
  }
  for (const auto& p : params) {
    const std::size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return usage("--param '" + p + "': expected NAME=VALUE");
    if (auto r = tp.params().set(p.substr(0, eq), p.substr(eq + 1)); !r) {
      return usage("--param " + p + ": " + r.error().message());
    }
  }
  if (auto r = tp.apply(); !r) return usage(r.error().message());
  for (auto [text, slot] :
       {std::pair{&train_until, &c.train_until}, std::pair{&valid_until, &c.valid_until}}) {
    if (text->empty()) continue;
    if (!(*slot = parse_time_arg(*text))) return usage("not a time: '" + *text + "'");
  }
  auto md = Decimal::parse(maker), td = Decimal::parse(taker);
  auto lat = LatencyModel::parse(latency);
  if (!md || !td || !lat) return usage("bad fee rate or --latency");
  c.data.maker_fee = *md;
  c.data.taker_fee = *td;
  c.data.order_latency = c.data.report_latency = *lat;
  c.data.seed = c.fit.seed;
  if (!venue.empty()) c.data.params.emplace_back("venue", venue);
  c.data.params.emplace_back("symbol", symbol);
  c.evaluate = !no_eval;

  std::FILE* log = nullptr;
  if (!log_path.empty() && !(log = std::fopen(log_path.c_str(), "w"))) {
    std::fprintf(stderr, "ot-train: error: %s: %s\n", log_path.c_str(), std::strerror(errno));
    return tool::kExitFailure;
  }
  const bool bar = progress == "always" || (progress == "auto" && isatty(STDERR_FILENO));
  auto on_epoch = [&](const train::EpochLog& e) {
    const bool rl = mode == "rl";
    if (log != nullptr) {
      std::fputs(train::log_line(e, rl).c_str(), log);
      std::fflush(log);
    }
    if (bar) {
      const int of = rl ? c.rl.episodes : c.fit.epochs;
      const int w = 40, n = std::min(w, e.epoch * w / std::max(1, of));
      std::fprintf(stderr, "\r[%.*s%*s] %s %d/%d ", n, "########################################",
                   w - n, "", rl ? "episode" : "epoch", e.epoch, of);
      if (rl) {
        std::fprintf(stderr, "reward %.4g valid pnl %.4g", e.reward, e.valid_pnl);
      } else {
        std::fprintf(stderr, "valid loss %.4g corr %.3f", e.valid_loss, e.valid_corr);
      }
    }
  };
  tool::StderrDiagnostics diag("ot-train", quiet);
  train::TrainReport report;
  const bool ok = mode == "rl" ? train::train_rl(c, report, diag, on_epoch)
                               : train::train_supervised(c, report, diag, on_epoch);
  if (bar) std::fputs("\n", stderr);
  if (log != nullptr && std::fclose(log) != 0) return tool::kExitFailure;
  if (!ok) return tool::kExitFailure;
  if (!quiet && report.rl) {
    std::fprintf(stderr,
                 "ot-train: %s: %zu training, %zu validation, %zu test samples; sha256 %s\n",
                 c.out.c_str(), report.train_rows, report.valid_rows, report.test_rows,
                 report.model_hash.c_str());
  } else if (!quiet) {
    std::fprintf(stderr,
                 "ot-train: %s: %zu training, %zu validation, %zu test samples; validation "
                 "corr %.3f, test corr %.3f; sha256 %s\n",
                 c.out.c_str(), report.train_rows, report.valid_rows, report.test_rows,
                 report.valid.valid_corr, report.test.valid_corr, report.model_hash.c_str());
  }
  std::fputs(train::report_lines(report).c_str(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) return tool::kExitFailure;
  for (const auto& p : report.policies) {
    if (!p.ok) return tool::kExitFailure;
  }
  return tool::kExitOk;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-train", [&] { return program_main(argc, argv); });
}
