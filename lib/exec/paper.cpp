#include "exec/paper.h"

#include <algorithm>
#include <limits>

#include "venues/venue.h"

namespace ot {

struct PaperVenue::Market {
  std::string venue, symbol;
  bool inverse = false;    // sizes in quote units, settled in the coin
  Decimal size{1, 0};      // one unit of qty in its value unit (contract size)
  Decimal position{0, 0};  // signed: what our fills on this market add up to
  L2Book own_book;
  const L2Book* shared = nullptr;  // the book engine's, when it is shared
  bool has_book = false;
  const L2Book& book() const { return shared ? *shared : own_book; }
  bool bars = false;  // candle data: matched bar by bar
  // Size our taking orders have used at a level, until the venue changes it.
  struct Taken {
    BookSide side;
    Decimal price;
    Decimal qty;
  };
  std::vector<Taken> taken;

  Decimal taken_at(BookSide side, const Decimal& price) const {
    for (const auto& t : taken) {
      if (t.side == side && compare(t.price, price) == 0) return t.qty;
    }
    return Decimal{0, 0};
  }
  void add_taken(BookSide side, const Decimal& price, const Decimal& qty) {
    for (auto& t : taken) {
      if (t.side == side && compare(t.price, price) == 0) {
        t.qty = add(t.qty, qty);
        return;
      }
    }
    taken.push_back(Taken{side, price, qty});
  }
  void forget_taken(BookSide side, const Decimal& price) {
    std::erase_if(taken, [&](const Taken& t) { return t.side == side && t.price == price; });
  }
};

struct PaperVenue::Working {
  std::string id, venue, symbol, strategy, venue_id;
  Side side = Side::buy;
  OrderKind kind = OrderKind::limit;
  Tif tif = Tif::gtc;
  bool reduce_only = false;
  Decimal qty;
  Decimal filled{0, 0};
  std::optional<Decimal> price;
  Decimal queue_ahead{0, 0};
  bool queue_unknown = false;  // restored before any book: set at the next one
  Amount notional;
  Market* market = nullptr;
  bool done = false;

  static std::unique_ptr<Working> of(const Order& o) {
    auto w = std::make_unique<Working>();
    w->id = o.id;
    w->venue = o.venue;
    w->symbol = o.symbol;
    w->strategy = o.strategy;
    w->side = o.side;
    w->kind = o.kind;
    w->tif = o.tif;
    w->reduce_only = o.reduce_only;
    w->qty = o.qty;
    w->price = o.kind == OrderKind::limit ? o.price : std::nullopt;
    return w;
  }
  Decimal leaves() const { return sub(qty, filled); }
  BookSide own_side() const { return side == Side::buy ? BookSide::bid : BookSide::ask; }
  BookSide other_side() const { return side == Side::buy ? BookSide::ask : BookSide::bid; }
  // Whether a level at `p` on the other side is within our limit.
  bool reaches(const Decimal& p) const {
    if (!price) return true;
    const int c = compare(p, *price);
    return side == Side::buy ? c <= 0 : c >= 0;
  }
};

struct PaperVenue::Pending {
  enum Kind { submit, cancel, amend };
  Kind kind = submit;
  Nanos at = 0;
  std::unique_ptr<Working> order;  // submit
  std::string id;                  // cancel, amend
  std::optional<Decimal> qty, price;
  std::string_view problem;  // submit: order_problem() (static text)
};

struct PaperVenue::Report {
  Nanos at = 0;
  std::string id, venue, symbol, strategy, venue_id, trade_id, reason;
  Exec e;
  bool is_status = false;
  std::string event;
};

PaperVenue::PaperVenue(PaperConfig config) : config_(config) {}
PaperVenue::~PaperVenue() = default;

const L2Book* PaperVenue::book(std::string_view venue, std::string_view symbol) const {
  auto it = markets_.find(std::string(venue) + '\x1f' + std::string(symbol));
  if (it != markets_.end()) return it->second->has_book ? &it->second->book() : nullptr;
  if (venue == "paper") {
    auto s = by_symbol_.find(std::string(symbol));
    if (s != by_symbol_.end() && s->second->has_book) return &s->second->book();
  }
  return nullptr;
}

PaperVenue::Market* PaperVenue::market_for(std::string_view venue, std::string_view symbol) {
  if (venue == "paper") {
    auto s = by_symbol_.find(std::string(symbol));
    if (s != by_symbol_.end()) return s->second;
  }
  if (Market* m = recent_markets_.find(venue, symbol)) return m;
  key_.assign(venue).push_back('\x1f');
  key_.append(symbol);
  auto found = markets_.find(key_);
  if (found != markets_.end()) return recent_markets_.put(venue, symbol, found->second.get());
  auto& m = markets_[key_];
  if (!m) {
    m = std::make_unique<Market>();
    m->venue = venue;
    m->symbol = symbol;
    m->inverse = is_inverse(venue, symbol);
    m->size = contract_size(venue, symbol).value_or(Decimal{1, 0});
  }
  return recent_markets_.put(venue, symbol, m.get());
}

void PaperVenue::set_clock(Nanos t) {
  // Orders in flight reach the venue at their own time, before the market
  // event at `t` is applied.
  while (!pending_.empty() && pending_.front().at <= std::max(t, now_)) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (p.at > now_) now_ = p.at;
    arrive(p);
  }
  if (t > now_) now_ = t;
  remove_final();
  deliver(now_);
}

