#include "venues/deribit/deribit_orders.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/amount.h"
#include "core/time.h"
#include "net/crypto.h"

namespace ot::deribit {

std::string client_signature(std::string_view secret, std::int64_t timestamp_ms,
                             std::string_view nonce, std::string_view data) {
  return net::hmac_sha256_hex(secret, fmt::format("{}\n{}\n{}", timestamp_ms, nonce, data));
}

std::string_view tif_name(Tif t) {
  switch (t) {
    case Tif::ioc:
      return "immediate_or_cancel";
    case Tif::fok:
      return "fill_or_kill";
    default:
      return "good_til_cancelled";
  }
}

std::string order_params(const Order& o) {
  std::string p =
      fmt::format(R"({{"instrument_name":"{}","amount":{},"type":"{}","label":"{}")", o.symbol,
                  o.qty.to_string(), o.kind == OrderKind::market ? "market" : "limit", o.id);
  if (o.kind == OrderKind::limit && o.price) p += ",\"price\":" + o.price->to_string();
  p += fmt::format(R"(,"time_in_force":"{}")", tif_name(o.tif));
  if (o.tif == Tif::post_only) p += R"(,"post_only":true,"reject_post_only":true)";
  if (o.reduce_only) p += R"(,"reduce_only":true)";
  return p + "}";
}

std::string order_object(const Order& o, std::string_view order_id, std::string_view state,
                         const Decimal& filled, const std::optional<Decimal>& avg,
                         std::int64_t ms) {
  return fmt::format(
      R"({{"label":"{}","price":{},"amount":{},"direction":"{}","time_in_force":"{}","instrument_name":"{}","order_id":"{}","creation_timestamp":{},"replaced":false,"filled_amount":{},"last_update_timestamp":{},"post_only":{},"reduce_only":{},"average_price":{},"api":true,"web":false,"order_state":"{}","order_type":"{}"}})",
      o.id, o.price ? o.price->to_string() : "0", o.qty.to_string(),
      o.side == Side::buy ? "buy" : "sell", tif_name(o.tif), o.symbol, order_id, ms,
      filled.to_string(), ms, o.tif == Tif::post_only ? "true" : "false",
      o.reduce_only ? "true" : "false", avg ? avg->to_string() : "0", state,
      o.kind == OrderKind::market ? "market" : "limit");
}

std::string trade_object(const Order& o, std::string_view order_id, std::string_view trade_id,
                         const Decimal& price, const Decimal& qty, const Decimal& fee,
                         Liquidity liq, std::string_view state, std::int64_t ms) {
  return fmt::format(
      R"({{"trade_seq":{},"trade_id":"{}","timestamp":{},"tick_direction":0,"state":"{}","reduce_only":{},"price":{},"post_only":{},"order_type":"{}","order_id":"{}","matching_id":null,"liquidity":"{}","label":"{}","instrument_name":"{}","fee_currency":"{}","fee":{},"direction":"{}","amount":{}}})",
      trade_id, trade_id, ms, state, o.reduce_only ? "true" : "false", price.to_string(),
      o.tif == Tif::post_only ? "true" : "false", o.kind == OrderKind::market ? "market" : "limit",
      order_id, liq == Liquidity::maker ? "M" : "T", o.id, o.symbol,
      o.symbol.substr(0, o.symbol.find('-')), fee.to_string(), o.side == Side::buy ? "buy" : "sell",
      qty.to_string());
}

void PrivateEvent::bind() {
  exec.id = label;
  exec.symbol = symbol;
  exec.venue_id = order_id;
  exec.trade_id = trade_id;
}

namespace {

// The number's own digits (Deribit writes amounts and prices as numbers).
std::optional<Decimal> number_of(simdjson::dom::element e) {
  if (e.is_string()) return Decimal::parse(e.get_string().value());
  std::string s = simdjson::minify(e);
  return Decimal::parse(s);
}

std::optional<ExecStatus> state_of(std::string_view s, bool partly) {
  if (s == "open") return partly ? ExecStatus::partial : ExecStatus::new_;
  if (s == "filled") return ExecStatus::filled;
  if (s == "cancelled") return ExecStatus::canceled;
  if (s == "rejected") return ExecStatus::rejected;
  return std::nullopt;
}

}  // namespace

namespace {

// One order (user.orders) or trade (user.trades) object; nullopt if a field
// the report needs is missing or unreadable. Throws simdjson_error on a
// missing member (the callers catch it).
std::optional<PrivateEvent> private_event(simdjson::dom::element d, bool trades) {
  PrivateEvent ev;
  ev.is_trade = trades;
  auto label = d["label"];
  if (!label.error() && label.is_string()) ev.label.assign(label.get_string().value());
  ev.symbol.assign(d["instrument_name"].get_string().value());
  ev.order_id.assign(d["order_id"].get_string().value());
  ev.exec.side = d["direction"].get_string().value() == "buy" ? Side::buy : Side::sell;
  const std::int64_t ms =
      trades ? d["timestamp"].get_int64().value() : d["last_update_timestamp"].get_int64().value();
  ev.exec.ts = ns_from_ms(ms).value_or(0);
  ev.exec.venue = "deribit";
  if (trades) {
    ev.trade_id.assign(d["trade_id"].get_string().value());
    ev.state.assign(d["state"].get_string().value());
    ev.exec.price = number_of(d["price"].value());
    ev.exec.qty = number_of(d["amount"].value());
    ev.exec.fee = number_of(d["fee"].value());
    ev.exec.liquidity =
        d["liquidity"].get_string().value() == "M" ? Liquidity::maker : Liquidity::taker;
    return ev;
  }
  ev.state.assign(d["order_state"].get_string().value());
  auto filled = number_of(d["filled_amount"].value());
  auto amount = number_of(d["amount"].value());
  if (!filled || !amount) return std::nullopt;
  ev.exec.filled = *filled;
  ev.exec.leaves = remaining(*amount, *filled);
  auto st = state_of(ev.state, !filled->is_zero());
  if (!st) return std::nullopt;
  ev.exec.status = *st;
  if (is_final(*st)) ev.exec.leaves = Decimal{0, amount->scale};
  auto px = number_of(d["price"].value());
  if (px && !px->is_zero()) ev.exec.order_price = px;  // market orders: 0
  auto avg = number_of(d["average_price"].value());
  if (avg && !avg->is_zero()) ev.exec.avg_price = avg;
  ev.amount = amount->to_double();
  return ev;
}

}  // namespace

std::vector<PrivateEvent> parse_private(std::string_view json) {
  std::vector<PrivateEvent> out;
  thread_local simdjson::dom::parser parser;
  try {
    simdjson::dom::element root = parser.parse(json.data(), json.size());
    auto method = root["method"];
    if (method.error() || method.get_string().value() != "subscription") return out;
    const std::string_view channel = root["params"]["channel"].get_string().value();
    const simdjson::dom::element data = root["params"]["data"];
    const bool trades = channel.rfind("user.trades.", 0) == 0;
    if (!trades && channel.rfind("user.orders.", 0) != 0) return out;
    auto one = [&](simdjson::dom::element d) {
      if (auto ev = private_event(d, trades)) out.push_back(std::move(*ev));
    };
    if (data.is_array()) {
      for (auto d : data.get_array()) one(d);
    } else {
      one(data);
    }
  } catch (const simdjson::simdjson_error&) {
    out.clear();
  }
  return out;
}

std::string RpcAnswer::error_text() const {
  return fmt::format("deribit {}: {}", error_code, error_message);
}

std::optional<RpcAnswer> parse_rpc_answer(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return std::nullopt;
  std::int64_t id = 0;
  if (root["id"].get_int64().get(id)) return std::nullopt;
  RpcAnswer a;
  a.id = id;
  simdjson::dom::element err;
  if (!root["error"].get(err)) {
    a.failed = true;
    std::int64_t code = 0;
    if (!err["code"].get_int64().get(code)) a.error_code = code;
    std::string_view msg;
    if (!err["message"].get_string().get(msg)) {
      a.error_message.assign(msg);
    } else {
      a.error_message = "(no message)";
    }
    return a;
  }
  simdjson::dom::element result;
  if (root["result"].get(result)) return std::nullopt;
  a.result = simdjson::minify(result);
  return a;
}

std::optional<std::vector<PrivateEvent>> parse_order_states(std::string_view result) {
  thread_local simdjson::dom::parser parser;
  std::vector<PrivateEvent> out;
  try {
    simdjson::dom::array orders = parser.parse(result.data(), result.size()).get_array();
    for (simdjson::dom::element d : orders) {
      auto ev = private_event(d, false);
      if (!ev) return std::nullopt;
      out.push_back(std::move(*ev));
    }
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace ot::deribit
