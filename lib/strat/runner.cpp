#include "strat/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "core/event_tally.h"

namespace ot {

namespace {
constexpr EventTypes kMarket = {EventType::bbo,    EventType::quote, EventType::trade,
                                EventType::status, EventType::exec,  EventType::bar};
constexpr EventTypes kMarketAndDepth = {EventType::bbo,    EventType::quote, EventType::trade,
                                        EventType::status, EventType::exec,  EventType::depth,
                                        EventType::bar};
constexpr EventTypes kFeedback = {EventType::exec};

// The instrument's key in the maps ("venue\x1fsymbol"), in a thread-local
// buffer: no allocation per call.
std::string_view instrument_key(std::string_view venue, std::string_view symbol) {
  thread_local std::string key;
  key.assign(venue).push_back('\x1f');
  key.append(symbol);
  return key;
}
}  // namespace

StrategyRunner::StrategyRunner(Strategy& strategy, LineSink& out, Diagnostics& diag,
                               RunnerOptions options)
    : strategy_(strategy),
      out_(out),
      diag_(diag),
      options_(std::move(options)),
      decoder_(strategy.wants_depth() ? kMarketAndDepth : kMarket),
      feedback_decoder_(kFeedback),
      encoder_(out) {
  if (options_.id_prefix.empty()) options_.id_prefix = std::string(strategy_.name());
}

void StrategyRunner::start() { strategy_.on_start(*this); }

void StrategyRunner::stop() { strategy_.on_stop(*this); }

void StrategyRunner::note(std::string_view message) { diag_.warning(strategy_.name(), message); }

void StrategyRunner::status(std::string_view venue, std::string_view symbol, std::string_view event,
                            std::string_view detail) {
  if (sink_ == nullptr) {
    Status s;
    s.venue = venue;
    s.symbol = symbol;
    s.ts = now_;
    s.event = event;
    s.detail = detail;
    encoder_.on_status(s);
  }
  note(fmt::format("{} {}: {}: {}", venue, symbol, event, detail));
}

bool StrategyRunner::process_line(std::string_view line, std::string_view source,
                                  std::uint64_t line_number) {
  ++stats_.lines;
  if (is_blank(line)) return true;
  if (auto decoded = decoder_.decode(line, ev_); !decoded) {
    ++stats_.malformed;
    diag_.error(line_number > 0 ? fmt::format("{}:{}", source, line_number) : std::string(source),
                decoded.error().message());
    return false;
  }
  pass_on(out_, ev_, line);
  if (!ev_.decoded) return true;
  switch (ev_.kind) {
    case EventType::bbo:
    case EventType::quote:
      if (options_.top_source != "any" && ev_.type != options_.top_source) break;
      on_top(ev_.top);
      break;
    case EventType::trade:
      on_trade(ev_.trade);
      break;
    case EventType::status:
      on_status(ev_.status);
      break;
    case EventType::exec:
      on_exec(ev_.exec);
      break;
    case EventType::depth:
      keep_depth(ev_.book);
      break;
    case EventType::bar:
      on_bar(ev_.bar);
      break;
    default:
      break;
  }
  return true;
}

void StrategyRunner::on_top(const TopOfBookEvent& t) {
  clock(t.recv != 0 ? t.recv : t.ts);
  if (timer_ && *timer_ <= now_) run_timer();
  strategy_.on_top(t, *this);
}

void StrategyRunner::on_bar(const Candle& k) {
  if (k.forming) return;
  clock(k.close_time);
  if (timer_ && *timer_ <= now_) run_timer();
  strategy_.on_bar(k, *this);
}

void StrategyRunner::process_feedback(std::string_view line) {
  if (auto decoded = feedback_decoder_.decode(line, fb_); !decoded) {
    diag_.error("executions endpoint", decoded.error().message());
    return;
  }
  if (!fb_.decoded) return;  // status events from the venue
  on_feedback(fb_.exec);
}

void StrategyRunner::on_feedback(const Exec& e) {
  if (e.seq) {
    if (*e.seq <= last_seq_) return;  // seen already
    if (last_seq_ > 0 && *e.seq != last_seq_ + 1) {
      ++stats_.feedback_gaps;
      diag_.error("executions endpoint",
                  fmt::format("reports {}..{} missing", last_seq_ + 1, *e.seq - 1));
      Status s;
      s.venue = e.venue;
      s.ts = now_;
      s.event = "gap";
      s.detail = "execution reports missing on the executions endpoint";
      encoder_.on_status(s);
    }
    last_seq_ = *e.seq;
  }
  on_exec(e);
}

void StrategyRunner::on_exec(const Exec& e) {
  if (tracker_.find(e.id) == nullptr) return;  // another strategy's order
  auto r = tracker_.apply(e);
  if (r.kind != OrderTracker::Applied::ok) {
    if (r.kind == OrderTracker::Applied::refused) {
      diag_.warning(strategy_.name(), fmt::format("report for {} ignored: {}", e.id, r.reason));
    }
    return;
  }
  ++stats_.reports;
  if (r.order != nullptr && r.order->open()) {
    tracker_.amend(e.id, add(e.filled, e.leaves), e.order_price);  // after an amend
  }
  if (e.qty && e.price && e.qty->mantissa > 0) {
    ++stats_.fills;
    key_.assign(e.venue).push_back('\x1f');
    key_.append(e.symbol);
    Decimal& pos = positions_[key_];
    pos = e.side == Side::buy ? add(pos, *e.qty) : sub(pos, *e.qty);
  }
  clock(e.ts);
  strategy_.on_exec(e, *this);
}

void StrategyRunner::run_timer() {
  const Nanos at = *timer_;
  timer_.reset();
  strategy_.on_timer(at, *this);
}

void StrategyRunner::advance(Nanos now) {
  clock(now);
  if (timer_ && *timer_ <= now_) run_timer();
}

std::string_view StrategyRunner::submit(const OrderRequest& r) {
  id_.clear();  // reuses its buffer
  fmt::format_to(std::back_inserter(id_), "{}-{}-{}", options_.id_prefix, options_.session,
                 next_id_++);
  Order o;
  o.id = id_;
  o.venue = r.venue;
  o.symbol = r.symbol;
  o.side = r.side;
  o.kind = r.price ? OrderKind::limit : OrderKind::market;
  o.tif = r.tif;
  o.qty = r.qty;
  o.price = r.price;
  o.reduce_only = r.reduce_only;
  o.strategy = strategy_.tag();
  o.ts = now_;
  tracker_.add(o);
  if (sink_ != nullptr) {
    sink_->on_order(o);
  } else {
    encoder_.write(o);
  }
  ++stats_.orders;
  return id_;
}

void StrategyRunner::cancel(std::string_view id) {
  const TrackedOrder* t = tracker_.find(id);
  if (t == nullptr || !t->open()) return;
  Cancel c;
  c.id = id;
  c.venue = t->venue;
  c.symbol = t->symbol;
  c.strategy = strategy_.tag();
  c.ts = now_;
  if (sink_ != nullptr) {
    sink_->on_cancel(c);
  } else {
    encoder_.write(c);
  }
  ++stats_.cancels;
}

void StrategyRunner::amend(std::string_view id, std::optional<Decimal> qty,
                           std::optional<Decimal> price) {
  const TrackedOrder* t = tracker_.find(id);
  if (t == nullptr || !t->open()) return;
  Amend a;
  a.id = id;
  a.venue = t->venue;
  a.symbol = t->symbol;
  a.qty = qty;
  a.price = price;
  a.strategy = strategy_.tag();
  a.ts = now_;
  if (sink_ != nullptr) {
    sink_->on_amend(a);
  } else {
    encoder_.write(a);
  }
  ++stats_.amends;
}

Decimal StrategyRunner::position(std::string_view venue, std::string_view symbol) const {
  auto it = positions_.find(instrument_key(venue, symbol));
  return it == positions_.end() ? Decimal{0, 0} : it->second;
}

void StrategyRunner::keep_depth(const BookUpdate& d) {
  const std::string_view key = instrument_key(d.venue, d.symbol);
  auto it = depths_.find(key);
  if (it == depths_.end()) it = depths_.emplace(std::string(key), Depth{}).first;
  auto copy = [](std::span<const PriceLevel> from, std::vector<Level>& to) {
    to.clear();
    for (const PriceLevel& l : from) {
      const auto price = l.price_decimal();
      const auto qty = l.qty_decimal();
      if (price && qty) to.push_back(Level{*price, *qty});
    }
  };
  copy(d.bids, it->second.bids);
  copy(d.asks, it->second.asks);
}

bool StrategyRunner::depth(std::string_view venue, std::string_view symbol, std::size_t levels,
                           std::vector<Level>& bids, std::vector<Level>& asks) const {
  bids.clear();
  asks.clear();
  if (depth_source_) return depth_source_(venue, symbol, levels, bids, asks);
  auto it = depths_.find(instrument_key(venue, symbol));
  if (it == depths_.end()) return false;
  const auto take = [levels](const std::vector<Level>& from, std::vector<Level>& to) {
    to.assign(from.begin(), from.begin() + static_cast<long>(std::min(levels, from.size())));
  };
  take(it->second.bids, bids);
  take(it->second.asks, asks);
  return true;
}

void StrategyRunner::on_trade(const Trade& t) {
  clock(t.recv != 0 ? t.recv : t.ts.value_or(0));
  if (timer_ && *timer_ <= now_) run_timer();
  strategy_.on_trade(t, *this);
}

void StrategyRunner::on_status(const Status& s) {
  clock(s.ts);
  if (s.event == "book_invalid" && !depths_.empty()) {
    if (auto it = depths_.find(instrument_key(s.venue, s.symbol)); it != depths_.end()) {
      depths_.erase(it);
    }
  }
  strategy_.on_status(s, *this);
}

}  // namespace ot
