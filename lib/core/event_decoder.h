// Decodes NDJSON event lines (man/ot-events.7) for the programs that consume
// them. A decoder decodes only the types its owner asks for; the others are
// identified by `type` and left for pass-through untouched.
//
// Threading: one decoder per thread; decoded views are valid until the next
// decode() call (they point into the line or the decoder's buffers).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "core/orders.h"
#include "core/result.h"

namespace ot {

enum class EventType : std::uint8_t {
  unknown,
  book,
  trade,
  quote,
  ticker,
  status,
  bbo,
  depth,
  order,
  cancel,
  amend,
  exec,
  position,
  greeks,
  control,
  bar,
};
EventType event_type_of(std::string_view type);
// The name events carry ("book"), empty for unknown.
std::string_view event_type_name(EventType kind);

// A set of event types.
class EventTypes {
 public:
  constexpr EventTypes() = default;
  constexpr EventTypes(std::initializer_list<EventType> types) {
    for (auto t : types) bits_ |= bit(t);
  }
  constexpr bool contains(EventType t) const { return (bits_ & bit(t)) != 0; }

 private:
  static constexpr std::uint32_t bit(EventType t) { return 1u << static_cast<int>(t); }
  std::uint32_t bits_ = 0;
};

// A line of nothing but spaces and tabs: it carries nothing, and every
// consumer of events skips it silently (man ot-events.7).
inline bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

struct DecodedEvent {
  std::string_view type;  // as written ("book", "status", ...; empty if absent)
  // A passed-through event's venue, when `venue` follows `type` as the
  // contract writes it and a tally is installed (core/event_tally.h).
  std::string_view venue;
  EventType kind = EventType::unknown;
  // Each valid only when `kind` names it and the decoder was asked for it.
  BookUpdate book;  // book, and depth (the same fields: its top levels)
  Status status;
  Trade trade;
  TopOfBookEvent top;  // bbo and quote
  Ticker ticker;
  Order order;
  Cancel cancel;
  Amend amend;
  Exec exec;
  Control control;
  Candle bar;
  bool decoded = false;  // false: a type this decoder passes through
};

// The venue an event carries: its decoded struct's, or for an event passed
// through, what the decoder read (DecodedEvent::venue); empty if none.
std::string_view venue_of(const DecodedEvent& ev) noexcept;

// The order, cancel or amend `ev` holds as an Order (request_of), nullopt
// for any other kind: after a failed decode, the request to answer by id.
std::optional<Order> request_in(const DecodedEvent& ev);

class EventDecoder {
 public:
  explicit EventDecoder(EventTypes wanted = {EventType::book, EventType::status});
  ~EventDecoder();
  // `line` must be followed by kLinePadding readable bytes. corrupt when the
  // line is not a JSON object with a string `type`, or a wanted event lacks
  // a required field or has one of the wrong type. When it fails for a
  // wanted order, cancel or amend, `out.kind` names that type and the event
  // holds what could be read of its id, venue, symbol, side and strategy,
  // so that its owner can answer the id with a reject; after any other
  // failure `out.kind` is unknown.
  Result<> decode(std::string_view line, DecodedEvent& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot
