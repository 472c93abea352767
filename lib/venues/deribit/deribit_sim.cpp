// ot-sim's Deribit: JSON-RPC 2.0 over WebSocket: public/subscribe and
// public/unsubscribe (a book subscription starts with a snapshot of the
// current book and its change_id), public/set_heartbeat with test_request
// heartbeats, public/test; and order entry on the same connection:
// public/auth (client_signature, checked), private/buy, private/sell,
// private/cancel, private/cancel_by_label, private/edit_by_label,
// private/get_order_state_by_label, private/get_open_orders_by_instrument,
// private/subscribe to user.orders.* and user.trades.* notifications.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <set>
#include <string>

#include "core/amount.h"
#include "core/json_in.h"
#include "core/time.h"
#include "net/crypto.h"
#include "venues/deribit/deribit_orders.h"
#include "venues/deribit/deribit_venue.h"
#include "venues/sim_protocol.h"

namespace ot::deribit {
namespace {

namespace od = simdjson::ondemand;

// "book.BTC-PERPETUAL.100ms" -> "book.BTC-PERPETUAL"; quote.X stays.
std::string topic_of(std::string_view channel) {
  const auto first = channel.find('.');
  const auto last = channel.rfind('.');
  if (first == std::string_view::npos || first == last || channel.rfind("quote.", 0) == 0) {
    return std::string(channel);
  }
  return std::string(channel.substr(0, last));
}

class DeribitSim final : public SimProtocol {
 public:
  std::string_view venue() const override { return "deribit"; }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    SimRoute r;
    bool found = false;  // a params member
    // The first params member's channel (and a book's snapshot flag), or the
    // JSON error that stopped the walk.
    auto read_frame = [&]() -> simdjson::error_code {
      od::document doc;
      od::object obj;
      if (auto e = parser_.iterate(padded.data(), frame.size(), padded.size()).get(doc)) return e;
      if (auto e = doc.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (key != "params") continue;
        found = true;
        od::object params;
        if (auto e = field.value().get_object().get(params)) return e;
        for (auto p : params) {
          std::string_view k, text;
          if (auto e = p.unescaped_key().get(k)) return e;
          if (k == "channel") {
            if (auto e = read(p.value(), text)) return e;
            r.topic = topic_of(text);
          } else if (k == "data" && r.topic.rfind("book.", 0) == 0) {
            r.symbol = r.topic.substr(5);
            od::object data;
            if (auto e = p.value().get_object().get(data)) return e;
            for (auto d : data) {
              std::string_view dk;
              if (auto e = d.unescaped_key().get(dk)) return e;
              if (dk == "type") {
                if (auto e = read(d.value(), text)) return e;
                r.snapshot_only = text == "snapshot";
                break;
              }
            }
          }
        }
        return simdjson::SUCCESS;
      }
      return simdjson::SUCCESS;
    };
    if (read_frame() || !found || r.topic.empty()) return std::nullopt;
    return r;
  }

  void on_open(std::string_view, SimConnection&, const SimMarket&) override {}

  void on_close(SimConnection& c) override {
    authed_.erase(&c);
    std::erase(private_, &c);
  }

