#include "core/owned_events.h"

namespace ot {

std::string_view OwnedMarketEvent::keep(std::string_view s) {
  const std::size_t at = text_.size();
  text_.append(s);
  return std::string_view(text_).substr(at, s.size());
}

OwnedMarketEvent::OwnedMarketEvent(const BookUpdate& u) : kind_(Kind::book), book_(u) {
  std::size_t n = u.venue.size() + u.symbol.size() + u.bids_json.size() + u.asks_json.size();
  for (const auto& l : u.bids) n += l.price.size() + l.qty.size();
  for (const auto& l : u.asks) n += l.price.size() + l.qty.size();
  text_.reserve(n);
  book_.venue = keep(u.venue);
  book_.symbol = keep(u.symbol);
  book_.bids_json = keep(u.bids_json);
  book_.asks_json = keep(u.asks_json);
  levels_.reserve(u.bids.size() + u.asks.size());
  for (const auto* side : {&u.bids, &u.asks}) {
    for (const PriceLevel& l : *side) {
      PriceLevel copy = l;
      copy.price = keep(l.price);
      copy.qty = keep(l.qty);
      levels_.push_back(copy);
    }
  }
  book_.bids = std::span<const PriceLevel>(levels_.data(), u.bids.size());
  book_.asks = std::span<const PriceLevel>(levels_.data() + u.bids.size(), u.asks.size());
}

OwnedMarketEvent::OwnedMarketEvent(const Trade& t) : kind_(Kind::trade), trade_(t) {
  text_.reserve(t.venue.size() + t.symbol.size() + t.price.size() + t.qty.size() + t.id.size());
  trade_.venue = keep(t.venue);
  trade_.symbol = keep(t.symbol);
  trade_.price = keep(t.price);
  trade_.qty = keep(t.qty);
  trade_.id = keep(t.id);
}

OwnedMarketEvent::OwnedMarketEvent(const Status& s) : kind_(Kind::status), status_(s) {
  text_.reserve(s.venue.size() + s.symbol.size() + s.event.size() + s.detail.size());
  status_.venue = keep(s.venue);
  status_.symbol = keep(s.symbol);
  status_.event = keep(s.event);
  status_.detail = keep(s.detail);
}

}  // namespace ot
