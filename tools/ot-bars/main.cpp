// ot-bars: candles and indicators from the event stream; bar events or
// candle CSV out.
#include "../common/tool.h"
#include "bars/bar_engine.h"
#include "io/input.h"
#include "io/output.h"

namespace {

// The options that make the BarSpec, checked together; an error message or
// empty.
std::string make_spec(const std::string& kind, const std::string& interval, const std::string& size,
                      const std::string& source, const std::string& indicators,
                      const std::string& empty, ot::BarSpec& spec) {
  using namespace ot;
  auto k = parse_bar_kind(kind);
  if (!k) return "--kind: expected time, tick, volume or dollar, got '" + kind + "'";
  spec.kind = *k;
  if (source != "trade" && source != "mid") {
    return "--source: expected trade or mid, got '" + source + "'";
  }
  spec.source = source == "mid" ? BarSource::mid : BarSource::trade;
  if (empty != "fill" && empty != "skip") {
    return "--empty: expected fill or skip, got '" + empty + "'";
  }
  spec.fill_empty = empty == "fill";
  if (spec.kind == BarKind::time) {
    if (!size.empty()) return "--size is for tick, volume and dollar bars (time bars: --interval)";
    auto i = parse_interval(interval.empty() ? "1m" : interval);
    if (!i) return "--interval: " + i.error().message();
    spec.interval = *i;
    spec.label = interval.empty() ? "1m" : interval;
  } else {
    if (!interval.empty()) return "--interval is for time bars (--kind " + kind + ": --size)";
    if (size.empty()) return "--kind " + kind + " needs --size";
    auto n = Decimal::parse(size);
    if (n && spec.kind == BarKind::tick) {  // "7.0" is 7 trades
      while (n->scale > 0 && n->mantissa % 10 == 0) n->mantissa /= 10, --n->scale;
    }
    if (!n || n->mantissa <= 0 || (spec.kind == BarKind::tick && n->scale != 0)) {
      return "--size: expected a positive " +
             std::string(spec.kind == BarKind::tick ? "whole number" : "decimal") + ", got '" +
             size + "'";
    }
    spec.size = *n;
    spec.label = size;
    if (spec.source == BarSource::mid && spec.kind != BarKind::tick) {
      return "--source mid has no volume: time or tick bars only";
    }
  }
  auto list = parse_indicators(indicators);
  if (!list) return "--indicators: " + list.error().message();
  spec.indicators = std::move(list).value();
  return {};
}

}  // namespace

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Candles and indicators from trades: bar events or candle CSV (man ot-bars)",
               "ot-bars"};
  app.set_version_flag("--version", "ot-bars 0.1.0");
  std::string in_uri = "-", out_uri = "-", kind = "time", interval, size, source = "trade";
  std::string indicators, format = "events", empty = "fill";
  BarEngineOptions opt;
  bool strict = false, quiet = false, print_stats = false;
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://… or ipc://… (ZeroMQ SUB), nats://… (man ot-transports)");
  app.add_option(
      "--out", out_uri,
      "Output: -, a file, tcp://… or ipc://… (ZeroMQ PUB), nats://… (man ot-transports)");
  app.add_option("--kind", kind, "time (default), tick, volume or dollar");
  app.add_option("--interval", interval, "Time bars' length: 500ms, 10s, 1m (default), 1h, 1d");
  app.add_option("--size", size, "Tick bars: trades; volume bars: quantity; dollar: price*qty");
  app.add_option("--source", source, "trade (default) or mid (of bbo and quote events)");
  app.add_option("--indicators", indicators, "e.g. ema:20,sma:50,rsi:14,vol:60,vwap,vwap:20");
  app.add_option("--format", format, "events (default: bar events, the rest passed) or csv");
  app.add_option("--empty", empty,
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
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  const std::uint64_t max_fill = opt.spec.max_fill;
  if (std::string e = make_spec(kind, interval, size, source, indicators, empty, opt.spec);
      !e.empty()) {
    tool::usage_error("ot-bars", e);
    return tool::kExitUsage;
  }
  opt.spec.max_fill = max_fill;
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
  tool::wire_filter(in_uri, *in, *out);
  BarEngine engine(opt, *out, diag);
  std::string_view line;
  while (!tool::g_stop && in->next(line)) engine.process_line(line, in->name(), in->line_number());
  engine.finish();
  const int rc = tool::end_of_run(*in, *out, diag);
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
