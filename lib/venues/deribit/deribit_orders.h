// Deribit order entry, shared by ot-exec's gateway and ot-sim: JSON-RPC
// over the WebSocket. Authentication with client_signature (HMAC-SHA256 of
// "timestamp\nnonce\ndata", hex), private/buy and private/sell, cancels and
// edits by label (our client order id), and the user.orders / user.trades
// notifications in both directions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/orders.h"

namespace ot::deribit {

std::string client_signature(std::string_view secret, std::int64_t timestamp_ms,
                             std::string_view nonce, std::string_view data);

std::string_view tif_name(Tif t);

// The params object of private/buy or private/sell for an order.
std::string order_params(const Order& o);

// Deribit's order object for a simulated order.
std::string order_object(const Order& o, std::string_view order_id, std::string_view state,
                         const Decimal& filled, const std::optional<Decimal>& avg, std::int64_t ms);
// One user trade object.
std::string trade_object(const Order& o, std::string_view order_id, std::string_view trade_id,
                         const Decimal& price, const Decimal& qty, const Decimal& fee,
                         Liquidity liq, std::string_view state, std::int64_t ms);

// What a private notification says (owned strings; bind() points exec at them).
struct PrivateEvent {
  bool is_trade = false;  // user.trades: a fill; user.orders: a state
  Exec exec;
  std::string label, symbol, order_id, trade_id, state;
  double amount = 0;  // order amount (user.orders)
  void bind();
};
// Parses a subscription notification on user.orders.* or user.trades.*;
// empty if it is anything else.
std::vector<PrivateEvent> parse_private(std::string_view json);

// A JSON-RPC answer to one of our requests, by its integer id: either an
// error (a code, 0 if the venue gave none, and a message) or a result, kept
// as minified JSON. nullopt if the text is not such an answer (a
// notification, an answer without an integer id, unreadable JSON).
struct RpcAnswer {
  std::int64_t id = 0;
  bool failed = false;  // an "error" member: error_code and error_message
  std::int64_t error_code = 0;
  std::string error_message;
  std::string result;              // "" when failed
  std::string error_text() const;  // "deribit CODE: MESSAGE"
};
std::optional<RpcAnswer> parse_rpc_answer(std::string_view json);

// The result of private/get_order_state_by_label (reconciliation after a
// reconnect): the orders with that label, each as a user.orders
// notification reads. An empty vector: no such order at the venue.
// nullopt: the result is not an array of readable order objects.
std::optional<std::vector<PrivateEvent>> parse_order_states(std::string_view result);

}  // namespace ot::deribit
