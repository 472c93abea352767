// ot-tick-chain: the tick-to-trade chain fused in one process — the live
// feed (Beast WebSocket) into lib/chain's FusedChain (ot-book's engine, a
// strategy, ot-risk's engine and ot-exec's engine) over a venue gateway, as
// structs instead of lines through pipes. Used by bench/tick_to_trade.py
// against ot-sim.
//
// Besides what ot-sim measures on the wire, it measures inside the process:
// from the moment a frame was read off the socket (the event's `recv`) to
// the moment its order is handed to the gateway; percentiles on stderr.
//
//   ot-tick-chain --venue binance-futures --symbols BTCUSDT --ws-url ws://…
//       --rest-url http://… --duration 10 [--limits risk.toml] [--busy-poll]
//       [--lock-memory]
//   ot-tick-chain --replay capture.raw [--gap-us G]
//       [--also learned --param model=m.model --param symbol=BTCUSDT ...]
//
// --also puts another strategy in the chain ahead of the probe: what its
// work on each top of book costs shows in the probe's timing.
//
// Replaying, --gap-us G pauses G µs before each frame: the CPU sits idle as
// it does between a live chain's frames, and the figure shows what a cold
// start of the same work costs on this machine.
#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <vector>

#include "../tools/common/tool.h"
#include "chain/fused_chain.h"
#include "core/time.h"
#include "exec/paper.h"
#include "feed/book_sync.h"
#include "feed/live.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "io/input.h"
#include "venues/network_gateway.h"

namespace {

using namespace ot;

// Times each order from its trigger's receive time (or, replaying, from
// the start of its frame) to the gateway.
Nanos g_frame_start = 0;

class Timed final : public Gateway {
 public:
  explicit Timed(Gateway& inner) : inner_(inner) { samples_.reserve(1 << 20); }
  void submit(const Order& o) override {
    samples_.push_back(g_frame_start != 0 ? mono_ns() - g_frame_start : now_ns() - o.ts);
    if (g_frame_start == 0) return inner_.submit(o);
    // Replaying: the paper venue takes the order after the frame's market
    // update, and its work is not the chain's.
    deferred_.emplace_back(o);
  }
  void flush() {
    for (const auto& o : deferred_) inner_.submit(o.view());
    deferred_.clear();
  }
  void cancel(const Cancel& c) override { inner_.cancel(c); }
  void amend(const Amend& a) override { inner_.amend(a); }
  bool takes_market_data() const override { return inner_.takes_market_data(); }
  void on_book(const BookUpdate& u) override { inner_.on_book(u); }
  void on_trade(const Trade& t) override { inner_.on_trade(t); }
  void restore(const TrackedOrder& o) override { inner_.restore(o); }
  void poll(Nanos now) override { inner_.poll(now); }
  int wake_fd() const override { return inner_.wake_fd(); }
  bool busy() const override { return inner_.busy(); }
  void relay(ExecListener& l) { inner_.set_listener(l); }
  std::vector<Nanos>& samples() { return samples_; }

