// Alpaca's Trading API v2 order messages, both sides: the JSON body of
// POST /v2/orders, the order object the REST API returns, and the
// `trade_updates` stream's events, turned into execution reports.
//
// Order objects: {"id","client_order_id","symbol","qty","filled_qty",
// "filled_avg_price","side","type","time_in_force","limit_price","status",
// "replaces","replaced_by",...}; decimals are strings. Trade updates:
// {"stream":"trade_updates","data":{"event":"fill","price":"...","qty":
// "...","timestamp":"...","execution_id":"...","order":{...}}} with events
// new, partial_fill, fill, canceled, expired, rejected, replaced (and
// pending_*, done_for_day, ... which carry no state change here).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/orders.h"

namespace ot::alpaca {

// The body of POST /v2/orders for an order (no post-only at Alpaca:
// callers refuse those first).
std::string order_body(const Order& o);

// One order's state as Alpaca reports it.
struct OrderState {
  std::string client_id, venue_id, symbol, status, event, reason, trade_id, replaces;
  Exec exec;  // views bound to the strings above by bind()
  void bind();
};

// Alpaca's time_in_force value for a Tif: ioc, fok, else gtc.
std::string_view tif_name(Tif t);

// The order object of a REST answer; nullopt if `json` is not one.
std::optional<OrderState> parse_order(std::string_view json);
// The events of a stream message (empty for authorization / listening
// acknowledgements and events without a state change).
std::vector<OrderState> parse_trade_update(std::string_view json);
// Alpaca's error answer {"code":40010001,"message":"..."} as text.
std::string error_text(unsigned http_status, std::string_view body);

}  // namespace ot::alpaca
