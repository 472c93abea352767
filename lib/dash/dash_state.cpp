#include "dash/dash_state.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "book/l2_book.h"
#include "core/json_out.h"

namespace ot::dash {

namespace {

constexpr Nanos kSecond = 1'000'000'000;
// The strategy of ot-risk's delta hedges.
constexpr std::string_view kHedgeStrategy = "hedge";

std::string key_of(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back(' ');
  k.append(b);
  return k;
}

// A decimal for the chart: a JSON number (the chart library plots doubles).
void number(JsonOut& j, std::string_view k, const Decimal& d) {
  j.key(k);
  j.number(d.to_double(), 15);
}

template <class T>
void keep_last(std::deque<T>& q, std::size_t n) {
  while (q.size() > n) q.pop_front();
}

// Seconds since the epoch, as the chart's time axis wants them.
std::int64_t seconds(Nanos ts) { return ts / kSecond; }

}  // namespace

std::string_view view_name(View v) {
  static constexpr std::array<std::string_view, kViews> kNames = {
      "instruments", "orders", "fills", "positions", "greeks", "risk", "health"};
  return kNames[static_cast<std::size_t>(v)];
}

// A candle kept for the chart (closed, or the one forming).
struct Candle {
  std::int64_t time = 0;  // start, seconds
  Decimal open, high, low, close;
  double volume = 0;
};

struct DashState::Instrument {
  std::string venue, symbol;
  std::uint64_t version = 0;
  L2Book book;
  std::optional<Decimal> bid, ask, bid_qty, ask_qty, last;
  struct Print {
    Nanos ts;
    Decimal price, qty;
    Side side;
  };
  std::deque<Print> tape;
  struct Series final : BarSink {
    std::deque<Candle> closed;
    std::optional<Candle> forming;
    std::size_t keep = 0;
    void on_bar(const Bar& b) override {
      Candle c{seconds(b.start), b.open, b.high, b.low, b.close, b.volume.to_double()};
      if (b.forming) {
        forming = c;
        return;
      }
      forming.reset();
      closed.push_back(c);
      keep_last(closed, keep);
    }
  };
  std::vector<std::unique_ptr<BarBuilder>> builders;
  std::array<Series, kIntervals.size()> series;
  std::deque<std::pair<std::int64_t, double>> mids;  // (second, mid)
};

struct DashState::Venue {
  std::string name;
  bool connected = false;
  bool ever_status = false;  // a connected or disconnected status was read
  std::uint64_t gaps = 0, resyncs = 0, checksum_mismatches = 0, disconnects = 0;
  std::uint64_t events = 0;
  Nanos last_event = 0;      // monotonic
  Nanos clock = 0;           // the latest event time
  std::deque<Nanos> recent;  // event times of the last 10 s (rate)
};

struct DashState::Order {
  std::string id, venue, symbol, strategy;
  Side side = Side::buy;
  ExecStatus status = ExecStatus::new_;
  std::optional<Decimal> price;
  Decimal leaves, filled;
  Nanos ts = 0;
};

struct DashState::Greeks {
  std::string venue, underlying, hedge;
  double delta = 0, gamma = 0, vega = 0, theta = 0, target = 0, band = 0;
};

// ot-risk's hedges in one instrument: how many filled, and the last fill.
struct DashState::Hedges {
  std::uint64_t fills = 0;
  std::string last;  // JSON object
};

DashState::DashState(DashOptions options) : o_(options) {
  for (std::size_t i = 0; i < kIntervals.size(); ++i) {
    BarSpecWords w;
    w.interval = std::string(kIntervals[i]);
    w.empty = "skip";
    (void)make_bar_spec(w, specs_[i]);
  }
}

DashState::~DashState() = default;

DashState::Instrument* DashState::instrument(std::string_view venue, std::string_view symbol) {
  // Called per market event: the key in a buffer kept for it, no allocation.
  key_.assign(venue).push_back(' ');
  key_.append(symbol);
  if (auto it = instruments_.find(key_); it != instruments_.end()) return it->second.get();
  if (instruments_.size() >= o_.instruments) return nullptr;
  auto inst = std::make_unique<Instrument>();
  inst->venue = std::string(venue);
  inst->symbol = std::string(symbol);
  for (std::size_t i = 0; i < kIntervals.size(); ++i) {
    inst->builders.push_back(std::make_unique<BarBuilder>(specs_[i], inst->venue, inst->symbol));
    inst->series[i].keep = o_.bars;
  }
  Instrument* raw = inst.get();
  instruments_.emplace(key_, std::move(inst));
  bump(View::instruments);
  return raw;
}

DashState::Venue& DashState::venue(std::string_view name) {
  auto it = venues_.find(name);
  if (it == venues_.end()) {
    auto v = std::make_unique<Venue>();
    v->name = std::string(name);
    it = venues_.emplace(std::string(name), std::move(v)).first;
    bump(View::health);
  }
  return *it->second;
}

Nanos DashState::clock(std::string_view venue) const {
  auto it = venue.empty() ? venues_.end() : venues_.find(venue);
  return it != venues_.end() && it->second->clock != 0 ? it->second->clock : clock_;
}

std::uint64_t DashState::instrument_version(std::string_view venue, std::string_view symbol) const {
  auto it = instruments_.find(key_of(venue, symbol));
  return it == instruments_.end() ? 0 : it->second->version;
}

void DashState::apply(const DecodedEvent& ev, std::string_view line, Nanos now) {
  // Feed health counts market data (status events count in on_status).
  const bool market = ev.kind == EventType::book || ev.kind == EventType::depth ||
                      ev.kind == EventType::bbo || ev.kind == EventType::quote ||
                      ev.kind == EventType::trade || ev.kind == EventType::ticker ||
                      ev.kind == EventType::bar;
  const std::string_view venue_name = venue_of(ev);
  if (market && !venue_name.empty()) {
    Venue& v = venue(venue_name);
    ++v.events;
    v.last_event = now;
    v.recent.push_back(now);
    while (!v.recent.empty() && v.recent.front() < now - 10 * kSecond) v.recent.pop_front();
    if (ev.decoded) {
      Nanos t = 0;
      if (ev.kind == EventType::book || ev.kind == EventType::depth) {
        t = ev.book.ts.value_or(ev.book.recv);
      } else if (ev.kind == EventType::trade) {
        t = ev.trade.ts.value_or(ev.trade.recv);
      } else if (ev.kind == EventType::bbo || ev.kind == EventType::quote) {
        t = ev.top.ts != 0 ? ev.top.ts : ev.top.recv;
      }
      v.clock = std::max(v.clock, t);
      clock_ = std::max(clock_, t);
    }
  }
  switch (ev.kind) {
    case EventType::book:
    case EventType::depth:
      if (ev.decoded) on_book(ev.book, ev.kind == EventType::depth);
      break;
    case EventType::bbo:
    case EventType::quote:
      if (ev.decoded) on_top(ev.top, now);
      break;
    case EventType::trade:
      if (ev.decoded) on_trade(ev.trade, now);
      break;
    case EventType::status:
      if (ev.decoded) on_status(ev.status, now);
      break;
    case EventType::exec:
      if (ev.decoded) on_exec(ev.exec);
      break;
    case EventType::position:
      on_position(line);
      break;
    case EventType::greeks:
      on_greeks(line);
      break;
    default:
      break;
  }
}

void DashState::malformed(std::string_view) {
  ++malformed_;
  bump(View::health);
}

void DashState::on_book(const BookUpdate& u, bool whole) {
  Instrument* inst = instrument(u.venue, u.symbol);
  if (inst == nullptr) return;
  // The dashboard shows what it is given, which ot-feed and ot-book have
  // checked: a snapshot or a depth event replaces the book, a delta applies.
  if (u.snapshot || whole) inst->book.clear();
  for (const PriceLevel& l : u.bids) inst->book.apply(BookSide::bid, l);
  for (const PriceLevel& l : u.asks) inst->book.apply(BookSide::ask, l);
  ++inst->version;
}

void DashState::on_top(const TopOfBookEvent& t, Nanos) {
  Instrument* inst = instrument(t.venue, t.symbol);
  if (inst == nullptr) return;
  inst->bid = t.bid;
  inst->ask = t.ask;
  inst->bid_qty = t.bid_qty;
  inst->ask_qty = t.ask_qty;
  const Nanos ts = t.ts != 0 ? t.ts : t.recv;
  if (ts > 0 && t.bid.mantissa > 0 && t.ask.mantissa > 0) {
    const double mid = (t.bid.to_double() + t.ask.to_double()) / 2;
    const std::int64_t s = seconds(ts);
    if (!inst->mids.empty() && inst->mids.back().first == s) {
      inst->mids.back().second = mid;
    } else {
      inst->mids.emplace_back(s, mid);
      keep_last(inst->mids, o_.mids);
    }
  }
  ++inst->version;
}

void DashState::on_trade(const Trade& t, Nanos) {
  Instrument* inst = instrument(t.venue, t.symbol);
  if (inst == nullptr) return;
  const auto price = Decimal::parse(t.price);
  const auto qty = Decimal::parse(t.qty);
  const Nanos ts = t.ts.value_or(t.recv);
  if (!price || !qty || ts <= 0 || ts > kMaxBarTime) return;
  inst->last = *price;
  inst->tape.push_back({ts, *price, *qty, t.side});
  keep_last(inst->tape, o_.tape);
  for (std::size_t i = 0; i < kIntervals.size(); ++i) {
    inst->builders[i]->on_trade(ts, t.recv, *price, *qty, t.side, inst->series[i]);
    inst->builders[i]->write_forming(inst->series[i]);
  }
  ++inst->version;
}

void DashState::on_status(const Status& s, Nanos) {
  if (s.event == "kill" || s.event == "resume") {
    killed_ = s.event == "kill";
    kill_reason_ = std::string(s.detail);
    bump(View::risk);
    return;
  }
  if (s.venue.empty()) return;
  Venue& v = venue(s.venue);
  if (s.event == "connected") {
    v.connected = true;
    v.ever_status = true;
  } else if (s.event == "disconnected") {
    v.connected = false;
    v.ever_status = true;
    ++v.disconnects;
  } else if (s.event == "gap") {
    ++v.gaps;
  } else if (s.event == "resync") {
    ++v.resyncs;
  } else if (s.event == "checksum_mismatch") {
    ++v.checksum_mismatches;
  } else {
    return;
  }
  bump(View::health);
}

void DashState::on_exec(const Exec& e) {
  const bool final = is_final(e.status);
  // A fill or a reject: the report's id, instrument and time, and `more`.
  auto report = [&](auto&& more) {
    std::string s;
    JsonOut j(s);
    j.begin_object();
    j.field("id", e.id);
    j.field("venue", e.venue);
    j.field("symbol", e.symbol);
    more(j);
    j.field("time", seconds(e.ts));
    j.end_object();
    return s;
  };
  if (e.qty && e.qty->mantissa > 0) {
    std::string f = report([&](JsonOut& j) {
      j.field("side", to_string(e.side));
      if (e.price) number(j, "price", *e.price);
      number(j, "qty", *e.qty);
      j.field("liquidity", to_string(e.liquidity));
    });
    if (e.strategy == kHedgeStrategy) {
      Hedges& h = hedges_[key_of(e.venue, e.symbol)];
      ++h.fills;
      h.last = f;
    }
    fills_.push_back(std::move(f));
    keep_last(fills_, o_.fills);
    bump(View::fills);
    if (Instrument* inst = instrument(e.venue, e.symbol)) ++inst->version;
  }
  if (e.status == ExecStatus::rejected) {
    rejects_.push_back(report([&](JsonOut& j) { j.field("reason", e.reason); }));
    keep_last(rejects_, o_.rejects);
    bump(View::risk);
  }
  if (e.strategy == kHedgeStrategy) bump(View::greeks);
  auto it = orders_.find(e.id);
  if (final) {
    if (it != orders_.end()) {
      orders_.erase(it);
      bump(View::orders);
      if (Instrument* inst = instrument(e.venue, e.symbol)) ++inst->version;
    }
    return;
  }
  if (it == orders_.end()) it = orders_.emplace(std::string(e.id), Order{}).first;
  Order& o = it->second;
  o.id = std::string(e.id);
  o.venue = std::string(e.venue);
  o.symbol = std::string(e.symbol);
  o.strategy = std::string(e.strategy);
  o.side = e.side;
  o.status = e.status;
  if (e.order_price) o.price = e.order_price;
  o.leaves = e.leaves;
  o.filled = e.filled;
  o.ts = e.ts;
  bump(View::orders);
  if (Instrument* inst = instrument(e.venue, e.symbol)) ++inst->version;
}

namespace {

// Calls fn(key, value) for each member of the JSON object `line`; false when
// it is not an object (position and greeks events: rare, parsed here).
template <class Fn>
bool each_member(std::string_view line, Fn&& fn) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(line);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view k;
    if (field.unescaped_key().get(k)) return false;
    if (!fn(k, field.value())) return false;
  }
  return true;
}

}  // namespace

