// A price-level (L2) order book for one instrument, exact to the venue's
// digits: prices are fixed-point integers at the book's finest price scale,
// and each level remembers the scale its venue text had, so a level prints
// back as the venue wrote it ("30261" stays "30261", "7.6110" stays "7.6110").
//
// Layout: each side is a flat vector sorted so that the best level is at the
// back; updates near the top move few elements. No allocation once the
// vectors have grown to the book's depth.
// Threading: not thread-safe; one book per owner.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/events.h"

namespace ot {

struct BookLevel {
  std::int64_t key;  // bids: price at book scale; asks: its negation
  std::int8_t price_scale;
  Decimal qty;
};

enum class BookSide { bid, ask };

class L2Book {
 public:
  L2Book();

  void clear();
  // Sets `price` to `qty` (qty zero deletes). Returns false, leaving the book
  // unchanged, if either text is not a decimal, the qty is negative, or the
  // price needs more than 18 digits at the book's scale.
  bool apply(BookSide side, std::string_view price, std::string_view qty);

  std::size_t depth(BookSide side) const { return side_of(side).size(); }
  bool empty() const { return bids_.empty() && asks_.empty(); }
  // Level i from the top (0 = best); i < depth(side).
  Decimal price(BookSide side, std::size_t i) const;
  const Decimal& qty(BookSide side, std::size_t i) const;
  // Top-of-book shortcuts; nullopt on an empty side.
  std::optional<Decimal> best_price(BookSide side) const;
  // Total number of level changes applied since construction.
  std::uint64_t updates() const { return updates_; }

  // Writes the top `n` levels of a side as text into `arena` (resized as
  // needed) and `out`, whose views point into `arena`.
  void top_text(BookSide side, std::size_t n, std::string& arena,
                std::vector<PriceLevel>& out) const;

 private:
  using Side = std::vector<BookLevel>;
  Side& side_of(BookSide s) { return s == BookSide::bid ? bids_ : asks_; }
  const Side& side_of(BookSide s) const { return s == BookSide::bid ? bids_ : asks_; }
  void rescale(int new_scale);

  Side bids_;
  Side asks_;
  int scale_ = 0;
  std::uint64_t updates_ = 0;
};

}  // namespace ot