void PaperVenue::poll(Nanos now) { set_clock(now); }

std::size_t PaperVenue::finish() {
  set_clock(now_);
  const std::size_t unsent = pending_.size();
  // No market event will move the clock again: what is still on its way to
  // the venue never reaches it, and what the venue sent still arrives.
  for (Pending& p : pending_) {
    if (p.kind == Pending::submit) {
      report(*p.order, ExecStatus::expired, "input ended before the order reached the venue");
    } else {
      venue_status(p.kind == Pending::cancel ? "cancel_reject" : "amend_reject", p.id,
                   "input ended before the request reached the venue");
    }
  }
  pending_.clear();
  deliver(std::numeric_limits<Nanos>::max());
  return unsent;
}

void PaperVenue::deliver(Nanos until) {
  while (!reports_.empty() && reports_.front().at <= until) {
    Report r = std::move(reports_.front());
    reports_.pop_front();
    if (r.is_status) {
      Status s;
      s.venue = r.venue;
      s.symbol = r.symbol;
      s.ts = r.e.ts;
      s.event = r.event;
      s.detail = r.reason;
      listener().on_venue_status(s);
      continue;
    }
    r.e.id = r.id;
    r.e.venue = r.venue;
    r.e.symbol = r.symbol;
    r.e.strategy = r.strategy;
    r.e.venue_id = r.venue_id;
    r.e.trade_id = r.trade_id;
    r.e.reason = r.reason;
    listener().on_exec(r.e);
  }
}

namespace {

template <class Q>
void insert_by_time(Q& q, typename Q::value_type&& item) {
  auto it = std::upper_bound(q.begin(), q.end(), item.at,
                             [](Nanos at, const auto& x) { return at < x.at; });
  q.insert(it, std::move(item));
}

}  // namespace

// Sends a request on its way to the venue: it arrives after the order
// latency, counted from when it was made (or from now, if that is later).
Nanos PaperVenue::report_time() {
  const Nanos at = now_ + (config_.report_latency_sample ? config_.report_latency_sample()
                                                         : config_.report_latency);
  last_report_at_ = std::max(at, last_report_at_);
  return last_report_at_;
}

void PaperVenue::send(Pending p, Nanos made) {
  p.at = std::max(made, now_) +
         (config_.order_latency_sample ? config_.order_latency_sample() : config_.order_latency);
  // One ordered channel: an order never overtakes an earlier one.
  p.at = last_order_at_ = std::max(p.at, last_order_at_);
  insert_by_time(pending_, std::move(p));
  set_clock(now_);
}

void PaperVenue::submit(const Order& o) {
  Pending p;
  p.kind = Pending::submit;
  p.order = Working::of(o);
  p.problem = order_problem(o);  // refused when it arrives, as a venue would
  send(std::move(p), o.ts);
}

void PaperVenue::cancel(const Cancel& c) {
  Pending p;
  p.kind = Pending::cancel;
  p.id = c.id;
  send(std::move(p), c.ts);
}

void PaperVenue::amend(const Amend& a) {
  Pending p;
  p.kind = Pending::amend;
  p.id = a.id;
  p.qty = a.qty;
  p.price = a.price;
  send(std::move(p), a.ts);
}

void PaperVenue::restore(const TrackedOrder& o) {
  auto w = Working::of(o.as_order());
  w->price = o.price;
  w->venue_id = o.venue_id.empty() ? "P" + std::to_string(next_venue_id_++) : o.venue_id;
  w->filled = o.filled;
  w->notional = o.notional;
  w->market = market_for(o.venue, o.symbol);
  seen_ids_[w->id] = true;
  // Back of the queue: whatever is displayed at our price is ahead of us.
  if (w->price && w->market->has_book) {
    w->queue_ahead = w->market->book().qty_at(w->own_side(), *w->price);
  } else {
    w->queue_unknown = true;
  }
  working_.push_back(std::move(w));
}