void DashState::on_position(std::string_view line) {
  std::string venue, symbol, out;
  double total = 0;
  JsonOut j(out);
  j.begin_object();
  const bool ok = each_member(line, [&](std::string_view k, simdjson::ondemand::value v) {
    std::string_view s;
    if (k == "venue" || k == "symbol") {
      if (v.get_string().get(s)) return false;
      (k == "venue" ? venue : symbol) = std::string(s);
      j.field(k, s);
    } else if ((k == "qty" || k == "avg_price" || k == "realized_pnl" || k == "unrealized_pnl" ||
                k == "fees" || k == "mark") &&
               v.get_string().get(s) == simdjson::SUCCESS) {
      if (const auto d = Decimal::parse(s)) {
        number(j, k, *d);
        if (k == "realized_pnl" || k == "unrealized_pnl") total += d->to_double();
        if (k == "fees") total -= d->to_double();
      }
    }
    return true;
  });
  if (!ok || venue.empty() || symbol.empty()) return;
  j.key("pnl");
  j.number(total, 15);
  j.end_object();
  const std::string key = key_of(venue, symbol);
  positions_[key] = std::move(out);
  pnl_[key] = total;
  bump(View::positions);
}

void DashState::on_greeks(std::string_view line) {
  Greeks g;
  const bool ok = each_member(line, [&](std::string_view k, simdjson::ondemand::value v) {
    if (k == "venue" || k == "underlying" || k == "hedge") {
      std::string_view s;
      if (v.get_string().get(s)) return false;
      (k == "venue" ? g.venue : k == "underlying" ? g.underlying : g.hedge) = std::string(s);
      return true;
    }
    double* to = k == "delta"          ? &g.delta
                 : k == "gamma"        ? &g.gamma
                 : k == "vega"         ? &g.vega
                 : k == "theta"        ? &g.theta
                 : k == "delta_target" ? &g.target
                 : k == "delta_band"   ? &g.band
                                       : nullptr;
    double d = 0;
    if (to != nullptr && v.get_double().get(d) == simdjson::SUCCESS) *to = d;
    return true;
  });
  if (!ok || g.venue.empty() || g.underlying.empty()) return;
  greeks_[key_of(g.venue, g.underlying)] = std::move(g);
  bump(View::greeks);
}

