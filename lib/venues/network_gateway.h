// Gateways to real venues for ot-exec: each runs its network I/O (signed
// REST, private WebSocket streams) with an io_context, on the engine's
// thread (inline: an order goes on the wire from the call that hands it
// over, and the engine runs the I/O while it waits for input) or on a
// thread of its own, woken by a hand-off. Either way the engine collects
// reports through poll(), woken by wake_fd(). What is common lives here;
// what is a venue's under lib/venues/<venue>/.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/amount.h"
#include "core/result.h"
#include "exec/credentials.h"
#include "exec/gateway.h"
#include "net/client.h"

namespace ot {

struct GatewayOptions {
  std::string venue;
  std::string rest_url;  // default: the venue's production endpoint
  std::string ws_url;
  std::string ca_file;  // also trust this certificate (ot-sim's test CA)
  Credentials credentials;
  int recv_window_ms = 5000;
  // Orders per 10 seconds the gateway allows itself (0: the venue's
  // documented default).
  double orders_per_10s = 0;
  // Network I/O on the caller's thread (see Gateway::run_io) instead of a
  // thread of its own.
  bool inline_io = false;
  // --busy-poll: that I/O never sleeps in the kernel (net/busy_poll.h).
  bool busy_poll = false;
};

// The gateway for a venue, its network I/O started. invalid_argument for a
// venue without one, a malformed URL, missing credentials or an unreadable
// CA file.
Result<std::unique_ptr<Gateway>> make_gateway(const GatewayOptions& options);
// Venues with a gateway, in the registry's order; and as one
// comma-separated string, for --help and messages.
std::vector<std::string_view> gateway_venue_names();
std::string gateway_venues();

// A local budget of orders per 10 seconds (a token bucket on the
// monotonic clock), so a gateway stays under a venue's order limits.
class OrderBudget {
 public:
  explicit OrderBudget(double per_10s) : per_10s_(per_10s), tokens_(per_10s) {}
  // Takes one order's worth; false when spent.
  bool take();
  double per_10s() const { return per_10s_; }

 private:
  double per_10s_;
  double tokens_;
  Nanos at_ = 0;
};

// Wait before reconnect attempt `attempt` (0, 1, ...): 250 ms doubling to 30 s.
std::chrono::milliseconds reconnect_delay(int attempt);

// The threading every network gateway shares.
class ThreadedGateway : public Gateway {
 public:
  ~ThreadedGateway() override;
  void poll(Nanos now) override;
  int wake_fd() const override { return wake_fd_; }
  bool inline_io() const override { return inline_; }
  bool run_io(int fd, const std::function<bool()>& ready, int timeout_ms) override;
  // Starts the network I/O (after construction): on a thread of its own, or
  // with `inline_io` on the caller's, which drives it through run_io() and
  // poll(); with `busy`, neither ever sleeps in the kernel.
  void start(bool inline_io = false, bool busy = false);

 protected:
  ThreadedGateway();
  // Runs on the network thread once started: spawn the coroutines here.
  virtual void run() = 0;
  // Stops the network thread; derived destructors call it first, so the
  // thread never sees their members destroyed.
  void stop();
  boost::asio::io_context& io() { return io_; }
  // Runs `fn` on the network thread (inline: now, with what it makes ready,
  // so that a request is on the wire when the engine's call returns).
  void post(std::function<void()> fn);
  // From the network thread: queue a report / a status for the engine.
  void report(OwnedExec e);
  void report_status(std::string venue, std::string symbol, std::string event, std::string detail);
  // From the network thread: `o` rejected before or by the venue.
  void report_reject(const OwnedOrder& o, std::string_view venue, std::string reason);

 private:
  struct Item {
    bool is_status = false;
    OwnedExec exec;
    std::string venue, symbol, event, detail;
  };
  void push(Item item);
  bool has_items();
  // Inline: runs the handlers that are ready (not from inside one).
  void run_ready();
  // run_io() when busy: spins until the input is ready, a report waits or
  // the time is up.
  bool spin_io(const std::function<bool()>& ready, int timeout_ms);

