#include "risk/greeks.h"

#include <fmt/format.h>

#include <cmath>

#include "core/amount.h"
#include "venues/venue.h"

namespace ot {

const InstrumentTerms& TermsCache::of(std::string_view venue, std::string_view symbol) {
  if (const InstrumentTerms* t = recent_.find(venue, symbol)) return *t;
  key_.assign(venue).push_back(':');
  key_.append(symbol);
  auto it = terms_.find(key_);
  if (it == terms_.end()) {
    InstrumentTerms t{contract_size(venue, symbol), is_inverse(venue, symbol),
                      describe_instrument(venue, symbol)};
    it = terms_.emplace(key_, std::move(t)).first;
  }
  return *recent_.put(venue, symbol, &it->second);
}

std::string_view OptionsBook::key(std::string_view venue, std::string_view name) const {
  key_.assign(venue).push_back(':');
  key_.append(name);
  return key_;
}

bool OptionsBook::price(const Ticker& t0, const Instrument& inst, Nanos now) {
  Ticker t = t0;
  auto found = options_.find(key(t.venue, t.symbol));
  if (found == options_.end()) found = options_.emplace(key_, nullptr).first;
  auto& option = found->second;
  if (!option) {
    option = std::make_unique<OptionGreeks>();
    option->venue = t.venue;
    option->symbol = t.symbol;
    option->instrument = inst;
  }
  auto num = [&](TickerField f) -> std::optional<double> {
    auto d = Decimal::parse(t[f]);
    return d ? std::optional<double>(d->to_double()) : std::nullopt;
  };
  auto iv = num(TickerField::mark_iv);
  auto fwd = num(TickerField::underlying);
  if (!fwd) fwd = num(TickerField::index);
  if (!iv || !fwd || *fwd <= 0) return false;
  option->iv = *iv / 100.0;
  option->forward = *fwd;
  option->rate = num(TickerField::interest_rate).value_or(0);
  option->greeks =
      black76(option->forward, inst.strike, year_fraction(t.ts.value_or(now), inst.expiry),
              option->iv, option->rate, inst.call());
  option->priced = true;
  return true;
}

const OptionGreeks* OptionsBook::priced(std::string_view venue, std::string_view symbol) const {
  auto it = options_.find(key(venue, symbol));
  return it != options_.end() && it->second->priced ? it->second.get() : nullptr;
}

const OptionsPortfolio* OptionsBook::portfolio(std::string_view k) const {
  auto it = portfolios_.find(k);
  return it == portfolios_.end() ? nullptr : &it->second;
}

bool OptionsBook::has_portfolio(std::string_view venue, std::string_view underlying) const {
  return portfolios_.count(key(venue, underlying)) != 0;
}

const OptionsPortfolio* OptionsBook::recompute(std::string_view venue, std::string_view underlying,
                                               const PositionBook& positions, TermsCache& terms,
                                               const MarkFn& mark, bool premium_adjusted) {
  OptionsPortfolio pf;
  bool any = false;
  for (const auto& [k, option] : options_) {
    const Instrument& inst = option->instrument;
    if (option->venue != venue || inst.underlying != underlying || !option->priced) continue;
    pf.forward = option->forward;
    const PositionState* p = positions.find(option->venue, option->symbol);
    if (p == nullptr || p->qty.is_zero()) continue;
    const double q = p->qty.times(p->size).to_double();
    const Greeks& g = option->greeks;
    pf.delta += q * (premium_adjusted && inst.inverse ? g.delta_pa : g.delta);
    pf.gamma += q * g.gamma;
    pf.vega += q * g.vega;
    pf.theta += q * g.theta;
    any = true;
  }
  for (const PositionState* p : positions.all()) {
    if (p->venue != venue || p->qty.is_zero()) continue;
    const std::optional<Instrument>& inst = terms.of(p->venue, p->symbol).instrument;
    if (!inst || inst->underlying != underlying || inst->option() ||
        inst->kind == InstrumentKind::spot) {
      continue;
    }
    auto m = mark(p->symbol);
    const double f = m ? m->to_double() : pf.forward;
    if (f <= 0) continue;
    const double units = p->qty.times(p->size).to_double();
    pf.delta += p->inverse ? units / f : units;
    any = true;
  }
  auto it = portfolios_.find(key(venue, underlying));
  if (it == portfolios_.end()) {
    if (!any) return nullptr;
    it = portfolios_.emplace(key_, OptionsPortfolio{}).first;
  } else if (pf.forward == 0) {
    pf.forward = it->second.forward;
  }
  it->second = pf;
  return &it->second;
}

std::string OptionsBook::check(const Order& o, const Instrument& inst, const GreekLimits& g) const {
  if (!g.max_gamma && !g.max_vega) return {};
  const OptionGreeks* option = priced(o.venue, o.symbol);
  if (option == nullptr) return "no greeks yet for " + std::string(o.symbol);
  const double size = inst.contract_size ? inst.contract_size->to_double() : 1.0;
  const double q = o.qty.to_double() * size * (o.side == Side::buy ? 1 : -1);
  const OptionsPortfolio* pf = portfolio(key(o.venue, inst.underlying));
  const double gamma0 = pf ? pf->gamma : 0, vega0 = pf ? pf->vega : 0;
  const double gamma1 = gamma0 + q * option->greeks.gamma;
  const double vega1 = vega0 + q * option->greeks.vega;
  if (g.max_gamma && std::fabs(gamma1) > *g.max_gamma && std::fabs(gamma1) > std::fabs(gamma0)) {
    return fmt::format("portfolio gamma would be {:.6f} (max_gamma {})", gamma1, *g.max_gamma);
  }
  if (g.max_vega && std::fabs(vega1) > *g.max_vega && std::fabs(vega1) > std::fabs(vega0)) {
    return fmt::format("portfolio vega would be {:.4f} (max_vega {})", vega1, *g.max_vega);
  }
  return {};
}

std::optional<HedgeSize> hedge_size(double delta, const GreekLimits& g, const Instrument& hedge,
                                    double price) {
  const double off = delta - g.delta_target;
  if (std::fabs(off) <= g.delta_band || !hedge.contract_size) return std::nullopt;
  const double value = hedge.usd_quantity() ? -off * price : -off;
  const double units = value / hedge.contract_size->to_double();
  HedgeSize h;
  h.side = units > 0 ? Side::buy : Side::sell;
  if (hedge.lot) {
    const auto lots =
        static_cast<std::int64_t>(std::llround(std::fabs(units) / hedge.lot->to_double()));
    if (lots == 0) return std::nullopt;
    h.qty = Decimal{hedge.lot->mantissa * lots, hedge.lot->scale};
  } else {
    h.qty = Amount::from_double(std::fabs(units)).to_decimal(6).value_or(Decimal{});
    if (h.qty.is_zero()) return std::nullopt;
  }
  return h;
}

}  // namespace ot
