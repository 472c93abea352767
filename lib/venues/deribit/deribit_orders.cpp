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
  if (std::string_view text; !e.get(text)) return Decimal::parse(text);
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

// One order (user.orders) or trade (user.trades) object into `out`, which
// stays empty if the order's amounts or state do not read. The error of a
// member the report needs that is missing or of another type (the callers
// drop the whole message then).
simdjson::error_code private_event(simdjson::dom::element d, bool trades,
                                   std::optional<PrivateEvent>& out) {
  using simdjson::error_code;
  // A string member into `s`.
  auto string = [&](const char* k, std::string& s) -> error_code {
    std::string_view v;
    if (auto e = d[k].get(v)) return e;
    s.assign(v);
    return simdjson::SUCCESS;
  };
  // A number member (or a string of one) as a decimal; empty if unreadable.
  auto number = [&](const char* k, std::optional<Decimal>& n) -> error_code {
    simdjson::dom::element v;
    if (auto e = d[k].get(v)) return e;
    n = number_of(v);
    return simdjson::SUCCESS;
  };
  PrivateEvent ev;
  ev.is_trade = trades;
  if (std::string_view label; !d["label"].get(label)) ev.label.assign(label);
  std::string_view direction;
  std::int64_t ms = 0;
  if (auto e = string("instrument_name", ev.symbol)) return e;
  if (auto e = string("order_id", ev.order_id)) return e;
  if (auto e = d["direction"].get(direction)) return e;
  ev.exec.side = direction == "buy" ? Side::buy : Side::sell;
  if (auto e = d[trades ? "timestamp" : "last_update_timestamp"].get(ms)) return e;
  ev.exec.ts = ns_from_ms(ms).value_or(0);
  ev.exec.venue = "deribit";
  if (trades) {
    std::string_view liquidity;
    if (auto e = string("trade_id", ev.trade_id)) return e;
    if (auto e = string("state", ev.state)) return e;
    if (auto e = number("price", ev.exec.price)) return e;
    if (auto e = number("amount", ev.exec.qty)) return e;
    if (auto e = number("fee", ev.exec.fee)) return e;
    if (auto e = d["liquidity"].get(liquidity)) return e;
    ev.exec.liquidity = liquidity == "M" ? Liquidity::maker : Liquidity::taker;
    out = std::move(ev);
    return simdjson::SUCCESS;
  }
  std::optional<Decimal> filled, amount, px, avg;
  if (auto e = string("order_state", ev.state)) return e;
  if (auto e = number("filled_amount", filled)) return e;
  if (auto e = number("amount", amount)) return e;
  if (!filled || !amount) return simdjson::SUCCESS;
  ev.exec.filled = *filled;
  ev.exec.leaves = remaining(*amount, *filled);
  auto st = state_of(ev.state, !filled->is_zero());
  if (!st) return simdjson::SUCCESS;
  ev.exec.status = *st;
  if (is_final(*st)) ev.exec.leaves = Decimal{0, amount->scale};
  if (auto e = number("price", px)) return e;
  if (px && !px->is_zero()) ev.exec.order_price = px;  // market orders: 0
  if (auto e = number("average_price", avg)) return e;
  if (avg && !avg->is_zero()) ev.exec.avg_price = avg;
  ev.amount = amount->to_double();
  out = std::move(ev);
  return simdjson::SUCCESS;
}

}  // namespace

std::vector<PrivateEvent> parse_private(std::string_view json) {
  std::vector<PrivateEvent> out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root, data;
  std::string_view method, channel;
  if (parser.parse(json.data(), json.size()).get(root) || root["method"].get(method) ||
      method != "subscription" || root["params"]["channel"].get(channel) ||
      root["params"]["data"].get(data)) {
    return out;
  }
  const bool trades = channel.rfind("user.trades.", 0) == 0;
  if (!trades && channel.rfind("user.orders.", 0) != 0) return out;
  // One object into `out`; false if it is unreadable (the message is dropped).
  auto one = [&](simdjson::dom::element d) {
    std::optional<PrivateEvent> ev;
    if (private_event(d, trades, ev)) return false;
    if (ev) out.push_back(std::move(*ev));
    return true;
  };
  simdjson::dom::array items;
  if (data.get(items)) {  // one object rather than a list
    if (!one(data)) out.clear();
    return out;
  }
  for (simdjson::dom::element d : items) {
    if (!one(d)) return {};
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
  simdjson::dom::array orders;
  if (parser.parse(result.data(), result.size()).get(orders)) return std::nullopt;
  for (simdjson::dom::element d : orders) {
    std::optional<PrivateEvent> ev;
    if (private_event(d, false, ev) || !ev) return std::nullopt;
    out.push_back(std::move(*ev));
  }
  return out;
}

}  // namespace ot::deribit
