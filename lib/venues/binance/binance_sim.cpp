// ot-sim's Binance: combined streams (/stream?streams=… and SUBSCRIBE /
// UNSUBSCRIBE / LIST_SUBSCRIPTIONS messages) and REST depth snapshots
// (/api/v3/depth, /fapi/v1/depth, /dapi/v1/depth) from the current book;
// and order entry: signed REST orders (new, cancel, modify, query, open
// orders; X-MBX-APIKEY and an HMAC-SHA256 signature, checked as Binance
// does, with its error codes), listen keys, and the user data stream
// (/ws/<listenKey>) with executionReport / ORDER_TRADE_UPDATE events.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <string>

#include "core/json_in.h"
#include "core/time.h"
#include "net/crypto.h"
#include "venues/binance/binance_orders.h"
#include "venues/binance/binance_venue.h"
#include "venues/sim_protocol.h"

namespace ot::binance {
namespace {

namespace od = simdjson::ondemand;

class BinanceSim final : public SimProtocol {
 public:
  explicit BinanceSim(Market m) : market_(m) {}
  std::string_view venue() const override { return venue_name(market_); }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    od::document doc;
    od::object obj;
    if (parser_.iterate(padded.data(), frame.size(), padded.size()).get(doc) ||
        doc.get_object().get(obj)) {
      return std::nullopt;
    }
    std::string_view stream;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return std::nullopt;
      if (key == "stream") {
        if (read(field.value(), stream)) return std::nullopt;
        break;
      }
    }
    if (stream.empty()) return std::nullopt;
    SimRoute r;
    r.topic.assign(stream);
    const auto at = stream.find('@');
    const std::string_view kind = stream.substr(at + 1);
    if (kind.rfind("depth", 0) == 0) symbol_of_stream(stream, r.symbol);
    r.snapshot_only = kind == "depthSnapshot";
    return r;
  }

