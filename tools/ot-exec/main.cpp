// ot-exec: orders in, execution reports out (paper venue; journal; fills
// endpoint for the feedback loop).
#include "../common/tool.h"
#include "exec/exec_engine.h"
#include "exec/exec_loop.h"
#include "exec/paper.h"
#include "io/input.h"
#include "io/output.h"
#include "venues/network_gateway.h"
#include "venues/venue.h"

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Execute orders on a venue; publish execution reports (man ot-exec)", "ot-exec"};
  app.set_version_flag("--version", "ot-exec 0.1.0");
  std::string venue = "paper", in_uri = "-", out_uri = "-", fills_uri, journal_path;
  std::string in_pattern = "push", out_pattern = "push";
  std::string maker_fee = "0", taker_fee = "0";
  double order_latency_us = 0, report_latency_us = 0;
  int fills_subscribers = 1, fills_wait_ms = 5000;
  bool journal_sync = false, strict = false, quiet = false, print_stats = false;
  GatewayOptions go;
  std::string key_file;
  int linger_ms = 3000;
  std::vector<std::string> venues{"paper"};
  for (auto v : gateway_venue_names()) venues.emplace_back(v);
  app.add_option("--venue", venue, "Where orders go: paper, " + gateway_venues())
      ->check(CLI::IsMember(venues));
  app.add_option("--rest-url", go.rest_url, "Venue REST base URL (http:// for ot-sim)");
  app.add_option("--ws-url", go.ws_url, "Venue private stream base URL (ws:// for ot-sim)");
  app.add_option("--ca-file", go.ca_file, "Also trust this CA certificate (ot-sim's)");
  tool::add_busy_poll_flag(app, go.busy_poll);
  app.add_option("--key-file", key_file,
                 "API key file (mode 0600; default: OT_<VENUE>_API_KEY/_API_SECRET)");
  app.add_option("--recv-window-ms", go.recv_window_ms, "Binance recvWindow")
      ->check(CLI::Range(1, 60000));
  app.add_option("--orders-per-10s", go.orders_per_10s,
                 "Own order budget per 10 s (default: the venue's limit)")
      ->check(CLI::NonNegativeNumber);
  bool io_thread = false;
  app.add_flag("--io-thread", io_thread,
               "Run the venue's network I/O on a thread of its own (default: on the engine's "
               "thread, which puts each order on the wire itself)");
  app.add_option("--linger-ms", linger_ms,
                 "At the end of input, wait this long for answers and first reports still due");
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--in-pattern", in_pattern, "ZeroMQ input: push (PULL, default) or pub (SUB)")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--out", out_uri,
                 "Output: -, a file, tcp://…, ipc://… or nats://… (man ot-transports)");
  app.add_option("--out-pattern", out_pattern, "ZeroMQ output: push (default) or pub")
      ->check(CLI::IsMember({"push", "pub"}));
  app.add_option("--fills-out", fills_uri,
                 "Publish execution reports on this endpoint (tcp://… or ipc://…)");
  app.add_option("--fills-subscribers", fills_subscribers,
                 "Wait for this many subscribers on --fills-out before the first report")
      ->check(CLI::Range(1, 64));
  app.add_option("--fills-wait-ms", fills_wait_ms, "Longest wait for them, ms (-1: no limit)");
  app.add_option("--journal", journal_path, "Append-only order journal; replayed at start");
  app.add_flag("--journal-sync", journal_sync, "fdatasync the journal after every record");
  app.add_option("--order-latency-us", order_latency_us, "Paper: order to venue latency, µs")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--report-latency-us", report_latency_us,
                 "Paper: venue to us latency for reports, µs")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--maker-fee", maker_fee, "Paper: maker fee rate (0.0002 = 2 bp; < 0 rebate)");
  app.add_option("--taker-fee", taker_fee, "Paper: taker fee rate");
  tool::ContractOptions contracts;
  tool::add_contract_options(app, contracts);
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  app.add_flag("--stats", print_stats, "Print counters on stderr at the end");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  PaperConfig pc;
  auto mf = Decimal::parse(maker_fee), tf = Decimal::parse(taker_fee);
  if (!mf || !tf) {
    tool::usage_error("ot-exec", "--maker-fee/--taker-fee: expected a decimal rate such as 0.0002");
    return tool::kExitUsage;
  }
  if (!tool::apply_contract_options("ot-exec", contracts)) return tool::kExitUsage;
  pc.maker_fee = *mf;
  pc.taker_fee = *tf;
  pc.order_latency = static_cast<Nanos>(order_latency_us * 1000);
  pc.report_latency = static_cast<Nanos>(report_latency_us * 1000);

  tool::StderrDiagnostics diag("ot-exec", quiet);
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
  std::unique_ptr<LineOutput> fills;
  if (!fills_uri.empty()) {
    OutputOptions fo;
    fo.no_drop = true;
    fo.stop = &tool::g_stop;
    fo.min_subscribers = fills_subscribers;
    fo.subscriber_wait_ms = fills_wait_ms;
    auto opened = open_output(fills_uri, fo);
    if (!opened) return tool::exit_for(opened.error(), diag);
    fills = std::move(opened).value();
  }
  report_bad_lines(*in, diag);
  if (is_endpoint_uri(in_uri)) tool::install_stop_signals();

  std::unique_ptr<Gateway> gateway;
  if (venue == "paper") {
    gateway = std::make_unique<PaperVenue>(pc);
  } else {
    go.venue = venue;
    go.inline_io = !io_thread;
    auto credentials = load_credentials(venue, key_file);
    if (!credentials) return tool::exit_for(credentials.error(), diag);
    go.credentials = std::move(credentials).value();
    auto made = make_gateway(go);
    if (!made) return tool::exit_for(made.error(), diag);
    gateway = std::move(made).value();
  }
  ExecEngine engine(*gateway, *out, diag);
  if (fills) engine.set_fills(fills.get());
  if (!journal_path.empty()) {
    if (auto opened = engine.open_journal(journal_path, journal_sync); !opened) {
      return tool::exit_for(opened.error(), diag);
    }
  }
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-exec", mo, rc);
  if (!rt) return rc;
  engine.set_ack_latency(rt->stage("order_to_ack"));
  metrics::rate_limit_waits(venue);
  rt->ready();
  run_exec_loop(*in, engine, *gateway, *out, fills.get(),
                ExecLoopOptions{linger_ms, &tool::g_stop, rt.get()}, diag);
  rc = tool::end_of_run(*in, *out, diag);
  if (!engine.fatal().empty()) {
    diag.error("", engine.fatal());
    rc = tool::kExitFailure;
  }
  if (fills && !fills->flush()) {
    diag.error("", fills->error());
    rc = tool::kExitFailure;
  }
  const auto& s = engine.stats();
  if (print_stats) {
    std::fprintf(stderr,
                 "ot-exec: stats: lines=%lu malformed=%lu orders=%lu duplicates=%lu refused=%lu "
                 "cancels=%lu amends=%lu reports=%lu fills=%lu open=%zu\n",
                 s.lines, s.malformed, s.orders, s.duplicate_orders, s.refused, s.cancels, s.amends,
                 s.reports, s.fills, engine.orders().open_count());
  }
  // A re-sent id is not a refusal here: re-sending is idempotent.
  const std::uint64_t dropped = s.malformed + s.refused - s.duplicate_orders + in->bad_lines();
  if (strict && dropped > 0) rc = tool::kExitFailure;
  return rc;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-exec", [&] { return program_main(argc, argv); });
}
