// What a program's metrics count of its event streams, told by the code
// that already holds each event's type and venue: the decoders for every
// line read, the encoders and the engines for every event written. A
// program that exports metrics installs one tally (metrics/event_meter.h)
// before it reads or writes anything; without one, the hooks cost a load
// and a branch.
//
// Threading: the hooks run on the threads that decode and encode; a tally
// must take them from any thread.
#pragma once

#include <string_view>

#include "core/event_decoder.h"
#include "core/event_encoder.h"

namespace ot {

class EventTally {
 public:
  virtual ~EventTally() = default;
  // A line read: its type and venue (empty: none), and the line itself for
  // the rare events whose details are counted (status).
  virtual void in(EventType kind, std::string_view venue, std::string_view line) noexcept = 0;
  // A line read that was not an event (reported and skipped).
  virtual void malformed() noexcept = 0;
  // An event written.
  virtual void out(EventType kind, std::string_view venue) noexcept = 0;
  // The events written whose contents are exported as well.
  virtual void out_status(const Status& s) noexcept = 0;
  virtual void out_exec(const Exec& e) noexcept = 0;
  virtual void out_position(const Position& p) noexcept = 0;
  virtual void out_greeks(const PortfolioGreeks& g) noexcept = 0;
};

namespace detail {
inline EventTally* g_event_tally = nullptr;
}

// The process's tally, null when none is installed.
inline EventTally* event_tally() noexcept { return detail::g_event_tally; }
// Installs `t` (null: none). Call before the threads that decode start.
inline void install_event_tally(EventTally* t) noexcept { detail::g_event_tally = t; }

// Counts an event read and passed on unchanged as an event written.
inline void tally_passed(const DecodedEvent& ev) noexcept {
  if (EventTally* t = event_tally()) t->out(ev.kind, venue_of(ev));
}

// Passes an event read on unchanged (its type as the topic), counted.
inline void pass_on(LineSink& out, const DecodedEvent& ev, std::string_view line) {
  out.write_line(ev.type, line);
  tally_passed(ev);
}

// Counts an event a program wrote with a writer of its own.
inline void tally_out(EventType kind, std::string_view venue) noexcept {
  if (EventTally* t = event_tally()) t->out(kind, venue);
}

}  // namespace ot