  void on_open(std::string_view target, SimConnection& c, const SimMarket&) override {
    const std::string_view prefix = order_api(market_).user_stream;
    if (target.rfind(prefix, 0) == 0) {
      const std::string key(target.substr(prefix.size()));
      if (std::find(listen_keys_.begin(), listen_keys_.end(), key) != listen_keys_.end()) {
        private_.push_back(&c);
        return;
      }
    }
    const std::string streams = sim_query_param(target, "streams");
    std::size_t start = 0;
    while (start < streams.size()) {
      const auto slash = streams.find('/', start);
      c.subscribe(
          streams.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }

  void on_message(std::string_view text, SimConnection& c, const SimMarket&,
                  SimExchange&) override {
    std::string padded(text);
    padded.append(64, ' ');
    std::string method;
    std::vector<std::string> params;
    std::string id = "null";
    // The request's members, or the JSON error that stopped the walk.
    auto read_request = [&]() -> simdjson::error_code {
      od::document doc;
      od::object obj;
      if (auto e = parser_.iterate(padded.data(), text.size(), padded.size()).get(doc)) return e;
      if (auto e = doc.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key, token;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (key == "method") {
          if (auto e = read(field.value(), token)) return e;
          method.assign(token);
        } else if (key == "id") {
          if (auto e = field.value().raw_json_token().get(token)) return e;
          id.assign(trim_token(token));
        } else if (key == "params") {
          od::array list;
          if (auto e = field.value().get_array().get(list)) return e;
          for (auto p : list) {
            if (auto e = read(p, token)) return e;
            params.emplace_back(token);
          }
        }
      }
      return simdjson::SUCCESS;
    };
    if (read_request()) {
      c.send("{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: expected a request object\"}}");
      return;
    }
    if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
      for (const auto& p : params) {
        if (method == "SUBSCRIBE")
          c.subscribe(p);
        else
          c.unsubscribe(p);
      }
      c.send("{\"result\":null,\"id\":" + id + "}");
    } else if (method == "LIST_SUBSCRIPTIONS") {
      std::string list;
      for (const auto& s : c.topics()) list += (list.empty() ? "\"" : ",\"") + s + "\"";
      c.send("{\"result\":[" + list + "],\"id\":" + id + "}");
    } else {
      c.send("{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown method\"},\"id\":" + id +
             "}");
    }
  }

  void on_tick(SimConnection&) override {}

  void on_close(SimConnection& c) override { std::erase(private_, &c); }

  std::optional<SimHttpReply> on_http(const SimHttpRequest& req, const SimMarket& m,
                                      SimExchange& x) override {
    const std::string_view target = req.target;
    const std::string_view path = target.substr(0, target.find('?'));
    const OrderApi api = order_api(market_);
    if (path == api.listen_key) return listen_key(req, x);
    if (path == api.order || path == api.open_orders) return orders(req, path, x);
    if (path == "/api/v3/time" || path == "/fapi/v1/time" || path == "/dapi/v1/time") {
      return SimHttpReply{200, fmt::format("{{\"serverTime\":{}}}", now_ns() / 1'000'000), {}};
    }
    if (req.method != "GET") return std::nullopt;
    if (path == "/api/v3/ping" || path == "/fapi/v1/ping" || path == "/dapi/v1/ping") {
      return SimHttpReply{200, "{}", {}};
    }
    if (path != "/api/v3/depth" && path != "/fapi/v1/depth" && path != "/dapi/v1/depth") {
      return std::nullopt;
    }
    const std::string symbol = sim_query_param(target, "symbol");
    const CheckedBook* b = m.book(symbol);
    if (b == nullptr) return error(400, -1121, "Invalid symbol.");
    std::size_t limit = 100;
    const std::string l = sim_query_param(target, "limit");
    if (!l.empty()) limit = std::min<std::size_t>(5000, std::strtoul(l.c_str(), nullptr, 10));
    std::string body = "{\"lastUpdateId\":" + std::to_string(b->last_seq().value_or(0));
    if (path != "/api/v3/depth") {
      const std::string ms = std::to_string(m.venue_time() / 1'000'000);
      body += ",\"E\":" + ms + ",\"T\":" + ms;
    }
    body += ",\"bids\":" + sim_levels_json(b->book(), BookSide::bid, limit, "[", "]", true);
    body += ",\"asks\":" + sim_levels_json(b->book(), BookSide::ask, limit, "[", "]", true) + "}";
    return SimHttpReply{200, std::move(body), {}};
  }

  void on_exec(const Exec& e, SimExchange& x) override {
    const TrackedOrder* t = x.orders().find(e.id);
    if (t == nullptr) return;
    const std::string json =
        order_event_json(e, t->as_order(), order_id(*t),
                         e.qty && e.qty->mantissa > 0 ? next_trade_id_++ : 0, market_, x.now());
    const SimAccount& a = x.account();
    const int copies = a.duplicate_acks && e.status == ExecStatus::new_ ? 2 : 1;
    for (SimConnection* c : std::vector<SimConnection*>(private_)) {
      for (int i = 0; i < copies; ++i) c->send_report(json);
      if (a.drop_private_after > 0 && ++private_sent_ == a.drop_private_after) c->close();
    }
  }

 private:
  static SimHttpReply error(unsigned status, int code, std::string_view msg) {
    return SimHttpReply{status, fmt::format("{{\"code\":{},\"msg\":\"{}\"}}", code, msg), {}};
  }

  static std::int64_t order_id(const TrackedOrder& t) {
    const std::string_view v = t.venue_id;
    return v.size() > 1 ? std::strtoll(v.data() + 1, nullptr, 10) : 0;
  }

  // The API key of the request, if it is the account's.
  static std::optional<SimHttpReply> check_key(const SimHttpRequest& req, const SimExchange& x) {
    const std::string_view key = req.header("x-mbx-apikey");
    if (key.empty()) return error(401, -2014, "API-key format invalid.");
    if (!net::equal_constant_time(key, x.account().api_key)) {
      return error(401, -2015, "Invalid API-key, IP, or permissions for action.");
    }
    return std::nullopt;
  }

  // Binance's SIGNED check: the signature is HMAC-SHA256 of the query string
  // (without the signature) followed by the body; the timestamp must be
  // within recvWindow of the server's clock.
  static std::optional<SimHttpReply> check_signature(const SimHttpRequest& req,
                                                     const SimExchange& x, std::string& params) {
    if (auto bad = check_key(req, x)) return bad;
    const auto q = req.target.find('?');
    std::string query(q == std::string_view::npos ? "" : req.target.substr(q + 1));
    std::string body(req.body);
    std::string sig;
    for (std::string* part : {&query, &body}) {
      const auto at = part->rfind("signature=");
      if (at == std::string::npos || (at > 0 && (*part)[at - 1] != '&')) continue;
      const auto end = part->find('&', at);
      sig = part->substr(at + 10, end == std::string::npos ? std::string::npos : end - at - 10);
      part->erase(at > 0 ? at - 1 : at,
                  end == std::string::npos ? std::string::npos : end - (at > 0 ? at - 1 : at));
    }
    if (sig.empty()) return error(400, -1102, "Mandatory parameter 'signature' was not sent.");
    if (!net::equal_constant_time(sig, sign(query, body, x.account().api_secret))) {
      return error(400, -1022, "Signature for this request is not valid.");
    }
    params = query.empty() ? body : (body.empty() ? query : query + "&" + body);
    const std::string ts = form_value(params, "timestamp");
    const std::string rw = form_value(params, "recvWindow");
    const long long window = rw.empty() ? 5000 : std::atoll(rw.c_str());
    const long long now_ms = now_ns() / 1'000'000;
    if (ts.empty() || !within(now_ms, std::atoll(ts.c_str()), window)) {
      return error(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    return std::nullopt;
  }

  std::string order_json(const TrackedOrder& t, const SimExchange& x) const {
    const std::string avg =
        t.filled.is_zero() ? "0" : t.notional.divided_by(Amount::of(t.filled)).to_string(8);
    const std::string type = t.kind == OrderKind::market ? "MARKET" : "LIMIT";
    const std::int64_t ms = x.now() / 1'000'000;
    if (market_ == Market::spot) {
      return fmt::format(
          R"({{"symbol":"{}","orderId":{},"orderListId":-1,"clientOrderId":"{}","transactTime":{},"price":"{}","origQty":"{}","executedQty":"{}","cummulativeQuoteQty":"{}","status":"{}","timeInForce":"{}","type":"{}","side":"{}","workingTime":{},"selfTradePreventionMode":"NONE"}})",
          t.symbol, order_id(t), t.id, ms, t.price ? t.price->to_string() : "0", t.qty.to_string(),
          t.filled.to_string(), t.notional.to_string(8), status_name(t.status),
          tif_name(t.tif, market_), type, t.side == Side::buy ? "BUY" : "SELL", ms);
    }
    return fmt::format(
        R"({{"orderId":{},"symbol":"{}","status":"{}","clientOrderId":"{}","price":"{}","avgPrice":"{}","origQty":"{}","executedQty":"{}","cumQuote":"{}","timeInForce":"{}","type":"{}","reduceOnly":{},"closePosition":false,"side":"{}","positionSide":"BOTH","stopPrice":"0","workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"{}","updateTime":{}}})",
        order_id(t), t.symbol, status_name(t.status), t.id, t.price ? t.price->to_string() : "0",
        avg, t.qty.to_string(), t.filled.to_string(), t.notional.to_string(8),
        tif_name(t.tif, market_), type, t.reduce_only ? "true" : "false",
        t.side == Side::buy ? "BUY" : "SELL", type, ms);
  }