void PaperVenue::reject(const Pending& p, std::string_view reason) {
  const Working& w = *p.order;
  Report r;
  r.at = report_time();
  r.id = w.id;
  r.venue = w.venue;
  r.symbol = w.symbol;
  r.strategy = w.strategy;
  r.reason = reason;
  r.e.side = w.side;
  r.e.status = ExecStatus::rejected;
  r.e.filled = Decimal{0, 0};
  r.e.leaves = Decimal{0, 0};
  r.e.order_price = w.price;
  r.e.ts = now_;
  reports_.push_back(std::move(r));
}

void PaperVenue::venue_status(std::string_view event, std::string_view id,
                              std::string_view detail) {
  Report r;
  r.at = report_time();
  r.is_status = true;
  r.venue = "paper";
  r.event = event;
  r.reason = std::string(detail) + " (order " + std::string(id) + ")";
  r.e.ts = now_;
  reports_.push_back(std::move(r));
}

void PaperVenue::report(const Working& w, ExecStatus status, std::string_view reason) {
  Report r;
  r.at = report_time();
  r.id = w.id;
  r.venue = w.venue;
  r.symbol = w.symbol;
  r.strategy = w.strategy;
  r.venue_id = w.venue_id;
  r.reason = reason;
  r.e.side = w.side;
  r.e.status = status;
  r.e.filled = w.filled;
  r.e.leaves = is_final(status) ? Decimal{0, w.qty.scale} : w.leaves();
  r.e.order_price = w.price;
  if (!w.filled.is_zero()) {
    r.e.avg_price = w.notional.divided_by(Amount::of(w.filled)).to_decimal(12);
  }
  r.e.ts = now_;
  reports_.push_back(std::move(r));
}

void PaperVenue::fill(Working& w, const Decimal& price, const Decimal& qty, Liquidity liq) {
  w.filled = add(w.filled, qty);
  if (w.market != nullptr) {
    w.market->position =
        w.side == Side::buy ? add(w.market->position, qty) : sub(w.market->position, qty);
  }
  const Amount notional = Amount::product(price, qty);
  w.notional += notional;
  const bool complete = compare(w.filled, w.qty) >= 0;
  report(w, complete ? ExecStatus::filled : ExecStatus::partial, "");
  Report& r = reports_.back();
  r.e.price = price;
  r.e.qty = qty;
  r.e.liquidity = liq;
  // Fees on what the fill is worth in its settlement currency: the quote for
  // linear contracts, the coin (USD / price) for inverse ones; a quantity
  // of contracts is worth qty × contract size units.
  const Decimal size = w.market != nullptr ? w.market->size : Decimal{1, 0};
  const Amount units = Amount::of(qty).times(size);
  const Amount value = w.market != nullptr && w.market->inverse
                           ? units.divided_by(Amount::of(price))
                           : units.times(price);
  r.e.fee =
      value.times(liq == Liquidity::maker ? config_.maker_fee : config_.taker_fee).to_decimal(12);
  r.trade_id = "PT" + std::to_string(next_trade_id_++);
  if (complete) w.done = true;
}

