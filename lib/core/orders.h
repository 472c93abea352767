// The trading half of the event contract (man/ot-events.7): orders, cancels,
// amends, execution reports, positions, portfolio greeks and control
// messages, plus the market events a strategy or risk gate reads as numbers
// (bbo).
//
// Ownership: string_views point into the line or object that produced the
// event and are valid for the call that receives it. Prices and quantities
// are exact decimals; only greeks, which are model outputs, are doubles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/events.h"

namespace ot {

enum class OrderKind { limit, market };
// gtc: rests until canceled; ioc: fills what it can at once, the rest is
// canceled; fok: fills entirely at once or not at all; post_only: rejected
// if it would take liquidity.
enum class Tif { gtc, ioc, fok, post_only };
enum class ExecStatus { new_, partial, filled, canceled, rejected, expired };
enum class Liquidity { none, maker, taker };

std::string_view to_string(Side s);
std::string_view to_string(OrderKind k);
std::string_view to_string(Tif t);
std::string_view to_string(ExecStatus s);
std::string_view to_string(Liquidity l);
std::optional<Side> parse_side(std::string_view s);
std::optional<OrderKind> parse_order_kind(std::string_view s);
std::optional<Tif> parse_tif(std::string_view s);
std::optional<ExecStatus> parse_exec_status(std::string_view s);
std::optional<Liquidity> parse_liquidity(std::string_view s);
// Whether no further execution can follow a report with this status.
inline bool is_final(ExecStatus s) {
  return s == ExecStatus::filled || s == ExecStatus::canceled || s == ExecStatus::rejected ||
         s == ExecStatus::expired;
}

// `order`: a new order. `id` is the client order id, unique per run and
// strategy (re-sending an id is idempotent: the venue never sees it twice).
struct Order {
  std::string_view id;
  std::string_view venue;
  std::string_view symbol;
  Side side = Side::buy;
  OrderKind kind = OrderKind::limit;
  Tif tif = Tif::gtc;
  Decimal qty;
  std::optional<Decimal> price;  // required for limit orders
  bool reduce_only = false;
  std::string_view strategy;
  Nanos ts = 0;
};

// Bounds on what an order may ask for, so that every amount derived from it
// (notional, average price, fee) is exact in Amount (core/amount.h).
inline constexpr std::size_t kMaxOrderIdBytes = 1024;
inline constexpr double kMaxOrderNotional = 1e15;  // |price| x qty, in price units
inline constexpr double kMaxOrderQty = 1e15;
// Decimals of price plus decimals of qty (a limit order's fills are priced
// at its limit or better, on the book's grid), and a market order's qty.
inline constexpr int kMaxOrderScaleSum = 18;
inline constexpr int kMaxMarketQtyScale = 10;

// Why `o` cannot be carried out (empty or over-long id, quantity not
// positive, a limit without a positive price, amounts out of the exact
// range), or empty when it can. The same rules hold in ot-risk, ot-exec and
// the paper venue. The text is static: it outlives `o`.
std::string_view order_problem(const Order& o);

// `cancel`: cancel order `id` (venue and symbol help gateways that need them).
struct Cancel {
  std::string_view id;
  std::string_view venue;
  std::string_view symbol;
  std::string_view strategy;
  Nanos ts = 0;
};

// `amend`: change the price and/or quantity of a resting order. A new price
// or a larger quantity loses queue priority; a smaller quantity keeps it.
struct Amend {
  std::string_view id;
  std::string_view venue;
  std::string_view symbol;
  std::optional<Decimal> qty;
  std::optional<Decimal> price;
  std::string_view strategy;
  Nanos ts = 0;
};

// `exec`: an execution report. price/qty are the last fill's (present when
// the report carries a fill); filled and leaves are cumulative.
struct Exec {
  std::string_view id;
  std::string_view venue;
  std::string_view symbol;
  Side side = Side::buy;
  ExecStatus status = ExecStatus::new_;
  std::optional<Decimal> price;
  std::optional<Decimal> qty;
  Decimal filled;
  Decimal leaves;
  std::optional<Decimal> order_price;  // the order's limit price
  std::optional<Decimal> avg_price;
  std::optional<Decimal> fee;  // of this fill, in the quote (or settlement) currency
  Liquidity liquidity = Liquidity::none;
  std::string_view reason;  // rejects, cancels and expiries
  std::string_view venue_id;
  std::string_view trade_id;
  std::string_view strategy;
  Nanos ts = 0;
  std::optional<std::int64_t> seq;  // publisher's sequence on the fills endpoint
};

// `position`: one instrument's position after a change.
struct Position {
  std::string_view venue;
  std::string_view symbol;
  Decimal qty;  // signed: positive long
  Decimal avg_price;
  Decimal realized_pnl;
  Decimal unrealized_pnl;
  Decimal fees;
  std::optional<Decimal> mark;
  // Options and futures: greeks of the position (model outputs).
  std::optional<double> delta, gamma, vega, theta;
  Nanos ts = 0;
};

// `greeks`: portfolio greeks per venue and underlying.
struct PortfolioGreeks {
  std::string_view venue;
  std::string_view underlying;
  double delta = 0, gamma = 0, vega = 0, theta = 0;
  Nanos ts = 0;
  // The delta hedge, when the underlying has one: ot-risk hedges in
  // `hedge_symbol` once |delta − delta_target| exceeds delta_band.
  std::string_view hedge_symbol;
  double delta_target = 0, delta_band = 0;
};

// `control`: commands to a running program (kill, resume).
struct Control {
  std::string_view command;
  std::string_view target;  // program name, empty for all
  std::string_view detail;
  Nanos ts = 0;
};

// `bbo` (from ot-book) or `quote` (from a venue), as numbers.
struct TopOfBookEvent {
  std::string_view venue;
  std::string_view symbol;
  Nanos ts = 0;
  Nanos recv = 0;
  Decimal bid, bid_qty, ask, ask_qty;
  bool has_bid = false, has_ask = false;
};

// A report that owns its strings (kept past the call that made it: across
// threads, or queued). bind() points the views at the strings after a copy.
struct OwnedExec {
  OwnedExec() = default;
  // A copy of `e` that owns its strings (bound).
  explicit OwnedExec(const Exec& e)
      : exec(e),
        id(e.id),
        venue(e.venue),
        symbol(e.symbol),
        reason(e.reason),
        venue_id(e.venue_id),
        trade_id(e.trade_id),
        strategy(e.strategy) {
    bind();
  }
  Exec exec;
  std::string id, venue, symbol, reason, venue_id, trade_id, strategy;
  void bind() {
    exec.id = id;
    exec.venue = venue;
    exec.symbol = symbol;
    exec.reason = reason;
    exec.venue_id = venue_id;
    exec.trade_id = trade_id;
    exec.strategy = strategy;
  }
};

// A cancel or amend as an Order holding its id, venue, symbol, strategy and
// ts (what a reply to the request names: refusal() in exec/order_tracker.h).
Order request_of(const Cancel& c);
Order request_of(const Amend& a);

// An order that owns its strings.
struct OwnedOrder {
  explicit OwnedOrder(const Order& o);
  Order view() const;
  std::string id, venue, symbol, strategy;
  Order order;
};

}  // namespace ot
