// ot-sim's Alpaca: the Trading API v2's order entry on top of another
// venue's replayed market (Alpaca's crypto orders are matched against the
// capture's books, which keep being served over their own venue's
// protocol). REST: POST /v2/orders, GET /v2/orders (open), GET, PATCH and
// DELETE /v2/orders/{id}, GET /v2/orders:by_client_order_id, with the
// APCA-API-KEY-ID / APCA-API-SECRET-KEY headers checked; the
// `trade_updates` stream at /stream (auth, listen) in Alpaca's shape. A
// replace gives the order a new venue id that `replaces` the old one.
#include "venues/alpaca/alpaca_sim.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>

#include "core/amount.h"
#include "exec/order_tracker.h"
#include "net/crypto.h"
#include "venues/alpaca/alpaca_orders.h"

namespace ot::alpaca {
namespace {

namespace dom = simdjson::dom;

// A JSON string, or null when empty.
std::string quoted_or_null(std::string_view v) {
  if (v.empty()) return "null";
  std::string out;
  out.reserve(v.size() + 2);
  out += '"';
  out.append(v);
  out += '"';
  return out;
}

// The order object the simulated venue returns.
std::string order_object(const TrackedOrder& t, std::string_view venue_id,
                         std::string_view replaces, Nanos now) {
  auto opt = [](const std::optional<Decimal>& d) {
    return quoted_or_null(d ? d->to_string() : std::string());
  };
  std::string_view status = "new";
  switch (t.status) {
    case ExecStatus::partial:
      status = "partially_filled";
      break;
    case ExecStatus::filled:
      status = "filled";
      break;
    case ExecStatus::canceled:
      status = "canceled";
      break;
    case ExecStatus::expired:
      status = "expired";
      break;
    case ExecStatus::rejected:
      status = "rejected";
      break;
    default:
      break;
  }
  std::optional<Decimal> avg;
  if (!t.filled.is_zero()) avg = t.notional.divided_by(Amount::of(t.filled)).to_decimal(9);
  const std::string created = format_iso8601(t.ts != 0 ? t.ts : now);
  const std::string updated = format_iso8601(t.updated != 0 ? t.updated : now);
  return fmt::format(
      R"({{"id":"{}","client_order_id":"{}","created_at":"{}","updated_at":"{}",)"
      R"("submitted_at":"{}","filled_at":{},"expired_at":null,"canceled_at":null,)"
      R"("failed_at":null,"replaced_at":null,"replaced_by":null,"replaces":{},)"
      R"("asset_class":"crypto","symbol":"{}","notional":null,"qty":"{}","filled_qty":"{}",)"
      R"("filled_avg_price":{},"order_class":"","order_type":"{}","type":"{}","side":"{}",)"
      R"("time_in_force":"{}","limit_price":{},"stop_price":null,"status":"{}",)"
      R"("extended_hours":false,"legs":null}})",
      venue_id, t.id, created, updated, created,
      quoted_or_null(t.status == ExecStatus::filled ? std::string_view(updated) : ""),
      quoted_or_null(replaces), t.symbol, t.qty.to_string(), t.filled.to_string(), opt(avg),
      t.kind == OrderKind::market ? "market" : "limit",
      t.kind == OrderKind::market ? "market" : "limit", t.side == Side::buy ? "buy" : "sell",
      tif_name(t.tif), opt(t.price), status);
}

SimHttpReply error(unsigned status, long code, std::string_view message) {
  return SimHttpReply{status, fmt::format(R"({{"code":{},"message":"{}"}})", code, message), {}};
}

// A member's string, or "" if it is absent or not a string (or `e` is not
// an object).
std::string field(dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) ? std::string() : std::string(v);
}

class AlpacaSim final : public SimProtocol {
 public:
  explicit AlpacaSim(std::unique_ptr<SimProtocol> market) : market_(std::move(market)) {}

  std::string_view venue() const override { return market_->venue(); }
  std::optional<SimRoute> route(std::string_view frame) override { return market_->route(frame); }
  void on_tick(SimConnection& c) override {
    if (streams_.count(&c) == 0) market_->on_tick(c);
  }

  void on_open(std::string_view target, SimConnection& c, const SimMarket& m) override {
    if (target.substr(0, target.find('?')) == "/stream") {
      streams_.insert(&c);
      return;
    }
    market_->on_open(target, c, m);
  }

  void on_close(SimConnection& c) override {
    streams_.erase(&c);
    authed_.erase(&c);
    listeners_.erase(&c);
    market_->on_close(c);
  }

  void on_message(std::string_view text, SimConnection& c, const SimMarket& m,
                  SimExchange& x) override {
    if (streams_.count(&c) == 0) return market_->on_message(text, c, m, x);
    dom::parser p;
    dom::element msg;
    if (!p.parse(std::string(text)).get(msg) && answer(msg, c, x)) return;
    c.send(R"({"stream":"error","data":{"error":"invalid request"}})");
  }

