#include "book/l2_book.h"

#include <algorithm>
#include <string>

namespace ot {
namespace {
constexpr std::int64_t kMaxKey = 999'999'999'999'999'999LL;
}

L2Book::L2Book() {
  bids_.reserve(1024);
  asks_.reserve(1024);
}

void L2Book::clear() {
  bids_.clear();
  asks_.clear();
  scale_ = 0;
}

void L2Book::rescale(int new_scale) {
  const std::int64_t f = pow10(new_scale - scale_);
  for (auto& l : bids_) l.key *= f;
  for (auto& l : asks_) l.key *= f;
  scale_ = new_scale;
}

bool L2Book::apply(BookSide side, std::string_view price_text, std::string_view qty_text) {
  const auto p = Decimal::parse(price_text);
  const auto q = Decimal::parse(qty_text);
  if (!p || !q || q->mantissa < 0 || p->mantissa < 0) return false;
  if (p->scale > scale_) {
    // Keep every key within 18 digits after rescaling.
    const std::int64_t f = pow10(p->scale - scale_);
    for (const Side* s : {&bids_, &asks_}) {
      for (const auto& l : *s) {
        if ((l.key < 0 ? -l.key : l.key) > kMaxKey / f) return false;
      }
    }
    rescale(p->scale);
  }
  const std::int64_t f = pow10(scale_ - p->scale);
  if (p->mantissa > kMaxKey / f) return false;
  std::int64_t key = p->mantissa * f;
  if (side == BookSide::ask) key = -key;
  Side& s = side_of(side);
  // Sorted ascending by key: best (highest key) at the back.
  auto it = std::lower_bound(s.begin(), s.end(), key,
                             [](const BookLevel& l, std::int64_t k) { return l.key < k; });
  ++updates_;
  if (it != s.end() && it->key == key) {
    if (q->is_zero()) {
      s.erase(it);
    } else {
      it->qty = *q;
      it->price_scale = static_cast<std::int8_t>(p->scale);
    }
  } else if (!q->is_zero()) {
    s.insert(it, BookLevel{key, static_cast<std::int8_t>(p->scale), *q});
  }
  return true;
}

Decimal L2Book::price(BookSide side, std::size_t i) const {
  const Side& s = side_of(side);
  const BookLevel& l = s[s.size() - 1 - i];
  const std::int64_t v = side == BookSide::ask ? -l.key : l.key;
  return Decimal{v / pow10(scale_ - l.price_scale), l.price_scale};
}

const Decimal& L2Book::qty(BookSide side, std::size_t i) const {
  const Side& s = side_of(side);
  return s[s.size() - 1 - i].qty;
}

std::optional<Decimal> L2Book::best_price(BookSide side) const {
  if (side_of(side).empty()) return std::nullopt;
  return price(side, 0);
}

void L2Book::top_text(BookSide side, std::size_t n, std::string& arena,
                      std::vector<PriceLevel>& out) const {
  n = std::min(n, depth(side));
  out.clear();
  arena.resize(n * 2 * Decimal::kMaxChars);
  char* p = arena.data();
  for (std::size_t i = 0; i < n; ++i) {
    char* start = p;
    p = price(side, i).to_chars(p);
    std::string_view px(start, static_cast<std::size_t>(p - start));
    start = p;
    p = qty(side, i).to_chars(p);
    out.push_back(PriceLevel{px, std::string_view(start, static_cast<std::size_t>(p - start))});
  }
}

}  // namespace ot
