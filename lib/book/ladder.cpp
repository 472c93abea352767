#include "book/ladder.h"

#include <fmt/format.h>

#include <algorithm>

namespace ot {

std::string render_ladder(const BookEngine::Entry& e, int levels, int width) {
  const L2Book& book = e.book.book();
  std::string out = "\x1b[H\x1b[2J";
  const int w = std::max(40, std::min(width, 100));
  out += fmt::format("\x1b[1m{} {}\x1b[0m  {}  seq {}\n", e.venue, e.symbol,
                     e.book.valid() ? "valid" : "\x1b[31mINVALID\x1b[0m",
                     e.book.last_seq() ? std::to_string(*e.book.last_seq()) : "-");
  const auto n = static_cast<std::size_t>(std::max(1, levels));
  std::vector<Level> asks, bids;
  book.top(BookSide::ask, n, asks);
  book.top(BookSide::bid, n, bids);
  // Scale the size bars to the largest size shown.
  double biggest = 0;
  for (const auto* side : {&asks, &bids}) {
    for (const Level& l : *side) biggest = std::max(biggest, l.qty.to_double());
  }
  const int bar_room = w - 44;
  auto row = [&](bool ask, const Level& l) {
    const int bar = biggest > 0 ? static_cast<int>(l.qty.to_double() / biggest * bar_room) : 0;
    out += fmt::format("{}{:>20}  {:>20} {}\x1b[0m\n", ask ? "\x1b[31m" : "\x1b[32m",
                       l.price.to_string(), l.qty.to_string(),
                       std::string(static_cast<std::size_t>(std::max(bar, 0)), '#'));
  };
  for (std::size_t k = asks.size(); k < n; ++k) out += '\n';
  for (std::size_t i = asks.size(); i-- > 0;) row(true, asks[i]);
  if (!asks.empty() && !bids.empty()) {
    DerivedFigures d = derive(bids[0].price, bids[0].qty, asks[0].price, asks[0].qty);
    out += fmt::format("{:>20}  spread {}  micro {}  imb {}\n", d.mid.to_string(),
                       d.spread.to_string(), d.microprice, d.imbalance);
  } else {
    out += fmt::format("{:>20}\n", "-");
  }
  for (const Level& l : bids) row(false, l);
  return out;
}

}  // namespace ot
