#include "exec/order_tracker.h"

#include <algorithm>

namespace ot {

Decimal TrackedOrder::leaves() const {
  if (!open()) return Decimal{0, qty.scale};
  Decimal l = sub(qty, filled);
  return l.mantissa < 0 ? Decimal{0, l.scale} : l;
}

Order TrackedOrder::as_order() const {
  Order o;
  o.id = id;
  o.venue = venue;
  o.symbol = symbol;
  o.side = side;
  o.kind = kind;
  o.tif = tif;
  o.qty = qty;
  o.price = price;
  o.reduce_only = reduce_only;
  o.strategy = strategy;
  o.ts = ts;
  return o;
}

bool OrderTracker::add(const Order& o) {
  const std::size_t n = orders_.size();
  TrackedOrder& t = orders_.emplace_back();  // in place: no strings moved
  t.id = o.id;
  t.venue = o.venue;
  t.symbol = o.symbol;
  t.strategy = o.strategy;
  t.side = o.side;
  t.kind = o.kind;
  t.tif = o.tif;
  t.qty = o.qty;
  t.price = o.price;
  t.reduce_only = o.reduce_only;
  t.ts = o.ts;
  t.updated = o.ts;
  // One look-up: the id goes in unless it is already known.
  if (!index_.emplace(t.id, n).second) {
    orders_.pop_back();
    return false;
  }
  open_.push_back(n);  // the newest index: the vector stays sorted
  return true;
}

OrderTracker::Result OrderTracker::apply(const Exec& e) {
  Result r;
  auto it = index_.find(e.id);
  if (it == index_.end()) {
    r.kind = Applied::refused;
    r.reason = "unknown order id";
    return r;
  }
  TrackedOrder& o = orders_[it->second];
  r.order = &o;
  const bool has_fill = e.qty && e.qty->mantissa > 0;
  if (is_final(o.status) && o.acked) {
    // Identical repeat of the final report (a duplicated message) is benign.
    if (e.status == o.status && compare(e.filled, o.filled) == 0) {
      r.kind = Applied::duplicate;
    } else {
      r.kind = Applied::refused;
      r.reason = "report after final state " + std::string(to_string(o.status));
    }
    return r;
  }
  if (e.status == ExecStatus::rejected && compare(o.filled, Decimal{0, 0}) > 0) {
    r.kind = Applied::refused;
    r.reason = "reject after a fill";
    return r;
  }
  const bool same_terms = compare(ot::add(e.filled, e.leaves), o.qty) == 0 &&
                          (!e.order_price || !o.price || compare(*e.order_price, *o.price) == 0);
  if (e.status == o.status && o.acked && !has_fill && compare(e.filled, o.filled) == 0 &&
      same_terms) {
    // A second ack (or an amend confirmation) changes nothing we track.
    r.kind = Applied::duplicate;
    o.updated = e.ts;
    return r;
  }
  if (compare(e.filled, o.filled) < 0) {
    r.kind = Applied::refused;
    r.reason = "cumulative filled went down";
    return r;
  }
  if (compare(e.filled, o.qty) > 0) {
    r.kind = Applied::refused;
    r.reason = "filled exceeds order quantity";
    return r;
  }
  if (has_fill && e.price) {
    // The cumulative filled is the venue's truth; the fill's own qty prices it.
    o.notional += Amount::product(*e.price, *e.qty);
  }
  if (e.fee) o.fees += Amount::of(*e.fee);
  o.filled = e.filled;
  o.acked = true;
  if (!e.venue_id.empty()) o.venue_id = e.venue_id;
  o.updated = e.ts;
  const bool was_open = o.open();
  o.status = e.status;
  if (was_open && !o.open()) {
    const auto at = std::lower_bound(open_.begin(), open_.end(), it->second);
    if (at != open_.end() && *at == it->second) open_.erase(at);
  }
  return r;
}

void OrderTracker::amend(std::string_view id, const std::optional<Decimal>& qty,
                         const std::optional<Decimal>& price) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  TrackedOrder& o = orders_[it->second];
  if (qty) o.qty = *qty;
  if (price) o.price = *price;
}

const TrackedOrder* OrderTracker::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &orders_[it->second];
}

std::vector<const TrackedOrder*> OrderTracker::open_orders() const {
  std::vector<const TrackedOrder*> out;
  out.reserve(open_.size());
  for (std::size_t i : open_) out.push_back(&orders_[i]);
  return out;
}

}  // namespace ot
