// ot-dash: a live web dashboard of the event stream, with order entry
// through ot-risk (man ot-dash).
#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "../common/tool.h"
#include "core/event_decoder.h"
#include "dash/dash_server.h"
#include "dash/dash_state.h"
#include "dash/order_desk.h"
#include "io/input.h"
#include "io/output.h"

namespace {

// 32 hex digits from the system's random source.
std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes");
  std::string out;
  for (unsigned char c : b) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{
      "A live web dashboard of the event stream, with order entry through ot-risk "
      "(man ot-dash)",
      "ot-dash"};
  app.set_version_flag("--version", "ot-dash 0.1.0");
  std::vector<std::string> ins, report_dirs;
  std::string fills_uri, orders_uri, token_file;
  dash::ServerOptions so;
  dash::DashOptions dopt;
  bool quiet = false;
  app.add_option("--in", ins,
                 "Events to show: -, a file, tcp://… or ipc://… (ZeroMQ SUB), nats://… "
                 "(repeatable; default -)");
  app.add_option("--fills", fills_uri, "The executions feed (ot-exec --fills-out): acks, fills");
  app.add_option("--orders", orders_uri,
                 "Where order entry goes: ot-risk's input (a file, tcp://… or ipc://…, nats://…)");
  app.add_option("--listen", so.listen, "HOST:PORT to serve on (default 127.0.0.1:8080)");
  app.add_option("--token-file", token_file,
                 "Read the access token from this file (default: a random one, printed once)");
  app.add_flag("--read-only", so.read_only,
               "Serve viewers: no order entry (refused by the server)");
  app.add_option("--cert", so.cert, "PEM certificate chain: serve https:// and wss://");
  app.add_option("--key", so.key, "PEM private key (default: in --cert)");
  app.add_option("--report", report_dirs,
                 "Show ot-backtest reports from this directory (--report DIR of ot-backtest; "
                 "a grid's runs too; repeatable)");
  app.add_option("--levels", dopt.levels, "Ladder levels per side (default 20)")
      ->check(CLI::Range(1, 500));
  app.add_option("--conflate-ms", so.conflate_ms,
                 "Send each browser at most one update this often (default 50)")
      ->check(CLI::Range(1, 10000));
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  if (!so.key.empty() && so.cert.empty()) {
    tool::usage_error("ot-dash", "--key needs --cert");
    return tool::kExitUsage;
  }
  tool::StderrDiagnostics diag("ot-dash", quiet);

  if (token_file.empty()) {
    so.token = random_hex(16);
  } else {
    std::ifstream f(token_file);
    if (!f || !std::getline(f, so.token)) {
      tool::usage_error("ot-dash", "--token-file: cannot read '" + token_file + "'");
      return tool::kExitUsage;
    }
    while (!so.token.empty() && (so.token.back() == '\r' || so.token.back() == ' ')) {
      so.token.pop_back();
    }
  }

  std::unique_ptr<LineOutput> orders;
  std::mutex orders_mu;
  if (!orders_uri.empty()) {
    OutputOptions oo;
    oo.flush_each_line = true;
    oo.push = true;  // orders are never dropped: PUSH, a reliable ring
    oo.stop = &tool::g_stop;
    auto opened = open_output(orders_uri, oo);
    if (!opened) return tool::exit_for(opened.error(), diag);
    orders = std::move(opened).value();
  }
  if (ins.empty()) ins.push_back("-");
  if (!fills_uri.empty()) ins.push_back(fills_uri);
  std::vector<std::unique_ptr<LineInput>> inputs;
  for (const auto& uri : ins) {
    auto opened = open_input(uri);
    if (!opened) return tool::exit_for(opened.error(), diag);
    inputs.push_back(std::move(opened).value());
    report_bad_lines(*inputs.back(), diag);
  }

  std::vector<dash::Report> reports;
  for (const auto& dir : report_dirs) {
    auto loaded = dash::load_reports(dir);
    if (!loaded) return tool::exit_for(loaded.error(), diag);
    for (auto& r : loaded.value()) reports.push_back(std::move(r));
  }
  so.reports = &reports;
  std::mutex mu;  // the state and the desk
  dash::DashState state(dopt);
  dash::OrderDesk desk("dash-" + random_hex(3) + "-",
                       [&](std::string_view topic, std::string_view line) {
                         std::lock_guard<std::mutex> lock(orders_mu);
                         if (!orders) return;
                         orders->write_line(topic, line);
                         if (!orders->flush()) diag.error("--orders", orders->error());
                       });
  if (!orders) so.read_only = true;  // nowhere to send orders to
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-dash", mo, rc);
  if (!rt) return rc;
  auto started = dash::DashServer::start(so, state, desk, mu);
  if (!started) return tool::exit_for(started.error(), diag);
  auto server = std::move(started).value();
  const std::size_t colon = so.listen.rfind(':');
  std::string host = so.listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  // The one place the token is written: the URL to open.
  std::fprintf(stderr, "ot-dash: open %s://%s:%u/?token=%s%s\n", so.cert.empty() ? "http" : "https",
               host.c_str(), server->port(), so.token.c_str(), so.read_only ? " (read-only)" : "");
  tool::install_stop_signals();
  rt->ready();

  // One reader per input; the state under `mu`.
  std::vector<std::thread> readers;
  std::atomic<std::size_t> open_inputs{inputs.size()};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    LineInput* input = inputs[i].get();
    if (is_endpoint_uri(ins[i])) {
      input->set_wait_hook([&rt](const LineInput::WaitTarget& t) {
        const bool ready = wait_readable(t, 200);
        rt->waiting();
        if (tool::g_stop) return LineInput::WaitResult::stop;
        return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
      });
    }
    input->set_idle_hook([&rt] { rt->waiting(); });
    readers.emplace_back([input, &mu, &state, &open_inputs, &diag, &rt] {
      EventDecoder decoder({EventType::book, EventType::depth, EventType::bbo, EventType::quote,
                            EventType::trade, EventType::status, EventType::exec});
      DecodedEvent ev;
      std::string_view line;
      metrics::StageTimer stage(rt->stage("dash"));  // a line read to its state applied
      while (!tool::g_stop && input->next(line)) {
        if (is_blank(line)) continue;
        stage.begin();
        const bool ok = static_cast<bool>(decoder.decode(line, ev));
        std::lock_guard<std::mutex> lock(mu);
        if (ok) {
          state.apply(ev, line, mono_ns());
        } else {
          state.malformed(input->name());
        }
        stage.end();
      }
      if (!input->error().empty()) diag.error(input->name(), input->error());
      --open_inputs;
    });
  }
  // The input may end (a replayed file): the final state is served until
  // SIGINT or SIGTERM.
  while (!tool::g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.reset();
  {
    std::lock_guard<std::mutex> lock(orders_mu);
    if (orders && !orders->flush()) diag.error("--orders", orders->error());
  }
  // Readers blocked on a pipe that stays open are not waited for.
  if (open_inputs.load() == 0) {
    for (auto& t : readers) t.join();
    return tool::kExitOk;
  }
  std::fflush(stderr);
  std::quick_exit(tool::kExitOk);
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-dash", [&] { return program_main(argc, argv); });
}
