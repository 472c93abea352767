// The event series every program exports (man ot-metrics.7), counted by
// the decoders and encoders through the tally hooks (core/event_tally.h):
//
//   ot_events_total{direction="in"|"out",type,venue}
//   ot_malformed_lines_total
//   ot_status_total{direction,event,venue}   gap, resync, checksum_mismatch,
//                                            connected, disconnected, ...
//   ot_last_event_age_seconds{direction,venue}
//   ot_venue_connected{venue}                1 after connected, 0 after
//                                            disconnected (ot-feed, ot-exec)
//   ot_rate_limit_waits_total{venue}
//   ot_execs_total{venue,status}, ot_fills_total{venue},
//   ot_rejects_total{venue,reason}
//   ot_position{venue,symbol}, ot_realized_pnl{...}, ot_unrealized_pnl{...},
//   ot_fees{...}
//   ot_greek{venue,underlying,greek}
//   ot_kill_switch                            1 while engaged
//
// An event read or written costs one relaxed increment, after comparisons
// with the venues its type had before (the first kCached; more take a
// lock). Event ages cost nothing per event: at every registry tick
// (Registry::kTickMs, on the exporter's thread) a venue whose counts moved
// is stamped with the time.
// Labels are bounded: at most kMaxVenues venues, `symbol_cap` symbols
// (LabelCap), status events and exec states from fixed lists, reasons by
// their leading words (reason_class) under a cap of their own.
//
// Threading: the hooks may run on any thread; series are read by the
// exporter's.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/event_tally.h"
#include "metrics/metrics.h"

namespace ot::metrics {

// The class of a reject reason, as a bounded label: its leading words up
// to the first one that holds a digit or punctuation, at most three,
// lower-case and joined by '_' ("quantity 5 above max_order_qty 1" ->
// "quantity", "kill switch: manual" -> "kill_switch"); "other" when none.
std::string reason_class(std::string_view reason);

// Series a program exports from its start, before the first event that
// moves them, so that an absent series never stands for zero: ot_kill_switch
// (a program with a kill switch), ot_rate_limit_waits_total{venue} (one
// that sends orders to a venue).
Gauge& kill_switch_gauge();
Counter& rate_limit_waits(std::string_view venue);

class EventMeter final : public EventTally {
 public:
  static constexpr std::size_t kMaxVenues = 64;
  EventMeter(Registry& registry, std::size_t symbol_cap);
  ~EventMeter() override;
  EventMeter(const EventMeter&) = delete;
  EventMeter& operator=(const EventMeter&) = delete;

  void in(EventType kind, std::string_view venue, std::string_view line) noexcept override;
  void malformed() noexcept override {
    malformed_.inc();
    next_line();
  }
  void out(EventType kind, std::string_view venue) noexcept override;
  void out_status(const Status& s) noexcept override;
  void out_exec(const Exec& e) noexcept override;
  void out_position(const Position& p) noexcept override;
  void out_greeks(const PortfolioGreeks& g) noexcept override;

  // Events read and written so far, all types.
  std::uint64_t events() const;
  // Lines read so far (events and malformed ones): a sequence for the
  // watchdog, kept with a load and a store, not a locked increment.
  std::uint64_t lines_in() const noexcept { return lines_in_.load(std::memory_order_relaxed); }

 private:
  struct VenueState {
    std::string name;
    Nanos last[2] = {0, 0};  // by direction, stamped at ticks
  };
  struct Entry {
    std::string_view venue;  // VenueState::name
    int direction;
    EventType kind;
    Counter* events;
    Nanos* last;             // in the venue's state
    std::uint64_t seen = 0;  // the count at the last tick
  };
  static constexpr std::size_t kTypes = static_cast<std::size_t>(EventType::bar) + 1;

  void next_line() noexcept {
    lines_in_.store(lines_in_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void count(int direction, EventType kind, std::string_view venue) noexcept;
  void tick();
  Entry* find(int direction, EventType kind, std::string_view venue);
  void status(int direction, std::string_view event, std::string_view venue);
  std::string_view symbol_label(std::string_view symbol);

  Registry& registry_;
  LabelCap symbols_;
  LabelCap reasons_{32};
  Counter& malformed_;
  std::atomic<std::uint64_t> lines_in_{0};
  mutable std::mutex mu_;  // the lists below; the caches are atomics
  std::deque<VenueState> venues_;
  std::deque<Entry> entries_;
  // Per direction and type, the entries of the first venues seen: found
  // by comparison, without the lock.
  static constexpr std::size_t kCached = 8;
  using Cache = std::array<std::atomic<Entry*>, kCached>;
  std::array<std::array<Cache, kTypes>, 2> recent_{};
};

}  // namespace ot::metrics
