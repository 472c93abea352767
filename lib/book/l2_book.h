// A price-level (L2) order book for one instrument, exact to the venue's
// digits: prices are fixed-point integers at the book's finest price scale,
// and each level remembers the scale its venue text had, so a level prints
// back as the venue wrote it ("30261" stays "30261", "7.6110" stays "7.6110").
//
// Layout: each side is a flat array indexed by price tick (the tick is the
// GCD of all prices seen, learned from the data), over a window that follows
// the top of the book, with a bitmap to skip empty ticks; levels that fall
// below the window (far from the top) live in a small sorted overflow. An
// update near the top is an array store: no search, no shifting, no
// allocation once the window has grown to the book's span.
//
// Threading: not thread-safe; one book per owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/decimal.h"
#include "core/events.h"

namespace ot {

enum class BookSide { bid, ask };

struct Level {
  Decimal price;
  Decimal qty;
};

class L2Book {
 public:
  L2Book();

  void clear();
  // Sets `price` to `qty` (qty zero deletes). Returns false, leaving the book
  // unchanged, if either text is not a decimal, the price is not above
  // zero, the quantity is negative, or the
  // price needs more than 18 digits at the book's scale.
  bool apply(BookSide side, std::string_view price, std::string_view qty);
  // A level as a producer handed it over: its values if it read them, else
  // its text. With keep_text(), the text is kept when the values were read.
  bool apply(BookSide side, const PriceLevel& l) {
    if (l.price_value.scale >= 0 && l.qty_value.scale >= 0) {
      return apply(side, l.price_value, l.qty_value, &l);
    }
    return apply(side, l.price, l.qty);
  }
  bool apply(BookSide side, const Decimal& price, const Decimal& qty) {
    return apply(side, price, qty, nullptr);
  }

  // Keep each level's text as the venue wrote it (when it came with its
  // values), so top_text() hands it out without formatting: for books whose
  // checksums run over the venue's strings. Off by default.
  void keep_text(bool on);

  // Number of levels on a side.
  std::size_t depth(BookSide side) const;
  bool empty() const { return depth(BookSide::bid) == 0 && depth(BookSide::ask) == 0; }
  // Best level; nullopt on an empty side.
  std::optional<Level> best(BookSide side) const;
  // The top `n` levels, best first, into `out` (cleared first).
  void top(BookSide side, std::size_t n, std::vector<Level>& out) const;
  // Visits levels best first while `fn(const Level&)` returns true.
  template <class Fn>
  void walk(BookSide side, Fn&& fn) const;
  // Size at `price` on a side (zero if no level there).
  Decimal qty_at(BookSide side, const Decimal& price) const;
  // Total number of level changes applied since construction.
  std::uint64_t updates() const { return updates_; }
  // Bytes the book holds beyond the object itself: it follows the levels
  // held (a side's window doubles while it holds fewer than twice its
  // levels), not the prices they span.
  std::size_t memory_bytes() const { return bids_.memory_bytes() + asks_.memory_bytes(); }

  // The top `n` levels of a side as text: views in `out` point into `arena`
  // or, for kept text, into the book (valid until the book changes).
  void top_text(BookSide side, std::size_t n, std::string& arena,
                std::vector<PriceLevel>& out) const;

  // A level's text as the venue wrote it, kept with keep_text().
  struct LevelText {
    std::uint8_t price_len = 0;  // 0: not kept (the values are formatted)
    std::uint8_t qty_len = 0;
    char chars[30];
  };

  // One side: best is the highest key (bids: price; asks: -price).
  class Ladder {
   public:
    void clear();
    void set(std::int64_t key, std::int8_t price_scale, const Decimal& qty, const PriceLevel* text);
    void keep_text(bool on);
    std::size_t size() const { return dense_count_ + far_.size(); }
    // Visits up to n levels best first: fn(key, price_scale, qty, text),
    // text the kept LevelText or nullptr.
    template <class Fn>
    void visit(std::size_t n, Fn&& fn) const;
    // Size at `key` (zero if no level there).
    Decimal get(std::int64_t key) const;
    void rescale(std::int64_t factor);
    std::int64_t max_abs_key() const;
    std::size_t memory_bytes() const {
      return qty_.capacity() * sizeof(std::int64_t) + bits_.capacity() * sizeof(std::uint64_t) +
             scales_.capacity() * sizeof(Scales) + text_.capacity() * sizeof(LevelText) +
             far_.capacity() * sizeof(FarLevel);
    }

