// Pieces the built-in strategies share: the instrument's tick, a tracked
// top of book, an exponential moving average in continuous time, and a
// helper that trades a position to a target with one order at a time.
#pragma once

#include <cmath>
#include <numeric>
#include <optional>
#include <string>

#include "strat/strategy.h"

namespace ot::strat {

// Whether an event is for the instrument a strategy trades.
inline bool is_for(std::string_view venue, std::string_view symbol, const std::string& want_venue,
                   const std::string& want_symbol) {
  return symbol == want_symbol && (want_venue.empty() || venue == want_venue);
}

// The last two-sided top of book of one instrument, and its tick. A locked
// top (bid = ask: candle data gives the close on both sides) is valid; a
// crossed one is not.
struct Top {
  Decimal bid, ask, bid_qty, ask_qty;
  bool valid = false;
  Decimal tick{0, 0};  // set, or learned as 10^-scale of the prices seen

  void update(const TopOfBookEvent& e) {
    if (!e.has_bid || !e.has_ask || compare(e.bid, e.ask) > 0) {
      valid = false;
      return;
    }
    bid = e.bid;
    ask = e.ask;
    bid_qty = e.bid_qty;
    ask_qty = e.ask_qty;
    valid = true;
    if (!fixed_tick) learn_tick(e.bid), learn_tick(e.ask);
  }
  // The tick is the greatest common divisor of the prices seen ("7.6110"
  // and "7.6120" give 0.0010), which converges on the venue's increment.
  void learn_tick(const Decimal& p) {
    if (p.mantissa <= 0) return;
    if (tick.is_zero()) {
      tick = p;
      return;
    }
    const int s = std::max(tick.scale, p.scale);
    tick = Decimal{std::gcd(tick.at_scale(s), p.at_scale(s)), s};
  }
  bool fixed_tick = false;
  double mid() const { return 0.5 * (bid.to_double() + ask.to_double()); }
  double tick_size() const { return tick.to_double(); }
};

// EMA with a time constant: each sample weighs 1 - exp(-dt / tau).
struct TimeEma {
  double tau_s = 1;
  double value = 0;
  bool ready = false;
  Nanos last = 0;
  void add(double x, Nanos t) {
    if (!ready) {
      value = x;
      ready = true;
    } else {
      const double dt = static_cast<double>(t - last) * 1e-9;
      const double a = dt > 0 ? 1.0 - std::exp(-dt / tau_s) : 0.0;
      value += a * (x - value);
    }
    last = t;
  }
};

// Moves a position to a target with one order at a time: a marketable IOC
// limit at the touch (or a market order without a book), never a second
// order while one is working.
class TargetTrader {
 public:
  void trade_to(StrategyContext& ctx, const std::string& venue, const std::string& symbol,
                const Decimal& target, const Top& top) {
    if (!working_.empty()) {
      const TrackedOrder* o = ctx.orders().find(working_);
      if (o != nullptr && o->open()) return;
      working_.clear();
    }
    const Decimal pos = ctx.position(venue, symbol);
    const Decimal diff = sub(target, pos);
    if (diff.is_zero()) return;
    OrderRequest r;
    r.venue = venue;
    r.symbol = symbol;
    r.side = diff.mantissa > 0 ? Side::buy : Side::sell;
    r.qty = diff.mantissa > 0 ? diff : negate(diff);
    r.tif = Tif::ioc;
    if (top.valid) r.price = r.side == Side::buy ? top.ask : top.bid;
    working_ = std::string(ctx.submit(r));
  }

 private:
  std::string working_;
};

}  // namespace ot::strat