  std::optional<SimHttpReply> on_http(const SimHttpRequest& req, const SimMarket& m,
                                      SimExchange& x) override {
    const std::string_view target = req.target;
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.rfind("/v2/", 0) != 0) return market_->on_http(req, m, x);
    const SimAccount& a = x.account();
    if (!net::equal_constant_time(req.header("apca-api-key-id"), a.api_key) ||
        !net::equal_constant_time(req.header("apca-api-secret-key"), a.api_secret)) {
      return error(401, 40110000, "request is not authorized");
    }
    if (path == "/v2/orders" && req.method == "POST") return place(req.body, x);
    if (path == "/v2/orders" && req.method == "GET") {
      std::string out = "[";
      for (const TrackedOrder* t : x.orders().open_orders()) {
        if (out.size() > 1) out += ',';
        out += object(*t, x);
      }
      return SimHttpReply{200, out + "]", {}};
    }
    if (path == "/v2/orders:by_client_order_id" && req.method == "GET") {
      const TrackedOrder* t = x.orders().find(sim_query_param(target, "client_order_id"));
      if (t == nullptr) return error(404, 40410000, "order not found");
      return SimHttpReply{200, object(*t, x), {}};
    }
    if (path.rfind("/v2/orders/", 0) != 0) return error(404, 40410000, "endpoint not found");
    const std::string vid(path.substr(11));
    auto it = client_of_.find(vid);
    if (it == client_of_.end()) return error(404, 40410000, "order not found");
    const std::string client = it->second;
    if (req.method == "GET") return SimHttpReply{200, object(*x.orders().find(client), x), {}};
    if (req.method == "DELETE") {
      if (vid != venue_id_[client] || !x.cancel(client)) {
        return error(422, 42210000, "order is not cancelable");
      }
      return SimHttpReply{204, "", {}};
    }
    if (req.method == "PATCH") {
      dom::parser p;
      std::optional<Decimal> qty, price;
      dom::element b;
      if (p.parse(std::string(req.body)).get(b)) return error(422, 40010001, "invalid body");
      qty = Decimal::parse(field(b, "qty"));
      price = Decimal::parse(field(b, "limit_price"));
      if (vid != venue_id_[client]) return error(422, 42210000, "order is not replaceable");
      // The replacement is a new venue order.
      const std::string old = venue_id_[client];
      const std::string fresh = fmt::format("{}-r{}", client_base_[client], ++replaces_[client]);
      venue_id_[client] = fresh;
      client_of_[fresh] = client;
      replaced_[client] = old;
      if (!x.amend(client, qty, price)) {
        venue_id_[client] = old;
        return error(422, 42210000, "order is not replaceable");
      }
      return SimHttpReply{200, object(*x.orders().find(client), x), {}};
    }
    return error(405, 40510000, "method not allowed");
  }

  void on_exec(const Exec& e, SimExchange& x) override {
    const TrackedOrder* t = x.orders().find(e.id);
    if (t == nullptr || venue_id_.count(t->id) == 0) return;  // not an Alpaca order
    std::string_view event;
    switch (e.status) {
      case ExecStatus::new_:
        event = e.reason == "amended" ? "replaced" : "new";
        break;
      case ExecStatus::partial:
        event = "partial_fill";
        break;
      case ExecStatus::filled:
        event = "fill";
        break;
      case ExecStatus::canceled:
        event = "canceled";
        break;
      case ExecStatus::expired:
        event = "expired";
        break;
      case ExecStatus::rejected:
        event = "rejected";
        break;
    }
    std::string extra;
    if (e.qty && e.price && e.qty->mantissa > 0) {
      extra = fmt::format(R"("price":"{}","qty":"{}","execution_id":"sim-x{}",)",
                          e.price->to_string(), e.qty->to_string(), ++executions_);
    }
    const std::string msg = fmt::format(
        R"({{"stream":"trade_updates","data":{{"event":"{}",{}"timestamp":"{}","order":{}}}}})",
        event, extra, format_iso8601(x.now()), object(*t, x));
    const SimAccount& a = x.account();
    const int copies = a.duplicate_acks && event == "new" ? 2 : 1;
    for (SimConnection* c : std::vector<SimConnection*>(listeners_.begin(), listeners_.end())) {
      for (int i = 0; i < copies; ++i) c->send_report(msg);
      if (a.drop_private_after > 0 && ++sent_ == a.drop_private_after) c->close();
    }
  }

 private:
  // Answers an auth or listen message; false (nothing sent) for any other
  // message, or one whose members are not as Alpaca documents them.
  bool answer(dom::element msg, SimConnection& c, const SimExchange& x) {
    const std::string action = field(msg, "action");
    if (action == "auth" || action == "authenticate") {
      std::string key = field(msg, "key"), secret = field(msg, "secret");
      if (action == "authenticate") {  // the older shape
        dom::element data;
        if (msg["data"].get(data)) return false;
        key = field(data, "key_id");
        secret = field(data, "secret_key");
      }
      const SimAccount& a = x.account();
      const bool ok = net::equal_constant_time(key, a.api_key) &&
                      net::equal_constant_time(secret, a.api_secret);
      c.send(fmt::format(
          R"({{"stream":"authorization","data":{{"status":"{}","action":"authenticate"}}}})",
          ok ? "authorized" : "unauthorized"));
      if (ok) authed_.insert(&c);
      return true;
    }
    if (action != "listen") return false;
    if (authed_.count(&c) == 0) {
      c.send(R"({"stream":"listening","data":{"streams":[],"error":"unauthorized"}})");
      return true;
    }
    dom::array streams;
    if (msg["data"]["streams"].get(streams)) return false;
    // Whether trade_updates is among the streams; names after it are not read.
    bool trade_updates = false;
    for (dom::element s : streams) {
      std::string_view name;
      if (s.get(name)) return false;
      if (name == "trade_updates") {
        trade_updates = true;
        break;
      }
    }
    if (trade_updates) {
      listeners_.insert(&c);
    } else {
      listeners_.erase(&c);
    }
    c.send(fmt::format(R"({{"stream":"listening","data":{{"streams":[{}]}}}})",
                       trade_updates ? "\"trade_updates\"" : ""));
    return true;
  }

  std::string object(const TrackedOrder& t, const SimExchange& x) {
    const auto r = replaced_.find(t.id);
    return order_object(t, venue_id_[t.id], r == replaced_.end() ? "" : r->second, x.now());
  }

  SimHttpReply place(std::string_view body, SimExchange& x) {
    Order o;
    std::string client, symbol, side, type, tif;
    std::optional<Decimal> qty, price;
    dom::parser p;
    dom::element b;
    if (p.parse(std::string(body)).get(b)) return error(422, 40010001, "invalid body");
    client = field(b, "client_order_id");
    symbol = field(b, "symbol");
    side = field(b, "side");
    type = field(b, "type");
    tif = field(b, "time_in_force");
    qty = Decimal::parse(field(b, "qty"));
    price = Decimal::parse(field(b, "limit_price"));
    if (symbol.empty()) return error(422, 40010001, "symbol is required");
    if (!qty || qty->mantissa <= 0) return error(422, 40010001, "qty must be > 0");
    if (side != "buy" && side != "sell") return error(422, 40010001, "invalid side");
    if (type != "market" && type != "limit") return error(422, 40010001, "invalid order type");
    if (type == "limit" && (!price || price->mantissa <= 0)) {
      return error(422, 40010001, "limit_price is required for limit orders");
    }
    if (tif != "gtc" && tif != "ioc" && tif != "fok" && tif != "day") {
      return error(422, 40010001, "invalid time_in_force");
    }
    if (client.empty()) client = fmt::format("sim-c{}", ++generated_);
    if (x.orders().find(client) != nullptr) {
      return error(422, 40010001, "client_order_id must be unique");
    }
    o.id = client;
    o.venue = market_->venue();  // matched on the replayed market's books
    o.symbol = symbol;
    o.side = side == "buy" ? Side::buy : Side::sell;
    o.qty = *qty;
    o.kind = type == "market" ? OrderKind::market : OrderKind::limit;
    if (o.kind == OrderKind::limit) o.price = price;
    o.tif = tif == "ioc" || o.kind == OrderKind::market ? Tif::ioc
            : tif == "fok"                              ? Tif::fok
                                                        : Tif::gtc;
    const std::string vid = fmt::format("sim-{:08d}", ++orders_n_);
    venue_id_[client] = vid;
    client_base_[client] = vid;
    client_of_[vid] = client;
    const SimExchange::Answer r = x.submit(o);
    if (r.rate_limited) {
      forget(client, vid);
      return error(429, 42910000, "rate limit exceeded");
    }
    if (!r.accepted && x.orders().find(client) == nullptr) {
      forget(client, vid);
      return error(403, 40310000, r.reason);
    }
    return SimHttpReply{200, object(*x.orders().find(client), x), {}};
  }

  void forget(const std::string& client, const std::string& vid) {
    venue_id_.erase(client);
    client_base_.erase(client);
    client_of_.erase(vid);
  }

  std::unique_ptr<SimProtocol> market_;
  std::set<SimConnection*> streams_, authed_, listeners_;
  std::map<std::string, std::string> venue_id_, client_base_, client_of_, replaced_;
  std::map<std::string, int> replaces_;
  std::uint64_t orders_n_ = 0, generated_ = 0, executions_ = 0, sent_ = 0;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim(std::unique_ptr<SimProtocol> market) {
  return std::make_unique<AlpacaSim>(std::move(market));
}

}  // namespace ot::alpaca
