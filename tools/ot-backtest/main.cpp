// ot-backtest: a deterministic fused run of book → strategy → risk → paper
// execution over captures, stored events or candles; a one-line JSON
// summary, reports, thresholds for cron, parameter grids.
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "../common/tool.h"
#include "backtest/backtest.h"
#include "backtest/report.h"
#include "publish.h"

namespace {

using namespace ot;

// "k=v" pairs of --param.
bool split_params(const std::vector<std::string>& in,
                  std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& p : in) {
    const std::size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      tool::usage_error("ot-backtest", "--param '" + p + "': expected NAME=VALUE[,VALUE...]");
      return false;
    }
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return true;
}

}  // namespace

static int program_main(int argc, char** argv) {
  CLI::App app{"Backtest a strategy on captures, stored events or candles (man ot-backtest)",
               "ot-backtest"};
  app.set_version_flag("--version", "ot-backtest 0.1.0");
  BacktestConfig c;
  std::vector<std::string> params, fail_if, symbols;
  std::string report, order_lat = "0", report_lat = "0", market_lat = "0", maker = "0", taker = "0",
                      bar, progress = "auto", from, to;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false, strict = false;
  app.add_option("--data,data", c.data, "Captures, event files (.ndjson) or candle CSVs");
  app.add_option("--store", c.store_dir, "Or an ot-store directory");
  app.add_option("--db", c.db_url, "Or an ot-store PostgreSQL database");
  app.add_option("--venue", c.filter.venues, "Stored data: only these venues")->delimiter(',');
  app.add_option("--from", from, "From this time (files: the strategy's window)");
  app.add_option("--to", to, "Up to this time (files: the strategy's window)");
  app.add_option("--strategy", c.strategy, "Strategy: mm, momentum, meanrev, twap, learned")
      ->required();
  app.add_option("--config", c.config_file, "TOML file; its [STRATEGY] section sets parameters");
  app.add_option("--param", params, "NAME=VALUE; NAME=A,B,C runs a grid")->take_all();
  app.add_option("--symbols", c.symbols, "One strategy instance per symbol")->delimiter(',');
  app.add_option("--limits", c.limits_file, "ot-risk limits file");
  tool::ContractOptions contracts;
  tool::add_contract_options(app, contracts);
  app.add_option("--order-latency", order_lat, "Strategy to venue: 250us, uniform:A,B, ...");
  app.add_option("--report-latency", report_lat, "Venue to strategy for executions");
  app.add_option("--market-latency", market_lat, "Venue to strategy for market data");
  app.add_option("--maker-fee", maker, "Maker fee rate (negative: rebate)");
  app.add_option("--taker-fee", taker, "Taker fee rate");
  app.add_option("--capital", c.capital, "Capital for returns (PnL currency)");
  app.add_option("--bar", bar,
                 "Return period for Sharpe/Sortino and equity samples (default "
                 "1s, candles: their interval)");
  app.add_option("--candle-venue", c.candle_venue, "Venue name for candle CSVs");
  app.add_option("--candle-symbol", c.candle_symbol, "Symbol name for candle CSVs");
  app.add_option("--seed", c.seed, "Seed of sampled latencies");
  app.add_option("--report", report, "Write summary.json, fills.ndjson, equity.csv, report.html");
  app.add_option("--fail-if", fail_if, "Exit 3 when a metric crosses: 'sharpe<1.0'")->take_all();
  app.add_option("--jobs,-j", jobs, "Grid runs in parallel")->check(CLI::Range(1, 256));
  app.add_option("--progress", progress, "auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  std::vector<std::pair<std::string, std::string>> grid_params;
  if (!split_params(params, grid_params) ||
      !tool::apply_contract_options("ot-backtest", contracts)) {
    return tool::kExitUsage;
  }
  std::vector<Threshold> thresholds;
  for (const auto& text : fail_if) {
    auto t = parse_threshold(text);
    if (!t) {
      tool::usage_error("ot-backtest", t.error().message());
      return tool::kExitUsage;
    }
    thresholds.push_back(std::move(t).value());
  }
  std::string err;
  auto latency = [&](const std::string& spec, LatencyModel& out) {
    auto m = LatencyModel::parse(spec);
    if (!m) {
      err = m.error().message();
      return false;
    }
    out = std::move(m).value();
    return true;
  };
  auto md = Decimal::parse(maker), td = Decimal::parse(taker);
  std::optional<Nanos> bar_ns = bar.empty() ? std::optional<Nanos>(0) : parse_duration(bar);
  if (!latency(order_lat, c.order_latency) || !latency(report_lat, c.report_latency) ||
      !latency(market_lat, c.market_latency) || !md || !td || !bar_ns) {
    tool::usage_error("ot-backtest", !err.empty() ? err : "bad fee rate or --bar");
    return tool::kExitUsage;
  }
  c.maker_fee = *md;
  c.taker_fee = *td;
  c.bar = *bar_ns;
  for (auto [text, slot] : {std::pair{&from, &c.filter.from}, std::pair{&to, &c.filter.to}}) {
    if (!text->empty() && !(*slot = parse_time_arg(*text))) {
      tool::usage_error("ot-backtest", "not a time: '" + *text + "'");
      return tool::kExitUsage;
    }
  }
  const int sources = !c.data.empty() + !c.store_dir.empty() + !c.db_url.empty();
  if (sources != 1) {
    tool::usage_error("ot-backtest", "give exactly one of --data, --store, --db");
    return tool::kExitUsage;
  }

  const auto combos = expand_grid(grid_params);
  const bool bar_on = progress == "always" || (progress == "auto" && isatty(STDERR_FILENO));
  auto show = [&](double f) {
    const int w = 40, n = static_cast<int>(f * w);
    std::fprintf(stderr, "\r[%.*s%*s] %3d%%", n, "########################################", w - n,
                 "", static_cast<int>(f * 100));
  };
  std::vector<BacktestResult> results;
  std::vector<char> ok = run_grid(
      c, combos, jobs,
      [&] { return std::make_unique<tool::StderrDiagnostics>("ot-backtest", quiet); }, results,
      bar_on ? ProgressFn(show) : ProgressFn());
  if (bar_on) std::fputs("\n", stderr);

  tool::StderrDiagnostics diag("ot-backtest", quiet);
  const int rc = publish_results(combos, results, ok, report, thresholds, diag);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) return tool::kExitFailure;
  const bool dropped =
      std::any_of(results.begin(), results.end(), [](const auto& r) { return r.dropped > 0; });
  return strict && dropped ? tool::kExitFailure : rc;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-backtest", [&] { return program_main(argc, argv); });
}
