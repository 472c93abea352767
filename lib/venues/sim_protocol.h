// The venue side of ot-sim: what a local venue must do to speak a real
// venue's public market-data protocol. The generic server (lib/sim) owns
// sockets, the capture timeline and the books; a SimProtocol (one per venue,
// under lib/venues/<venue>/) decides how captured frames are routed to
// subscriptions, answers client messages and REST requests, and writes
// snapshots from the simulator's *current* books.
//
// Threading: all calls come from the server's single I/O thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "book/checked_book.h"
#include "core/orders.h"
#include "exec/order_tracker.h"

namespace ot {

// Read-only view of the simulated market as of the frame last played.
class SimMarket {
 public:
  virtual ~SimMarket() = default;
  // nullptr if the symbol has no valid book yet.
  virtual const CheckedBook* book(std::string_view symbol) const = 0;
  // Venue time of the frame last played (ns), for generated messages.
  virtual Nanos venue_time() const = 0;
};

// One client connection as the protocol sees it.
class SimConnection {
 public:
  virtual ~SimConnection() = default;
  // Queues a text frame to this client (sent in order).
  virtual void send(std::string text) = 0;
  // Queues an order report on a private stream: sent in order too, after
  // the account's report delay (SimAccount::report_delay_ms) where the
  // server applies one.
  virtual void send_report(std::string text) { send(std::move(text)); }
  // Routes captured frames of `topic` to this client from now on.
  virtual void subscribe(const std::string& topic) = 0;
  virtual void unsubscribe(const std::string& topic) = 0;
  virtual std::vector<std::string> topics() const = 0;
  // Closes the connection without a close handshake (a fault, or the
  // venue's own cut).
  virtual void close() = 0;
  // Protocol-private per-connection state (e.g. a heartbeat interval).
  int heartbeat_s = 0;
  int ticks = 0;
};

// Where a captured frame goes.
struct SimRoute {
  std::string topic;   // subscription it belongs to
  std::string symbol;  // instrument whose book it changes, if any
  // A snapshot the recorder got for its own subscription: it resets the
  // simulator's book but is not replayed; clients get fresh snapshots made
  // from the current book instead.
  bool snapshot_only = false;
};

struct SimHttpReply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One HTTP request: method ("GET", "POST", ...), target (path and query),
// body, and the headers a venue API uses (names lower-case).
struct SimHttpRequest {
  std::string_view method;
  std::string_view target;
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

// Order-entry faults and the test account (ot-sim(1)).
struct SimAccount {
  std::string api_key = "ot-sim-key";
  std::string api_secret = "ot-sim-secret";
  std::string api_passphrase = "ot-sim-passphrase";  // OKX
  std::uint64_t reject_every = 0;                    // reject every N-th order
  std::uint64_t drop_private_after = 0;              // cut private streams after N events
  int report_delay_ms = 0;                           // private-stream reports this much later
  bool duplicate_acks = false;                       // send every "new" event twice
  double rate_limit = 0;                             // orders per second (0: none)
  Decimal maker_fee{0, 0}, taker_fee{0, 0};          // fee rates of the account
};

// The matching side of the simulated venue: the paper venue's queue model
// on the replayed books. Reports come back through SimProtocol::on_exec,
// synchronously for what happens at once (acks, immediate fills).
class SimExchange {
 public:
  virtual ~SimExchange() = default;
  struct Answer {
    bool accepted = true;
    bool rate_limited = false;
    int retry_after_s = 0;
    std::string reason;  // for a reject
  };
  virtual Answer submit(const Order& o) = 0;
  // False if the order is unknown or no longer open.
  virtual bool cancel(std::string_view id) = 0;
  virtual bool amend(std::string_view id, const std::optional<Decimal>& qty,
                     const std::optional<Decimal>& price) = 0;
  // Every order the venue has seen, with its state.
  virtual const OrderTracker& orders() const = 0;
  virtual const SimAccount& account() const = 0;
  // Venue time (ns since the epoch) of the market as replayed.
  virtual Nanos now() const = 0;
};

class SimProtocol {
 public:
  virtual ~SimProtocol() = default;
  // Routing of one captured frame; nullopt for frames not to replay
  // (subscription acks, pongs recorded in the capture).
  virtual std::optional<SimRoute> route(std::string_view frame) = 0;
  // A client connected with this upgrade target ("/stream?streams=a/b").
  virtual void on_open(std::string_view target, SimConnection& c, const SimMarket& m) = 0;
  // A text frame from the client.
  virtual void on_message(std::string_view text, SimConnection& c, const SimMarket& m,
                          SimExchange& x) = 0;
  // Periodic tick (every second) for venue-driven keep-alives.
  virtual void on_tick(SimConnection& c) = 0;
  // A plain HTTP request (REST); nullopt = 404.
  virtual std::optional<SimHttpReply> on_http(const SimHttpRequest& req, const SimMarket& m,
                                              SimExchange& x) = 0;
  // A report on one of the simulated orders: to the private streams.
  virtual void on_exec(const Exec&, SimExchange&) {}
  // A connection went away.
  virtual void on_close(SimConnection&) {}
  // The normalized venue name of the capture ("binance", "okx", ...).
  virtual std::string_view venue() const = 0;
};

// The simulator protocol for a venue name (as in the registry) serving a
// capture of `data_venue` (the same, except for venues that take orders on
// another venue's market: alpaca); nullptr if there is none.
std::unique_ptr<SimProtocol> make_sim_protocol(std::string_view venue, std::string_view data_venue);
// Venues with order entry only (no market data of their own in ot-sim).
inline bool sim_orders_only(std::string_view venue) { return venue == "alpaca"; }

// The value of `name` in a request target's query ("" if absent).
std::string sim_query_param(std::string_view target, std::string_view name);

// Writes a book side as JSON levels using `fmt` per level: for string
// levels (Binance/OKX) pass quoted=true.
std::string sim_levels_json(const L2Book& book, BookSide side, std::size_t limit,
                            std::string_view prefix, std::string_view suffix, bool quoted);

}  // namespace ot
