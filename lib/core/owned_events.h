// Owned copies of market events, for whoever holds one past the listener
// call that handed it over: the backtest's market-latency queue, the feed's
// book-sync buffer. A copy keeps every string (in one buffer) and every
// level, including the values a parser already read (no reparse), so its
// view is the event as it was received.
//
// Not copyable or movable (the view points into the object): hold copies
// by unique_ptr. Threading: none of its own.
#pragma once

#include <string>
#include <vector>

#include "core/events.h"

namespace ot {

class OwnedMarketEvent {
 public:
  enum class Kind { book, trade, status };

  explicit OwnedMarketEvent(const BookUpdate& u);
  explicit OwnedMarketEvent(const Trade& t);
  explicit OwnedMarketEvent(const Status& s);
  OwnedMarketEvent(const OwnedMarketEvent&) = delete;
  OwnedMarketEvent& operator=(const OwnedMarketEvent&) = delete;

  Kind kind() const { return kind_; }
  // The event; only the one of kind() is set. Valid while this lives.
  const BookUpdate& book() const { return book_; }
  const Trade& trade() const { return trade_; }
  const Status& status() const { return status_; }

 private:
  // Appends to text_, whose capacity was reserved for every string first,
  // so earlier views stay valid.
  std::string_view keep(std::string_view s);

  Kind kind_;
  std::string text_;
  std::vector<PriceLevel> levels_;  // bids, then asks
  BookUpdate book_;
  Trade trade_;
  Status status_;
};

}  // namespace ot
