#include "core/amount.h"

#include <algorithm>
#include <cmath>

namespace ot {
namespace {

constexpr __int128 kOne = static_cast<__int128>(1'000'000'000'000'000'000LL);
// The largest mantissa a Decimal holds (18 digits).
constexpr __int128 kMaxMantissa = static_cast<__int128>(999'999'999'999'999'999LL);

__int128 pow10_wide(int n) noexcept {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// a / b rounded half away from zero.
__int128 div_round(__int128 a, __int128 b) noexcept {
  const bool neg = (a < 0) != (b < 0);
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  __int128 q = a / b;
  if ((a % b) * 2 >= b) ++q;
  return neg ? -q : q;
}

}  // namespace

Amount Amount::of(const Decimal& d) noexcept {
  return Amount{static_cast<__int128>(d.mantissa) * pow10_wide(kScale - d.scale)};
}

Amount Amount::of_int(std::int64_t v) noexcept { return Amount{static_cast<__int128>(v) * kOne}; }

Amount Amount::product(const Decimal& a, const Decimal& b) noexcept {
  const __int128 m = static_cast<__int128>(a.mantissa) * b.mantissa;
  const int s = a.scale + b.scale;
  if (s <= kScale) return Amount{m * pow10_wide(kScale - s)};
  return Amount{div_round(m, pow10_wide(s - kScale))};
}

Amount Amount::from_double(double v) noexcept {
  // Split to keep 18 decimals without overflowing a double's exponent range.
  const double whole = std::trunc(v);
  const double frac = v - whole;
  return Amount{static_cast<__int128>(whole) * kOne +
                static_cast<__int128>(std::llround(frac * 1e18))};
}

Amount Amount::times(const Decimal& d) const noexcept {
  const __int128 p = pow10_wide(d.scale);
  const __int128 hi = units / p, lo = units % p;
  return Amount{hi * d.mantissa + div_round(lo * d.mantissa, p)};
}

Amount Amount::times(Amount o) const noexcept {
  // (a/1e9)(b/1e9) keeps the product within 128 bits for values up to ~1e10.
  constexpr __int128 kHalf = 1'000'000'000;
  const __int128 a_hi = units / kHalf, a_lo = units % kHalf;
  return Amount{a_hi * o.units / kHalf + div_round(a_lo * o.units, kOne)};
}

Amount Amount::divided_by(Amount o) const noexcept {
  // Long division, one decimal digit at a time after the integer part: the
  // remainder stays below the divisor, so nothing overflows.
  const bool neg = (units < 0) != (o.units < 0);
  __int128 a = units < 0 ? -units : units;
  const __int128 b = o.units < 0 ? -o.units : o.units;
  __int128 q = a / b;
  __int128 r = a % b;
  for (int i = 0; i < kScale; ++i) {
    r *= 10;
    q = q * 10 + r / b;
    r %= b;
  }
  if (r * 2 >= b) ++q;
  return Amount{neg ? -q : q};
}

double Amount::to_double() const noexcept {
  const __int128 whole = units / kOne;
  const __int128 frac = units % kOne;
  return static_cast<double>(whole) + static_cast<double>(frac) / 1e18;
}

std::optional<Decimal> Amount::to_decimal(int max_scale) const noexcept {
  if (max_scale < 0) max_scale = 0;
  if (max_scale > kScale) max_scale = kScale;
  __int128 m = div_round(units, pow10_wide(kScale - max_scale));
  int scale = max_scale;
  while (scale > 0 && m % 10 == 0) m /= 10, --scale;
  if (m > kMaxMantissa || m < -kMaxMantissa) return std::nullopt;
  return Decimal{static_cast<std::int64_t>(m), scale};
}

std::string Amount::to_string(int max_scale) const {
  char buf[64];
  auto d = to_decimal(max_scale);
  if (d) return std::string(buf, d->to_chars(buf));
  // Beyond a Decimal's 18 digits: the same rounding, written the long way.
  int s = std::clamp(max_scale, 0, kScale);
  __int128 m = div_round(units, pow10_wide(kScale - s));
  while (s > 0 && m % 10 == 0) m /= 10, --s;
  return std::string(buf, format_fixed(buf, m, s));
}

namespace {

// m * 10^-s as a Decimal: at scale s when the mantissa fits 18 digits,
// otherwise with as many decimals as fit (trailing zeros first, then
// rounded), and at the limit of the range beyond that.
Decimal fit(__int128 m, int s) noexcept {
  while ((m > kMaxMantissa || m < -kMaxMantissa) && s > 0) {
    m = m % 10 == 0 ? m / 10 : div_round(m, 10);
    --s;
  }
  if (m > kMaxMantissa) m = kMaxMantissa;
  if (m < -kMaxMantissa) m = -kMaxMantissa;
  return Decimal{static_cast<std::int64_t>(m), s};
}

__int128 wide_at(const Decimal& d, int s) noexcept {
  return static_cast<__int128>(d.mantissa) * pow10(s - d.scale);
}

}  // namespace

Decimal add(const Decimal& a, const Decimal& b) noexcept {
  const int s = a.scale > b.scale ? a.scale : b.scale;
  return fit(wide_at(a, s) + wide_at(b, s), s);
}

Decimal sub(const Decimal& a, const Decimal& b) noexcept {
  const int s = a.scale > b.scale ? a.scale : b.scale;
  return fit(wide_at(a, s) - wide_at(b, s), s);
}

Decimal round_to_tick(const Amount& v, const Decimal& tick, Round mode) noexcept {
  const Amount t = Amount::of(tick);
  if (t.units <= 0) return Decimal{0, tick.scale};
  __int128 q = v.units / t.units;
  const __int128 r = v.units % t.units;
  if (r != 0) {
    switch (mode) {
      case Round::down:
        if (r < 0) --q;
        break;
      case Round::up:
        if (r > 0) ++q;
        break;
      case Round::nearest:
        if (r * 2 >= t.units) ++q;
        if (r * 2 <= -t.units) --q;
        break;
    }
  }
  return Decimal{static_cast<std::int64_t>(q * tick.mantissa), tick.scale};
}

Decimal round_to_tick(double v, const Decimal& tick, Round mode) noexcept {
  return round_to_tick(Amount::from_double(v), tick, mode);
}

}  // namespace ot
