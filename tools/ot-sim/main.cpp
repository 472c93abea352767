// ot-sim: a local venue replaying a capture over the venue's own protocol.
#include <csignal>

#include "../common/tool.h"
#include "io/output.h"
#include "sim/sim_server.h"
#include "venues/sim_protocol.h"
#include "venues/venue.h"

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Serve a capture as a local venue over its own protocol (man ot-sim)", "ot-sim"};
  app.set_version_flag("--version", "ot-sim 0.1.0");
  SimOptions o;
  bool quiet = false;
  app.add_option("--venue", o.venue,
                 "binance, binance-futures, binance-delivery, okx, deribit; alpaca (orders on the "
                 "capture's market)")
      ->required();
  app.add_option("--data", o.data, "Capture file(s) to serve")->required()->take_all();
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: any free port)");
  app.add_option("--speed", o.speed, "Replay speed (1 = real time, 0 = as fast as clients read)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--drop-after", o.drop_after,
                 "Close the k-th connection after N frames (repeatable: k = 1, 2, …)");
  app.add_option("--skip", o.skip, "Never send the timeline frame with this 1-based index");
  app.add_option("--delay-ms", o.delay_ms, "Extra delay before each frame")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--malformed-every", o.malformed_every,
                 "Send a malformed frame after every N frames");
  app.add_option("--linger", o.linger_s, "Exit this many seconds after the capture ends");
  tool::add_busy_poll_flag(app, o.busy_poll);
  app.add_option("--port-file", o.port_file, "Write the bound port to this file");
  app.add_option("--tls-cert", o.tls_cert,
                 "Serve TLS (wss://, https://) with this PEM certificate");
  app.add_option("--tls-key", o.tls_key, "PEM private key (default: in the --tls-cert file)");
  auto* oe = "Order entry";
  app.add_option("--api-key", o.account.api_key, "The test account's API key")->group(oe);
  app.add_option("--api-secret", o.account.api_secret, "The test account's API secret")->group(oe);
  app.add_option("--api-passphrase", o.account.api_passphrase,
                 "The test account's passphrase (OKX)")
      ->group(oe);
  app.add_option("--reject-every", o.account.reject_every, "Reject every N-th order")->group(oe);
  app.add_option("--order-delay-ms", o.order_delay_ms, "Answer order requests this much later")
      ->check(CLI::NonNegativeNumber)
      ->group(oe);
  app.add_option("--drop-private-after", o.account.drop_private_after,
                 "Cut the private streams after N events")
      ->group(oe);
  app.add_option("--report-delay-ms", o.account.report_delay_ms,
                 "Send private-stream order reports this much later than they happen")
      ->check(CLI::NonNegativeNumber)
      ->group(oe);
  std::string maker_fee = "0", taker_fee = "0";
  app.add_option("--maker-fee", maker_fee, "The account's maker fee rate")->group(oe);
  app.add_option("--taker-fee", taker_fee, "The account's taker fee rate")->group(oe);
  app.add_flag("--duplicate-acks", o.account.duplicate_acks, "Send every ack twice")->group(oe);
  tool::ContractOptions contracts;
  tool::add_contract_options(app, contracts);
  app.add_option("--rate-limit", o.account.rate_limit,
                 "Orders per second before 429 responses (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->group(oe);
  app.add_option("--latency-log", o.latency_log,
                 "Tick-to-trade: log when top-changing frames leave and orders arrive");
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  {
    auto mf = Decimal::parse(maker_fee), tf = Decimal::parse(taker_fee);
    if (!mf || !tf) {
      tool::usage_error("ot-sim", "--maker-fee/--taker-fee: expected a decimal rate");
      return tool::kExitUsage;
    }
    o.account.maker_fee = *mf;
    o.account.taker_fee = *tf;
  }
  if (!tool::apply_contract_options("ot-sim", contracts)) return tool::kExitUsage;
  if (find_venue(o.venue) == nullptr && !sim_orders_only(o.venue)) {
    tool::usage_error("ot-sim", "unknown venue '" + o.venue + "'");
    return tool::kExitUsage;
  }
  tool::StderrDiagnostics diag("ot-sim", quiet);
  auto opened = open_output("-", OutputOptions{true});
  if (!opened) return tool::exit_for(opened.error(), diag);
  auto out = std::move(opened).value();
  tool::install_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-sim", mo, rc);
  if (!rt) return rc;
  o.runtime = rt.get();
  rt->ready();
  const bool ok = run_sim(o, *out, diag, &tool::g_stop);
  out->flush();
  return ok ? tool::kExitOk : tool::kExitFailure;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-sim", [&] { return program_main(argc, argv); });
}
