#include "venues/alpaca/alpaca_orders.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/amount.h"
#include "core/time.h"

namespace ot::alpaca {
namespace {

namespace dom = simdjson::dom;

// A member's string, or "" if it is absent or not a string (or `e` is not
// an object).
std::string_view text(dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) ? std::string_view() : v;
}

std::optional<Decimal> decimal(dom::element e, std::string_view key) {
  const std::string_view t = text(e, key);
  return t.empty() ? std::nullopt : Decimal::parse(t);
}

// The order object's fields into `s` (status from the object, or `event`).
bool fill_state(dom::element o, OrderState& s) {
  if (!o.is_object()) return false;
  s.client_id = text(o, "client_order_id");
  s.venue_id = text(o, "id");
  s.symbol = text(o, "symbol");
  s.status = text(o, "status");
  s.replaces = text(o, "replaces");
  Exec& e = s.exec;
  e.side = text(o, "side") == "sell" ? Side::sell : Side::buy;
  const auto qty = decimal(o, "qty");
  e.filled = decimal(o, "filled_qty").value_or(Decimal{0, 0});
  e.leaves = qty ? remaining(*qty, e.filled) : Decimal{0, 0};
  e.order_price = decimal(o, "limit_price");
  e.avg_price = decimal(o, "filled_avg_price");
  if (e.filled.is_zero()) e.avg_price.reset();
  const std::string_view updated = text(o, "updated_at");
  e.ts = parse_iso8601(updated).value_or(now_ns());
  return !s.client_id.empty() || !s.venue_id.empty();
}

std::optional<ExecStatus> status_of_order(std::string_view st) {
  if (st == "new" || st == "accepted" || st == "pending_new" || st == "accepted_for_bidding" ||
      st == "pending_replace" || st == "pending_cancel" || st == "held") {
    return ExecStatus::new_;
  }
  if (st == "partially_filled") return ExecStatus::partial;
  if (st == "filled") return ExecStatus::filled;
  if (st == "canceled" || st == "replaced" || st == "done_for_day") return ExecStatus::canceled;
  if (st == "expired") return ExecStatus::expired;
  if (st == "rejected" || st == "suspended" || st == "stopped") return ExecStatus::rejected;
  return std::nullopt;
}

}  // namespace

std::string_view tif_name(Tif t) {
  switch (t) {
    case Tif::ioc:
      return "ioc";
    case Tif::fok:
      return "fok";
    default:
      return "gtc";
  }
}

void OrderState::bind() {
  exec.id = client_id;
  exec.symbol = symbol;
  exec.venue_id = venue_id;
  exec.reason = reason;
  exec.trade_id = trade_id;
}

std::string order_body(const Order& o) {
  std::string b = fmt::format(R"({{"symbol":"{}","qty":"{}","side":"{}","type":"{}")", o.symbol,
                              o.qty.to_string(), o.side == Side::buy ? "buy" : "sell",
                              o.kind == OrderKind::market ? "market" : "limit");
  b += fmt::format(R"(,"time_in_force":"{}")",
                   o.kind == OrderKind::market && o.tif == Tif::gtc ? "ioc" : tif_name(o.tif));
  if (o.kind == OrderKind::limit && o.price) {
    b += fmt::format(R"(,"limit_price":"{}")", o.price->to_string());
  }
  b += fmt::format(R"(,"client_order_id":"{}"}})", o.id);
  return b;
}

std::optional<OrderState> parse_order(std::string_view json) {
  dom::parser p;
  OrderState s;
  dom::element o;
  if (p.parse(json.data(), json.size()).get(o) || !fill_state(o, s)) return std::nullopt;
  auto st = status_of_order(s.status);
  if (!st) return std::nullopt;
  s.exec.status = *st;
  if (s.status == "replaced") s.reason = "replaced";
  if (is_final(*st)) s.exec.leaves = Decimal{0, 0};
  s.bind();
  return s;
}

std::vector<OrderState> parse_trade_update(std::string_view json) {
  std::vector<OrderState> out;
  dom::parser p;
  dom::element m;
  if (p.parse(json.data(), json.size()).get(m)) return out;
  if (text(m, "stream") != "trade_updates") return out;
  dom::element d, order;
  if (m["data"].get(d) || d["order"].get(order)) return out;
  OrderState s;
  if (!fill_state(order, s)) return out;
  s.event = text(d, "event");
  Exec& e = s.exec;
  if (auto t = parse_iso8601(text(d, "timestamp"))) e.ts = *t;
  if (s.event == "new") {
    e.status = ExecStatus::new_;
  } else if (s.event == "partial_fill" || s.event == "fill") {
    e.status = s.event == "fill" ? ExecStatus::filled : ExecStatus::partial;
    e.price = decimal(d, "price");
    e.qty = decimal(d, "qty");
    s.trade_id = text(d, "execution_id");
  } else if (s.event == "canceled") {
    e.status = ExecStatus::canceled;
    s.reason = "canceled";
  } else if (s.event == "expired") {
    e.status = ExecStatus::expired;
    s.reason = "expired";
  } else if (s.event == "rejected") {
    e.status = ExecStatus::rejected;
    s.reason = "rejected by the venue";
  } else if (s.event == "replaced") {
    // The order object is the replacement: the order's new terms.
    e.status = ExecStatus::new_;
    s.reason = "amended";
  } else {
    return out;  // pending_*, done_for_day, calculated, ...: no change
  }
  if (is_final(e.status)) e.leaves = Decimal{0, 0};
  out.push_back(std::move(s));
  out.back().bind();
  return out;
}

std::string error_text(unsigned http_status, std::string_view body) {
  dom::parser p;
  dom::element e;
  if (!p.parse(body.data(), body.size()).get(e)) {
    auto code = e["code"];
    const std::string_view msg = text(e, "message");
    std::int64_t number = 0;
    if (!code.error()) {
      // A code that is not an integer: the body itself, as for unreadable JSON.
      if (!code.get(number)) return fmt::format("alpaca {}: {}", number, msg);
    } else if (!msg.empty()) {
      return fmt::format("alpaca HTTP {}: {}", http_status, msg);
    }
  }
  return fmt::format("alpaca HTTP {}: {}", http_status, body.substr(0, 120));
}

}  // namespace ot::alpaca