  boost::asio::io_context io_;
  bool inline_ = false;
  bool busy_ = false;
  bool running_ = false;  // inside run_ready() / run_io()
  Nanos io_at_ = 0;       // when run_ready() / run_io() last ran (monotonic)
  std::unique_ptr<boost::asio::posix::stream_descriptor> watch_;  // run_io's fd (a dup)
  int watch_fd_ = -1;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Item> items_;
  int wake_fd_ = -1;
};

// Makes a venue's gateway from `args` then `o`, and starts its network I/O
// on the engine's thread or a thread of its own, as `o.inline_io` says.
// invalid_argument when TLS cannot be set up (the CA file).
template <class G, class... Args>
Result<std::unique_ptr<Gateway>> start_gateway(GatewayOptions o, Args&&... args) {
  const bool inline_io = o.inline_io, busy = o.busy_poll;
  const std::string ca_file = o.ca_file;
  std::unique_ptr<G> g;
  try {
    g = std::make_unique<G>(std::forward<Args>(args)..., std::move(o));
  } catch (const boost::system::system_error& e) {
    return Error(ErrorCode::invalid_argument, "TLS setup (--ca-file " + ca_file + "): " + e.what());
  }
  g->start(inline_io, busy);
  return std::unique_ptr<Gateway>(std::move(g));
}

// What a reconnect finds an order had that was not heard of: the venue
// says `filled` in all at `avg_price`, and `known_filled` for
// `known_notional` (Σ price × qty) was heard of. The missed quantity and
// its average price; nullopt when nothing was missed (or no average is
// known).
struct MissedFill {
  Decimal qty, price;
};
std::optional<MissedFill> missed_fill(const Decimal& filled,
                                      const std::optional<Decimal>& avg_price,
                                      const Decimal& known_filled, const Amount& known_notional);

// A venue's parsed order event (its symbol, reason, venue and trade ids and
// exec) as a report, for RestGateway::on_report / on_queried, which name the
// order, venue and strategy.
template <class Event>
OwnedExec report_of(const Event& ev) {
  OwnedExec e;
  e.symbol = ev.symbol;
  e.reason = ev.reason;
  e.venue_id = ev.venue_id;
  e.trade_id = ev.trade_id;
  e.exec = ev.exec;
  return e;
}

// A gateway that sends orders, cancels and amends as REST requests, one at a
// time and in order, and hears of executions on a private WebSocket stream
// (Binance, OKX, Alpaca). The loops are here; a venue supplies hooks.
//
// The stream: open_stream (connect, authenticate, subscribe) → query every
// order still open (what happened while away) → read, each message to
// on_message, until the stream fails → wait reconnect_delay → again, with
// `connected` and `disconnected` status events. busy() while requests are in
// flight, while a cancel or amend the venue took awaits its report on the
// stream, or while the stream is being got back with orders open.
//
// The requests: they wait up to 10 s for the stream (until it is up, or has
// failed once) before the first is sent, so no report is missed. An order
// is sent once per id, and refused here (an `exec` rejected, with the
// reason) when the venue cannot take it, asked us to back off, or the order
// budget is spent. A request that fails on the network is followed by a
// query of its order: it may or may not have arrived.
//
// Threading: submit/cancel/amend/restore from the engine's thread; hooks and
// everything else on the network thread.
class RestGateway : public ThreadedGateway {
 public:
  void submit(const Order& o) override;
  void cancel(const Cancel& c) override;
  void amend(const Amend& a) override;
  // A restart: order `t` (open, from the journal) is known again, then
  // queried.
  void restore(const TrackedOrder& t) override;
  bool busy() const override {
    return in_flight_.load() > 0 || owed_.load() > 0 || reconnecting_.load();
  }

 protected:
  // What the gateway knows of one of its orders.
  struct Known {
    std::shared_ptr<OwnedOrder> order;
    std::string venue_id;  // Alpaca: the latest in a chain of replacements
    Decimal filled{0, 0};
    Amount notional;  // Σ fill price × qty heard of
    bool final = false;
    int owed = 0;  // cancels and amends sent whose report is still to come
  };

