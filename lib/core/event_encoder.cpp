#include "core/event_encoder.h"

#include "core/event_tally.h"
#include "core/json_out.h"
#include "core/swar.h"

namespace ot {
namespace {

// Copies `s` to `p`, returning the end; false in `clean` if a byte needs JSON
// escaping (then the caller takes the slow path).
inline char* copy_clean(char* p, std::string_view s, bool& clean) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    clean &= u >= 0x20 && c != '"' && c != '\\';
    *p++ = c;
  }
  return p;
}

// Copies a level's text: plain decimals (their values were read with the
// text, see PriceLevel) need no look at their bytes.
inline char* copy_level_text(char* p, std::string_view s, const Decimal& value, bool& clean) {
  if (value.scale < 0) return copy_clean(p, s, clean);
  swar::copy_short(p, s.data(), s.size());
  return p + s.size();
}

// [["price","qty"],...] written straight into the line: the hot path of
// every book event. Venue decimals never need escaping; if one does, the
// side is rewritten through append_escaped.
void levels(std::string& buf, std::string_view name, std::span<const PriceLevel> side,
            std::string_view venue_json) {
  if (!venue_json.empty()) {
    buf.append(",\"").append(name).append("\":").append(venue_json);
    return;
  }
  std::size_t need = name.size() + 6;
  for (const auto& l : side) need += l.price.size() + l.qty.size() + 8;
  const std::size_t start = buf.size();
  buf.resize(start + need);
  char* p = buf.data() + start;
  bool clean = true;
  *p++ = ',';
  *p++ = '"';
  p = copy_clean(p, name, clean);
  *p++ = '"';
  *p++ = ':';
  *p++ = '[';
  for (std::size_t i = 0; i < side.size(); ++i) {
    if (i > 0) *p++ = ',';
    *p++ = '[';
    *p++ = '"';
    p = copy_level_text(p, side[i].price, side[i].price_value, clean);
    *p++ = '"';
    *p++ = ',';
    *p++ = '"';
    p = copy_level_text(p, side[i].qty, side[i].qty_value, clean);
    *p++ = '"';
    *p++ = ']';
  }
  *p++ = ']';
  buf.resize(static_cast<std::size_t>(p - buf.data()));
  if (clean) return;
  buf.resize(start);
  buf.append(",\"").append(name).append("\":[");
  for (std::size_t i = 0; i < side.size(); ++i) {
    buf.append(i > 0 ? ",[\"" : "[\"");
    append_escaped(buf, side[i].price);
    buf.append("\",\"");
    append_escaped(buf, side[i].qty);
    buf.append("\"]");
  }
  buf.push_back(']');
}

void optional_int(JsonOut& j, std::string_view name, const std::optional<std::int64_t>& v) {
  if (v) j.field(name, *v);
}

}  // namespace

EventEncoder::EventEncoder(LineSink& sink, bool tallied) : sink_(sink), tallied_(tallied) {
  line_.reserve(1 << 16);
  topic_.reserve(128);
}

void EventEncoder::header(EventType kind, std::string_view type, std::string_view venue,
                          std::string_view symbol) {
  if (EventTally* t = tally()) t->out(kind, venue);
  line_.clear();
  topic_.clear();
  if (sink_.wants_topic()) topic_.append(type).append(".").append(venue).append(".").append(symbol);
  line_.append("{\"type\":\"").append(type).append("\"");
}

EventTally* EventEncoder::tally() const { return tallied_ ? event_tally() : nullptr; }

void EventEncoder::emit() { sink_.write_line(topic_, line_); }

void EventEncoder::on_book(const BookUpdate& u) {
  header(EventType::book, "book", u.venue, u.symbol);
  JsonOut j(line_, true);
  j.field("venue", u.venue);
  j.field("symbol", u.symbol);
  optional_int(j, "ts", u.ts);
  j.field("recv", u.recv);
  j.key("snapshot");
  j.boolean(u.snapshot);
  optional_int(j, "first_seq", u.first_seq);
  optional_int(j, "seq", u.seq);
  optional_int(j, "prev_seq", u.prev_seq);
  optional_int(j, "checksum", u.checksum);
  levels(line_, "bids", u.bids, u.bids_json);
  levels(line_, "asks", u.asks, u.asks_json);
  line_.push_back('}');
  emit();
}

void EventEncoder::on_trade(const Trade& t) {
  header(EventType::trade, "trade", t.venue, t.symbol);
  JsonOut j(line_, true);
  j.field("venue", t.venue);
  j.field("symbol", t.symbol);
  optional_int(j, "ts", t.ts);
  j.field("recv", t.recv);
  j.field("price", t.price);
  j.field("qty", t.qty);
  j.field("side", t.side == Side::buy ? "buy" : "sell");
  if (!t.id.empty()) j.field("id", t.id);
  line_.push_back('}');
  emit();
}

void EventEncoder::on_quote(const Quote& q) {
  header(EventType::quote, "quote", q.venue, q.symbol);
  JsonOut j(line_, true);
  j.field("venue", q.venue);
  j.field("symbol", q.symbol);
  optional_int(j, "ts", q.ts);
  j.field("recv", q.recv);
  optional_int(j, "seq", q.seq);
  j.field("bid", q.bid);
  j.field("bid_qty", q.bid_qty);
  j.field("ask", q.ask);
  j.field("ask_qty", q.ask_qty);
  line_.push_back('}');
  emit();
}

void EventEncoder::on_ticker(const Ticker& t) {
  header(EventType::ticker, "ticker", t.venue, t.symbol);
  JsonOut j(line_, true);
  j.field("venue", t.venue);
  j.field("symbol", t.symbol);
  optional_int(j, "ts", t.ts);
  j.field("recv", t.recv);
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    if (!t.fields[i].empty()) j.field(kTickerFieldNames[i], t.fields[i]);
  }
  line_.push_back('}');
  emit();
}

void EventEncoder::on_status(const Status& s) {
  header(EventType::status, "status", s.venue, s.symbol);
  JsonOut j(line_, true);
  j.field("venue", s.venue);
  if (!s.symbol.empty()) j.field("symbol", s.symbol);
  j.field("ts", s.ts);
  j.field("event", s.event);
  if (!s.detail.empty()) j.field("detail", s.detail);
  line_.push_back('}');
  emit();
  if (EventTally* t = tally()) t->out_status(s);
}

namespace {

void optional_decimal(JsonOut& j, std::string_view name, const std::optional<Decimal>& v) {
  if (v) j.field(name, *v);
}

void optional_text(JsonOut& j, std::string_view name, std::string_view v) {
  if (!v.empty()) j.field(name, v);
}

void optional_number(JsonOut& j, std::string_view name, const std::optional<double>& v) {
  if (v) j.key(name), j.number(*v);
}

}  // namespace

void EventEncoder::write(const Order& o) {
  header(EventType::order, "order", o.venue, o.symbol);
  JsonOut j(line_, true);
  j.field("id", o.id);
  j.field("venue", o.venue);
  j.field("symbol", o.symbol);
  j.field("ts", o.ts);
  j.field("side", to_string(o.side));
  j.field("qty", o.qty);
  optional_decimal(j, "price", o.price);
  j.field("kind", to_string(o.kind));
  j.field("tif", to_string(o.tif));
  if (o.reduce_only) j.key("reduce_only"), j.boolean(true);
  optional_text(j, "strategy", o.strategy);
  line_.push_back('}');
  emit();
}

void EventEncoder::write(const Cancel& c) {
  header(EventType::cancel, "cancel", c.venue, c.symbol);
  JsonOut j(line_, true);
  j.field("id", c.id);
  optional_text(j, "venue", c.venue);
  optional_text(j, "symbol", c.symbol);
  j.field("ts", c.ts);
  optional_text(j, "strategy", c.strategy);
  line_.push_back('}');
  emit();
}

