// Hash maps keyed by std::string that look up by std::string_view without
// building a string (no allocation on the hot path), with a hash and an
// equality made for the short keys of the hot path (symbols, venue/symbol
// pairs, client order ids): a few word loads instead of a library call.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ot {

namespace detail {
// Bytes [0, n) of p (n <= 8) as a little-endian word, the rest zero, reading
// nothing outside them: two overlapping loads.
inline std::uint64_t load_short(const char* p, std::size_t n) noexcept {
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return a | (std::uint64_t{b} << (8 * (n - 4)));
  }
  if (n == 0) return 0;
  const auto byte = [p](std::size_t i) {
    return std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  };
  return byte(0) | byte(n / 2) | byte(n - 1);
}
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 32;
  h *= 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}
}  // namespace detail

// Equality with no call for keys of up to 16 bytes.
inline bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n <= 8) return detail::load_short(a.data(), n) == detail::load_short(b.data(), n);
  if (n <= 16) {
    return detail::load8(a.data()) == detail::load8(b.data()) &&
           detail::load8(a.data() + n - 8) == detail::load8(b.data() + n - 8);
  }
  return std::memcmp(a.data(), b.data(), n) == 0;
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    const std::size_t n = s.size();
    std::uint64_t h = n * 0xC2B2AE3D27D4EB4FULL;
    if (n <= 8) return detail::mix(h ^ detail::load_short(s.data(), n));
    if (n <= 16) {
      return detail::mix(h ^ detail::load8(s.data()) ^
                         detail::mix(detail::load8(s.data() + n - 8) + h));
    }
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) h = detail::mix(h ^ detail::load8(s.data() + i));
    return detail::mix(h ^ detail::load8(s.data() + n - 8));
  }
};

struct StringEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return same_key(a, b); }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, StringEqual>;

// A set of short strings that only grows (client order ids seen in a
// session), kept compactly: the bytes one after another in an arena, and an
// open-addressing table of 8-byte entries (16 bits of the hash, 48 of the
// offset), so a million ids of a dozen characters take about 30 MB rather
// than the hundreds a node-based set takes.
class CompactStringSet {
 public:
  // Adds `s`; false if it was there already.
  bool insert(std::string_view s);
  bool contains(std::string_view s) const { return find(s, StringHash{}(s)) != nullptr; }
  std::size_t size() const { return size_; }

 private:
  static constexpr int kOffsetBits = 48;
  // The entry holding `s` (hash h), or nullptr.
  const std::uint64_t* find(std::string_view s, std::uint64_t h) const;
  std::string_view at(std::uint64_t entry) const;
  void grow();

  std::string arena_;                 // per string: 4 bytes of length, then its bytes
  std::vector<std::uint64_t> table_;  // 0: empty; else tag << 48 | (offset + 1)
  std::size_t size_ = 0;
};

inline std::string_view CompactStringSet::at(std::uint64_t entry) const {
  const std::size_t off = (entry & ((std::uint64_t{1} << kOffsetBits) - 1)) - 1;
  std::uint32_t len;
  std::memcpy(&len, arena_.data() + off, sizeof len);
  return std::string_view(arena_.data() + off + sizeof len, len);
}

inline const std::uint64_t* CompactStringSet::find(std::string_view s, std::uint64_t h) const {
  if (table_.empty()) return nullptr;
  const std::size_t mask = table_.size() - 1;
  const std::uint64_t tag = h >> kOffsetBits;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint64_t e = table_[i];
    if (e == 0) return nullptr;
    if ((e >> kOffsetBits) == tag && same_key(at(e), s)) return &table_[i];
  }
}

inline bool CompactStringSet::insert(std::string_view s) {
  const std::uint64_t h = StringHash{}(s);
  if (find(s, h) != nullptr) return false;
  if ((size_ + 1) * 2 > table_.size()) grow();
  const std::uint64_t off = arena_.size();
  const auto len = static_cast<std::uint32_t>(s.size());
  arena_.append(reinterpret_cast<const char*>(&len), sizeof len);
  arena_.append(s);
  const std::size_t mask = table_.size() - 1;
  std::size_t i = h & mask;
  while (table_[i] != 0) i = (i + 1) & mask;
  table_[i] = (h >> kOffsetBits) << kOffsetBits | (off + 1);
  ++size_;
  return true;
}

inline void CompactStringSet::grow() {
  std::vector<std::uint64_t> old = std::move(table_);
  table_.assign(old.empty() ? 64 : old.size() * 2, 0);
  const std::size_t mask = table_.size() - 1;
  for (const std::uint64_t e : old) {
    if (e == 0) continue;
    std::size_t i = StringHash{}(at(e)) & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = e;
  }
}

// The last few (venue, symbol) look-ups of some map and what they found, for
// streams that cycle through a handful of instruments: a hit costs a few
// word compares, with no key to build and no hash. What it points to must
// stay put while cached (clear() when an entry goes away); node-based maps
// and unique_ptr values do.
template <class T, std::size_t N = 4>
class RecentKeys {
 public:
  RecentKeys() = default;
  // A copy starts empty: it must not point into the original's map.
  RecentKeys(const RecentKeys&) {}
  RecentKeys& operator=(const RecentKeys&) {
    clear();
    return *this;
  }

  T* find(std::string_view venue, std::string_view symbol) const noexcept {
    for (const Slot& s : slots_) {
      if (s.value != nullptr && same_key(s.symbol, symbol) && same_key(s.venue, venue)) {
        return s.value;
      }
    }
    return nullptr;
  }
  T* put(std::string_view venue, std::string_view symbol, T* value) {
    Slot& s = slots_[next_];
    next_ = (next_ + 1) % N;
    s.venue.assign(venue);
    s.symbol.assign(symbol);
    s.value = value;
    return value;
  }
  void clear() noexcept {
    for (Slot& s : slots_) s.value = nullptr;
  }

 private:
  struct Slot {
    std::string venue, symbol;
    T* value = nullptr;
  };
  std::array<Slot, N> slots_{};
  std::size_t next_ = 0;
};

}  // namespace ot