  std::optional<SimHttpReply> listen_key(const SimHttpRequest& req, const SimExchange& x) {
    if (auto bad = check_key(req, x)) return bad;
    if (req.method == "POST") {
      listen_keys_.push_back(fmt::format("otsim{:08d}listenkey", listen_keys_.size() + 1));
      return SimHttpReply{200, "{\"listenKey\":\"" + listen_keys_.back() + "\"}", {}};
    }
    return SimHttpReply{200, "{}", {}};  // PUT keeps it alive, DELETE closes it
  }

  std::optional<SimHttpReply> orders(const SimHttpRequest& req, std::string_view path,
                                     SimExchange& x) {
    std::string params;
    if (auto bad = check_signature(req, x, params)) return bad;
    const OrderApi api = order_api(market_);
    if (path == api.open_orders) {
      const std::string symbol = form_value(params, "symbol");
      std::string body = "[";
      for (const TrackedOrder* t : x.orders().open_orders()) {
        if (!symbol.empty() && t->symbol != symbol) continue;
        if (body.size() > 1) body += ",";
        body += order_json(*t, x);
      }
      return SimHttpReply{200, body + "]", {}};
    }
    const std::string id =
        form_value(params, req.method == "POST" ? "newClientOrderId" : "origClientOrderId");
    if (req.method == "GET" || req.method == "DELETE" || req.method == "PUT") {
      const TrackedOrder* t = x.orders().find(id);
      if (t == nullptr) {
        return req.method == "GET" ? error(400, -2013, "Order does not exist.")
                                   : error(400, -2011, "Unknown order sent.");
      }
      if (req.method == "DELETE" && !x.cancel(id)) return error(400, -2011, "Unknown order sent.");
      if (req.method == "PUT") {
        auto qty = Decimal::parse(form_value(params, "quantity"));
        auto price = Decimal::parse(form_value(params, "price"));
        if (market_ == Market::spot) return error(400, -1100, "Modify is not supported on spot.");
        if (!x.amend(id, qty, price)) return error(400, -2011, "Unknown order sent.");
      }
      return SimHttpReply{200, order_json(*x.orders().find(id), x), {}};
    }
    if (req.method != "POST") return std::nullopt;
    Order o;
    const std::string symbol = form_value(params, "symbol"), side = form_value(params, "side"),
                      type = form_value(params, "type"), tif = form_value(params, "timeInForce");
    std::string cid = id.empty() ? fmt::format("otsim-{}", ++generated_ids_) : id;
    auto qty = Decimal::parse(form_value(params, "quantity"));
    auto price = Decimal::parse(form_value(params, "price"));
    if (symbol.empty() || (side != "BUY" && side != "SELL") || !qty || qty->mantissa <= 0) {
      return error(400, -1102, "A mandatory parameter was not sent, was empty/null, or malformed.");
    }
    o.id = cid;
    o.venue = venue_name(market_);
    o.symbol = symbol;
    o.side = side == "BUY" ? Side::buy : Side::sell;
    o.qty = *qty;
    o.reduce_only = form_value(params, "reduceOnly") == "true";
    if (type == "MARKET") {
      o.kind = OrderKind::market;
      o.tif = Tif::ioc;
    } else if (type == "LIMIT" || type == "LIMIT_MAKER") {
      if (!price) return error(400, -1102, "Mandatory parameter 'price' was not sent.");
      o.price = *price;
      o.tif = type == "LIMIT_MAKER" || tif == "GTX" ? Tif::post_only
              : tif == "IOC"                        ? Tif::ioc
              : tif == "FOK"                        ? Tif::fok
                                                    : Tif::gtc;
    } else {
      return error(400, -1116, "Invalid orderType.");
    }
    const SimExchange::Answer r = x.submit(o);
    if (r.rate_limited) {
      SimHttpReply reply =
          error(429, -1015,
                "Too many new orders; current limit is " +
                    fmt::format("{}", x.account().rate_limit) + " orders per SECOND.");
      reply.headers.emplace_back("Retry-After", std::to_string(r.retry_after_s));
      return reply;
    }
    if (!r.accepted) return error(400, -2010, r.reason);
    return SimHttpReply{200, order_json(*x.orders().find(cid), x), {}};
  }

  Market market_;
  od::parser parser_;
  std::vector<std::string> listen_keys_;
  std::vector<SimConnection*> private_;
  std::uint64_t private_sent_ = 0;
  std::uint64_t generated_ids_ = 0;
  std::int64_t next_trade_id_ = 1;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim(Market m) { return std::make_unique<BinanceSim>(m); }

}  // namespace ot::binance
