// Byte scans eight bytes at a time, for the short strings of the hot path
// (prices, sizes, symbols), where a libc call per string costs more than the
// scan itself.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ot::swar {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// Non-zero iff some byte of x is zero.
inline std::uint64_t has_zero(std::uint64_t x) { return (x - kOnes) & ~x & kHighs; }
// Non-zero iff some byte of x equals b.
inline std::uint64_t has_byte(std::uint64_t x, unsigned char b) {
  return has_zero(x ^ (kOnes * b));
}
// Non-zero iff some byte of x is below n (n <= 128).
inline std::uint64_t has_less(std::uint64_t x, unsigned char n) {
  return (x - kOnes * n) & ~x & kHighs;
}

// Loads up to 8 bytes, padding with `fill`.
inline std::uint64_t load(const char* p, std::size_t n, unsigned char fill) {
  std::uint64_t x = kOnes * fill;
  std::memcpy(&x, p, n < 8 ? n : 8);
  return x;
}

// Copies n bytes (a short string: a price, a size) without a libc call:
// two overlapping loads and stores cover 4..16 bytes; longer goes to memcpy.
inline void copy_short(char* dst, const char* src, std::size_t n) {
  if (n >= 8) {
    if (n > 16) {
      std::memcpy(dst, src, n);
      return;
    }
    std::uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// True if `s` holds any byte a JSON string must escape: '"', '\\' or < 0x20.
inline bool needs_json_escape(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); i += 8) {
    const std::uint64_t x = load(s.data() + i, s.size() - i, 'a');
    if (has_byte(x, '"') | has_byte(x, '\\') | has_less(x, 0x20)) return true;
  }
  return false;
}

// True if `s` contains `b`, reading whole 8-byte words: `s` must be followed
// by at least 7 readable bytes (simdjson's padding guarantees it). Avoids the
// partial copies that defeat store forwarding.
inline bool contains_padded(std::string_view s, unsigned char b) {
  const std::uint64_t pattern = kOnes * b;
  for (std::size_t i = 0; i < s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    std::uint64_t hit = has_zero(x ^ pattern);
    const std::size_t left = s.size() - i;
    if (left < 8) hit &= (std::uint64_t{1} << (8 * left)) - 1;
    if (hit) return true;
  }
  return false;
}

}  // namespace ot::swar
