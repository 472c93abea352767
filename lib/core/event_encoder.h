// Encodes normalized events as one NDJSON line each (man/ot-events.7) and
// hands every line to a LineSink together with its topic "type.venue.symbol".
//
// Threading: single-threaded; the sink is called synchronously.
#pragma once

#include <string>
#include <string_view>

#include "core/event_decoder.h"
#include "core/events.h"
#include "core/orders.h"

namespace ot {

class EventTally;

// Destination of encoded lines (stdout, a file, a ZeroMQ socket, a test).
class LineSink {
 public:
  virtual ~LineSink() = default;
  // `line` has no trailing newline; `topic` is "type.venue.symbol". The views
  // are valid for the call only.
  virtual void write_line(std::string_view topic, std::string_view line) = 0;
  // Whether this sink uses topics at all (stream outputs do not, so the
  // encoder skips building them).
  virtual bool wants_topic() const { return true; }
  // Whether this sink throws every line away (producers may then skip
  // building lines nobody reads).
  virtual bool discards() const { return false; }
  // Whether a line written again (the same event, by this or another
  // process) is kept once downstream: JetStream with message ids, within
  // its duplicate window. A restarted producer may then re-send what it
  // cannot know left before it died.
  virtual bool deduplicates() const { return false; }
};

class EventEncoder final : public EventListener {
 public:
  // `tallied`: each event written is counted by the process's tally
  // (core/event_tally.h); false for an encoder that writes what is not the
  // program's output (a journal).
  explicit EventEncoder(LineSink& sink, bool tallied = true);

  void on_book(const BookUpdate& u) override;
  void on_trade(const Trade& t) override;
  void on_quote(const Quote& q) override;
  void on_ticker(const Ticker& t) override;
  void on_status(const Status& s) override;

  // The trading events (man/ot-events.7). Topics are "type.venue.symbol"
  // ("greeks.venue.underlying", "control.target").
  void write(const Order& o);
  void write(const Cancel& c);
  void write(const Amend& a);
  void write(const Exec& e);
  void write(const Position& p);
  void write(const PortfolioGreeks& g);
  void write(const Control& c);

 private:
  void header(EventType kind, std::string_view type, std::string_view venue,
              std::string_view symbol);
  void emit();
  EventTally* tally() const;
  LineSink& sink_;
  bool tallied_;
  std::string line_;
  std::string topic_;
};

}  // namespace ot
