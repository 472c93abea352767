// ot-bars: candles and indicators from the event stream; bar events or
// candle CSV out.
#include "../common/tool.h"
#include "bars/bar_engine.h"
#include "io/input.h"
#include "io/output.h"

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Candles and indicators from trades: bar events or candle CSV (man ot-bars)",
               "ot-bars"};
  app.set_version_flag("--version", "ot-bars 0.1.0");
  std::string in_uri = "-", out_uri = "-", format = "events";
  BarSpecWords words;
  BarEngineOptions opt;
  bool strict = false, quiet = false, print_stats = false;
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://… or ipc://… (ZeroMQ SUB), nats://… (man ot-transports)");
  app.add_option(
      "--out", out_uri,
      "Output: -, a file, tcp://… or ipc://… (ZeroMQ PUB), nats://… (man ot-transports)");
  app.add_option("--kind", words.kind, "time (default), tick, volume or dollar");
  app.add_option("--interval", words.interval,
                 "Time bars' length: 500ms, 10s, 1m (default), 1h, 1d");
  app.add_option("--size", words.size,
                 "Tick bars: trades; volume bars: quantity; dollar: price*qty");
  app.add_option("--source", words.source, "trade (default) or mid (of bbo and quote events)");
  app.add_option("--indicators", words.indicators, "e.g. ema:20,sma:50,rsi:14,vol:60,vwap,vwap:20");
  app.add_option("--format", format, "events (default: bar events, the rest passed) or csv");
  app.add_option("--empty", words.empty,
                 "Time bars with no trade: fill (the last close, default) or skip");
  app.add_flag("--forming", opt.forming, "Also write the bar in progress after each trade");
  app.add_option("--venue", opt.venue, "Bars for this venue only");
  app.add_option("--symbol", opt.symbol, "Bars for this symbol only");
  app.add_option("--max-fill", opt.spec.max_fill,
                 "Empty bars written at most for one gap (default 100000)");
  app.add_option("--max-instruments", opt.max_instruments,
                 "Instruments with bars at most (default 100000, 0: no cap)");
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  app.add_flag("--stats", print_stats, "Print counters on stderr at the end");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  if (auto made = make_bar_spec(words, opt.spec); !made) {
    tool::usage_error("ot-bars", made.error().message());
    return tool::kExitUsage;
  }
  if (format != "events" && format != "csv") {
    tool::usage_error("ot-bars", "--format: expected events or csv, got '" + format + "'");
    return tool::kExitUsage;
  }
  opt.format = format == "csv" ? BarFormat::csv : BarFormat::events;
  if (opt.forming && opt.format == BarFormat::csv) {
    tool::usage_error("ot-bars", "--forming writes bar events: not with --format csv");
    return tool::kExitUsage;
  }

  tool::StderrDiagnostics diag("ot-bars", quiet);
  auto opened_in = open_input(in_uri);
  if (!opened_in) return tool::exit_for(opened_in.error(), diag);
  auto in = std::move(opened_in).value();
  auto opened_out = open_output(out_uri);
  if (!opened_out) return tool::exit_for(opened_out.error(), diag);
  auto out = std::move(opened_out).value();
  report_bad_lines(*in, diag);
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-bars", mo, rc);
  if (!rt) return rc;
  tool::wire_filter(in_uri, *in, *out, *rt);
  BarEngine engine(opt, *out, diag);
  metrics::StageTimer stage(rt->stage("bars"));
  rt->ready();
  std::string_view line;
  while (!tool::g_stop && in->next(line)) {
    stage.begin();
    engine.process_line(line, in->name(), in->line_number());
    stage.end();
  }
  rt->input_ended();
  engine.finish();
  rc = tool::end_of_run(*in, *out, diag);
  const auto& s = engine.stats();
  if (print_stats) {
    std::fprintf(stderr,
                 "ot-bars: stats: lines=%lu malformed=%lu trades=%lu bars=%lu late=%lu "
                 "unfilled=%lu skipped=%lu\n",
                 s.lines, s.malformed, s.trades, s.bars, s.late, s.unfilled, s.skipped);
  }
  if (rc != tool::kExitOk) return rc;
  if (strict && (s.malformed > 0 || s.skipped > 0 || in->bad_lines() > 0)) {
    return tool::kExitFailure;
  }
  return tool::kExitOk;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-bars", [&] { return program_main(argc, argv); });
}
