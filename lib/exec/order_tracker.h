// The order state machine shared by ot-exec, ot-risk and strategies: one
// record per client order id, advanced by execution reports.
//
//   sent ──► new ──► partial ──► filled
//     │       │  ╲      │  ╲
//     │       │   ╲     │   ╲──► canceled / expired
//     └───────┴────┴────┴──────► rejected (only before any fill)
//
// A report that cannot follow the current state (a fill past the order's
// quantity, anything after a final state other than an identical repeat) is
// refused with a reason and changes nothing; a repeat of the last report
// (a duplicated ack) and a fill that does not move the cumulative filled (a
// redelivered or republished fill) are recognized and ignored.
//
// Thread-safety: none; one tracker per owner.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/amount.h"
#include "core/orders.h"
#include "core/string_map.h"

namespace ot {

struct TrackedOrder {
  std::string id, venue, symbol, strategy, venue_id;
  Side side = Side::buy;
  OrderKind kind = OrderKind::limit;
  Tif tif = Tif::gtc;
  Decimal qty;
  std::optional<Decimal> price;
  bool reduce_only = false;
  bool acked = false;  // a report from the venue has been seen
  ExecStatus status = ExecStatus::new_;
  Decimal filled{0, 0};
  Amount notional;  // Σ fill price × qty
  Amount fees;
  Nanos ts = 0;             // order time
  Nanos updated = 0;        // last report time
  std::uint64_t added = 0;  // the tracker's count when it was added
  // The tracker's list of its instrument's open orders (while open).
  std::vector<TrackedOrder*>* market_open = nullptr;

  Decimal leaves() const;
  bool open() const { return !is_final(status); }
  // Order as an event (views into this record).
  Order as_order() const;
};

class OrderTracker {
 public:
  enum class Applied { ok, duplicate, refused };
  struct Outcome {
    Applied kind = Applied::ok;
    std::string reason;  // for refused
    const TrackedOrder* order = nullptr;
  };

  // `keep_final`: how many orders in a final state to remember (the most
  // recent ones) besides every open order; older final orders are forgotten,
  // so a long session's tracker stays small. The default keeps everything.
  explicit OrderTracker(std::size_t keep_final = kKeepAll) : keep_final_(keep_final) {}
  static constexpr std::size_t kKeepAll = static_cast<std::size_t>(-1);

  // Records a new order (status new, not yet acked). False if the id is
  // already known.
  bool add(const Order& o);
  // Advances the order named by e.id. The record in the result stays valid
  // until the next add or apply.
  Outcome apply(const Exec& e);
  // Updates a resting order's terms after an accepted amend.
  void amend(std::string_view id, const std::optional<Decimal>& qty,
             const std::optional<Decimal>& price);

  const TrackedOrder* find(std::string_view id) const;
  std::size_t open_count() const { return open_.size(); }
  // Open orders, in the order they were added.
  std::vector<const TrackedOrder*> open_orders() const;
  // Calls fn(const TrackedOrder&) for each open order, in order; no
  // allocation, and no look at orders already final.
  template <class Fn>
  void for_each_open(Fn&& fn) const {
    for (const auto& [n, o] : open_) fn(*o);
  }
  // The same for the open orders of one instrument only: as many steps as
  // it has open orders, however many the others have.
  template <class Fn>
  void for_each_open_in(std::string_view venue, std::string_view symbol, Fn&& fn) const {
    if (const auto* list = open_in(venue, symbol)) {
      for (const TrackedOrder* o : *list) fn(*o);
    }
  }
  std::size_t open_count_in(std::string_view venue, std::string_view symbol) const {
    const auto* list = open_in(venue, symbol);
    return list ? list->size() : 0;
  }
  // Orders held (every open one and the final ones kept).
  std::size_t size() const { return orders_.size(); }

 private:
  void closed(TrackedOrder& o);
  const std::vector<TrackedOrder*>* open_in(std::string_view venue, std::string_view symbol) const;
  // "venue\x1fsymbol" in a scratch buffer (no allocation per look-up).
  std::string_view market_key(std::string_view venue, std::string_view symbol) const;

  std::size_t keep_final_;
  std::uint64_t added_ = 0;
  StringMap<TrackedOrder> orders_;  // by id; nodes stay put
  // Open orders by the number they were added with, ascending.
  std::vector<std::pair<std::uint64_t, TrackedOrder*>> open_;
  std::deque<const TrackedOrder*> finals_;  // oldest first, when not keeping all
  // Open orders per instrument, in the order they were added.
  StringMap<std::vector<TrackedOrder*>> open_by_market_;
  mutable RecentKeys<std::vector<TrackedOrder*>> recent_markets_;
  mutable std::string market_key_;
};

// The report that answers a request that cannot be carried out, `reason`
// saying why. For an id the tracker holds, that order's current state is
// restated (status, filled, leaves and price unchanged, no fill), so every
// tracker takes it as a repeat and the working order stays as it is. For
// any other id it is `rejected`, with the request's venue, symbol and side.
// A cancel or amend is passed as an Order holding its id, venue, symbol and
// strategy. The views point into the tracker's record and `request`.
Exec refusal(const OrderTracker& tracker, const Order& request, std::string_view reason, Nanos ts);
// The order a report describes (id, venue, symbol, side, strategy, quantity
// filled + leaves, the limit price; market when it has none), for a
// tracker that adopts an order another run placed. Views into `e`.
Order order_of(const Exec& e);
// The order `t` would be after amend `a` (views into both).
Order amended(const TrackedOrder& t, const Amend& a);

}  // namespace ot
