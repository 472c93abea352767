// ot-risk: the risk gate between strategies and ot-exec — limits, positions
// and PnL, loss limits and kill switch, option greeks and delta hedging.
#include <csignal>

#include "../common/tool.h"
#include "core/time.h"
#include "io/input.h"
#include "io/output.h"
#include "risk/risk_engine.h"

namespace {
volatile std::sig_atomic_t g_kill = 0;
void on_usr2(int) { g_kill = 1; }
}  // namespace

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Check orders against risk limits; positions, PnL, greeks, hedging (man ot-risk)",
               "ot-risk"};
  app.set_version_flag("--version", "ot-risk 0.1.0");
  std::string limits_path, in_uri = "-", out_uri = "-", fills_uri;
  std::string in_pattern = "push", out_pattern = "push";
  bool quiet = false, print_stats = false, strict = false;
  app.add_option("--limits", limits_path, "Limits file (TOML; see ot-risk(1))")
      ->check(CLI::ExistingFile);
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--in-pattern", in_pattern, "ZeroMQ input: push (PULL, default) or pub (SUB)")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--out", out_uri,
                 "Output: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--out-pattern", out_pattern, "ZeroMQ output: push (default) or pub")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--fills", fills_uri, "Executions endpoint of ot-exec (--fills-out)");
  tool::ContractOptions contracts;
  tool::add_contract_options(app, contracts);
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  app.add_flag("--stats", print_stats, "Print counters on stderr at the end");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  if (!tool::apply_contract_options("ot-risk", contracts)) return tool::kExitUsage;

  tool::StderrDiagnostics diag("ot-risk", quiet);
  RiskLimits limits;
  if (!limits_path.empty()) {
    auto loaded = load_limits(limits_path);
    if (!loaded) return tool::exit_for(loaded.error(), diag);
    limits = std::move(loaded).value();
  }
  InputOptions io;
  io.pattern = in_pattern == "push" ? ZmqPattern::pushpull : ZmqPattern::pubsub;
  auto opened_in = open_input(in_uri, io);
  if (!opened_in) return tool::exit_for(opened_in.error(), diag);
  auto in = std::move(opened_in).value();
  OutputOptions oo;
  oo.push = out_pattern == "push";
  oo.stop = &tool::g_stop;
  auto opened_out = open_output(out_uri, oo);
  if (!opened_out) return tool::exit_for(opened_out.error(), diag);
  auto out = std::move(opened_out).value();
  report_bad_lines(*in, diag);
  std::unique_ptr<FeedbackInput> fills;
  if (!fills_uri.empty()) {
    auto opened = open_feedback(fills_uri);
    if (!opened) return tool::exit_for(opened.error(), diag);
    fills = std::move(opened).value();
  }
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-risk", mo, rc);
  if (!rt) return rc;
  metrics::kill_switch_gauge().set(0);
  RiskEngine engine(limits, *out, diag);
  auto on_fill = [&](std::string_view line) { engine.process_feedback(line); };
  auto housekeeping = [&] {
    if (g_kill) engine.kill("signal SIGUSR2");
    engine.poll_kill_file(mono_ns());
  };
  in->set_idle_hook([&] {
    housekeeping();
    out->flush();
    rt->waiting();
  });
  in->set_wait_hook([&](const LineInput::WaitTarget& t) {
    // Wake up a few times a second for the kill file and signals.
    const bool ready = fills ? fills->wait(t, 200, on_fill) : wait_readable(t, 200);
    housekeeping();
    out->flush();
    rt->waiting();
    if (tool::g_stop) return LineInput::WaitResult::stop;
    return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
  });
  tool::install_stop_signals();
  std::signal(SIGUSR2, on_usr2);
  housekeeping();
  metrics::StageTimer stage(rt->stage("risk"));
  rt->ready();
  std::string_view line;
  std::uint64_t n = 0;
  while (!tool::g_stop && in->next(line)) {
    if (fills) fills->catch_up(on_fill);
    if ((++n & 1023) == 0) housekeeping();
    stage.begin();
    engine.process_line(line, in->name(), in->line_number());
    stage.end();
  }
  rt->input_ended();
  if (fills) fills->drain(on_fill);
  rc = tool::end_of_run(*in, *out, diag);
  const auto& s = engine.stats();
  if (print_stats) {
    std::fprintf(stderr,
                 "ot-risk: stats: lines=%lu malformed=%lu invalid=%lu orders=%lu approved=%lu "
                 "rejected=%lu fills=%lu kills=%lu hedges=%lu adopted=%lu\n",
                 s.lines, s.malformed, s.invalid, s.orders, s.approved, s.rejected, s.fills,
                 s.kills, s.hedges, s.adopted);
  }
  if (strict && s.malformed + s.invalid + in->bad_lines() > 0) rc = tool::kExitFailure;
  return rc;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-risk", [&] { return program_main(argc, argv); });
}
