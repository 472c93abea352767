#include "metrics/event_meter.h"

#include <cctype>

namespace ot::metrics {

namespace {

constexpr std::string_view kDirection[2] = {"in", "out"};

// The status events of man ot-events.7; others count as "other".
constexpr std::string_view kStatusEvents[] = {
    "connected",         "disconnected", "subscribed", "gap",          "resync",
    "checksum_mismatch", "book_invalid", "book_valid", "error",        "eof",
    "listening",         "kill",         "resume",     "rate_limited", "cancel_reject",
    "amend_reject",      "stale"};

// Venue names are short: an inline comparison, without a call to memcmp.
bool same(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

std::string_view known_status(std::string_view event) {
  for (auto k : kStatusEvents) {
    if (k == event) return k;
  }
  return "other";
}

std::string type_label(EventType kind) {
  const std::string_view name = event_type_name(kind);
  return name.empty() ? "other" : std::string(name);
}

}  // namespace

Gauge& kill_switch_gauge() {
  return registry().gauge("ot_kill_switch", "1 while the kill switch is engaged.");
}

Counter& rate_limit_waits(std::string_view venue) {
  return registry().counter("ot_rate_limit_waits_total",
                            "Times the venue's rate limit made the program wait.",
                            {{"venue", std::string(venue)}});
}

std::string reason_class(std::string_view reason) {
  std::string out;
  int words = 0;
  std::size_t i = 0;
  while (i < reason.size() && words < 3) {
    while (i < reason.size() && reason[i] == ' ') ++i;
    const std::size_t start = i;
    bool plain = true;
    while (i < reason.size() && reason[i] != ' ') {
      const auto c = static_cast<unsigned char>(reason[i]);
      if (!std::isalpha(c) && c != '_' && c != '-') plain = false;
      ++i;
    }
    if (i == start) break;
    std::string_view word = reason.substr(start, i - start);
    // A word ending in ':' or ',' closes the class.
    const bool last = !word.empty() && (word.back() == ':' || word.back() == ',');
    if (last) word.remove_suffix(1);
    bool ok = !word.empty();
    for (char c : word) {
      ok = ok && (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    }
    if (!ok || (!plain && !last)) break;
    if (!out.empty()) out.push_back('_');
    for (char c : word) {
      out.push_back(c == '-' ? '_'
                             : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    ++words;
    if (last) break;
  }
  return out.empty() ? "other" : out;
}

EventMeter::EventMeter(Registry& registry, std::size_t symbol_cap)
    : registry_(registry),
      symbols_(symbol_cap),
      malformed_(registry.counter("ot_malformed_lines_total",
                                  "Lines read that were not events (reported and skipped).")) {
  registry_.on_tick(this, [this] { tick(); });
  registry_.on_scrape(this, [this] {
    const Nanos now = mono_ns();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& v : venues_) {
      for (int d = 0; d < 2; ++d) {
        const Nanos last = v.last[d];
        if (last == 0) continue;
        registry_
            .gauge("ot_last_event_age_seconds",
                   "Seconds since the venue's last event was read (in) or written (out).",
                   {{"direction", std::string(kDirection[d])}, {"venue", v.name}})
            .set(now > last ? static_cast<double>(now - last) * 1e-9 : 0.0);
      }
    }
  });
}

EventMeter::~EventMeter() { registry_.forget(this); }

EventMeter::Entry* EventMeter::find(int direction, EventType kind, std::string_view venue) {
  std::lock_guard<std::mutex> lock(mu_);
  VenueState* state = nullptr;
  for (auto& v : venues_) {
    if (v.name == venue) state = &v;
  }
  if (state == nullptr && venues_.size() >= kMaxVenues) {
    venue = "other";
    for (auto& v : venues_) {
      if (v.name == venue) state = &v;
    }
  }
  if (state == nullptr) {
    state = &venues_.emplace_back();
    state->name = std::string(venue);
  }
  for (auto& e : entries_) {
    if (e.direction == direction && e.kind == kind && e.venue == state->name) return &e;
  }
  Counter& c = registry_.counter("ot_events_total",
                                 "Events read (direction in) and written (out), by type and venue.",
                                 {{"direction", std::string(kDirection[direction])},
                                  {"type", type_label(kind)},
                                  {"venue", state->name}});
  return &entries_.emplace_back(
      Entry{state->name, direction, kind, &c, &state->last[direction], 0});
}

void EventMeter::count(int direction, EventType kind, std::string_view venue) noexcept {
  auto& cache = recent_[direction][static_cast<std::size_t>(kind)];
  Entry* e = nullptr;
  for (auto& slot : cache) {
    Entry* c = slot.load(std::memory_order_relaxed);
    if (c == nullptr) break;
    if (same(c->venue, venue)) {
      e = c;
      break;
    }
  }
  if (e == nullptr) {
    try {
      e = find(direction, kind, venue);
    } catch (...) {
      return;  // out of memory: the count is lost, not the event
    }
    // The first empty slot, or the last one once all are taken.
    std::size_t i = 0;
    while (i + 1 < cache.size() && cache[i].load(std::memory_order_relaxed) != nullptr) ++i;
    cache[i].store(e, std::memory_order_relaxed);
  }
  e->events->inc();
}

void EventMeter::tick() {
  const Nanos now = mono_ns();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    const std::uint64_t n = e.events->value();
    if (n == e.seen) continue;
    e.seen = n;
    *e.last = now;
  }
}

void EventMeter::in(EventType kind, std::string_view venue, std::string_view line) noexcept {
  count(0, kind, venue);
  next_line();
  if (kind != EventType::status) return;
  // Status events are rare: their `event` is looked for in the line.
  constexpr std::string_view kKey = "\"event\":\"";
  const std::size_t at = line.find(kKey);
  if (at == std::string_view::npos) return;
  const std::size_t start = at + kKey.size();
  const std::size_t end = line.find('"', start);
  if (end == std::string_view::npos) return;
  try {
    status(0, line.substr(start, end - start), venue);
  } catch (...) {
  }
}

void EventMeter::out(EventType kind, std::string_view venue) noexcept { count(1, kind, venue); }

void EventMeter::status(int direction, std::string_view event, std::string_view venue) {
  const std::string_view known = known_status(event);
  std::string v(venue);
  registry_
      .counter("ot_status_total",
               "Status events read (in) and written (out): gap, resync, checksum_mismatch, "
               "connected, disconnected, rate_limited, kill, ...",
               {{"direction", std::string(kDirection[direction])},
                {"event", std::string(known)},
                {"venue", v}})
      .inc();
  if (direction == 1 && (known == "connected" || known == "disconnected") && !v.empty()) {
    registry_
        .gauge("ot_venue_connected", "1 while connected to the venue, 0 after a disconnect.",
               {{"venue", v}})
        .set(known == "connected" ? 1 : 0);
  }
  if (known == "rate_limited") {
    registry_
        .counter("ot_rate_limit_waits_total", "Times the venue's rate limit made the program wait.",
                 {{"venue", v}})
        .inc();
  }
  if (direction == 1 && (known == "kill" || known == "resume")) {
    kill_switch_gauge().set(known == "kill" ? 1 : 0);
  }
}

void EventMeter::out_status(const Status& s) noexcept {
  try {
    status(1, s.event, s.venue);
  } catch (...) {
  }
}

void EventMeter::out_exec(const Exec& e) noexcept {
  try {
    const std::string venue(e.venue);
    registry_
        .counter("ot_execs_total", "Execution reports written, by state.",
                 {{"venue", venue}, {"status", std::string(to_string(e.status))}})
        .inc();
    if (e.qty && e.qty->mantissa > 0) {
      registry_.counter("ot_fills_total", "Fills reported.", {{"venue", venue}}).inc();
    }
    if (e.status == ExecStatus::rejected) {
      const std::string reason = reason_class(e.reason);
      registry_
          .counter("ot_rejects_total", "Orders, cancels and amends rejected, by reason.",
                   {{"venue", venue}, {"reason", std::string(reasons_(reason))}})
          .inc();
    }
  } catch (...) {
  }
}

void EventMeter::out_position(const Position& p) noexcept {
  try {
    const Labels labels = {{"venue", std::string(p.venue)},
                           {"symbol", std::string(symbols_(p.symbol))}};
    registry_.gauge("ot_position", "Position (signed, long positive), in contracts.", labels)
        .set(p.qty.to_double());
    registry_.gauge("ot_realized_pnl", "Realized PnL, in the quote currency.", labels)
        .set(p.realized_pnl.to_double());
    registry_.gauge("ot_unrealized_pnl", "Unrealized PnL at the mark.", labels)
        .set(p.unrealized_pnl.to_double());
    registry_.gauge("ot_fees", "Fees paid.", labels).set(p.fees.to_double());
  } catch (...) {
  }
}

void EventMeter::out_greeks(const PortfolioGreeks& g) noexcept {
  try {
    const std::string venue(g.venue), underlying(symbols_(g.underlying));
    const std::pair<const char*, double> values[] = {
        {"delta", g.delta}, {"gamma", g.gamma}, {"vega", g.vega}, {"theta", g.theta}};
    for (const auto& [name, v] : values) {
      registry_
          .gauge("ot_greek", "Portfolio greeks per venue and underlying.",
                 {{"venue", venue}, {"underlying", underlying}, {"greek", name}})
          .set(v);
    }
  } catch (...) {
  }
}

std::uint64_t EventMeter::events() const {
  std::uint64_t n = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) n += e.events->value();
  return n;
}

}  // namespace ot::metrics