void PaperVenue::arrive(Pending& p) {
  if (p.kind == Pending::submit) {
    Working& w = *p.order;
    if (!seen_ids_.emplace(w.id, true).second) return reject(p, "duplicate client order id");
    if (!p.problem.empty()) return reject(p, p.problem);
    Market* m = market_for(w.venue, w.symbol);
    if (!m->has_book && !m->bars) {
      return reject(p, "no market data for " + w.venue + " " + w.symbol);
    }
    if (w.reduce_only) {
      // It may close what the position holds on the other side, no more.
      const Decimal held = w.side == Side::sell ? m->position : negate(m->position);
      if (compare(w.qty, held) > 0) {
        return reject(p, "reduce_only order would increase the position (position " +
                             m->position.to_string() + ")");
      }
    }
    w.market = m;
    if (w.tif == Tif::post_only) {
      auto best = m->book().best(w.other_side());
      if (best && w.reaches(best->price)) return reject(p, "post_only order would take liquidity");
    }
    w.venue_id = "P" + std::to_string(next_venue_id_++);
    accept(std::move(p.order));
    return;
  }
  auto it = std::find_if(working_.begin(), working_.end(),
                         [&](const auto& w) { return w->id == p.id && !w->done; });
  if (it == working_.end()) {
    return venue_status(p.kind == Pending::cancel ? "cancel_reject" : "amend_reject", p.id,
                        "unknown order or no longer open");
  }
  Working& w = **it;
  if (p.kind == Pending::cancel) {
    w.done = true;
    return report(w, ExecStatus::canceled, "canceled");
  }
  // Amend.
  if ((p.qty && p.qty->mantissa <= 0) || (p.price && p.price->mantissa <= 0)) {
    return venue_status("amend_reject", p.id, "quantity and price must be positive");
  }
  if (p.qty && compare(*p.qty, w.filled) <= 0) {
    w.done = true;
    return report(w, ExecStatus::canceled, "amended below filled quantity");
  }
  const bool new_price = p.price && compare(*p.price, *w.price) != 0;
  const bool more = p.qty && compare(*p.qty, w.qty) > 0;
  if (p.qty) w.qty = *p.qty;
  if (p.price) w.price = *p.price;
  if (!new_price && !more) {
    // Smaller size keeps its place in the queue.
    return report(w, w.filled.is_zero() ? ExecStatus::new_ : ExecStatus::partial, "amended");
  }
  auto moved = std::move(*it);
  working_.erase(it);
  report(*moved, moved->filled.is_zero() ? ExecStatus::new_ : ExecStatus::partial, "amended");
  Market& m = *moved->market;
  if (m.has_book) take(*moved, m);
  if (!moved->done) rest(std::move(moved), m);
}

void PaperVenue::accept(std::unique_ptr<Working> w) {
  Market& m = *w->market;
  report(*w, ExecStatus::new_, "");
  if (m.bars) {
    // Matched by the next bar.
    working_.push_back(std::move(w));
    return;
  }
  if (w->tif == Tif::fok) {
    Decimal available{0, 0};
    m.book().walk(w->other_side(), [&](const Level& l) {
      if (!w->reaches(l.price)) return false;
      available = add(available, sub(l.qty, m.taken_at(w->other_side(), l.price)));
      return compare(available, w->qty) < 0;
    });
    if (compare(available, w->qty) < 0) {
      w->done = true;
      return report(*w, ExecStatus::expired, "fok: not enough liquidity within the limit");
    }
  }
  take(*w, m);
  if (w->done) return;
  if (w->kind == OrderKind::market || w->tif != Tif::gtc) {
    if (w->tif == Tif::post_only && w->kind == OrderKind::limit) return rest(std::move(w), m);
    w->done = true;
    return report(*w, ExecStatus::expired,
                  w->kind == OrderKind::market ? "market order: no more liquidity"
                                               : "ioc: remainder expired");
  }
  rest(std::move(w), m);
}

void PaperVenue::take(Working& w, Market& m) {
  struct Hit {
    Decimal price, qty;
  };
  std::vector<Hit> hits;
  Decimal left = w.leaves();
  m.book().walk(w.other_side(), [&](const Level& l) {
    if (!w.reaches(l.price)) return false;
    Decimal avail = sub(l.qty, m.taken_at(w.other_side(), l.price));
    if (avail.mantissa > 0) {
      const Decimal x = compare(avail, left) < 0 ? avail : left;
      hits.push_back(Hit{l.price, x});
      left = sub(left, x);
    }
    return left.mantissa > 0;
  });
  for (const auto& h : hits) {
    m.add_taken(w.other_side(), h.price, h.qty);
    fill(w, h.price, h.qty, Liquidity::taker);
  }
}

void PaperVenue::rest(std::unique_ptr<Working> w, Market& m) {
  w->queue_ahead = m.book().qty_at(w->own_side(), *w->price);
  working_.push_back(std::move(w));
}

void PaperVenue::check_resting(Market& m) {
  auto best_bid = m.book().best(BookSide::bid);
  auto best_ask = m.book().best(BookSide::ask);
  for (auto& w : working_) {
    if (w->done || w->market != &m || !w->price) continue;
    const auto& other = w->side == Side::buy ? best_ask : best_bid;
    if (other && w->reaches(other->price)) fill(*w, *w->price, w->leaves(), Liquidity::maker);
  }
}

void PaperVenue::remove_final() {
  std::erase_if(working_, [](const auto& w) { return w->done; });
}

