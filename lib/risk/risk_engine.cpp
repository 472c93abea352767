#include "risk/risk_engine.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cmath>

#include "core/event_tally.h"

namespace ot {

namespace {
constexpr EventTypes kMain = {EventType::bbo,   EventType::quote,  EventType::ticker,
                              EventType::order, EventType::cancel, EventType::amend,
                              EventType::exec,  EventType::control};
constexpr EventTypes kFeedback = {EventType::exec};
constexpr Nanos kSecond = 1'000'000'000;
}  // namespace

RiskEngine::RiskEngine(RiskLimits limits, LineSink& out, Diagnostics& diag)
    : limits_(std::move(limits)),
      out_(out),
      diag_(diag),
      decoder_(kMain),
      feedback_decoder_(kFeedback),
      encoder_(out) {
  tokens_ = limits_.account.order_burst;
  limits_.apply_contract_sizes();
}

RiskEngine::~RiskEngine() = default;

std::string RiskEngine::key(std::string_view venue, std::string_view symbol) {
  std::string k(venue);
  k.push_back(':');
  k.append(symbol);
  return k;
}

std::string_view RiskEngine::mark_key(std::string_view venue, std::string_view symbol) const {
  key_.assign(venue).push_back(':');
  key_.append(symbol);
  return key_;
}

std::optional<Decimal> RiskEngine::mid(std::string_view venue, std::string_view symbol) const {
  auto it = mids_.find(mark_key(venue, symbol));
  if (it == mids_.end()) return std::nullopt;
  return it->second;
}

void RiskEngine::status(std::string_view event, std::string_view detail) {
  Status s;
  s.venue = "risk";
  s.ts = now_;
  s.event = event;
  s.detail = detail;
  encoder_.on_status(s);
}

bool RiskEngine::process_line(std::string_view line, std::string_view source,
                              std::uint64_t line_number) {
  ++stats_.lines;
  if (is_blank(line)) return true;
  if (auto decoded = decoder_.decode(line, ev_); !decoded) {
    ++stats_.malformed;
    diag_.error(line_number > 0 ? fmt::format("{}:{}", source, line_number) : std::string(source),
                decoded.error().message());
    // The gate answers a request it cannot read; nothing of it goes on.
    if (auto request = request_in(ev_)) reject(*request, decoded.error().message());
    return false;
  }
  switch (ev_.kind) {
    case EventType::order:
      on_order(ev_.order, line);
      return true;
    case EventType::control:
      if (!ev_.control.target.empty() && ev_.control.target != "ot-risk") break;
      if (ev_.control.ts > now_) now_ = ev_.control.ts;
      if (ev_.control.command == "kill") {
        kill(ev_.control.detail.empty() ? "control message" : ev_.control.detail);
      } else if (ev_.control.command == "resume") {
        resume(ev_.control.detail.empty() ? "control message" : ev_.control.detail);
      } else {
        diag_.warning(
            line_number > 0 ? fmt::format("{}:{}", source, line_number) : std::string(source),
            fmt::format("unknown control command '{}' (kill, resume)", ev_.control.command));
      }
      return true;  // consumed
    case EventType::amend: {
      if (ev_.amend.ts > now_) now_ = ev_.amend.ts;
      const TrackedOrder* t = tracker_.find(ev_.amend.id);
      if (t == nullptr) {
        reject(request_of(ev_.amend), "amend: unknown order");
        return true;
      }
      // The order's own working quantity is not additional exposure.
      const Order o = amended(*t, ev_.amend);
      const std::string_view problem = order_problem(o);
      const std::string why = problem.empty() ? check(o, t->id) : std::string(problem);
      if (!why.empty()) {
        reject(request_of(ev_.amend), "amend rejected: " + why);
        return true;
      }
      break;
    }
    case EventType::cancel:
      ++stats_.cancels;
      break;
    case EventType::bbo:
    case EventType::quote:
      on_top(ev_.top);
      break;
    case EventType::ticker:
      pass_on(out_, ev_, line);
      on_ticker(ev_.ticker);
      return true;
    case EventType::exec:
      pass_on(out_, ev_, line);
      on_exec(ev_.exec);
      return true;
    default:
      break;
  }
  pass_on(out_, ev_, line);
  return true;
}

void RiskEngine::process_feedback(std::string_view line) {
  if (auto decoded = feedback_decoder_.decode(line, fb_); !decoded) {
    diag_.error("executions endpoint", decoded.error().message());
    return;
  }
  if (!fb_.decoded) return;
  on_feedback(fb_.exec);
}

void RiskEngine::on_feedback(const Exec& e) {
  if (e.seq) {
    if (*e.seq <= last_seq_) return;
    if (last_seq_ > 0 && *e.seq != last_seq_ + 1) {
      diag_.error("executions endpoint",
                  fmt::format("reports {}..{} missing", last_seq_ + 1, *e.seq - 1));
      status("gap", "execution reports missing on the executions endpoint");
    }
    last_seq_ = *e.seq;
  }
  on_exec(e);
}

void RiskEngine::on_top(const TopOfBookEvent& t) {
  const Nanos ts = t.recv != 0 ? t.recv : t.ts;
  if (ts > now_) now_ = ts;
  if (!t.has_bid || !t.has_ask) return;
  const int s = std::max(t.bid.scale, t.ask.scale) + 1;
  Decimal m{(t.bid.at_scale(s) + t.ask.at_scale(s)) / 2, s};
  if (m.mantissa % 10 == 0) m = Decimal{m.mantissa / 10, s - 1};
  // One key per top of book, built in place: no allocation once seen.
  Decimal* mid = recent_mids_.find(t.venue, t.symbol);
  if (mid == nullptr) {
    auto it = mids_.find(mark_key(t.venue, t.symbol));
    if (it == mids_.end()) it = mids_.emplace(key_, m).first;
    mid = recent_mids_.put(t.venue, t.symbol, &it->second);
  }
  *mid = m;
  if (PositionState* p = positions_.mark(t.venue, t.symbol, m)) {
    mark_key(t.venue, t.symbol);
    Nanos& last = position_emitted_[key_];
    if (!p->qty.is_zero() && now_ - last >= kSecond) emit_position(*p);
    update_pnl();
  }
}

void RiskEngine::on_ticker(const Ticker& t) {
  if (t.ts && *t.ts > now_) now_ = *t.ts;
  if (t.recv > now_) now_ = t.recv;
  const std::optional<Instrument>& inst = terms_.of(t.venue, t.symbol).instrument;
  if (!inst || inst->kind == InstrumentKind::spot) return;
  Ticker fields = t;
  const std::optional<Decimal> mark = Decimal::parse(fields[TickerField::mark]);
  if (!inst->option()) {
    // Futures and perpetual tickers mark the hedge instrument.
    if (mark) {
      const std::string_view k = mark_key(t.venue, t.symbol);
      auto it = mids_.find(k);
      if (it == mids_.end()) {
        mids_.emplace(std::string(k), *mark);
      } else {
        it->second = *mark;
      }
    }
    return;
  }
  if (!options_.price(t, *inst, now_)) return;
  if (mark) positions_.mark(t.venue, t.symbol, *mark);
  recompute_greeks(t.venue, inst->underlying);
}

void RiskEngine::recompute_greeks(std::string_view venue, const std::string& underlying) {
  const GreekLimits* g = limits_.for_underlying(venue, underlying);
  const OptionsPortfolio* pf = options_.recompute(
      venue, underlying, positions_, terms_,
      [&](std::string_view symbol) { return mid(venue, symbol); },
      g == nullptr || g->premium_adjusted);
  if (pf == nullptr) return;
  PortfolioGreeks e;
  e.venue = venue;
  e.underlying = underlying;
  e.delta = pf->delta;
  e.gamma = pf->gamma;
  e.vega = pf->vega;
  e.theta = pf->theta;
  e.ts = now_;
  const bool hedged = g != nullptr && g->delta_band > 0;
  if (hedged) {
    e.hedge_symbol = g->hedge_symbol;
    e.delta_target = g->delta_target;
    e.delta_band = g->delta_band;
  }
  encoder_.write(e);
  if (hedged) hedge(venue, underlying, *g, *pf);
}

void RiskEngine::hedge(std::string_view venue, const std::string& underlying, const GreekLimits& g,
                       const OptionsPortfolio& pf) {
  if (killed_) return;
  const std::string pk = key(venue, underlying);
  auto it = hedge_orders_.find(pk);
  if (it != hedge_orders_.end()) {
    const TrackedOrder* o = tracker_.find(it->second);
    if (o != nullptr && o->open()) return;  // one hedge at a time
    hedge_orders_.erase(it);
  }
  auto hedge_mid = mid(venue, g.hedge_symbol);
  const double f = hedge_mid ? hedge_mid->to_double() : pf.forward;
  if (f <= 0) return;
  // A hedge symbol its venue does not describe is taken as linear.
  const InstrumentTerms& terms = terms_.of(venue, g.hedge_symbol);
  Instrument linear;
  linear.contract_size = terms.size;
  const auto size = hedge_size(pf.delta, g, terms.instrument ? *terms.instrument : linear, f);
  if (!size) return;
  Order o;
  o.venue = venue;
  o.symbol = g.hedge_symbol;
  o.kind = OrderKind::market;
  o.tif = Tif::ioc;
  o.strategy = "hedge";
  o.ts = now_;
  o.side = size->side;
  o.qty = size->qty;
  id_ = fmt::format("hedge-{}-{}", underlying, next_hedge_++);
  o.id = id_;
  tracker_.add(o);
  hedge_orders_[pk] = id_;
  ++stats_.hedges;
  encoder_.write(o);
}

std::string RiskEngine::check(const Order& o, std::string_view replaces) {
  if (killed_) return "kill switch: " + kill_reason_;
  const InstrumentTerms& terms = terms_.of(o.venue, o.symbol);
  if (!terms.size) {
    return fmt::format("contract size of {} {} unknown: give it under [contracts] in the limits",
                       o.venue, o.symbol);
  }
  const SymbolLimits& l = limits_.for_symbol(o.venue, o.symbol);
  const auto m = mid(o.venue, o.symbol);
  if (l.max_order_qty && compare(o.qty, *l.max_order_qty) > 0) {
    return fmt::format("quantity {} above max_order_qty {}", o.qty.to_string(),
                       l.max_order_qty->to_string());
  }
  if (l.price_collar_bps) {
    if (!m) return "no reference price for the price collar";
    if (o.price) {
      const double dev = std::fabs(o.price->to_double() - m->to_double()) / m->to_double() * 1e4;
      if (dev > *l.price_collar_bps) {
        return fmt::format("price {} is {:.1f} bp from the mid {}, collar {} bp",
                           o.price->to_string(), dev, m->to_string(), *l.price_collar_bps);
      }
    }
  }
  if (l.max_notional) {
    const std::optional<Decimal> px = o.price ? o.price : m;
    if (!px) return "no reference price for the notional limit";
    // In the instrument's value unit: USD for inverse contracts, the quote
    // currency for linear ones.
    const Amount units = Amount::of(o.qty).times(*terms.size);
    const Amount notional = terms.inverse ? units : units.times(*px);
    if (notional > Amount::of(*l.max_notional)) {
      return fmt::format("notional {} above max_notional {}", notional.to_string(8),
                         l.max_notional->to_string());
    }
  }
  // Only this instrument's open orders are looked at: the others count.
  long open_symbol = 0;
  long open_all = static_cast<long>(tracker_.open_count());
  if (!replaces.empty()) {
    const TrackedOrder* r = tracker_.find(replaces);
    if (r != nullptr && r->open()) --open_all;
  }
  Decimal same_side{0, 0};
  std::string self_trade;
  tracker_.for_each_open_in(o.venue, o.symbol, [&](const TrackedOrder& t) {
    if (t.id == replaces) return;
    ++open_symbol;
    if (t.side == o.side) {
      same_side = add(same_side, t.leaves());
    } else if (l.self_trade_reject && t.price && self_trade.empty()) {
      const bool crosses = !o.price || (o.side == Side::buy ? compare(*o.price, *t.price) >= 0
                                                            : compare(*o.price, *t.price) <= 0);
      if (crosses) self_trade = fmt::format("self-trade: would cross own order {}", t.id);
    }
  });
  if (!self_trade.empty()) return self_trade;
  if (l.max_open_orders && open_symbol >= *l.max_open_orders) {
    return fmt::format("{} open orders on {} (max_open_orders {})", open_symbol, o.symbol,
                       *l.max_open_orders);
  }
  if (limits_.account.max_open_orders && open_all >= *limits_.account.max_open_orders) {
    return fmt::format("{} open orders in all (account max_open_orders {})", open_all,
                       *limits_.account.max_open_orders);
  }
  if (o.reduce_only) {
    // Only what is left of the position after the same side's working
    // reduce-only orders may be closed; never opened or flipped.
    const PositionState* p = positions_.find(o.venue, o.symbol);
    const Amount held = p ? (o.side == Side::sell ? p->qty : -p->qty) : Amount{};
    Amount reducing = Amount::of(o.qty);
    tracker_.for_each_open_in(o.venue, o.symbol, [&](const TrackedOrder& t) {
      if (t.id != replaces && t.reduce_only && t.side == o.side) reducing += Amount::of(t.leaves());
    });
    if (reducing > held) {
      return fmt::format("reduce_only {} {} would not only reduce the position {}",
                         to_string(o.side), o.qty.to_string(), p ? p->qty.to_string() : "0");
    }
  }
  if (l.max_position) {
    const PositionState* p = positions_.find(o.venue, o.symbol);
    Amount worst = p ? p->qty : Amount{};
    const Amount add_q = Amount::of(add(same_side, o.qty));
    worst += o.side == Side::buy ? add_q : -add_q;
    if (worst.abs() > Amount::of(*l.max_position)) {
      return fmt::format("position could reach {} (max_position {})", worst.to_string(),
                         l.max_position->to_string());
    }
  }
  // Options: gamma and vega limits of the underlying's portfolio.
  if (terms.instrument && terms.instrument->option()) {
    const GreekLimits* g = limits_.for_underlying(o.venue, terms.instrument->underlying);
    if (g != nullptr) {
      if (std::string why = options_.check(o, *terms.instrument, *g); !why.empty()) return why;
    }
  }
  return {};
}

void RiskEngine::on_order(const Order& o, std::string_view line) {
  if (!approve(o)) return;
  out_.write_line("order", line);
  tally_out(EventType::order, o.venue);
}

bool RiskEngine::approve(const Order& o) {
  ++stats_.orders;
  if (o.ts > now_) now_ = o.ts;
  if (auto problem = order_problem(o); !problem.empty()) {
    ++stats_.invalid;
    diag_.error(fmt::format("order {}", o.id.substr(0, 64)), problem);
    reject(o, problem);
    return false;
  }
  std::string why = check(o);
  if (why.empty() && limits_.account.order_rate > 0) {
    const double dt = tokens_at_ == 0 ? 0 : static_cast<double>(now_ - tokens_at_) * 1e-9;
    tokens_ = std::min(limits_.account.order_burst, tokens_ + dt * limits_.account.order_rate);
    tokens_at_ = now_;
    if (tokens_ < 1.0) {
      why = fmt::format("order rate above {} per second", limits_.account.order_rate);
    } else {
      tokens_ -= 1.0;
    }
  }
  if (why.empty() && !tracker_.add(o)) why = "duplicate client order id";
  if (!why.empty()) {
    reject(o, why);
    return false;
  }
  ++stats_.approved;
  return true;
}

void RiskEngine::reject(const Order& request, std::string_view reason) {
  ++stats_.rejected;
  encoder_.write(refusal(tracker_, request, reason, now_));
}

void RiskEngine::on_exec(const Exec& e) {
  if (e.ts > now_) now_ = e.ts;
  if (tracker_.find(e.id) == nullptr) {
    // An order this run did not approve: one approved before a restart (the
    // executions are read again from the stream's start), or sent around
    // the gate. Its fills are the account's all the same.
    if (e.status == ExecStatus::rejected || e.venue.empty() || e.symbol.empty()) return;
    tracker_.add(order_of(e));
    ++stats_.adopted;
  }
  auto r = tracker_.apply(e);
  if (r.kind != OrderTracker::Applied::ok) return;
  if (r.order->open()) tracker_.amend(e.id, add(e.filled, e.leaves), e.order_price);
  if (!e.qty || !e.price || e.qty->mantissa <= 0) return;
  ++stats_.fills;
  const PositionState& p =
      positions_.fill(e.venue, e.symbol, e.side, *e.price, *e.qty, e.fee.value_or(Decimal{}), e.ts);
  if (auto m = mid(e.venue, e.symbol)) positions_.mark(e.venue, e.symbol, *m);
  emit_position(p);
  update_pnl();
  const std::optional<Instrument>& inst = terms_.of(e.venue, e.symbol).instrument;
  if (inst && (inst->option() || options_.has_portfolio(e.venue, inst->underlying))) {
    recompute_greeks(e.venue, inst->underlying);
  }
}

void RiskEngine::emit_position(const PositionState& p) {
  Position ev = p.as_event();
  ev.ts = now_;
  if (const OptionGreeks* option = options_.priced(p.venue, p.symbol)) {
    const double q = p.qty.times(p.size).to_double();
    ev.delta = q * option->greeks.delta;
    ev.gamma = q * option->greeks.gamma;
    ev.vega = q * option->greeks.vega;
    ev.theta = q * option->greeks.theta;
  }
  encoder_.write(ev);
  // Looked up by the scratch key: a key string is made once per instrument.
  auto emitted = position_emitted_.find(mark_key(p.venue, p.symbol));
  if (emitted == position_emitted_.end()) {
    position_emitted_.emplace(key_, now_);
  } else {
    emitted->second = now_;
  }
}

void RiskEngine::update_pnl() {
  const Amount pnl = positions_.equity_pnl();
  const std::int64_t day = now_ / (86400 * kSecond);
  if (day != day_) {
    day_ = day;
    day_start_pnl_ = pnl;
  }
  if (!have_peak_ || pnl > peak_pnl_) peak_pnl_ = pnl, have_peak_ = true;
  const auto& a = limits_.account;
  if (a.daily_loss && day_start_pnl_ - pnl >= Amount::of(*a.daily_loss)) {
    kill(fmt::format("daily loss {} reached the limit {}", (day_start_pnl_ - pnl).to_string(8),
                     a.daily_loss->to_string()));
  } else if (a.max_drawdown && peak_pnl_ - pnl >= Amount::of(*a.max_drawdown)) {
    kill(fmt::format("drawdown {} reached the limit {}", (peak_pnl_ - pnl).to_string(8),
                     a.max_drawdown->to_string()));
  }
}

void RiskEngine::kill(std::string_view reason) {
  if (killed_) return;
  killed_ = true;
  kill_reason_ = reason;
  ++stats_.kills;
  diag_.error("kill switch", reason);
  status("kill", reason);
  for (const TrackedOrder* t : tracker_.open_orders()) {
    Cancel c;
    c.id = t->id;
    c.venue = t->venue;
    c.symbol = t->symbol;
    c.strategy = "risk";
    c.ts = now_;
    encoder_.write(c);
  }
}

void RiskEngine::resume(std::string_view reason) {
  if (!killed_) return;
  killed_ = false;
  diag_.warning("kill switch", fmt::format("released: {}", reason));
  status("resume", reason);
  // The loss limits count again from here.
  day_start_pnl_ = peak_pnl_ = positions_.equity_pnl();
}

void RiskEngine::poll_kill_file(Nanos mono_now) {
  if (kill_file_checked_ >= 0 && mono_now - kill_file_checked_ < 100'000'000) return;
  kill_file_checked_ = mono_now;
  check_kill_file();
}

void RiskEngine::check_kill_file() {
  if (killed_ || limits_.account.kill_file.empty()) return;
  struct stat st {};
  if (::stat(limits_.account.kill_file.c_str(), &st) == 0) {
    kill("kill file " + limits_.account.kill_file + " exists");
  }
}

}  // namespace ot