  void on_message(std::string_view text, SimConnection& c, const SimMarket& m,
                  SimExchange& x) override {
    std::string padded(text);
    padded.append(64, ' ');
    std::string id = "null", method;
    std::vector<std::string> channels;
    int interval = 0;
    // The request's members, or the JSON error that stopped the walk (`id`
    // is kept if it came before).
    auto read_request = [&]() -> simdjson::error_code {
      od::document doc;
      od::object obj;
      if (auto e = parser_.iterate(padded.data(), text.size(), padded.size()).get(doc)) return e;
      if (auto e = doc.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key, token;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (key == "id") {
          if (auto e = field.value().raw_json_token().get(token)) return e;
          id.assign(trim_token(token));
        } else if (key == "method") {
          if (auto e = read(field.value(), token)) return e;
          method.assign(token);
        } else if (key == "params") {
          od::object params;
          if (auto e = field.value().get_object().get(params)) return e;
          for (auto p : params) {
            std::string_view k;
            if (auto e = p.unescaped_key().get(k)) return e;
            if (k == "channels") {
              od::array list;
              if (auto e = p.value().get_array().get(list)) return e;
              for (auto ch : list) {
                if (auto e = read(ch, token)) return e;
                channels.emplace_back(token);
              }
            } else if (k == "interval") {
              std::int64_t n = 0;
              if (auto e = read(p.value(), n)) return e;
              interval = static_cast<int>(n);
            }
          }
        }
      }
      return simdjson::SUCCESS;
    };
    if (read_request()) {
      c.send(error(id, -32700, "Parse error"));
      return;
    }
    const std::int64_t us = now_ns() / 1000;
    auto result = [&](const std::string& r) {
      return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + r +
             ",\"usIn\":" + std::to_string(us) + ",\"usOut\":" + std::to_string(us + 5) +
             ",\"usDiff\":5,\"testnet\":false}";
    };
    if (method == "public/auth" || method.rfind("private/", 0) == 0) {
      return on_private(text, id, method, c, x, result);
    }
    if (method == "public/subscribe" || method == "public/unsubscribe") {
      std::string list;
      for (const auto& ch : channels) list += (list.empty() ? "\"" : ",\"") + ch + "\"";
      c.send(result("[" + list + "]"));
      for (const auto& ch : channels) {
        const std::string topic = topic_of(ch);
        if (method == "public/unsubscribe") {
          c.unsubscribe(topic);
          continue;
        }
        if (topic.rfind("book.", 0) == 0) {
          const CheckedBook* b = m.book(topic.substr(5));
          if (b != nullptr) c.send(snapshot(ch, topic.substr(5), *b, m));
        }
        c.subscribe(topic);
      }
    } else if (method == "public/set_heartbeat") {
      if (interval < 10) {
        c.send(error(id, 10001, "invalid heartbeat interval, minimum 10"));
        return;
      }
      c.heartbeat_s = interval;
      c.ticks = 0;
      c.send(result("\"ok\""));
    } else if (method == "public/disable_heartbeat") {
      c.heartbeat_s = 0;
      c.send(result("\"ok\""));
    } else if (method == "public/test") {
      c.send(result("{\"version\":\"1.2.26\"}"));
    } else {
      c.send(error(id, -32601, "Method not found"));
    }
  }

  void on_tick(SimConnection& c) override {
    if (c.heartbeat_s <= 0) return;
    if (++c.ticks % c.heartbeat_s == 0) {
      c.send(
          "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"test_request\"}}");
    }
  }

  std::optional<SimHttpReply> on_http(const SimHttpRequest&, const SimMarket&,
                                      SimExchange&) override {
    return std::nullopt;
  }

