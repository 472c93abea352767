#include "venues/okx/okx_orders.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <ctime>

#include "core/amount.h"
#include "core/time.h"
#include "net/crypto.h"

namespace ot::okx {

std::string rest_signature(std::string_view secret, std::string_view timestamp,
                           std::string_view method, std::string_view path, std::string_view body) {
  std::string payload(timestamp);
  payload.append(method).append(path).append(body);
  return net::hmac_sha256_base64(secret, payload);
}

std::string iso_timestamp(Nanos t) {
  const std::time_t s = static_cast<std::time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (t / 1'000'000) % 1000);
}

std::string_view ord_type(const Order& o) {
  if (o.kind == OrderKind::market) return "market";
  switch (o.tif) {
    case Tif::post_only:
      return "post_only";
    case Tif::ioc:
      return "ioc";
    case Tif::fok:
      return "fok";
    default:
      return "limit";
  }
}

std::string order_body(const Order& o) {
  // Spot pairs trade in cash mode; derivatives cross-margined.
  const bool spot = o.symbol.find("-SWAP") == std::string_view::npos &&
                    std::count(o.symbol.begin(), o.symbol.end(), '-') == 1;
  std::string b = fmt::format(
      R"({{"instId":"{}","tdMode":"{}","clOrdId":"{}","side":"{}","ordType":"{}","sz":"{}")",
      o.symbol, spot ? "cash" : "cross", o.id, o.side == Side::buy ? "buy" : "sell", ord_type(o),
      o.qty.to_string());
  if (o.kind == OrderKind::limit && o.price)
    b += fmt::format(R"(,"px":"{}")", o.price->to_string());
  if (o.reduce_only) b += R"(,"reduceOnly":true)";
  return b + "}";
}

std::string order_json(const Order& o, std::string_view ord_id, std::string_view state,
                       const Decimal& filled, const std::optional<Decimal>& avg,
                       const std::optional<OrderFill>& fill, std::string_view amend_result,
                       std::int64_t ms) {
  return fmt::format(
      R"({{"accFillSz":"{}","amendResult":"{}","avgPx":"{}","cTime":"{}","clOrdId":"{}","execType":"{}","fee":"{}","feeCcy":"USDT","fillPx":"{}","fillSz":"{}","fillTime":"{}","instId":"{}","ordId":"{}","ordType":"{}","px":"{}","reduceOnly":"{}","side":"{}","state":"{}","sz":"{}","tradeId":"{}","uTime":"{}"}})",
      filled.to_string(), amend_result, avg ? avg->to_string() : "", ms, o.id,
      fill ? (fill->liquidity == Liquidity::maker ? "M" : "T") : "",
      fill ? negate(fill->fee).to_string() : "0", fill ? fill->price.to_string() : "",
      fill ? fill->qty.to_string() : "0", fill ? std::to_string(ms) : "", o.symbol, ord_id,
      ord_type(o), o.price ? o.price->to_string() : "", o.reduce_only ? "true" : "false",
      o.side == Side::buy ? "buy" : "sell", state, o.qty.to_string(), fill ? fill->trade_id : "",
      ms);
}

void OrderEvent::bind() {
  exec.id = id;
  exec.symbol = symbol;
  exec.venue_id = venue_id;
  exec.trade_id = trade_id;
  exec.reason = reason;
}

std::vector<OrderEvent> parse_orders(std::string_view json) {
  std::vector<OrderEvent> out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return out;
  simdjson::dom::array data;
  if (root["data"].get(data)) return out;
  // Without an arg, the channel is taken to be orders; with one, it must say so.
  if (auto arg = root["arg"]; !arg.error()) {
    std::string_view channel;
    if (arg["channel"].get(channel) || channel != "orders") return out;
  }
  for (simdjson::dom::element d : data) {
    // A member's string, or "" if it is absent or not a string.
    auto text = [&](const char* k) -> std::string_view {
      std::string_view v;
      return d[k].get(v) ? std::string_view() : v;
    };
    auto st = text("state");
    auto acc = Decimal::parse(text("accFillSz"));
    auto sz = Decimal::parse(text("sz"));
    if (st.empty() || !acc || !sz) continue;
    OrderEvent ev;
    ev.id.assign(text("clOrdId"));
    ev.symbol.assign(text("instId"));
    ev.venue_id.assign(text("ordId"));
    ev.trade_id.assign(text("tradeId"));
    ev.size = *sz;
    ev.exec.venue = "okx";
    ev.exec.side = text("side") == "buy" ? Side::buy : Side::sell;
    ev.exec.filled = *acc;
    ev.exec.status = st == "live"               ? ExecStatus::new_
                     : st == "partially_filled" ? ExecStatus::partial
                     : st == "filled"           ? ExecStatus::filled
                                                : ExecStatus::canceled;
    ev.exec.leaves = is_final(ev.exec.status) ? Decimal{0, sz->scale} : remaining(*sz, *acc);
    if (auto px = Decimal::parse(text("px")); px && !px->is_zero()) ev.exec.order_price = px;
    if (auto avg = Decimal::parse(text("avgPx")); avg && !avg->is_zero()) ev.exec.avg_price = avg;
    auto fill_sz = Decimal::parse(text("fillSz"));
    if (fill_sz && !fill_sz->is_zero()) {
      ev.exec.qty = fill_sz;
      ev.exec.price = Decimal::parse(text("fillPx"));
      if (auto fee = Decimal::parse(text("fee"))) ev.exec.fee = negate(*fee);
      ev.exec.liquidity = text("execType") == "M" ? Liquidity::maker : Liquidity::taker;
    }
    if (text("amendResult") == "0") ev.reason = "amended";
    if (ev.exec.status == ExecStatus::canceled) ev.reason = "canceled";
    auto u = text("uTime");
    ev.exec.ts = ns_from_ms(std::atoll(std::string(u).c_str())).value_or(0);
    out.push_back(std::move(ev));
  }
  return out;
}

std::string answer_failure(unsigned http_status, std::string_view body) {
  // Not an answer OKX writes: the status and the body's start.
  auto unreadable = [&] { return fmt::format("HTTP {}: {}", http_status, body.substr(0, 120)); };
  simdjson::dom::parser p;
  simdjson::dom::element d;
  std::string_view code;
  if (p.parse(std::string(body)).get(d) || d["code"].get(code)) return unreadable();
  // The first item's sCode and sMsg, when the answer has items.
  simdjson::dom::array data;
  if (!d["data"].get(data) && data.size() > 0) {
    std::string_view s, s_msg;
    if (data.at(0)["sCode"].get(s)) return unreadable();
    if (s != "0") {
      if (data.at(0)["sMsg"].get(s_msg)) return unreadable();
      return fmt::format("okx {}: {}", s, s_msg);
    }
  }
  if (code != "0") {
    std::string_view msg;
    if (d["msg"].get(msg)) return unreadable();
    return fmt::format("okx {} (HTTP {}): {}", code, http_status, msg);
  }
  return http_status == 200 ? "" : fmt::format("HTTP {}", http_status);
}

}  // namespace ot::okx
