#include "core/decimal.h"

#include <algorithm>
#include <charconv>
#include <cmath>

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

char* format_fixed(char* out, __int128 m, int scale) noexcept {
  if (m < 0) {
    *out++ = '-';
    m = -m;
  }
  if (m <= static_cast<__int128>(~std::uint64_t{0})) {
    // The common case: 64-bit digits by std::to_chars (two at a time) written
    // in place, then the point put in by moving the few digits after it with
    // a byte loop (a library copy per piece costs more than the digits).
    // (An __int128 division is a library call.)
    char* end = std::to_chars(out, out + 24, static_cast<std::uint64_t>(m)).ptr;
    if (scale == 0) return end;
    const auto n = static_cast<int>(end - out);
    if (n > scale) {
      for (char* p = end; p != end - scale; --p) *p = p[-1];
      end[-scale] = '.';
      return end + 1;
    }
    // 0.00ddd: the digits move right past "0." and the leading zeros.
    const int shift = scale - n + 2;
    for (int i = n - 1; i >= 0; --i) out[i + shift] = out[i];
    out[0] = '0';
    out[1] = '.';
    for (int i = 2; i < shift; ++i) out[i] = '0';
    return out + scale + 2;
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

char* Decimal::to_chars(char* out) const noexcept { return format_fixed(out, mantissa, scale); }

std::string Decimal::to_string() const {
  char buf[kMaxChars];
  return std::string(buf, to_chars(buf));
}

std::int64_t Decimal::at_scale(int target_scale) const noexcept {
  return mantissa * kPow10[target_scale - scale];
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