 private:
  template <class Result>
  void on_private(std::string_view text, const std::string& id, const std::string& method,
                  SimConnection& c, SimExchange& x, const Result& result) {
    simdjson::dom::parser p;
    simdjson::dom::element params;
    if (p.parse(std::string(text))["params"].get(params)) {
      return c.send(error(id, -32602, "Invalid params"));
    }
    // A member's string, another value's JSON text, or "" if absent.
    auto str = [&](const char* k) -> std::string {
      simdjson::dom::element v;
      std::string_view s;
      if (params[k].get(v)) return {};
      if (!v.get(s)) return std::string(s);
      return simdjson::minify(v);
    };
    if (method == "public/auth") {
      const std::string ts = str("timestamp"), nonce = str("nonce"), data = str("data");
      const std::string expected =
          client_signature(x.account().api_secret, std::atoll(ts.c_str()), nonce, data);
      const bool fresh = within(now_ns() / 1'000'000, std::atoll(ts.c_str()), 60'000);
      if (str("grant_type") != "client_signature" ||
          !net::equal_constant_time(str("client_id"), x.account().api_key) ||
          !net::equal_constant_time(str("signature"), expected) || !fresh) {
        return c.send(error(id, 13004, "invalid_credentials"));
      }
      authed_.insert(&c);
      return c.send(result(
          R"({"access_token":"otsim-access","expires_in":31536000,"refresh_token":"otsim-refresh","scope":"connection mainaccount trade:read_write","token_type":"bearer"})"));
    }
    if (authed_.count(&c) == 0) return c.send(error(id, 13009, "unauthorized"));
    const std::int64_t ms = x.now() / 1'000'000;
    if (method == "private/subscribe") {
      std::string list;
      simdjson::dom::array chans;
      if (!params["channels"].get(chans)) {
        for (simdjson::dom::element ch : chans) {
          std::string_view name;
          if (ch.get(name)) return c.send(error(id, -32602, "Invalid params"));
          list += (list.empty() ? "\"" : ",\"") + std::string(name) + "\"";
          if (name.rfind("user.", 0) == 0 &&
              std::find(private_.begin(), private_.end(), &c) == private_.end()) {
            private_.push_back(&c);
          }
        }
      }
      return c.send(result("[" + list + "]"));
    }
    if (method == "private/buy" || method == "private/sell") {
      Order o;
      const std::string label = str("label"), inst = str("instrument_name");
      o.id = label.empty() ? (generated_ = fmt::format("otsim-{}", ++generated_n_)) : label;
      o.venue = "deribit";
      o.symbol = inst;
      o.side = method == "private/buy" ? Side::buy : Side::sell;
      auto qty = Decimal::parse(str("amount"));
      auto price = Decimal::parse(str("price"));
      const std::string type = str("type"), tif = str("time_in_force");
      if (inst.empty() || !qty || qty->mantissa <= 0)
        return c.send(error(id, -32602, "Invalid params"));
      o.qty = *qty;
      o.kind = type == "market" ? OrderKind::market : OrderKind::limit;
      if (o.kind == OrderKind::limit) {
        if (!price) return c.send(error(id, -32602, "Invalid params"));
        o.price = *price;
      }
      o.tif = str("post_only") == "true"     ? Tif::post_only
              : tif == "immediate_or_cancel" ? Tif::ioc
              : tif == "fill_or_kill"        ? Tif::fok
              : o.kind == OrderKind::market  ? Tif::ioc
                                             : Tif::gtc;
      o.reduce_only = str("reduce_only") == "true";
      trades_.clear();
      collecting_ = true;
      const SimExchange::Answer r = x.submit(o);
      collecting_ = false;
      if (r.rate_limited) return c.send(error(id, 10028, "too_many_requests"));
      if (!r.accepted) {
        return c.send(r.reason.find("post_only") != std::string::npos
                          ? error(id, 11054, "post_only_reject")
                          : error(id, 10001, "error: " + r.reason));
      }
      const TrackedOrder* t = x.orders().find(o.id);
      std::string tl;
      for (const auto& tr : trades_) tl += (tl.empty() ? "" : ",") + tr;
      return c.send(result("{\"order\":" + object(*t, ms) + ",\"trades\":[" + tl + "]}"));
    }
    if (method == "private/cancel" || method == "private/cancel_by_label") {
      std::string label = str("label");
      if (method == "private/cancel") {
        const std::string oid = str("order_id");
        for (const TrackedOrder* t : x.orders().open_orders()) {
          if (order_id(*t) == oid) label = t->id;
        }
        if (label.empty() || !x.cancel(label)) return c.send(error(id, 11044, "not_open_order"));
        return c.send(result(object(*x.orders().find(label), ms)));
      }
      return c.send(result(x.cancel(label) ? "1" : "0"));
    }
    if (method == "private/edit_by_label") {
      const std::string label = str("label");
      if (!x.amend(label, Decimal::parse(str("amount")), Decimal::parse(str("price")))) {
        return c.send(error(id, 11044, "not_open_order"));
      }
      return c.send(
          result("{\"order\":" + object(*x.orders().find(label), ms) + ",\"trades\":[]}"));
    }
    if (method == "private/get_order_state_by_label") {
      const TrackedOrder* t = x.orders().find(str("label"));
      return c.send(result(t == nullptr ? "[]" : "[" + object(*t, ms) + "]"));
    }
    if (method == "private/get_open_orders_by_instrument") {
      const std::string inst = str("instrument_name");
      std::string list;
      for (const TrackedOrder* t : x.orders().open_orders()) {
        if (t->symbol != inst) continue;
        list += (list.empty() ? "" : ",") + object(*t, ms);
      }
      return c.send(result("[" + list + "]"));
    }
    c.send(error(id, -32601, "Method not found"));
  }

 public:
  void on_exec(const Exec& e, SimExchange& x) override {
    const TrackedOrder* t = x.orders().find(e.id);
    if (t == nullptr) return;
    const std::int64_t ms = x.now() / 1'000'000;
    std::vector<std::string> notes;
    if (e.qty && e.price && e.qty->mantissa > 0) {
      const std::string trade = trade_object(
          t->as_order(), order_id(*t), std::to_string(++trade_n_), *e.price, *e.qty,
          e.fee.value_or(Decimal{}), e.liquidity, is_final(e.status) ? "filled" : "open", ms);
      if (collecting_) trades_.push_back(trade);
      notes.push_back(notification("user.trades." + t->symbol + ".raw", "[" + trade + "]"));
    }
    notes.push_back(notification("user.orders." + t->symbol + ".raw", object(*t, ms)));
    const SimAccount& a = x.account();
    const int copies = a.duplicate_acks && e.status == ExecStatus::new_ ? 2 : 1;
    for (SimConnection* c : std::vector<SimConnection*>(private_)) {
      for (const auto& n : notes) {
        for (int i = 0; i < copies; ++i) c->send_report(n);
      }
      if (a.drop_private_after > 0 && ++private_sent_ == a.drop_private_after) c->close();
    }
  }

 private:
  static std::string notification(const std::string& channel, const std::string& data) {
    return R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":")" + channel +
           R"(","data":)" + data + "}}";
  }

  static std::string order_id(const TrackedOrder& t) {
    const std::string cur = t.symbol.substr(0, t.symbol.find('-'));
    return cur + "-" + (t.venue_id.size() > 1 ? t.venue_id.substr(1) : t.venue_id);
  }

  std::string object(const TrackedOrder& t, std::int64_t ms) const {
    const std::string_view state = t.status == ExecStatus::filled     ? "filled"
                                   : t.status == ExecStatus::canceled ? "cancelled"
                                   : t.status == ExecStatus::expired  ? "cancelled"
                                   : t.status == ExecStatus::rejected ? "rejected"
                                                                      : "open";
    std::optional<Decimal> avg;
    if (!t.filled.is_zero()) avg = t.notional.divided_by(Amount::of(t.filled)).to_decimal(8);
    return order_object(t.as_order(), order_id(t), state, t.filled, avg, ms);
  }

  std::set<SimConnection*> authed_;
  std::vector<SimConnection*> private_;
  std::vector<std::string> trades_;
  bool collecting_ = false;
  std::string generated_;
  std::uint64_t generated_n_ = 0, trade_n_ = 0, private_sent_ = 0;

  static std::string error(const std::string& id, int code, const std::string& msg) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"message\":\"" + msg +
           "\",\"code\":" + std::to_string(code) + "},\"testnet\":false}";
  }

  std::string snapshot(const std::string& channel, const std::string& inst, const CheckedBook& b,
                       const SimMarket& m) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"" + channel +
           "\",\"data\":{\"type\":\"snapshot\",\"timestamp\":" +
           std::to_string(m.venue_time() / 1'000'000) + ",\"instrument_name\":\"" + inst +
           "\",\"change_id\":" + std::to_string(b.last_seq().value_or(0)) +
           ",\"bids\":" + sim_levels_json(b.book(), BookSide::bid, 10000, "[\"new\",", "]", false) +
           ",\"asks\":" + sim_levels_json(b.book(), BookSide::ask, 10000, "[\"new\",", "]", false) +
           "}}}";
  }

  od::parser parser_;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim() { return std::make_unique<DeribitSim>(); }

}  // namespace ot::deribit
