#include "metrics/line_meter.h"

#include <time.h>

namespace ot::metrics {

namespace {

// The monotonic clock at the kernel tick's resolution (a few ms), read
// without a system call: enough for an age, cheap enough per line.
Nanos coarse_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The string value of member `key` ("\"type\":\"") at `pos` of `line`,
// when the line has it there; advances `pos` past it.
bool member_at(std::string_view line, std::size_t& pos, std::string_view key,
               std::string_view& value) {
  if (line.substr(pos, key.size()) != key) return false;
  const std::size_t start = pos + key.size();
  const std::size_t end = line.find('"', start);
  if (end == std::string_view::npos || end - start > 64) return false;
  value = line.substr(start, end - start);
  if (value.find('\\') != std::string_view::npos) return false;
  pos = end + 1;
  return true;
}

}  // namespace

void classify_line(std::string_view line, std::string_view& type, std::string_view& venue) {
  type = venue = {};
  std::size_t pos = 1;
  if (line.empty() || line[0] != '{' || !member_at(line, pos, "\"type\":\"", type)) return;
  if (pos < line.size() && line[pos] == ',') ++pos;
  (void)member_at(line, pos, "\"venue\":\"", venue);
}

LineMeter::LineMeter(Registry& registry, std::string direction, std::size_t max_series)
    : registry_(registry),
      direction_(std::move(direction)),
      max_series_(max_series),
      malformed_(registry.counter("ot_malformed_lines_total",
                                  "Lines read that were not events (reported and skipped).")) {
  entries_.reserve(max_series_ + 1);
  if (direction_ == "in") {
    // The ages are computed at each scrape from the venues' last times.
    registry_.on_scrape([this] {
      const Nanos now = coarse_now();
      for (const auto& v : venues_) {
        const Nanos last = v->last->load(std::memory_order_relaxed);
        registry_
            .gauge("ot_last_event_age_seconds", "Seconds since the venue's last event was read.",
                   {{"venue", v->name}})
            .set(last == 0 ? 0.0 : static_cast<double>(now - last) * 1e-9);
      }
    });
  }
}

LineMeter::Entry& LineMeter::entry(std::string_view type, std::string_view venue) {
  if (recent_ != nullptr && recent_->type == type && recent_->venue == venue) return *recent_;
  for (auto& e : entries_) {
    if (e.type == type && e.venue == venue) return *(recent_ = &e);
  }
  if (entries_.size() >= max_series_) {
    type = venue = "other";
    for (auto& e : entries_) {
      if (e.type == type && e.venue == venue) return *(recent_ = &e);
    }
  }
  std::atomic<Nanos>* last = nullptr;
  for (auto& v : venues_) {
    if (v->name == venue) last = v->last.get();
  }
  if (last == nullptr) {
    venues_.push_back(std::make_unique<Venue>(
        Venue{std::string(venue), std::make_unique<std::atomic<Nanos>>(0)}));
    last = venues_.back()->last.get();
  }
  Counter& c = registry_.counter("ot_events_total", "Events read (in) and written (out).",
                                 {{"direction", direction_},
                                  {"type", type.empty() ? "other" : std::string(type)},
                                  {"venue", std::string(venue)}});
  entries_.push_back(Entry{std::string(type), std::string(venue), &c, last});
  return *(recent_ = &entries_.back());
}

void LineMeter::count(std::string_view line) {
  std::string_view type, venue;
  classify_line(line, type, venue);
  Entry& e = entry(type, venue);
  e.events->inc();
  const Nanos now = coarse_now();
  e.last->store(now, std::memory_order_relaxed);
  last_.store(now, std::memory_order_relaxed);
  if (type == "status" && direction_ == "in") count_status(line, e.venue);
}

void LineMeter::count_status(std::string_view line, std::string_view venue) {
  // Status events are rare: a search, and the registry's lookup. Events
  // outside man ot-events.7's list count as "other" (bounded labels).
  static constexpr std::string_view kEvents[] = {
      "connected",         "disconnected", "subscribed", "gap",           "resync",
      "checksum_mismatch", "book_invalid", "book_valid", "error",         "eof",
      "listening",         "kill",         "resume",     "cancel_reject", "amend_reject"};
  const std::size_t at = line.find("\"event\":\"");
  if (at == std::string_view::npos) return;
  std::size_t pos = at;
  std::string_view event;
  if (!member_at(line, pos, "\"event\":\"", event)) return;
  bool known = false;
  for (auto k : kEvents) known = known || k == event;
  if (!known) event = "other";
  registry_
      .counter("ot_status_total",
               "Status events read: gap, resync, checksum_mismatch, connected, disconnected, ...",
               {{"event", std::string(event)}, {"venue", std::string(venue)}})
      .inc();
}

}  // namespace ot::metrics
