// ot-strat: runs a strategy on the event stream; orders out, market data
// passed through, executions back from ot-exec's endpoint.
#include <map>

#include "../common/tool.h"
#include "core/time.h"
#include "io/input.h"
#include "io/output.h"
#include "strat/runner.h"

namespace {

std::string flag_name(const std::string& param) {
  std::string f = "--" + param;
  for (char& c : f) c = c == '_' ? '-' : c;
  return f;
}

}  // namespace

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Run a trading strategy on the event stream (man ot-strat)", "ot-strat"};
  app.set_version_flag("--version", "ot-strat 0.1.0");
  app.set_config("--config", "", "Read parameters from a TOML file ([mm], [twap], ... sections)");
  app.require_subcommand(1);
  app.fallthrough();  // common options may follow the strategy's name
  std::string in_uri = "-", out_uri = "-", fills_uri, in_pattern = "pub", out_pattern = "push";
  std::string clock = "stream";
  RunnerOptions ro;
  bool quiet = false, print_stats = false, strict = false;
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--in-pattern", in_pattern, "ZeroMQ input: pub (SUB, default) or push (PULL)")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--out", out_uri,
                 "Output: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--out-pattern", out_pattern, "ZeroMQ output: push (default) or pub")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--fills", fills_uri, "Executions endpoint of ot-exec (--fills-out)");
  app.add_option("--id-prefix", ro.id_prefix, "Client order ids start with this (default: name)");
  app.add_option("--session", ro.session,
                 "Middle part of client order ids (default: start time, base 36)");
  app.add_option("--top-source", ro.top_source,
                 "Top of book from bbo (ot-book, default), quote (the venue) or any")
      ->check(CLI::IsMember({"bbo", "quote", "any"}));
  app.add_option("--clock", clock, "stream (time of the events) or wall (timers run when idle)")
      ->check(CLI::IsMember({"stream", "wall"}));
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  app.add_flag("--stats", print_stats, "Print counters on stderr at the end");

  struct Sub {
    CLI::App* cmd;
    std::unique_ptr<Strategy> strategy;
    Params params;
    std::map<std::string, std::string> values;
  };
  std::vector<Sub> subs;
  subs.reserve(builtin_strategies().size());
  for (const auto& f : builtin_strategies()) {
    Sub& s = subs.emplace_back();
    s.strategy = f.create();
    s.strategy->params(s.params);
    s.cmd = app.add_subcommand(f.name, f.summary);
    for (const auto& e : s.params.entries()) {
      auto* opt = s.cmd->add_option(flag_name(e.name), s.values[e.name], e.help);
      opt->default_str(s.params.get(e));
      static constexpr const char* kTypes[] = {"NUM", "INT", "TEXT", "DECIMAL", "BOOL"};
      opt->type_name(kTypes[static_cast<int>(e.kind)]);
    }
  }
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  Sub* chosen = nullptr;
  for (auto& s : subs) {
    if (s.cmd->parsed()) chosen = &s;
  }
  for (const auto& e : chosen->params.entries()) {
    if (chosen->cmd->count(flag_name(e.name)) == 0) continue;
    if (auto set = chosen->params.set(e.name, chosen->values[e.name]); !set) {
      tool::usage_error("ot-strat", set.error().message());
      return tool::kExitUsage;
    }
  }
  Strategy& strategy = *chosen->strategy;
  if (auto valid = strategy.validate(); !valid) {
    tool::usage_error("ot-strat", valid.error().message());
    return tool::kExitUsage;
  }
  if (app.count("--session") == 0) {
    std::string s;
    for (auto t = static_cast<std::uint64_t>(now_ns() / 1'000'000'000); t > 0; t /= 36) {
      s.insert(s.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[t % 36]);
    }
    ro.session = s;
  }

  tool::StderrDiagnostics diag("ot-strat", quiet);
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
  auto rt = tool::start_runtime("ot-strat", mo, rc);
  if (!rt) return rc;
  StrategyRunner runner(strategy, *out, diag, ro);
  auto on_fill = [&](std::string_view line) { runner.process_feedback(line); };
  const bool wall = clock == "wall";
  in->set_idle_hook([&] {
    out->flush();
    rt->waiting();
  });
  // On an endpoint, a wait looks at the stop flag a few times a second (a
  // ring's sleep is not ended by a signal).
  const bool endpoint = is_endpoint_uri(in_uri);
  if (fills || wall || endpoint) {
    in->set_wait_hook([&](const LineInput::WaitTarget& t) {
      int timeout = endpoint ? 200 : -1;
      if (wall && runner.timer()) {
        const auto due =
            static_cast<int>(std::max<Nanos>(0, (*runner.timer() - now_ns()) / 1'000'000));
        timeout = timeout < 0 ? due : std::min(timeout, due);
      }
      const bool ready = fills ? fills->wait(t, timeout, on_fill) : wait_readable(t, timeout);
      if (wall) runner.advance(now_ns());
      out->flush();
      rt->waiting();
      if (tool::g_stop) return LineInput::WaitResult::stop;
      return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
    });
  }
  tool::install_stop_signals();
  runner.start();
  metrics::StageTimer stage(rt->stage("strat"));
  rt->ready();
  std::string_view line;
  while (!tool::g_stop && in->next(line)) {
    if (fills) fills->catch_up(on_fill);
    stage.begin();
    runner.process_line(line, in->name(), in->line_number());
    stage.end();
  }
  rt->input_ended();
  if (fills) fills->drain(on_fill);
  runner.stop();
  rc = tool::end_of_run(*in, *out, diag);
  if (strict && runner.stats().malformed + in->bad_lines() > 0) rc = tool::kExitFailure;
  if (print_stats) {
    const auto& s = runner.stats();
    std::fprintf(stderr,
                 "ot-strat: stats: lines=%lu malformed=%lu orders=%lu cancels=%lu amends=%lu "
                 "reports=%lu fills=%lu feedback_gaps=%lu\n",
                 s.lines, s.malformed, s.orders, s.cancels, s.amends, s.reports, s.fills,
                 s.feedback_gaps);
  }
  return rc;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-strat", [&] { return program_main(argc, argv); });
}
