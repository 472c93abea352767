#include "book/l2_book.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

namespace ot {
namespace {

constexpr std::int64_t kMaxKey = 999'999'999'999'999'999LL;
// kMaxKey / 10^d: the largest mantissa that can be rescaled by d digits.
constexpr std::int64_t kMaxMantissa[19] = {kMaxKey,
                                           kMaxKey / 10LL,
                                           kMaxKey / 100LL,
                                           kMaxKey / 1000LL,
                                           kMaxKey / 10000LL,
                                           kMaxKey / 100000LL,
                                           kMaxKey / 1000000LL,
                                           kMaxKey / 10000000LL,
                                           kMaxKey / 100000000LL,
                                           kMaxKey / 1000000000LL,
                                           kMaxKey / 10000000000LL,
                                           kMaxKey / 100000000000LL,
                                           kMaxKey / 1000000000000LL,
                                           kMaxKey / 10000000000000LL,
                                           kMaxKey / 100000000000000LL,
                                           kMaxKey / 1000000000000000LL,
                                           kMaxKey / 10000000000000000LL,
                                           kMaxKey / 100000000000000000LL,
                                           kMaxKey / 1000000000000000000LL};
// A side's window starts small (a thin book costs a few KiB) and doubles
// while it holds fewer than twice the side's levels.
constexpr std::int64_t kInitialSlots = 64;
constexpr std::int64_t kMaxSlots = 1 << 18;  // 2 MiB per side at most

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

// ---- Ladder ---------------------------------------------------------------

void L2Book::Ladder::clear() {
  std::fill(qty_.begin(), qty_.end(), 0);
  std::fill(bits_.begin(), bits_.end(), 0);
  uniform_ = kNoScales;
  scales_.clear();
  best_ = -1;
  dense_count_ = 0;
  far_.clear();
}

std::int64_t L2Book::Ladder::highest_set(std::int64_t from) const {
  if (from < 0) return -1;
  std::int64_t w = from >> 6;
  std::uint64_t word =
      bits_[static_cast<std::size_t>(w)] & (~std::uint64_t{0} >> (63 - (from & 63)));
  for (;;) {
    if (word != 0) return (w << 6) + 63 - std::countl_zero(word);
    if (--w < 0) return -1;
    word = bits_[static_cast<std::size_t>(w)];
  }
}

std::int64_t L2Book::Ladder::max_abs_key() const {
  std::int64_t m = 0;
  visit(size(), [&](std::int64_t key, std::int8_t, const Decimal&, const LevelText*) {
    m = std::max(m, key < 0 ? -key : key);
  });
  return m;
}

void L2Book::Ladder::note_scales(std::size_t i, const Decimal& qty, std::int8_t price_scale) {
  if (uniform_ == kNoScales) {  // the side's first level sets the uniform scales
    uniform_ = scales_key(qty.scale, price_scale);
    return;
  }
  if (uniform_ != kMixed) {
    scales_.assign(qty_.size(), Scales{qty_scale_at(0), price_scale_at(0)});
    uniform_ = kMixed;
  }
  scales_[i] = Scales{static_cast<std::int8_t>(qty.scale), price_scale};
}

void L2Book::Ladder::dense_emptied() {
  // Far levels remain: follow the top down.
  if (!far_.empty()) relayout(tick_, far_.back().key);
}

void L2Book::Ladder::set_tick(std::int64_t tick) {
  tick_ = tick;
  if (tick == 0) {  // no grid yet
    tick_shift_ = 0;
    tick_inverse_ = tick_limit_ = 0;
    return;
  }
  tick_shift_ = std::countr_zero(static_cast<std::uint64_t>(tick));
  const std::uint64_t odd = static_cast<std::uint64_t>(tick) >> tick_shift_;
  // Newton's iteration doubles the correct low bits each step: 3 -> 96.
  std::uint64_t inv = odd;
  for (int i = 0; i < 5; ++i) inv *= 2 - odd * inv;
  tick_inverse_ = inv;
  tick_limit_ = odd == 0 ? 0 : ~std::uint64_t{0} / odd;
}

void L2Book::Ladder::rescale(std::int64_t factor) {
  set_tick(tick_ * factor);
  for (auto& l : far_) l.key *= factor;
}

// Rebuilds the window with `new_tick` so that `center_key` sits near its top
// (room above for improvements, most of it below for depth).
void L2Book::Ladder::relayout(std::int64_t new_tick, std::int64_t center_key) {
  std::vector<Moved> all;
  all.reserve(size());
  visit(size(), [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText* t) {
    all.push_back({{key, ps, q}, t != nullptr ? *t : LevelText{}});
  });
  std::int64_t slots =
      std::max<std::int64_t>(kInitialSlots, static_cast<std::int64_t>(qty_.size()));
  // Grow the window when the levels kept far from it are many, and with
  // the number of levels.
  if (far_.size() > 256 && far_.size() > dense_count_ && slots < kMaxSlots) slots *= 2;
  while (slots < 2 * static_cast<std::int64_t>(all.size()) && slots < kMaxSlots) slots *= 2;
  set_tick(new_tick);
  base_ = floor_div(center_key, tick_) - slots + slots / 8;
  qty_.assign(static_cast<std::size_t>(slots), 0);
  bits_.assign(static_cast<std::size_t>(slots / 64), 0);
  uniform_ = kNoScales;  // the levels placed back set them again
  scales_.clear();
  if (keep_text_) text_.assign(static_cast<std::size_t>(slots), LevelText{});
  best_ = -1;
  dense_count_ = 0;
  far_.clear();
  for (const auto& m : all) {
    const FarLevel& l = m.level;
    const std::int64_t i = index_of(l.key);
    place(i, l.key, l.price_scale, l.qty, nullptr);
    if (keep_text_ && i >= 0) text_[static_cast<std::size_t>(i)] = m.text;
  }
}

void L2Book::Ladder::set_far(std::int64_t key, std::int8_t price_scale, const Decimal& qty) {
  auto it = std::lower_bound(far_.begin(), far_.end(), key,
                             [](const FarLevel& l, std::int64_t k) { return l.key < k; });
  if (it != far_.end() && it->key == key) {
    if (qty.is_zero())
      far_.erase(it);
    else
      it->qty = qty, it->price_scale = price_scale;
  } else if (!qty.is_zero()) {
    far_.insert(it, FarLevel{key, price_scale, qty});
  }
}

void L2Book::Ladder::keep_text(bool on) {
  keep_text_ = on;
  if (on)
    text_.assign(qty_.size(), LevelText{});
  else
    text_.clear();
}

void L2Book::Ladder::put_text(std::size_t i, const PriceLevel* text) {
  LevelText& t = text_[i];
  if (text == nullptr || text->price.empty() ||
      text->price.size() + text->qty.size() > sizeof t.chars) {
    t.price_len = 0;  // formatted from the values when asked for
    return;
  }
  std::memcpy(t.chars, text->price.data(), text->price.size());
  std::memcpy(t.chars + text->price.size(), text->qty.data(), text->qty.size());
  t.price_len = static_cast<std::uint8_t>(text->price.size());
  t.qty_len = static_cast<std::uint8_t>(text->qty.size());
}

void L2Book::Ladder::set_slow(std::int64_t key, std::int8_t price_scale, const Decimal& qty,
                              const PriceLevel* text) {
  if (tick_ == 0) {
    if (qty.is_zero()) return;
    relayout(key == 0 ? 1 : (key < 0 ? -key : key), key);
  }
  if (!on_grid(key)) {
    if (qty.is_zero()) return;  // not on the grid, so not in the book
    // A finer tick than seen so far: rebuild on the common grid.
    relayout(std::gcd(tick_, key < 0 ? -key : key),
             dense_count_ > 0 ? (base_ + best_) * tick_ : key);
  }
  std::int64_t i = index_of(key);
  if (i >= static_cast<std::int64_t>(qty_.size())) {
    if (qty.is_zero()) return;  // deleting a level we do not have
    // A new best above the window: move the window up.
    relayout(tick_, key);
    i = index_of(key);
  }
  place(i, key, price_scale, qty, text);
  // Many levels far from the top: widen the window to take them in.
  if (far_.size() > 256 && far_.size() > dense_count_ &&
      static_cast<std::int64_t>(qty_.size()) < kMaxSlots && dense_count_ > 0) {
    relayout(tick_, (base_ + best_) * tick_);
  }
  // The dense part is empty while far levels remain: follow the top down.
  if (dense_count_ == 0 && !far_.empty()) relayout(tick_, far_.back().key);
}

// ---- L2Book ---------------------------------------------------------------

L2Book::L2Book() = default;

void L2Book::keep_text(bool on) {
  bids_.keep_text(on);
  asks_.keep_text(on);
}

void L2Book::clear() {
  bids_.clear();
  asks_.clear();
}

bool L2Book::apply(BookSide side, std::string_view price_text, std::string_view qty_text) {
  const auto p = Decimal::parse(price_text);
  const auto q = Decimal::parse(qty_text);
  return p && q && apply(side, *p, *q, nullptr);
}

bool L2Book::apply_slow(BookSide side, const Decimal& p, const Decimal& q, const PriceLevel* text) {
  if (q.mantissa < 0 || p.mantissa <= 0) return false;
  if (p.scale > scale_) {
    const std::int64_t f = pow10(p.scale - scale_);
    // Keep every key within 18 digits after rescaling.
    if (std::max(bids_.max_abs_key(), asks_.max_abs_key()) > kMaxMantissa[p.scale - scale_]) {
      return false;
    }
    bids_.rescale(f);
    asks_.rescale(f);
    scale_ = p.scale;
  }
  if (p.mantissa > kMaxMantissa[scale_ - p.scale]) return false;
  const std::int64_t key = p.mantissa * pow10(scale_ - p.scale);
  ++updates_;
  side_of(side).set(side == BookSide::bid ? key : -key, static_cast<std::int8_t>(p.scale), q, text);
  return true;
}

std::size_t L2Book::depth(BookSide side) const { return side_of(side).size(); }

Decimal L2Book::price_of(BookSide side, std::int64_t key, std::int8_t price_scale) const {
  const std::int64_t v = side == BookSide::ask ? -key : key;
  return Decimal{v / pow10(scale_ - price_scale), price_scale};
}

std::optional<Level> L2Book::best(BookSide side) const {
  std::optional<Level> out;
  side_of(side).visit(1, [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText*) {
    out = Level{price_of(side, key, ps), q};
  });
  return out;
}

Decimal L2Book::Ladder::get(std::int64_t key) const {
  if (tick_ == 0 || !on_grid(key)) return {};
  const std::int64_t i = index_of(key);
  if (i >= static_cast<std::int64_t>(qty_.size())) return {};
  if (i >= 0) {
    const auto u = static_cast<std::size_t>(i);
    return qty_[u] == 0 ? Decimal{} : Decimal{qty_[u], qty_scale_at(u)};
  }
  auto it = std::lower_bound(far_.begin(), far_.end(), key,
                             [](const FarLevel& l, std::int64_t k) { return l.key < k; });
  return it != far_.end() && it->key == key ? it->qty : Decimal{};
}

Decimal L2Book::qty_at(BookSide side, const Decimal& price) const {
  // A price at the book's scale or coarser: straight to its slot.
  if (price.scale <= scale_ && price.mantissa >= 0 &&
      price.mantissa <= kMaxMantissa[scale_ - price.scale]) {
    const std::int64_t key = price.mantissa * pow10(scale_ - price.scale);
    return side_of(side).get(side == BookSide::bid ? key : -key);
  }
  Decimal out{0, 0};
  walk(side, [&](const Level& l) {
    const int c = compare(l.price, price);
    if (c == 0) out = l.qty;
    // Bids descend, asks ascend: stop once past the price.
    return side == BookSide::bid ? c > 0 : c < 0;
  });
  return out;
}

void L2Book::top(BookSide side, std::size_t n, std::vector<Level>& out) const {
  out.clear();
  side_of(side).visit(n, [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText*) {
    out.push_back(Level{price_of(side, key, ps), q});
  });
}

void L2Book::top_text(BookSide side, std::size_t n, std::string& arena,
                      std::vector<PriceLevel>& out) const {
  n = std::min(n, depth(side));
  out.clear();
  arena.resize(n * 2 * Decimal::kMaxChars);
  char* p = arena.data();
  side_of(side).visit(
      n, [&](std::int64_t key, std::int8_t ps, const Decimal& q, const LevelText* t) {
        if (t != nullptr && t->price_len != 0) {
          out.push_back(PriceLevel{std::string_view(t->chars, t->price_len),
                                   std::string_view(t->chars + t->price_len, t->qty_len)});
          return;
        }
        char* start = p;
        p = price_of(side, key, ps).to_chars(p);
        std::string_view px(start, static_cast<std::size_t>(p - start));
        start = p;
        p = q.to_chars(p);
        out.push_back(PriceLevel{px, std::string_view(start, static_cast<std::size_t>(p - start))});
      });
}

}  // namespace ot
