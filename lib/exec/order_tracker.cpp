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
  // One look-up: the id goes in unless it is already known.
  auto [it, inserted] = orders_.try_emplace(std::string(o.id));
  if (!inserted) return false;
  TrackedOrder& t = it->second;
  t.id = it->first;
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
  t.added = added_++;
  open_.emplace_back(t.added, &t);  // the newest number: the vector stays sorted
  auto* list = recent_markets_.find(t.venue, t.symbol);
  if (list == nullptr) {
    const std::string_view mk = market_key(t.venue, t.symbol);
    auto m = open_by_market_.find(mk);
    if (m == open_by_market_.end())
      m = open_by_market_.emplace(std::string(mk), std::vector<TrackedOrder*>{}).first;
    list = recent_markets_.put(t.venue, t.symbol, &m->second);
  }
  list->push_back(&t);
  t.market_open = list;
  return true;
}

std::string_view OrderTracker::market_key(std::string_view venue, std::string_view symbol) const {
  market_key_.assign(venue).push_back('\x1f');
  market_key_.append(symbol);
  return market_key_;
}

const std::vector<TrackedOrder*>* OrderTracker::open_in(std::string_view venue,
                                                        std::string_view symbol) const {
  if (const auto* list = recent_markets_.find(venue, symbol)) return list;
  auto m = open_by_market_.find(market_key(venue, symbol));
  if (m == open_by_market_.end()) return nullptr;
  // The map's nodes stay put and are never erased: the cache may point at them.
  return recent_markets_.put(venue, symbol, const_cast<std::vector<TrackedOrder*>*>(&m->second));
}

// An order reached a final state: off the open list, and the oldest final
// orders beyond the ones kept are forgotten.
void OrderTracker::closed(TrackedOrder& o) {
  const auto at = std::lower_bound(open_.begin(), open_.end(), o.added,
                                   [](const std::pair<std::uint64_t, TrackedOrder*>& x,
                                      std::uint64_t n) { return x.first < n; });
  if (at != open_.end() && at->second == &o) open_.erase(at);
  if (auto* list = o.market_open) {
    const auto it = std::find(list->begin(), list->end(), &o);
    if (it != list->end()) list->erase(it);
    o.market_open = nullptr;
  }
  if (keep_final_ == kKeepAll) return;
  finals_.push_back(&o);
  while (finals_.size() > keep_final_ && finals_.size() > 1) {
    orders_.erase(orders_.find(finals_.front()->id));  // found by view: no copy of the id
    finals_.pop_front();
  }
}

OrderTracker::Outcome OrderTracker::apply(const Exec& e) {
  Outcome r;
  auto it = orders_.find(e.id);
  if (it == orders_.end()) {
    r.kind = Applied::refused;
    r.reason = "unknown order id";
    return r;
  }
  TrackedOrder& o = it->second;
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
  if (has_fill && o.acked && compare(e.filled, o.filled) == 0) {
    // A fill always moves the cumulative filled: this one was counted (a
    // redelivered or republished report).
    r.kind = Applied::duplicate;
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
  if (was_open && !o.open()) closed(o);
  return r;
}

void OrderTracker::amend(std::string_view id, const std::optional<Decimal>& qty,
                         const std::optional<Decimal>& price) {
  auto it = orders_.find(id);
  if (it == orders_.end()) return;
  TrackedOrder& o = it->second;
  if (qty) o.qty = *qty;
  if (price) o.price = *price;
}

const TrackedOrder* OrderTracker::find(std::string_view id) const {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

std::vector<const TrackedOrder*> OrderTracker::open_orders() const {
  std::vector<const TrackedOrder*> out;
  out.reserve(open_.size());
  for (const auto& [n, o] : open_) out.push_back(o);
  return out;
}

Exec refusal(const OrderTracker& tracker, const Order& request, std::string_view reason, Nanos ts) {
  Exec e;
  e.reason = reason;
  e.ts = ts;
  if (const TrackedOrder* t = tracker.find(request.id)) {
    e.id = t->id;
    e.venue = t->venue;
    e.symbol = t->symbol;
    e.strategy = t->strategy;
    e.side = t->side;
    e.status = t->status;
    e.filled = t->filled;
    e.leaves = t->leaves();
    e.order_price = t->price;
    e.venue_id = t->venue_id;
    return e;
  }
  e.id = request.id;
  e.venue = request.venue;
  e.symbol = request.symbol;
  e.strategy = request.strategy;
  e.side = request.side;
  e.status = ExecStatus::rejected;
  e.filled = Decimal{0, 0};
  e.leaves = Decimal{0, 0};
  e.order_price = request.price;
  return e;
}

Order order_of(const Exec& e) {
  Order o;
  o.id = e.id;
  o.venue = e.venue;
  o.symbol = e.symbol;
  o.side = e.side;
  o.strategy = e.strategy;
  o.qty = ot::add(e.filled, e.leaves);
  o.price = e.order_price;
  o.kind = e.order_price ? OrderKind::limit : OrderKind::market;
  o.ts = e.ts;
  return o;
}

Order amended(const TrackedOrder& t, const Amend& a) {
  Order o = t.as_order();
  if (a.qty) o.qty = *a.qty;
  if (a.price) o.price = *a.price;
  return o;
}

}  // namespace ot
