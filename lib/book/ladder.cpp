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
  const int n = std::max(1, levels);
  const auto asks = std::min<std::size_t>(static_cast<std::size_t>(n), book.depth(BookSide::ask));
  const auto bids = std::min<std::size_t>(static_cast<std::size_t>(n), book.depth(BookSide::bid));
  // Scale the size bars to the largest size shown.
  double biggest = 0;
  for (std::size_t i = 0; i < asks; ++i) biggest = std::max(biggest, book.qty(BookSide::ask, i).to_double());
  for (std::size_t i = 0; i < bids; ++i) biggest = std::max(biggest, book.qty(BookSide::bid, i).to_double());
  const int bar_room = w - 44;
  auto row = [&](BookSide side, std::size_t i) {
    const std::string px = book.price(side, i).to_string();
    const Decimal q = book.qty(side, i);
    const int bar = biggest > 0 ? static_cast<int>(q.to_double() / biggest * bar_room) : 0;
    out += fmt::format("{}{:>20}  {:>20} {}\x1b[0m\n", side == BookSide::ask ? "\x1b[31m" : "\x1b[32m",
                       px, q.to_string(), std::string(static_cast<std::size_t>(std::max(bar, 0)), '#'));
  };
  for (std::size_t k = 0; k < static_cast<std::size_t>(n) - asks; ++k) out += '\n';
  for (std::size_t i = asks; i-- > 0;) row(BookSide::ask, i);
  if (asks > 0 && bids > 0) {
    DerivedFigures d = derive(book.price(BookSide::bid, 0), book.qty(BookSide::bid, 0),
                              book.price(BookSide::ask, 0), book.qty(BookSide::ask, 0));
    out += fmt::format("{:>20}  spread {}  micro {}  imb {}\n", d.mid.to_string(),
                       d.spread.to_string(), d.microprice, d.imbalance);
  } else {
    out += fmt::format("{:>20}\n", "-");
  }
  for (std::size_t i = 0; i < bids; ++i) row(BookSide::bid, i);
  return out;
}

}  // namespace ot
