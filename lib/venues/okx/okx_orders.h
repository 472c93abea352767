// OKX v5 order entry, shared by ot-exec's gateway and ot-sim: REST signing
// (base64 HMAC-SHA256 of timestamp + method + request path + body, with the
// OK-ACCESS-KEY / -SIGN / -TIMESTAMP / -PASSPHRASE headers), the private
// WebSocket login (the same signature over timestamp + "GET" +
// "/users/self/verify"), order request bodies, and the `orders` channel's
// pushes in both directions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/orders.h"

namespace ot::okx {

std::string rest_signature(std::string_view secret, std::string_view timestamp,
                           std::string_view method, std::string_view path, std::string_view body);
// "2020-12-08T09:08:57.715Z" for a time in ns.
std::string iso_timestamp(Nanos t);

// Body of POST /api/v5/trade/order.
std::string order_body(const Order& o);
std::string_view ord_type(const Order& o);

// One order object as the orders channel and GET /api/v5/trade/order give it.
struct OrderFill {
  Decimal price, qty, fee;  // fee as a cost (OKX writes it negative)
  Liquidity liquidity = Liquidity::taker;
  std::string trade_id;
};
std::string order_json(const Order& o, std::string_view ord_id, std::string_view state,
                       const Decimal& filled, const std::optional<Decimal>& avg,
                       const std::optional<OrderFill>& fill, std::string_view amend_result,
                       std::int64_t ms);

struct OrderEvent {
  Exec exec;
  std::string id, symbol, venue_id, trade_id, reason;
  Decimal size;  // the order's size
  void bind();
};
// The orders channel's pushes (and REST order data arrays): one event per
// order object; empty for anything else.
std::vector<OrderEvent> parse_orders(std::string_view json);
// Why a REST answer failed: the first data item's sCode/sMsg, else "code"
// and "msg", else the HTTP status; empty for a success.
std::string answer_failure(unsigned http_status, std::string_view body);

}  // namespace ot::okx
