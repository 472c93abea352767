#include "backtest/ledger.h"

#include <algorithm>
#include <cmath>

#include "venues/venue.h"

namespace ot {

namespace {
constexpr Nanos kSecond = 1'000'000'000LL;
constexpr Nanos kFundingPeriod = 8 * 3600 * kSecond;
}  // namespace

Ledger::Ledger(const PositionBook& positions, double capital, Nanos bar, BacktestResult& r)
    : positions_(positions), capital_(capital), r_(r), bar_(bar > 0 ? bar : 0) {}

Ledger::~Ledger() = default;

void Ledger::add_target(std::string venue, std::string symbol) {
  targets_.push_back(Target{std::move(venue), std::move(symbol)});
}

void Ledger::on_top(const TopOfBookEvent& t) {
  if (!t.has_bid || !t.has_ask) return;
  Instrument& in = instrument(t.venue, t.symbol, false);
  in.mid = (t.bid.to_double() + t.ask.to_double()) / 2;
  if (in.mark == 0 || !in.funding_rate) in.mark = in.mid;
}

void Ledger::on_ticker(const Ticker& tk) {
  const std::string_view rate = tk.fields[static_cast<int>(TickerField::funding_rate)];
  if (rate.empty()) return;
  Instrument& in = instrument(tk.venue, tk.symbol, false);
  if (auto d = Decimal::parse(rate)) in.funding_rate = d->to_double();
  const std::string_view mark = tk.fields[static_cast<int>(TickerField::mark)];
  if (auto d = Decimal::parse(mark)) in.mark = d->to_double();
}

void Ledger::on_candle(const Candle& k) {
  if (bar_ == 0) bar_ = k.close_time - k.open_time;  // returns per bar
  if (Instrument& in = instrument(k.venue, k.symbol, false); in.mid <= 0) {
    if (auto open = Decimal::parse(k.open)) in.mid = open->to_double();
  }
}

void Ledger::on_order(const Order& o) {
  ++totals_.orders;
  instrument(o.venue, o.symbol, true);
}

void Ledger::on_report(const Exec& e) {
  if (!e.qty || !e.price) return;
  Instrument& in = instrument(e.venue, e.symbol, true);
  const double px = e.price->to_double(), qty = e.qty->to_double();
  const double units = qty * in.size;  // in coin (linear) or USD (inverse)
  ++totals_.fills;
  totals_.volume += in.inverse ? units : px * units;
  if (e.fee) totals_.fees += Amount::of(*e.fee);
  if (const PositionState* p = positions_.find(e.venue, e.symbol)) {
    Amount delta = p->realized;
    delta -= in.realized;
    if (!delta.is_zero()) {
      ++totals_.closing_fills;
      if (delta.to_double() > 0) ++totals_.wins;
    }
    in.realized = p->realized;
  }
  // Holding time, first in first out.
  double q = e.side == Side::buy ? qty : -qty;
  while (q != 0 && !in.lots.empty() && (in.lots.front().qty > 0) != (q > 0)) {
    Lot& lot = in.lots.front();
    const double m = std::min(std::abs(q), std::abs(lot.qty));
    totals_.holding_sum += m * static_cast<double>(e.ts - lot.t);
    totals_.holding_qty += m;
    lot.qty += lot.qty > 0 ? -m : m;
    q += q > 0 ? -m : m;
    if (std::abs(lot.qty) < 1e-12) in.lots.pop_front();
    if (std::abs(q) < 1e-12) q = 0;
  }
  if (q != 0) in.lots.push_back(Lot{q, e.ts});
  r_.fills.push_back(FillPoint{e.ts, in.index, e.side == Side::buy, px, qty});
  fill_encoder_.write(e);  // the line the exec engine would publish
  r_.fill_lines.emplace_back(fill_line_.last);
}

void Ledger::begin(Nanos t) {
  if (start_ != 0) return;
  start_ = t;
  sample(t);  // the starting capital
}

void Ledger::advance(Nanos t, bool inclusive) {
  if (bar_ == 0) bar_ = kSecond;
  while (next_funding_ <= t) {
    if (next_funding_ > 0) pay_funding();
    next_funding_ = (t / kFundingPeriod + 1) * kFundingPeriod;
  }
  if (next_sample_ == 0) next_sample_ = (t / bar_ + 1) * bar_;
  while (next_sample_ < t || (inclusive && next_sample_ == t)) {
    sample(next_sample_);
    next_sample_ += bar_;
  }
}

void Ledger::finish(Nanos t) {
  if (!r_.equity.empty() && r_.equity.back().t == t) r_.equity.pop_back();
  sample(t);
}

double Ledger::pnl() const { return positions_.equity_pnl().to_double() + totals_.funding; }

std::vector<std::pair<std::string, std::string>> Ledger::positions() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& in : instruments_) {
    if (!traded(*in)) continue;
    const PositionState* p = positions_.find(in->venue, in->symbol);
    out.emplace_back(in->venue + " " + in->symbol, p ? p->qty.to_string(8) : std::string("0"));
  }
  return out;
}

void Ledger::pay_funding() {
  for (auto& in : instruments_) {
    if (!in->funding_rate || in->mark <= 0) continue;
    const PositionState* p = positions_.find(in->venue, in->symbol);
    if (!p || p->qty.is_zero()) continue;
    const double qty = p->qty.to_double() * in->size;
    totals_.funding -=
        in->inverse ? qty / in->mark * *in->funding_rate : qty * in->mark * *in->funding_rate;
  }
}

void Ledger::sample(Nanos t) {
  EquityPoint p;
  p.t = t;
  p.equity = capital_ + pnl();
  peak_ = std::max(peak_, p.equity);
  p.drawdown = peak_ > 0 ? (peak_ - p.equity) / peak_ : 0;
  for (const auto& in : instruments_) {
    if (!traded(*in)) continue;
    const PositionState* ps = positions_.find(in->venue, in->symbol);
    p.position.push_back(ps ? ps->qty.to_double() : 0);
    p.price.push_back(in->mid);
  }
  r_.equity.push_back(std::move(p));
}

Ledger::Instrument* Ledger::find(std::string_view venue, std::string_view symbol) {
  if (Instrument* in = recent_.find(venue, symbol)) return in;
  key_.assign(venue).push_back('\x1f');
  key_.append(symbol);
  auto it = by_key_.find(key_);
  return it == by_key_.end() ? nullptr : recent_.put(venue, symbol, it->second);
}

Ledger::Instrument& Ledger::instrument(std::string_view venue, std::string_view symbol,
                                       bool trading) {
  Instrument* in = find(venue, symbol);
  if (!in) {
    auto owned = std::make_unique<Instrument>();
    owned->venue = venue;
    owned->symbol = symbol;
    owned->index = kUntraded;
    owned->inverse = is_inverse(venue, symbol);
    owned->size = contract_size(venue, symbol).value_or(Decimal{1, 0}).to_double();
    in = owned.get();
    by_key_.emplace(key_, in);
    instruments_.push_back(std::move(owned));
    trading = trading || std::any_of(targets_.begin(), targets_.end(), [&](const Target& t) {
                return t.symbol == symbol && (t.venue.empty() || t.venue == venue);
              });
  }
  if (trading && !traded(*in)) {
    in->index = r_.symbols.size();
    r_.symbols.push_back(in->venue + " " + in->symbol);
  }
  return *in;
}

}  // namespace ot
