#include "core/orders.h"

#include <array>

namespace ot {
namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kSides = {"buy", "sell"};
constexpr std::array<std::string_view, 2> kKinds = {"limit", "market"};
constexpr std::array<std::string_view, 4> kTifs = {"gtc", "ioc", "fok", "post_only"};
constexpr std::array<std::string_view, 6> kStatuses = {"new",      "partial",  "filled",
                                                       "canceled", "rejected", "expired"};
constexpr std::array<std::string_view, 3> kLiquidity = {"", "maker", "taker"};

}  // namespace

std::string_view to_string(Side s) { return kSides[static_cast<int>(s)]; }
std::string_view to_string(OrderKind k) { return kKinds[static_cast<int>(k)]; }
std::string_view to_string(Tif t) { return kTifs[static_cast<int>(t)]; }
std::string_view to_string(ExecStatus s) { return kStatuses[static_cast<int>(s)]; }
std::string_view to_string(Liquidity l) { return kLiquidity[static_cast<int>(l)]; }
std::optional<Side> parse_side(std::string_view s) { return lookup<Side>(kSides, s); }
std::optional<OrderKind> parse_order_kind(std::string_view s) {
  return lookup<OrderKind>(kKinds, s);
}
std::optional<Tif> parse_tif(std::string_view s) { return lookup<Tif>(kTifs, s); }
std::optional<ExecStatus> parse_exec_status(std::string_view s) {
  return lookup<ExecStatus>(kStatuses, s);
}
std::optional<Liquidity> parse_liquidity(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return lookup<Liquidity>(kLiquidity, s);
}

std::string_view order_problem(const Order& o) {
  if (o.id.empty()) return "missing client order id";
  if (o.id.size() > kMaxOrderIdBytes) return "client order id longer than 1024 bytes";
  if (o.qty.mantissa <= 0) return "quantity must be positive";
  if (o.qty.to_double() > kMaxOrderQty) return "quantity out of range (above 1e15)";
  if (o.kind == OrderKind::limit && !o.price) return "limit order needs a price";
  if (o.price) {
    if (o.price->mantissa <= 0) return "price must be positive";
    if (o.price->to_double() * o.qty.to_double() > kMaxOrderNotional) {
      return "notional out of range (price x quantity above 1e15)";
    }
    if (o.price->scale + o.qty.scale > kMaxOrderScaleSum) {
      return "price and quantity have more than 18 decimals together (not exact)";
    }
  } else if (o.qty.scale > kMaxMarketQtyScale) {
    return "market order quantity has more than 10 decimals";
  }
  return {};
}

namespace {
template <class Request>
Order request_fields(const Request& r) {
  Order o;
  o.id = r.id;
  o.venue = r.venue;
  o.symbol = r.symbol;
  o.strategy = r.strategy;
  o.ts = r.ts;
  return o;
}
}  // namespace

Order request_of(const Cancel& c) { return request_fields(c); }
Order request_of(const Amend& a) { return request_fields(a); }

OwnedOrder::OwnedOrder(const Order& o)
    : id(o.id), venue(o.venue), symbol(o.symbol), strategy(o.strategy), order(o) {}

Order OwnedOrder::view() const {
  Order o = order;
  o.id = id;
  o.venue = venue;
  o.symbol = symbol;
  o.strategy = strategy;
  return o;
}

}  // namespace ot