void PaperVenue::on_book(const BookUpdate& u) {
  set_clock(u.recv != 0 ? u.recv : u.ts.value_or(now_));
  Market* m = market_for(u.venue, u.symbol);
  if (by_symbol_.find(u.symbol) == by_symbol_.end()) by_symbol_.emplace(std::string(u.symbol), m);
  if (book_source_) m->shared = book_source_(u.venue, u.symbol);
  if (u.snapshot) {
    m->own_book.clear();
    m->taken.clear();
  }
  // With a shared book the levels matter only to our own orders' queues and
  // to the sizes our taking orders used: nothing to do without either.
  const bool ours =
      !m->taken.empty() || std::any_of(working_.begin(), working_.end(),
                                       [&](const auto& w) { return w->market == m && w->price; });
  auto apply_side = [&](BookSide side, std::span<const PriceLevel> levels) {
    if (m->shared && (!ours || u.snapshot)) return;
    for (const auto& l : levels) {
      const auto price = l.price_decimal();
      const auto qty = l.qty_decimal();
      if (!price || !qty) continue;
      if (!m->shared) m->own_book.apply(side, *price, *qty);
      if (u.snapshot) continue;
      if (!m->taken.empty()) m->forget_taken(side, *price);
      for (auto& w : working_) {
        if (w->market == m && w->own_side() == side && w->price && *w->price == *price &&
            compare(*qty, w->queue_ahead) < 0) {
          w->queue_ahead = *qty;
        }
      }
    }
  };
  apply_side(BookSide::bid, u.bids);
  apply_side(BookSide::ask, u.asks);
  m->has_book = !book_source_ || m->shared != nullptr;
  for (auto& w : working_) {
    if (w->market != m || !w->price || !(u.snapshot || w->queue_unknown)) continue;
    const Decimal shown = m->book().qty_at(w->own_side(), *w->price);
    if (w->queue_unknown || compare(shown, w->queue_ahead) < 0) w->queue_ahead = shown;
    w->queue_unknown = false;
  }
  check_resting(*m);
  remove_final();
  deliver(now_);
}

void PaperVenue::on_trade(const Trade& t) {
  set_clock(t.recv != 0 ? t.recv : t.ts.value_or(now_));
  auto price = Decimal::parse(t.price);
  auto qty = Decimal::parse(t.qty);
  if (!price || !qty) return;
  Market* m = market_for(t.venue, t.symbol);
  // The aggressor sold: resting buys are hit (and the other way round).
  const Side hit = t.side == Side::sell ? Side::buy : Side::sell;
  Decimal remaining = *qty;
  for (auto& w : working_) {
    if (w->done || w->market != m || w->side != hit || !w->price || w->queue_unknown) continue;
    if (remaining.mantissa <= 0) break;
    const int c = compare(*w->price, *price);
    const bool through = hit == Side::buy ? c > 0 : c < 0;
    Decimal x{0, 0};
    if (through) {
      x = compare(w->leaves(), remaining) < 0 ? w->leaves() : remaining;
    } else if (c == 0) {
      if (compare(w->queue_ahead, remaining) >= 0) {
        w->queue_ahead = sub(w->queue_ahead, remaining);
        continue;
      }
      const Decimal beyond = sub(remaining, w->queue_ahead);
      w->queue_ahead = Decimal{0, 0};
      x = compare(w->leaves(), beyond) < 0 ? w->leaves() : beyond;
    }
    if (x.mantissa > 0) {
      fill(*w, *w->price, x, Liquidity::maker);
      remaining = sub(remaining, x);
    }
  }
  remove_final();
  deliver(now_);
}

void PaperVenue::on_candle(const Candle& c) {
  auto open = Decimal::parse(c.open);
  auto high = Decimal::parse(c.high);
  auto low = Decimal::parse(c.low);
  if (!open || !high || !low) return;
  Market* m = market_for(c.venue, c.symbol);
  if (by_symbol_.find(c.symbol) == by_symbol_.end()) by_symbol_.emplace(std::string(c.symbol), m);
  m->bars = true;
  set_clock(c.open_time);
  for (auto& w : working_) {
    if (w->done || w->market != m) continue;
    if (w->kind == OrderKind::market || w->reaches(*open)) {
      // At the open: the market, or our limit already crossed.
      fill(*w, *open, w->leaves(), Liquidity::taker);
      continue;
    }
    if (w->tif == Tif::ioc || w->tif == Tif::fok) {
      w->done = true;
      report(*w, ExecStatus::expired, "ioc: remainder expired");
      continue;
    }
    const bool through =
        w->side == Side::buy ? compare(*low, *w->price) < 0 : compare(*high, *w->price) > 0;
    if (through) fill(*w, *w->price, w->leaves(), Liquidity::maker);
  }
  remove_final();
  set_clock(c.close_time);
}

}  // namespace ot