   private:
    struct FarLevel {
      std::int64_t key;
      std::int8_t price_scale;
      Decimal qty;
    };
    struct Moved {  // a level being laid out again
      FarLevel level;
      LevelText text;
    };
    struct Scales {
      std::int8_t qty = 0;
      std::int8_t price = 0;
    };
    void relayout(std::int64_t new_tick, std::int64_t center_key);
    // Stores a level on this window's grid at slot i (below the window:
    // among the far levels).
    void place(std::int64_t i, std::int64_t key, std::int8_t price_scale, const Decimal& qty,
               const PriceLevel* text) {
      if (i < 0) return set_far(key, price_scale, qty);
      place_dense(static_cast<std::size_t>(i), price_scale, qty, text);
    }
    void place_dense(std::size_t i, std::int8_t price_scale, const Decimal& qty,
                     const PriceLevel* text);
    void put_text(std::size_t i, const PriceLevel* text);
    // A set level whose scales differ from the uniform ones (or the first).
    void note_scales(std::size_t i, const Decimal& qty, std::int8_t price_scale);
    // The best dense level was deleted, and no dense level is left.
    void dense_emptied();
    static int scales_key(int qty_scale, int price_scale) { return qty_scale | price_scale << 8; }
    bool mixed() const { return uniform_ == kMixed; }
    std::int8_t qty_scale_at(std::size_t i) const {
      return mixed() ? scales_[i].qty : static_cast<std::int8_t>(uniform_ & 0xff);
    }
    std::int8_t price_scale_at(std::size_t i) const {
      return mixed() ? scales_[i].price : static_cast<std::int8_t>(uniform_ >> 8);
    }
    void set_slow(std::int64_t key, std::int8_t price_scale, const Decimal& qty,
                  const PriceLevel* text);
    void set_far(std::int64_t key, std::int8_t price_scale, const Decimal& qty);
    std::int64_t highest_set(std::int64_t from) const;  // -1 if none at or below
    // key / tick_ for keys on the grid, by multiplying with the inverse of
    // the tick's odd part (exact division: no hardware divide on the hot
    // path). Meaningless for a key off the grid.
    std::int64_t quotient(std::int64_t key) const {
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(key >> tick_shift_) *
                                       tick_inverse_);
    }
    // Whether tick_ divides key (Granlund-Montgomery divisibility test).
    bool on_grid(std::int64_t key) const {
      std::uint64_t u = static_cast<std::uint64_t>(key < 0 ? -key : key);
      if (u & ((std::uint64_t{1} << tick_shift_) - 1)) return false;
      return (u >> tick_shift_) * tick_inverse_ <= tick_limit_;
    }
    std::int64_t index_of(std::int64_t key) const { return quotient(key) - base_; }
    void set_tick(std::int64_t tick);

    std::int64_t tick_ = 0;           // key units per slot
    int tick_shift_ = 0;              // trailing zero bits of tick_
    std::uint64_t tick_inverse_ = 0;  // inverse of tick_'s odd part mod 2^64
    std::uint64_t tick_limit_ = 0;    // (2^64 - 1) / odd part
    std::int64_t base_ = 0;           // tick number of slot 0
    // Sizes per slot (mantissas; 0 = empty): 8 bytes a level, so a window
    // touches half the cache lines it would with the scales inline. Venues
    // write every size of a book with the same number of decimals, so the
    // scales are kept once per side; only a side that has seen levels
    // written two ways keeps them per slot (scales_).
    static constexpr int kNoScales = -1, kMixed = -2;
    std::vector<std::int64_t> qty_;
    std::vector<std::uint64_t> bits_;
    int uniform_ = kNoScales;     // scales_key() of every level, or kNoScales / kMixed
    std::vector<Scales> scales_;  // per slot, when mixed()
    bool keep_text_ = false;
    std::vector<LevelText> text_;  // per slot, when keep_text_
    std::int64_t best_ = -1;       // slot of the best dense level
    std::size_t dense_count_ = 0;
    std::vector<FarLevel> far_;  // keys below the window, ascending
  };

 private:
  bool apply(BookSide side, const Decimal& price, const Decimal& qty, const PriceLevel* text) {
    // Fast path: a price no finer than the book's scale.
    // (A price must be above zero, a quantity not below.)
    if (price.scale == scale_ && ((price.mantissa - 1) | qty.mantissa) >= 0) {
      ++updates_;
      side_of(side).set(side == BookSide::bid ? price.mantissa : -price.mantissa,
                        static_cast<std::int8_t>(price.scale), qty, text);
      return true;
    }
    return apply_slow(side, price, qty, text);
  }
  bool apply_slow(BookSide side, const Decimal& price, const Decimal& qty, const PriceLevel* text);
  Ladder& side_of(BookSide s) { return s == BookSide::bid ? bids_ : asks_; }
  const Ladder& side_of(BookSide s) const { return s == BookSide::bid ? bids_ : asks_; }
  Decimal price_of(BookSide side, std::int64_t key, std::int8_t price_scale) const;

  Ladder bids_;
  Ladder asks_;
  int scale_ = 0;
  std::uint64_t updates_ = 0;
};

// `fn` may return bool: false stops the visit.
template <class Fn>
void L2Book::Ladder::visit(std::size_t n, Fn&& fn) const {
  std::size_t seen = 0;
  auto call = [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText* t) {
    if constexpr (std::is_same_v<decltype(fn(key, ps, q, t)), bool>) {
      if (!fn(key, ps, q, t)) seen = n;
    } else {
      fn(key, ps, q, t);
    }
  };
  for (std::int64_t i = best_; i >= 0 && seen < n; i = highest_set(i - 1)) {
    const auto u = static_cast<std::size_t>(i);
    ++seen;
    call((base_ + i) * tick_, price_scale_at(u), Decimal{qty_[u], qty_scale_at(u)},
         keep_text_ ? &text_[u] : nullptr);
  }
  for (auto it = far_.rbegin(); it != far_.rend() && seen < n; ++it) {
    ++seen;
    call(it->key, it->price_scale, it->qty, nullptr);
  }
}

template <class Fn>
void L2Book::walk(BookSide side, Fn&& fn) const {
  side_of(side).visit(
      static_cast<std::size_t>(-1),
      [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText*) -> bool {
        return fn(Level{price_of(side, key, ps), q});
      });
}

inline void L2Book::Ladder::set(std::int64_t key, std::int8_t price_scale, const Decimal& qty,
                                const PriceLevel* text) {
  // Fast path: a key on the grid, inside the window, touching a slot. A tick
  // of one key unit (the book's scale is the venue's tick, the usual case)
  // needs no division: the slot address is known one subtraction after the key.
  if (tick_ == 1) {
    const auto i = static_cast<std::uint64_t>(key - base_);
    if (i < qty_.size()) return place_dense(i, price_scale, qty, text);
  } else if (tick_ != 0) {
    const std::uint64_t u = static_cast<std::uint64_t>(key < 0 ? -key : key);
    const std::uint64_t m = (u >> tick_shift_) * tick_inverse_;
    if ((u & ((std::uint64_t{1} << tick_shift_) - 1)) == 0 && m <= tick_limit_) {
      const auto i = static_cast<std::uint64_t>(
          (key < 0 ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m)) - base_);
      if (i < qty_.size()) return place_dense(i, price_scale, qty, text);
    }
  }
  set_slow(key, price_scale, qty, text);
}

// The bookkeeping (bitmap, count, best) is written without branches on
// whether the slot was or becomes empty: those outcomes are data, not patterns.
inline void L2Book::Ladder::place_dense(std::size_t i, std::int8_t price_scale, const Decimal& qty,
                                        const PriceLevel* text) {
  const std::int64_t now = qty.mantissa;  // 0 deletes
  if (now != 0 && scales_key(qty.scale, price_scale) != uniform_) {
    note_scales(i, qty, price_scale);
  }
  if (keep_text_ && now != 0) put_text(i, text);
  std::int64_t& slot = qty_[i];
  const bool was_set = slot != 0, is_set = now != 0;
  slot = now;
  std::uint64_t& word = bits_[i >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (i & 63);
  word = (word & ~bit) | (is_set ? bit : 0);
  dense_count_ = dense_count_ + is_set - was_set;
  const auto at = static_cast<std::int64_t>(i);
  best_ = is_set && at > best_ ? at : best_;
  if (!is_set && at == best_) {
    best_ = highest_set(at - 1);
    if (best_ < 0) dense_emptied();
  }
}

}  // namespace ot