  // `venue` names the gateway in status events and reports, `stream` its
  // private stream; `orders_per_10s` is the budget unless o.orders_per_10s
  // sets one.
  RestGateway(std::string venue, std::string stream, GatewayOptions o, double orders_per_10s);
  ~RestGateway() override;

  // ---- hooks (network thread) ----
  // Connects `ws`, authenticates and subscribes; throws when refused (after
  // a status event saying why).
  virtual boost::asio::awaitable<void> open_stream(net::WsClient& ws) = 0;
  // One message of the stream: reports through on_report().
  virtual void on_message(const std::string& text) = 0;
  // After each message read (OKX: a ping now and then).
  virtual boost::asio::awaitable<void> keep_alive(net::WsClient&) { co_return; }
  // Why the venue cannot take `o` (empty: it can).
  virtual std::string refusal(const OwnedOrder&) const { return {}; }
  // The REST calls. send_order rejects the order when the venue refuses it;
  // its reports then come on the stream. send_cancel and send_amend give
  // true when the venue took the request (its report then comes on the
  // stream), false after a status event saying why it did not. query_order
  // asks for k's state (then on_queried(), or reject() when the venue never
  // had it).
  virtual boost::asio::awaitable<void> send_order(const OwnedOrder& o) = 0;
  virtual boost::asio::awaitable<bool> send_cancel(Known& k) = 0;
  virtual boost::asio::awaitable<bool> send_amend(Known& k, const std::optional<Decimal>& qty,
                                                  const std::optional<Decimal>& price) = 0;
  virtual boost::asio::awaitable<void> query_order(Known& k) = 0;
  // Once the I/O runs (Binance: its listen-key keep-alive).
  virtual void on_start() {}
  // Order k is known again after a restart (Alpaca: its venue id).
  virtual void on_restore(Known&) {}
  // Before the first request (after the wait for the stream), and before
  // each (Binance: the clock sync, the used-weight pause).
  virtual boost::asio::awaitable<void> before_first() { co_return; }
  virtual boost::asio::awaitable<void> before_each() { co_return; }

  // ---- for the hooks ----
  // Order `o` rejected (an `exec`, with `reason`); it is final.
  void reject(const OwnedOrder& o, std::string reason);
  // The venue asked for a pause (`why`: "HTTP 429"): orders are refused for
  // `seconds`, with a rate_limited status event.
  void back_off(int seconds, const std::string& why);
  // What the venue says of order `k` (`e`'s symbol, exec, venue and trade
  // ids, reason): counted into k and reported under k's id and strategy.
  // Nothing is reported once k is final (a repeat).
  void on_report(Known& k, OwnedExec e);
  // A queried state of order `k` (cumulative filled, average price): the
  // fill that was missed, if any, is reported as one fill at its average
  // price, with the reason "reconciled after a reconnect".
  void on_queried(Known& k, OwnedExec e);
  // The order named `id`, if it is one of ours.
  Known* find(const std::string& id);
  const std::string& venue() const { return venue_; }

  const GatewayOptions o_;
  boost::asio::ssl::context tls_;
  net::Url rest_url_, ws_url_;
  std::unique_ptr<net::HttpClient> http_;  // the REST connection

 private:
  struct Request {
    enum Kind { submit, cancel, amend, query } kind = submit;
    std::shared_ptr<OwnedOrder> order;  // submit
    std::string id;                     // the others
    std::optional<Decimal> qty, price;  // amend
  };
  void run() final;
  boost::asio::awaitable<void> request_loop();
  boost::asio::awaitable<void> handle(Request& r);
  boost::asio::awaitable<void> stream_loop();
  void enqueue(Request r);
  // Queues a query of order `id`.
  void query(std::string id);
  bool any_open() const;
  // `n` of k's owed reports came (or will not).
  void settle(Known& k, int n);

  std::string venue_, stream_;
  OrderBudget budget_;
  Nanos backoff_until_ = 0;
  std::map<std::string, Known> known_;
  bool stream_up_ = false, stream_failed_ = false;
  std::atomic<bool> reconnecting_{false};
  std::unique_ptr<boost::asio::steady_timer> wake_;
  std::deque<Request> queue_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> owed_{0};  // Σ Known::owed
};

}  // namespace ot
