// ot-feed: market data in. `replay` plays captures, `live` connects to venues.
#include <csignal>

#include "../common/tool.h"
#include "feed/live.h"
#include "feed/replay.h"
#include "io/output.h"
#include "venues/venue.h"

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Normalize venue market data into events (man ot-feed)", "ot-feed"};
  app.set_version_flag("--version", "ot-feed 0.1.0");
  app.require_subcommand(1);
  std::string out_uri = "-";
  bool strict = false, quiet = false, print_stats = false;

  auto* replay = app.add_subcommand("replay", "Play captures through the live parsers");
  ReplayOptions ro;
  std::vector<std::string> files;
  replay->add_option("files", files, "Capture files (plain, .gz, .zst); - or none for stdin");
  replay->add_option("--speed", ro.speed, "0 = as fast as possible, 1 = real time")
      ->check(CLI::NonNegativeNumber);
  replay->add_option("--venue", ro.venue, "Venue of the captures (default: detect)");
  replay->add_flag("--raw", ro.raw, "Write capture lines (merged by time) instead of events");

  auto* live = app.add_subcommand("live", "Connect to a venue and stream its market data");
  LiveOptions lo;
  std::string symbols, channels = "book,trade,quote";
  std::string venues;
  for (auto v : venue_names()) venues += (venues.empty() ? "" : ", ") + std::string(v);
  live->add_option("--venue", lo.venue, venues)->required();
  live->add_option("--symbols", symbols, "Comma-separated venue symbols")->required();
  live->add_option("--channels", channels, "Any of book,trade,quote,ticker");
  live->add_option("--ws-url", lo.ws_url, "WebSocket base URL (ws:// or wss://)");
  live->add_option("--rest-url", lo.rest_url, "REST base URL (http:// or https://)");
  live->add_flag("--raw", lo.raw, "Write frames in the capture format instead of events");
  live->add_option("--record", lo.record, "Also record frames to this capture file");
  live->add_option("--duration", lo.duration_s, "Stop after this many seconds")
      ->check(CLI::PositiveNumber);
  live->add_option("--ca-file", lo.ca_file, "Trust this CA certificate (e.g. ot-sim's)");
  tool::add_busy_poll_flag(*live, lo.busy_poll);

  metrics::RuntimeOptions mo;
  for (auto* sub : {replay, live}) {
    tool::add_metrics_options(*sub, mo);
    sub->add_option(
        "--out", out_uri,
        "Output: -, a file, tcp://… or ipc://… (ZeroMQ PUB), nats://… (man ot-transports)");
    tool::add_strict_flag(*sub, strict);
    sub->add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
    sub->add_flag("--stats", print_stats, "Print counters on stderr at the end");
  }
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  const std::string venue = replay->parsed() ? ro.venue : lo.venue;
  if (!venue.empty() && find_venue(venue) == nullptr) {
    tool::usage_error("ot-feed", "unknown venue '" + venue + "'");
    return tool::kExitUsage;
  }
  tool::StderrDiagnostics diag("ot-feed", quiet);
  OutputOptions oo;
  oo.flush_each_line = live->parsed() || ro.speed > 0;
  auto opened_out = open_output(out_uri, oo);
  if (!opened_out) return tool::exit_for(opened_out.error(), diag);
  auto out = std::move(opened_out).value();
  tool::install_stop_signals();
  LiveHealth health;
  metrics::ReadyCheck ready;
  if (live->parsed()) {
    ready = [&health](std::string& why) { return health.ready(why); };
  }
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-feed", mo, rc, std::move(ready));
  if (!rt) return rc;

  bool ok = true;
  std::uint64_t malformed = 0;
  if (replay->parsed()) {
    if (files.empty()) files.push_back("-");
    std::vector<std::unique_ptr<LineInput>> inputs;
    for (const auto& f : files) {
      auto opened = open_input(f);
      if (!opened) return tool::exit_for(opened.error(), diag);
      auto in = std::move(opened).value();
      in->set_idle_hook([&out, &rt] {
        out->flush();
        rt->waiting();
      });
      report_bad_lines(*in, diag);
      inputs.push_back(std::move(in));
    }
    ReplayStats stats;
    ro.runtime = rt.get();
    rt->ready();
    ok = run_replay(inputs, ro, *out, diag, stats);
    rt->input_ended();
    malformed = stats.errors;
    for (const auto& in : inputs) malformed += in->bad_lines();
    if (print_stats) {
      std::fprintf(stderr,
                   "ot-feed: stats: lines=%lu frames=%lu events=%lu control=%lu skipped=%lu "
                   "errors=%lu disconnects=%lu gaps=%lu checksum_mismatches=%lu "
                   "checksums_verified=%lu\n",
                   stats.lines, stats.frames, stats.events, stats.control, stats.skipped,
                   stats.errors, stats.disconnects, stats.gaps, stats.checksum_mismatches,
                   stats.checksums_verified);
    }
  } else {
    const auto parsed = parse_channels(channels);
    if (!parsed) return tool::exit_for(parsed.error(), diag);
    lo.channels = parsed.value();
    lo.symbols = split_list(symbols);
    health.books_wanted.store(lo.channels.book ? lo.symbols.size() : 0);
    lo.health = &health;
    lo.runtime = rt.get();
    LiveStats stats;
    rt->ready();
    ok = run_live(lo, *out, diag, &tool::g_stop, stats);
    if (ok && stats.connects == 0) {
      diag.error("", "never connected to the venue");
      ok = false;
    }
    malformed = stats.errors;
    if (print_stats) {
      std::fprintf(stderr,
                   "ot-feed: stats: frames=%lu errors=%lu connects=%lu disconnects=%lu "
                   "snapshots=%lu\n",
                   stats.frames, stats.errors, stats.connects, stats.disconnects, stats.snapshots);
    }
  }
  if (!out->flush()) {
    diag.error("", out->error());
    return tool::kExitFailure;
  }
  out.reset();
  if (!ok || (strict && malformed > 0)) return tool::kExitFailure;
  return tool::kExitOk;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-feed", [&] { return program_main(argc, argv); });
}
