#include "core/decimal.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace ot {
namespace {
constexpr std::int64_t kPow10[19] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000,
                                     10000000000000000,
                                     100000000000000000,
                                     1000000000000000000};
constexpr int kMaxScale = 18;
}  // namespace

std::int64_t pow10(int n) noexcept { return kPow10[n]; }

namespace {

// Plain "123" / "123.456" with at most 19 digits: one multiply-add per digit,
// no bookkeeping. nullopt means "not this shape" (the general parser decides).
inline std::optional<Decimal> parse_plain(std::string_view s) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t m = 0;
  const char* dot = nullptr;
  for (; p != end; ++p) {
    const unsigned d = static_cast<unsigned>(*p - '0');
    if (d <= 9) {
      m = m * 10 + d;
    } else if (*p == '.' && dot == nullptr) {
      dot = p;
    } else {
      return std::nullopt;
    }
  }
  const int scale = dot != nullptr ? static_cast<int>(end - dot - 1) : 0;
  const std::size_t digits = s.size() - (dot != nullptr);
  if (digits == 0 || digits > 19 || m > 999'999'999'999'999'999ULL || scale > kMaxScale) {
    return std::nullopt;
  }
  return Decimal{static_cast<std::int64_t>(m), scale};
}

}  // namespace

std::optional<Decimal> Decimal::parse(std::string_view s) noexcept {
  if (auto d = parse_plain(s)) return d;
  const char* p = s.data();
  const char* const end = p + s.size();
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  std::uint64_t mantissa = 0;
  int digits = 0;  // significant digits accumulated
  int scale = 0;
  const char* first = p;
  // Integer part.
  for (; p != end; ++p) {
    const unsigned d = static_cast<unsigned>(*p - '0');
    if (d > 9) break;
    mantissa = mantissa * 10 + d;
    digits += mantissa != 0;
  }
  bool any = p != first;
  if (p != end && *p == '.') {
    const char* frac = ++p;
    for (; p != end; ++p) {
      const unsigned d = static_cast<unsigned>(*p - '0');
      if (d > 9) break;
      mantissa = mantissa * 10 + d;
      digits += mantissa != 0;
    }
    scale = static_cast<int>(p - frac);
    any |= p != frac;
  }
  if (!any || digits > 18) return std::nullopt;
  if (p != end) {
    if (*p != 'e' && *p != 'E') return std::nullopt;
    ++p;
    bool exp_negative = false;
    if (p != end && (*p == '-' || *p == '+')) exp_negative = *p++ == '-';
    if (p == end) return std::nullopt;
    int exponent = 0;
    for (; p != end; ++p) {
      const unsigned d = static_cast<unsigned>(*p - '0');
      if (d > 9 || exponent > 100) return std::nullopt;
      exponent = exponent * 10 + static_cast<int>(d);
    }
    if (exp_negative) {
      scale += exponent;
    } else {
      while (exponent > 0 && scale > 0) --scale, --exponent;
      for (; exponent > 0; --exponent) {
        if (++digits > 18) return std::nullopt;
        mantissa *= 10;
      }
    }
  }
  if (scale > kMaxScale) return std::nullopt;
  Decimal d;
  d.mantissa =
      negative ? -static_cast<std::int64_t>(mantissa) : static_cast<std::int64_t>(mantissa);
  d.scale = scale;
  return d;
}

namespace {

// "00" "01" ... "99": two digits per division by 100.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> t{};
  for (std::size_t i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Decimal digits of v (1 for 0).
int count_digits(std::uint64_t v) noexcept {
  // log10 from the bit width (1233/4096 ~ log10(2)), corrected by one compare.
  const int guess = (static_cast<int>(std::bit_width(v | 1)) * 1233) >> 12;
  const int n = guess + 1 - (guess < 19 && v < static_cast<std::uint64_t>(kPow10[guess]));
  return n > 0 ? n : 1;
}

void put_pair(char* p, std::uint64_t two_digits) noexcept {
  std::memcpy(p, kDigitPairs.data() + 2 * two_digits, 2);
}

// v with `scale` decimals, written back to front in one pass (the length is
// known from the digit count): no second pass to put the point in.
char* format_unsigned(char* out, std::uint64_t v, int scale) noexcept {
  const int digits = count_digits(v);
  const int whole = digits > scale ? digits - scale : 1;
  char* const end = out + whole + (scale > 0 ? scale + 1 : 0);
  char* p = end;
  int f = scale;
  for (; f >= 2; f -= 2) {
    p -= 2;
    put_pair(p, v % 100);
    v /= 100;
  }
  if (f == 1) {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  if (scale > 0) *--p = '.';
  while (v >= 100) {
    p -= 2;
    put_pair(p, v % 100);
    v /= 100;
  }
  if (v >= 10) {
    put_pair(p - 2, v);
  } else {
    p[-1] = static_cast<char>('0' + v);
  }
  return end;
}

}  // namespace

char* format_fixed(char* out, __int128 m, int scale) noexcept {
  if (m < 0) {
    *out++ = '-';
    m = -m;
  }
  constexpr __int128 kMaxU64 = (static_cast<__int128>(1) << 64) - 1;
  if (m <= kMaxU64) {
    // The common case. (An __int128 division is a library call.)
    return format_unsigned(out, static_cast<std::uint64_t>(m), scale);
  }
  char tmp[48];
  int n = 0;
  {
    do {
      tmp[n++] = static_cast<char>('0' + static_cast<int>(m % 10));
      m /= 10;
    } while (m != 0);
  }
  while (n <= scale) tmp[n++] = '0';
  for (int k = n - 1; k >= 0; --k) {
    *out++ = tmp[k];
    if (k == scale && scale > 0) *out++ = '.';
  }
  return out;
}

char* Decimal::to_chars(char* out) const noexcept {
  if (mantissa < 0) {
    *out++ = '-';
    return format_unsigned(out, 0 - static_cast<std::uint64_t>(mantissa), scale);
  }
  return format_unsigned(out, static_cast<std::uint64_t>(mantissa), scale);
}

std::string Decimal::to_string() const {
  char buf[kMaxChars];
  return std::string(buf, to_chars(buf));
}

std::int64_t Decimal::at_scale(int target_scale) const noexcept {
  std::int64_t m = 0;
  if (!__builtin_mul_overflow(mantissa, kPow10[target_scale - scale], &m)) return m;
  return mantissa < 0 ? std::numeric_limits<std::int64_t>::min()
                      : std::numeric_limits<std::int64_t>::max();
}

double Decimal::to_double() const noexcept {
  return static_cast<double>(mantissa) / static_cast<double>(kPow10[scale]);
}

int compare(const Decimal& a, const Decimal& b) noexcept {
  __int128 x = a.mantissa;
  __int128 y = b.mantissa;
  if (a.scale < b.scale) x *= kPow10[b.scale - a.scale];
  if (b.scale < a.scale) y *= kPow10[a.scale - b.scale];
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace ot
