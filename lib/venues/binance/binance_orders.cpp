#include "venues/binance/binance_orders.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/amount.h"
#include "core/time.h"
#include "net/crypto.h"

namespace ot::binance {

OrderApi order_api(Market m) {
  switch (m) {
    case Market::spot:
      return {"/api/v3/order", "/api/v3/openOrders", "/api/v3/userDataStream", "/ws/"};
    case Market::usdm:
      return {"/fapi/v1/order", "/fapi/v1/openOrders", "/fapi/v1/listenKey", "/ws/"};
    case Market::coinm:
      return {"/dapi/v1/order", "/dapi/v1/openOrders", "/dapi/v1/listenKey", "/ws/"};
  }
  return {};
}

std::string sign(std::string_view query, std::string_view body, std::string_view secret) {
  std::string payload(query);
  payload.append(body);
  return net::hmac_sha256_hex(secret, payload);
}

std::string_view status_name(ExecStatus s) {
  switch (s) {
    case ExecStatus::new_:
      return "NEW";
    case ExecStatus::partial:
      return "PARTIALLY_FILLED";
    case ExecStatus::filled:
      return "FILLED";
    case ExecStatus::canceled:
      return "CANCELED";
    case ExecStatus::rejected:
      return "REJECTED";
    case ExecStatus::expired:
      return "EXPIRED";
  }
  return "NEW";
}

std::string_view tif_name(Tif t, Market m) {
  switch (t) {
    case Tif::gtc:
      return "GTC";
    case Tif::ioc:
      return "IOC";
    case Tif::fok:
      return "FOK";
    case Tif::post_only:
      return m == Market::spot ? "GTC" : "GTX";
  }
  return "GTC";
}

std::string new_order_params(const Order& o, Market m) {
  std::string p = fmt::format("symbol={}&side={}", o.symbol, o.side == Side::buy ? "BUY" : "SELL");
  if (o.kind == OrderKind::market) {
    p += "&type=MARKET";
  } else if (o.tif == Tif::post_only && m == Market::spot) {
    p += "&type=LIMIT_MAKER";  // spot's post-only: no timeInForce
  } else {
    p += fmt::format("&type=LIMIT&timeInForce={}", tif_name(o.tif, m));
  }
  p += "&quantity=" + o.qty.to_string();
  if (o.kind == OrderKind::limit && o.price) p += "&price=" + o.price->to_string();
  if (o.reduce_only && m != Market::spot) p += "&reduceOnly=true";
  p += "&newClientOrderId=";
  p += o.id;
  return p;
}

std::string order_event_json(const Exec& e, const Order& o, std::int64_t order_id,
                             std::int64_t trade_id, Market m, Nanos now) {
  const std::int64_t ms = now / 1'000'000;
  const bool fill = e.qty && e.qty->mantissa > 0;
  std::string_view x = "NEW";
  if (fill)
    x = "TRADE";
  else if (e.status == ExecStatus::canceled)
    x = "CANCELED";
  else if (e.status == ExecStatus::expired)
    x = "EXPIRED";
  else if (e.reason == "amended")
    x = "AMENDMENT";
  const std::string type = o.kind == OrderKind::market                      ? "MARKET"
                           : (o.tif == Tif::post_only && m == Market::spot) ? "LIMIT_MAKER"
                                                                            : "LIMIT";
  const std::string price = o.price ? o.price->to_string() : "0";
  const std::string last_qty = fill ? e.qty->to_string() : "0";
  const std::string last_px = fill ? e.price->to_string() : "0";
  const std::string fee = e.fee ? e.fee->to_string() : "0";
  const std::string qty = add(e.filled, e.leaves).to_string();
  const std::string side = o.side == Side::buy ? "BUY" : "SELL";
  if (m == Market::spot) {
    return fmt::format(
        R"({{"e":"executionReport","E":{},"s":"{}","c":"{}","S":"{}","o":"{}","f":"{}","q":"{}","p":"{}","P":"0.00000000","x":"{}","X":"{}","r":"NONE","i":{},"l":"{}","z":"{}","L":"{}","n":"{}","N":{},"T":{},"t":{},"w":{},"m":{},"O":{},"Z":"{}","C":""}})",
        ms, o.symbol, o.id, side, type, tif_name(o.tif, m), qty, price, x, status_name(e.status),
        order_id, last_qty, e.filled.to_string(), last_px, fee, fill ? "\"USDT\"" : "null", ms,
        fill ? trade_id : -1, e.status == ExecStatus::new_ ? "true" : "false",
        e.liquidity == Liquidity::maker ? "true" : "false", ms,
        e.avg_price ? Amount::product(*e.avg_price, e.filled).to_string(8) : "0");
  }
  return fmt::format(
      R"({{"e":"ORDER_TRADE_UPDATE","T":{},"E":{},"o":{{"s":"{}","c":"{}","S":"{}","o":"{}","f":"{}","q":"{}","p":"{}","ap":"{}","sp":"0","x":"{}","X":"{}","i":{},"l":"{}","z":"{}","L":"{}","N":"USDT","n":"{}","T":{},"t":{},"b":"0","a":"0","m":{},"R":{},"wt":"CONTRACT_PRICE","ot":"{}","ps":"BOTH","cp":false,"rp":"0","pP":false,"si":0,"ss":0,"V":"NONE","pm":"NONE","gtd":0}}}})",
      ms, ms, o.symbol, o.id, side, type, tif_name(o.tif, m), qty, price,
      e.avg_price ? e.avg_price->to_string() : "0", x, status_name(e.status), order_id, last_qty,
      e.filled.to_string(), last_px, fee, ms, fill ? trade_id : 0,
      e.liquidity == Liquidity::maker ? "true" : "false", o.reduce_only ? "true" : "false", type);
}

void OrderEvent::bind() {
  exec.id = id;
  exec.symbol = symbol;
  exec.venue_id = venue_id;
  exec.trade_id = trade_id;
  exec.reason = reason;
}

namespace {

std::optional<ExecStatus> status_of(std::string_view x) {
  if (x == "NEW") return ExecStatus::new_;
  if (x == "PARTIALLY_FILLED") return ExecStatus::partial;
  if (x == "FILLED") return ExecStatus::filled;
  if (x == "CANCELED") return ExecStatus::canceled;
  if (x == "REJECTED") return ExecStatus::rejected;
  if (x == "EXPIRED" || x == "EXPIRED_IN_MATCH") return ExecStatus::expired;
  return std::nullopt;
}

std::optional<Decimal> positive(std::string_view s) {
  auto d = Decimal::parse(s);
  if (!d || d->mantissa == 0) return std::nullopt;
  return d;
}

}  // namespace

std::optional<OrderEvent> parse_order_event(std::string_view json, Market m, std::string* kind) {
  // Private streams carry a few messages a second: the DOM API is plenty.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view e;
  if (parser.parse(json.data(), json.size()).get(root) || root["e"].get(e)) return std::nullopt;
  if (kind != nullptr) kind->assign(e);
  const bool futures = e == "ORDER_TRADE_UPDATE";
  if (!futures && e != "executionReport") return std::nullopt;
  if (futures == (m == Market::spot)) return std::nullopt;
  simdjson::dom::object o;
  if (futures ? root["o"].get(o) : root.get(o)) return std::nullopt;
  // A member's string, or "" if it is absent or not a string.
  auto text = [&](const char* k) -> std::string_view {
    std::string_view v;
    return o[k].get(v) ? std::string_view() : v;
  };
  // A member's integer, or 0 if it is absent or not an int64.
  auto number = [&](const char* k) -> std::int64_t {
    std::int64_t v = 0;
    return o[k].get(v) ? 0 : v;
  };
  OrderEvent ev;
  const std::string_view x = text("x"), c = text("c"), C = text("C");
  auto st = status_of(text("X"));
  auto filled = Decimal::parse(text("z"));
  auto qty = Decimal::parse(text("q"));
  if (!st || !filled || !qty || c.empty()) return std::nullopt;
  ev.symbol.assign(text("s"));
  ev.exec.side = text("S") == "BUY" ? Side::buy : Side::sell;
  ev.venue_id = std::to_string(number("i"));
  if (number("t") > 0) ev.trade_id = std::to_string(number("t"));
  // A spot cancel names the canceled order in C (c is the cancel's own id).
  ev.id.assign(x == "CANCELED" && !C.empty() ? C : c);
  ev.exec.status = *st;
  ev.exec.filled = *filled;
  ev.exec.leaves = is_final(*st) ? Decimal{0, qty->scale} : remaining(*qty, *filled);
  ev.exec.order_price = positive(text("p"));
  ev.exec.avg_price = positive(text("ap"));
  if (x == "TRADE") {
    ev.exec.qty = positive(text("l"));
    ev.exec.price = positive(text("L"));
    ev.exec.fee = Decimal::parse(text("n"));
    bool maker = false;
    ev.exec.liquidity = !o["m"].get(maker) && maker ? Liquidity::maker : Liquidity::taker;
  }
  const std::string_view r = text("r");
  if (!r.empty() && r != "NONE") ev.reason.assign(r);
  if (x == "AMENDMENT") ev.reason = "amended";
  if (x == "CANCELED" && ev.reason.empty()) ev.reason = "canceled";
  ev.exec.ts = ns_from_ms(number("T")).value_or(0);
  ev.exec.venue = venue_name(m);
  return ev;
}

std::string form_value(std::string_view form, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= form.size()) {
    const std::size_t amp = form.find('&', pos);
    const std::string_view pair =
        form.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string out;
      const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
          out.push_back(
              static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(raw[i] == '+' ? ' ' : raw[i]);
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return {};
}

std::string ApiError::text() const {
  return fmt::format("binance {} (HTTP {}): {}", code, http, msg);
}

ApiError parse_api_error(unsigned http_status, std::string_view body) {
  ApiError e;
  e.http = http_status;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  std::int64_t code = 0;
  std::string_view msg;
  // Not Binance's {"code":..,"msg":..}: the body's start is the message.
  if (p.parse(std::string(body)).get(doc) || doc["code"].get(code)) {
    e.msg = std::string(body.substr(0, 200));
    return e;
  }
  e.code = static_cast<int>(code);
  e.msg = doc["msg"].get(msg) ? std::string(body.substr(0, 200)) : std::string(msg);
  return e;
}

std::optional<QueryAnswer> parse_query_answer(std::string_view body) {
  simdjson::dom::parser p;
  simdjson::dom::element d;
  std::string_view st, executed, orig_qty;
  if (p.parse(std::string(body)).get(d) || d["status"].get(st) || d["executedQty"].get(executed) ||
      d["origQty"].get(orig_qty)) {
    return std::nullopt;
  }
  auto filled = Decimal::parse(executed);
  auto orig = Decimal::parse(orig_qty);
  if (!filled || !orig) return std::nullopt;
  QueryAnswer a;
  a.filled = *filled;
  a.orig = *orig;
  // avgPrice and cummulativeQuoteQty are optional, but strings when present.
  std::string_view text;
  if (auto v = d["avgPrice"]; !v.error()) {
    if (v.get(text)) return std::nullopt;
    a.avg_price = Decimal::parse(text);
  }
  if (auto q = d["cummulativeQuoteQty"]; !q.error() && !filled->is_zero()) {
    if (q.get(text)) return std::nullopt;
    if (auto quote = Decimal::parse(text)) {
      a.avg_price = Amount::of(*quote).divided_by(Amount::of(*filled)).to_decimal(8);
    }
  }
  a.status = st == "NEW"                ? ExecStatus::new_
             : st == "PARTIALLY_FILLED" ? ExecStatus::partial
             : st == "FILLED"           ? ExecStatus::filled
             : st == "CANCELED"         ? ExecStatus::canceled
             : st == "REJECTED"         ? ExecStatus::rejected
                                        : ExecStatus::expired;
  a.leaves = is_final(a.status) ? Decimal{0, orig->scale} : remaining(*orig, *filled);
  return a;
}

}  // namespace ot::binance