void EventEncoder::write(const Amend& a) {
  header(EventType::amend, "amend", a.venue, a.symbol);
  JsonOut j(line_, true);
  j.field("id", a.id);
  optional_text(j, "venue", a.venue);
  optional_text(j, "symbol", a.symbol);
  j.field("ts", a.ts);
  optional_decimal(j, "qty", a.qty);
  optional_decimal(j, "price", a.price);
  optional_text(j, "strategy", a.strategy);
  line_.push_back('}');
  emit();
}

void EventEncoder::write(const Exec& e) {
  header(EventType::exec, "exec", e.venue, e.symbol);
  JsonOut j(line_, true);
  j.field("id", e.id);
  j.field("venue", e.venue);
  j.field("symbol", e.symbol);
  j.field("ts", e.ts);
  j.field("side", to_string(e.side));
  j.field("status", to_string(e.status));
  optional_decimal(j, "price", e.price);
  optional_decimal(j, "qty", e.qty);
  j.field("filled", e.filled);
  j.field("leaves", e.leaves);
  optional_decimal(j, "order_price", e.order_price);
  optional_decimal(j, "avg_price", e.avg_price);
  optional_decimal(j, "fee", e.fee);
  if (e.liquidity != Liquidity::none) j.field("liquidity", to_string(e.liquidity));
  optional_text(j, "reason", e.reason);
  optional_text(j, "venue_id", e.venue_id);
  optional_text(j, "trade_id", e.trade_id);
  optional_text(j, "strategy", e.strategy);
  if (e.seq) j.field("seq", *e.seq);
  line_.push_back('}');
  emit();
  if (EventTally* t = tally()) t->out_exec(e);
}

void EventEncoder::write(const Position& p) {
  header(EventType::position, "position", p.venue, p.symbol);
  JsonOut j(line_, true);
  j.field("venue", p.venue);
  j.field("symbol", p.symbol);
  j.field("ts", p.ts);
  j.field("qty", p.qty);
  j.field("avg_price", p.avg_price);
  j.field("realized_pnl", p.realized_pnl);
  j.field("unrealized_pnl", p.unrealized_pnl);
  j.field("fees", p.fees);
  optional_decimal(j, "mark", p.mark);
  optional_number(j, "delta", p.delta);
  optional_number(j, "gamma", p.gamma);
  optional_number(j, "vega", p.vega);
  optional_number(j, "theta", p.theta);
  line_.push_back('}');
  emit();
  if (EventTally* t = tally()) t->out_position(p);
}

void EventEncoder::write(const PortfolioGreeks& g) {
  header(EventType::greeks, "greeks", g.venue, g.underlying);
  JsonOut j(line_, true);
  j.field("venue", g.venue);
  j.field("underlying", g.underlying);
  j.field("ts", g.ts);
  j.key("delta"), j.number(g.delta);
  j.key("gamma"), j.number(g.gamma);
  j.key("vega"), j.number(g.vega);
  j.key("theta"), j.number(g.theta);
  if (!g.hedge_symbol.empty()) {
    j.field("hedge", g.hedge_symbol);
    j.key("delta_target"), j.number(g.delta_target);
    j.key("delta_band"), j.number(g.delta_band);
  }
  line_.push_back('}');
  emit();
  if (EventTally* t = tally()) t->out_greeks(g);
}

void EventEncoder::write(const Control& c) {
  line_.clear();
  topic_.clear();
  if (sink_.wants_topic()) topic_.append("control.").append(c.target);
  line_.append("{\"type\":\"control\"");
  JsonOut j(line_, true);
  j.field("command", c.command);
  optional_text(j, "target", c.target);
  optional_text(j, "detail", c.detail);
  j.field("ts", c.ts);
  line_.push_back('}');
  emit();
}

}  // namespace ot