void DashState::write_greeks(const Greeks& g, JsonOut& j) const {
  j.begin_object();
  j.field("venue", g.venue);
  j.field("underlying", g.underlying);
  for (const auto& [k, x] : {std::pair{"delta", g.delta}, std::pair{"gamma", g.gamma},
                             std::pair{"vega", g.vega}, std::pair{"theta", g.theta}}) {
    j.key(k);
    j.number(x, 8);
  }
  if (!g.hedge.empty()) {
    // The hedge's state: a hedge order working, or the delta inside or
    // outside the band (outside with none working: ot-risk hedges on its
    // next greeks, unless its kill switch is on).
    j.key("hedge");
    j.begin_object();
    j.field("symbol", g.hedge);
    j.key("target");
    j.number(g.target, 8);
    j.key("band");
    j.number(g.band, 8);
    const Order* working = nullptr;
    for (const auto& [id, o] : orders_) {
      if (o.strategy == kHedgeStrategy && o.venue == g.venue && o.symbol == g.hedge) working = &o;
    }
    j.field("state", working != nullptr                       ? "hedging"
                     : std::fabs(g.delta - g.target) > g.band ? "outside band"
                                                              : "inside band");
    j.key("working");
    if (working != nullptr) {
      j.begin_object();
      j.field("id", working->id);
      j.field("side", to_string(working->side));
      number(j, "leaves", working->leaves);
      j.end_object();
    } else {
      j.null();
    }
    auto h = hedges_.find(key_of(g.venue, g.hedge));
    j.field("fills", static_cast<std::int64_t>(h == hedges_.end() ? 0 : h->second.fills));
    j.key("last");
    if (h != hedges_.end()) {
      j.raw(h->second.last);
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_object();
}

void DashState::for_each_order(
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const {
  for (const auto& [id, o] : orders_) fn(o.id, o.venue, o.symbol);
}

void DashState::tick(Nanos now) {
  if (now - last_tick_ < kSecond) return;
  last_tick_ = now;
  bump(View::health);
  // The equity curve: total PnL at most once a second of the stream's
  // clock, when there are positions.
  if (!pnl_.empty() && clock_ != 0) {
    double total = 0;
    for (const auto& [k, v] : pnl_) total += v;
    if (!equity_.empty() && clock_ - equity_.back().first < kSecond) {
      if (equity_.back().second == total) return;
      equity_.back().second = total;
    } else {
      equity_.emplace_back(clock_, total);
      keep_last(equity_, o_.equity);
    }
    bump(View::positions);
  }
}

void DashState::write(View v, std::string& out) const {
  JsonOut j(out);
  switch (v) {
    case View::instruments:
      j.begin_array();
      for (const auto& [k, inst] : instruments_) {
        j.begin_object();
        j.field("venue", inst->venue);
        j.field("symbol", inst->symbol);
        j.end_object();
      }
      j.end_array();
      break;
    case View::orders:
      j.begin_array();
      for (const auto& [id, o] : orders_) {
        j.begin_object();
        j.field("id", o.id);
        j.field("venue", o.venue);
        j.field("symbol", o.symbol);
        j.field("side", to_string(o.side));
        j.field("status", to_string(o.status));
        if (o.price) number(j, "price", *o.price);
        number(j, "leaves", o.leaves);
        number(j, "filled", o.filled);
        j.field("strategy", o.strategy);
        j.end_object();
      }
      j.end_array();
      break;
    case View::fills:
    case View::risk: {
      if (v == View::risk) {
        j.begin_object();
        j.key("killed");
        j.boolean(killed_);
        j.field("kill_reason", kill_reason_);
        j.key("rejects");
      }
      const auto& items = v == View::fills ? fills_ : rejects_;
      j.begin_array();
      for (const auto& s : items) {
        j.raw(s);
      }
      j.end_array();
      if (v == View::risk) j.end_object();
      break;
    }
    case View::positions: {
      j.begin_object();
      j.key("positions");
      j.begin_array();
      for (const auto& [k, s] : positions_) j.raw(s);
      j.end_array();
      j.key("equity");
      j.begin_array();
      for (const auto& [ts, pnl] : equity_) {
        j.begin_array();
        j.integer(ts);
        j.number(pnl, 15);
        j.end_array();
      }
      j.end_array();
      j.end_object();
      break;
    }
    case View::greeks:
      j.begin_array();
      for (const auto& [k, g] : greeks_) write_greeks(g, j);
      j.end_array();
      break;
    case View::health:
      j.begin_object();
      j.field("malformed", static_cast<std::int64_t>(malformed_));
      j.key("venues");
      j.begin_array();
      for (const auto& [name, ven] : venues_) {
        j.begin_object();
        j.field("venue", ven->name);
        j.key("connected");
        j.boolean(ven->ever_status ? ven->connected : ven->events > 0);
        j.field("gaps", static_cast<std::int64_t>(ven->gaps));
        j.field("resyncs", static_cast<std::int64_t>(ven->resyncs));
        j.field("checksum_mismatches", static_cast<std::int64_t>(ven->checksum_mismatches));
        j.field("disconnects", static_cast<std::int64_t>(ven->disconnects));
        j.field("events", static_cast<std::int64_t>(ven->events));
        j.key("age");
        j.number(last_tick_ > ven->last_event
                     ? static_cast<double>(last_tick_ - ven->last_event) * 1e-9
                     : 0.0,
                 4);
        j.key("rate");
        j.number(static_cast<double>(ven->recent.size()) / 10.0, 6);
        j.end_object();
      }
      j.end_array();
      j.end_object();
      break;
  }
}

bool DashState::write_instrument(std::string_view venue, std::string_view symbol,
                                 std::string_view interval, std::string& out) const {
  auto it = instruments_.find(key_of(venue, symbol));
  if (it == instruments_.end()) return false;
  const Instrument& inst = *it->second;
  JsonOut j(out);
  j.begin_object();
  j.field("venue", inst.venue);
  j.field("symbol", inst.symbol);
  if (inst.bid) number(j, "bid", *inst.bid);
  if (inst.ask) number(j, "ask", *inst.ask);
  if (inst.last) number(j, "last", *inst.last);
  // The ladder: the book's levels, and the bbo's when there is no book.
  std::vector<Level> levels;
  for (const BookSide side : {BookSide::bid, BookSide::ask}) {
    j.key(side == BookSide::bid ? "bids" : "asks");
    j.begin_array();
    levels.clear();
    inst.book.top(side, o_.levels, levels);
    if (levels.empty()) {
      const auto& px = side == BookSide::bid ? inst.bid : inst.ask;
      const auto& qty = side == BookSide::bid ? inst.bid_qty : inst.ask_qty;
      if (px && qty) levels.push_back(Level{*px, *qty});
    }
    for (const Level& l : levels) {
      j.begin_array();
      j.number(l.price.to_double(), 15);
      j.number(l.qty.to_double(), 15);
      j.end_array();
    }
    j.end_array();
  }
  j.key("orders");
  j.begin_array();
  for (const auto& [id, o] : orders_) {
    if (o.venue != inst.venue || o.symbol != inst.symbol || !o.price) continue;
    j.begin_object();
    j.field("id", o.id);
    j.field("side", to_string(o.side));
    number(j, "price", *o.price);
    number(j, "leaves", o.leaves);
    j.end_object();
  }
  j.end_array();
  j.key("tape");
  j.begin_array();
  for (auto p = inst.tape.rbegin(); p != inst.tape.rend(); ++p) {
    j.begin_object();
    j.field("time", p->ts / 1'000'000);  // ms
    number(j, "price", p->price);
    number(j, "qty", p->qty);
    j.field("side", p->side == Side::buy ? "buy" : "sell");
    j.end_object();
  }
  j.end_array();
  std::size_t i = 0;
  while (i < kIntervals.size() && kIntervals[i] != interval) ++i;
  if (i == kIntervals.size()) i = 2;  // 1m
  j.field("interval", kIntervals[i]);
  auto candle = [&](const Candle& c) {
    j.begin_object();
    j.field("time", c.time);
    number(j, "open", c.open);
    number(j, "high", c.high);
    number(j, "low", c.low);
    number(j, "close", c.close);
    j.key("volume");
    j.number(c.volume, 15);
    j.end_object();
  };
  j.key("candles");
  j.begin_array();
  for (const Candle& c : inst.series[i].closed) candle(c);
  j.end_array();
  j.key("forming");
  if (inst.series[i].forming) {
    candle(*inst.series[i].forming);
  } else {
    j.null();
  }
  j.key("mids");
  j.begin_array();
  for (const auto& [s, mid] : inst.mids) {
    j.begin_array();
    j.integer(s);
    j.number(mid, 15);
    j.end_array();
  }
  j.end_array();
  // Fills of this instrument: the markers on its chart.
  const std::string mine = "\"venue\":\"" + inst.venue + "\",\"symbol\":\"" + inst.symbol + "\"";
  j.key("fills");
  j.begin_array();
  for (const auto& f : fills_) {
    if (f.find(mine) != std::string::npos) j.raw(f);
  }
  j.end_array();
  j.end_object();
  return true;
}

}  // namespace ot::dash
