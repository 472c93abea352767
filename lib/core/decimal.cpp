#include "core/decimal.h"

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

std::optional<Decimal> Decimal::parse(std::string_view s) noexcept {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  std::uint64_t mantissa = 0;
  int digits = 0;  // significant digits accumulated
  int scale = 0;
  bool any = false;
  bool point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (mantissa == 0 && c == '0') {
        if (point) ++scale;
        continue;
      }
      if (++digits > 18) return std::nullopt;
      mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
      if (point) ++scale;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) exp_negative = s[i++] == '-';
    if (i == s.size()) return std::nullopt;
    int exponent = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c < '0' || c > '9' || exponent > 100) return std::nullopt;
      exponent = exponent * 10 + (c - '0');
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
  d.mantissa = negative ? -static_cast<std::int64_t>(mantissa) : static_cast<std::int64_t>(mantissa);
  d.scale = scale;
  return d;
}

char* format_fixed(char* out, __int128 m, int scale) noexcept {
  if (m < 0) {
    *out++ = '-';
    m = -m;
  }
  char tmp[48];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + static_cast<int>(m % 10));
    m /= 10;
  } while (m != 0);
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
