#include "risk/positions.h"

#include "venues/venue.h"

namespace ot {

Amount PositionState::avg_price() const {
  if (qty.is_zero() || cost.is_zero()) return Amount{};
  // Linear: cost / value units. Inverse: USD / coin cost (harmonic mean).
  const Amount units = qty.abs().times(size);
  return inverse ? units.divided_by(cost.abs()) : cost.abs().divided_by(units);
}

Amount PositionState::unrealized() const {
  if (!mark || qty.is_zero() || mark->mantissa <= 0) return Amount{};
  const Amount m = Amount::of(*mark);
  const Amount units = qty.times(size);
  if (inverse) {
    // USD amount: coin value now units/mark against coin cost paid `cost`.
    return cost - units.divided_by(m);
  }
  return units.times(*mark) - cost;
}

Position PositionState::as_event(int decimals) const {
  Position p;
  p.venue = venue;
  p.symbol = symbol;
  p.ts = ts;
  p.qty = qty.to_decimal(18).value_or(Decimal{});
  p.avg_price = avg_price().to_decimal(decimals).value_or(Decimal{});
  p.realized_pnl = realized.to_decimal(decimals).value_or(Decimal{});
  p.unrealized_pnl = unrealized().to_decimal(decimals).value_or(Decimal{});
  p.fees = fees.to_decimal(decimals).value_or(Decimal{});
  p.mark = mark;
  return p;
}

std::string_view PositionBook::key(std::string_view venue, std::string_view symbol) const {
  key_.assign(venue).push_back('\x1f');
  key_.append(symbol);
  return key_;
}

PositionState& PositionBook::get(std::string_view venue, std::string_view symbol) {
  if (PositionState* p = recent_.find(venue, symbol)) return *p;
  auto it = positions_.find(key(venue, symbol));
  if (it != positions_.end()) return *recent_.put(venue, symbol, &it->second);
  const std::string k(key_);
  PositionState& p = positions_[k];
  p.venue = venue;
  p.symbol = symbol;
  p.inverse = is_inverse(venue, symbol);
  const std::optional<Decimal> size = contract_size(venue, symbol);
  p.size_known = size.has_value();
  p.size = size.value_or(Decimal{1, 0});
  order_.push_back(k);
  return p;
}

const PositionState& PositionBook::fill(std::string_view venue, std::string_view symbol, Side side,
                                        const Decimal& price, const Decimal& qty,
                                        const Decimal& fee, Nanos ts) {
  PositionState& p = get(venue, symbol);
  p.ts = ts;
  p.fees += Amount::of(fee);
  const Amount q = side == Side::buy ? Amount::of(qty) : -Amount::of(qty);
  const Amount px = Amount::of(price);
  // Value of `n` units at this fill's price, in the cost's terms.
  auto value = [&](Amount n) {
    return p.inverse ? n.times(p.size).divided_by(px) : n.times(p.size).times(price);
  };
  if (p.qty.is_zero() || p.qty.sign() == q.sign()) {
    p.qty += q;
    p.cost += value(q);
    return p;
  }
  // Reducing: close min(|pos|, |q|) at the average cost.
  const Amount closing = min(p.qty.abs(), q.abs());
  const Amount closed_signed = p.qty.sign() > 0 ? closing : -closing;
  const Amount cost_closed = p.cost.times(closed_signed.divided_by(p.qty));
  const Amount exit_value = value(closed_signed);
  // Linear: sold for exit_value what cost cost_closed. Inverse: coin paid
  // cost_closed, coin received back closed/price.
  p.realized += p.inverse ? cost_closed - exit_value : exit_value - cost_closed;
  p.cost -= cost_closed;
  p.qty -= closed_signed;
  const Amount rest = q + closed_signed;  // what is left of the fill, same sign as q
  if (!rest.is_zero()) {
    p.qty += rest;
    p.cost = value(rest);
  } else if (p.qty.is_zero()) {
    p.cost = Amount{};
  }
  return p;
}

PositionState* PositionBook::mark(std::string_view venue, std::string_view symbol,
                                  const Decimal& price) {
  PositionState* p = recent_.find(venue, symbol);
  if (p == nullptr) {
    auto it = positions_.find(key(venue, symbol));
    if (it == positions_.end()) return nullptr;
    p = recent_.put(venue, symbol, &it->second);
  }
  p->mark = price;
  return p;
}

const PositionState* PositionBook::find(std::string_view venue, std::string_view symbol) const {
  if (const PositionState* p = recent_.find(venue, symbol)) return p;
  auto it = positions_.find(key(venue, symbol));
  // The cache is the book's own (mutable) memo: it may point at its entries.
  return it == positions_.end()
             ? nullptr
             : recent_.put(venue, symbol, const_cast<PositionState*>(&it->second));
}

std::vector<const PositionState*> PositionBook::all() const {
  std::vector<const PositionState*> out;
  for (const auto& k : order_) out.push_back(&positions_.at(k));
  return out;
}

Amount PositionBook::equity_pnl() const {
  Amount total;
  for (const auto& [k, p] : positions_) total += p.realized + p.unrealized() - p.fees;
  return total;
}

}  // namespace ot