 private:
  Gateway& inner_;
  std::vector<Nanos> samples_;
  std::vector<OwnedOrder> deferred_;
};

// --lock-memory: every page resident before the first frame and none
// handed back: freed memory stays in the heap (no trim), the heap grows in
// 64 MiB steps that mlockall(MCL_FUTURE) faults in at once, large blocks
// come from the heap too, and the stack's first 512 KiB are touched.
void lock_and_prefault() {
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  ::mallopt(M_TOP_PAD, 64 << 20);
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    std::fprintf(stderr, "ot-tick-chain: warning: --lock-memory: mlockall: %s\n",
                 std::strerror(errno));
  }
  volatile char stack[512 << 10];
  for (std::size_t i = 0; i < sizeof stack; i += 4096) stack[i] = 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The tick-to-trade chain fused in one process (bench)", "ot-tick-chain"};
  LiveOptions lo;
  GatewayOptions go;
  std::string symbols, limits_path, replay;
  int gap_us = 0;
  lo.venue = "binance-futures";
  app.add_option("--venue", lo.venue, "Venue (binance, binance-futures, binance-delivery)");
  app.add_option("--symbols", symbols, "Symbols");
  app.add_option("--ws-url", lo.ws_url, "Market data WebSocket URL");
  app.add_option("--rest-url", lo.rest_url, "REST URL (snapshots and orders)");
  app.add_option("--duration", lo.duration_s, "Seconds to run");
  tool::add_busy_poll_flag(app, lo.busy_poll);
  app.add_option("--replay", replay,
                 "Instead: play this capture through the chain in the process, with the paper "
                 "venue, timing each frame that makes an order (the CPU path alone)");
  app.add_option("--gap-us", gap_us, "Replaying: pause this long before each frame (idle CPU)")
      ->check(CLI::Range(0, 10'000'000));
  app.add_option("--limits", limits_path, "ot-risk limits");
  bool lock_memory = false;
  app.add_flag("--lock-memory", lock_memory,
               "Lock the process's memory (mlockall), keep freed memory, grow the heap 64 MiB at "
               "a time and touch 512 KiB of stack first: no page fault once running (needs "
               "RLIMIT_MEMLOCK above what the process will use, or root)");
  std::string also;
  std::vector<std::string> also_params;
  app.add_option("--also", also,
                 "Another strategy in the chain before the probe (its work on each top of book "
                 "is in the probe's timing): learned, mm, ...");
  app.add_option("--param", also_params, "NAME=VALUE for --also")->take_all();
  if (auto rc = tool::parse(app, argc, argv)) return *rc;
  if (lock_memory) lock_and_prefault();
  lo.symbols = split_list(symbols);
  lo.channels.trade = lo.channels.quote = false;
  tool::StderrDiagnostics diag("ot-tick-chain");
  diag.set_limit(20);
  RiskLimits limits;
  if (!limits_path.empty()) {
    auto loaded = load_limits(limits_path);
    if (!loaded) {
      diag.error("", loaded.error().message());
      return 2;
    }
    limits = std::move(loaded).value();
  }
  std::unique_ptr<Gateway> gateway;
  if (!replay.empty()) {
    gateway = std::make_unique<PaperVenue>(PaperConfig{});
  } else {
    go.venue = lo.venue;
    go.orders_per_10s = 1e9;  // measuring latency, not the venue's limits
    // The gateway's I/O runs on this thread: an order goes on the wire from
    // the call that hands it over, and the engine's poll after each frame
    // serves the responses and the private stream.
    go.inline_io = true;
    go.busy_poll = lo.busy_poll;
    go.rest_url = lo.rest_url;
    go.ws_url = lo.ws_url;
    auto credentials = load_credentials(lo.venue, "");
    if (!credentials) {
      diag.error("", credentials.error().message());
      return 2;
    }
    go.credentials = std::move(credentials).value();
    auto made = make_gateway(go);
    if (!made) {
      diag.error("", made.error().message());
      return 2;
    }
    gateway = std::move(made).value();
  }
  Timed timed(*gateway);
  auto strategy = make_strategy("probe");
  Params params;
  strategy->params(params);
  std::unique_ptr<Strategy> other;
  if (!also.empty()) {
    other = make_strategy(also);
    Params p;
    if (other) other->params(p);
    for (const auto& kv : also_params) {
      const std::size_t eq = kv.find('=');
      if (!other || eq == std::string::npos || !p.set(kv.substr(0, eq), kv.substr(eq + 1))) {
        tool::usage_error("ot-tick-chain", "--also " + also + ": bad strategy or --param " + kv);
        return 2;
      }
    }
    if (!other) {
      tool::usage_error("ot-tick-chain", "--also: unknown strategy '" + also + "'");
      return 2;
    }
    if (auto valid = other->validate(); !valid) {
      tool::usage_error("ot-tick-chain", valid.error().message());
      return 2;
    }
  }
  // The fused chain (lib/chain): book → top of book → risk marks and the
  // strategy → order → risk check → exec, as structs; the reports back as
  // structs too. The venue's market data is fed here, after the chain.
  FusedChainOptions fo;
  fo.limits = std::move(limits);
  fo.venue_sees_market = false;
  FusedChain chain(timed, std::move(fo), diag);
  timed.relay(chain.exec());
  if (other) chain.add_strategy(*other, RunnerOptions{"o", "fused", "bbo"});
  chain.add_strategy(*strategy, RunnerOptions{"p", "fused", "bbo"});
  chain.start();
  tool::install_stop_signals();
  LiveStats stats;
  bool ok = true;
  if (!replay.empty()) {
    // The feed's own parser and sync guard, frame by frame, into the book as
    // structs; the paper venue sees the same market.
    struct Feed final : EventListener {
      FusedChain* chain;
      Gateway* venue;
      void on_book(const BookUpdate& u) override {
        chain->on_book(u);
        venue->on_book(u);
      }
      void on_trade(const Trade& t) override { venue->on_trade(t); }
      void on_quote(const Quote&) override {}
      void on_ticker(const Ticker&) override {}
      void on_status(const Status&) override {}
    } feed;
    feed.chain = &chain;
    feed.venue = gateway.get();
    std::ifstream in(replay);
    std::string line, padded;
    std::unique_ptr<FrameParser> parser;
    std::unique_ptr<BookSyncGuard> guard;
    while (std::getline(in, line)) {
      Nanos recv = 0;
      std::string_view frame;
      if (!split_capture_line(line, recv, frame)) continue;
      padded.assign(frame);
      padded.append(kLinePadding, '\0');
      const std::string_view f(padded.data(), frame.size());
      if (!parser) {
        parser = make_detected_parser(f);
        if (!parser) continue;
        guard = std::make_unique<BookSyncGuard>(find_venue(parser->venue())->book_rules(), feed,
                                                nullptr);
      }
      if (gap_us > 0) {
        const timespec pause{gap_us / 1'000'000, static_cast<long>(gap_us % 1'000'000) * 1000};
        ::nanosleep(&pause, nullptr);
      }
      g_frame_start = mono_ns();
      parser->parse(f, recv, *guard);
      timed.flush();
      ++stats.frames;
    }
    g_frame_start = 0;
  } else {
    PaddedLineSink to_book([&](std::string_view line) {
      chain.book().process_line(line, "feed", 0);
      chain.poll(now_ns());  // then the reports from the gateway's thread
    });
    // Busy: the gateway's sockets are served from the feed's spinning loop
    // too, so an order never waits behind the answer to the one before.
    if (lo.busy_poll) lo.on_idle = [&] { chain.poll(now_ns()); };
    ok = run_live(lo, to_book, diag, &tool::g_stop, stats);
  }
  auto& s = timed.samples();
  std::sort(s.begin(), s.end());
  auto pct = [&](double p) {
    return s.empty() ? 0.0
                     : static_cast<double>(
                           s[std::min(s.size() - 1, static_cast<std::size_t>(p * s.size()))]) /
                           1000.0;
  };
  std::fprintf(stderr,
               "ot-tick-chain: in-process %s latency over %zu orders: p50 %.2f us, "
               "p99 %.2f us, p99.9 %.2f us (frames %lu%s)\n",
               replay.empty() ? "frame-received-to-order" : "frame-to-order (CPU path)", s.size(),
               pct(0.5), pct(0.99), pct(0.999), stats.frames,
               gap_us > 0 ? (", " + std::to_string(gap_us) + " us apart").c_str() : "");
  return ok ? 0 : 1;
}
