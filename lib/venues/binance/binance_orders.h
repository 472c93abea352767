// Binance order entry, shared by ot-exec's gateway and ot-sim: REST paths
// per market, request signing (HMAC-SHA256 over the query string followed
// by the request body, hex), order parameters, and the user data stream's
// order events (spot `executionReport`, futures `ORDER_TRADE_UPDATE`) in
// both directions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/orders.h"
#include "venues/binance/binance_parser.h"

namespace ot::binance {

struct OrderApi {
  std::string_view order;        // POST new, DELETE cancel, PUT modify, GET query
  std::string_view open_orders;  // GET
  std::string_view listen_key;   // POST create, PUT keep alive
  std::string_view user_stream;  // WebSocket path prefix: + listenKey
};
OrderApi order_api(Market m);

// The `signature` parameter for a request: HMAC-SHA256 of the query string
// (without signature) concatenated with the body, as hex.
std::string sign(std::string_view query, std::string_view body, std::string_view secret);

// Form parameters of a new order (without recvWindow, timestamp, signature).
std::string new_order_params(const Order& o, Market m);

// Binance's names for statuses and time in force.
std::string_view status_name(ExecStatus s);
std::string_view tif_name(Tif t, Market m);

// One order event of the user data stream, for a report (`e`) on an order
// whose terms are `o` (the simulator writes it).
std::string order_event_json(const Exec& e, const Order& o, std::int64_t order_id,
                             std::int64_t trade_id, Market m, Nanos now);

// A parsed order event. exec's string views are unset until bind() points
// them at the strings here (call it on the copy you keep).
struct OrderEvent {
  Exec exec;
  std::string id, symbol, venue_id, trade_id, reason;
  void bind();
};
// Parses a user data stream message; nullopt if it is not an order event
// (account updates, listenKeyExpired: see `kind`). Throws nothing.
std::optional<OrderEvent> parse_order_event(std::string_view json, Market m, std::string* kind);

// A REST error answer {"code":-2010,"msg":"..."} (code 0 and the body's
// start as msg when it is not one).
struct ApiError {
  unsigned http = 0;
  int code = 0;
  std::string msg;
  std::string text() const;
};
ApiError parse_api_error(unsigned http_status, std::string_view body);

// The answer to GET order (reconciliation after a reconnect): status,
// executed and original quantities, leaves (never below zero), and the
// average price (avgPrice, or cummulativeQuoteQty / executedQty). nullopt
// if the body is not such an answer.
struct QueryAnswer {
  ExecStatus status = ExecStatus::new_;
  Decimal filled, orig, leaves;
  std::optional<Decimal> avg_price;
};
std::optional<QueryAnswer> parse_query_answer(std::string_view body);

// The value of `name` in an x-www-form-urlencoded string ("" if absent).
std::string form_value(std::string_view form, std::string_view name);

}  // namespace ot::binance
