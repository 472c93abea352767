// Exact money arithmetic for positions, PnL, notionals and fees: a signed
// fixed-point number with 18 decimals in 128 bits (range about ±1.7e20),
// enough for any price × quantity a venue can print without rounding.
// Results that need a division (average prices, inverse-contract values) are
// rounded half away from zero at the 18th decimal.
//
// Thread-safety: value type.
#pragma once

#include <compare>
#include <optional>
#include <string>

#include "core/decimal.h"

namespace ot {

struct Amount {
  static constexpr int kScale = 18;
  __int128 units = 0;  // value * 10^18

  static Amount of(const Decimal& d) noexcept;
  static Amount of_int(std::int64_t v) noexcept;
  // a × b, exact when a.scale + b.scale <= 18 (always, for venue decimals).
  static Amount product(const Decimal& a, const Decimal& b) noexcept;
  // The nearest Amount to `v` (strategy arithmetic that starts from floats).
  static Amount from_double(double v) noexcept;

  Amount operator-() const noexcept { return Amount{-units}; }
  Amount operator+(Amount o) const noexcept { return Amount{units + o.units}; }
  Amount operator-(Amount o) const noexcept { return Amount{units - o.units}; }
  Amount& operator+=(Amount o) noexcept { return units += o.units, *this; }
  Amount& operator-=(Amount o) noexcept { return units -= o.units, *this; }
  auto operator<=>(const Amount&) const = default;

  // this × d, rounded.
  Amount times(const Decimal& d) const noexcept;
  // this × o, rounded (both operands at most about ±1e10 in value).
  Amount times(Amount o) const noexcept;
  // this / o, rounded; o must not be zero.
  Amount divided_by(Amount o) const noexcept;

  bool is_zero() const noexcept { return units == 0; }
  int sign() const noexcept { return units > 0 ? 1 : (units < 0 ? -1 : 0); }
  Amount abs() const noexcept { return Amount{units < 0 ? -units : units}; }
  double to_double() const noexcept;
  // Rounded to `max_scale` decimals, trailing zeros dropped ("12.5", "0",
  // "-0.0003"). nullopt if the value does not fit a Decimal.
  std::optional<Decimal> to_decimal(int max_scale = kScale) const noexcept;
  // Text as to_decimal(max_scale) would print it.
  std::string to_string(int max_scale = kScale) const;
};

inline Amount min(Amount a, Amount b) noexcept { return a < b ? a : b; }

// Decimal helpers on the venue's own grid.
// Sum and difference at the larger of the two scales. A result beyond 18
// digits at that scale keeps as many decimals as fit (rounded), never
// overflows: 500000000000000 - 0.00000000 is 500000000000000.
Decimal add(const Decimal& a, const Decimal& b) noexcept;
Decimal sub(const Decimal& a, const Decimal& b) noexcept;
inline Decimal negate(Decimal d) noexcept { return Decimal{-d.mantissa, d.scale}; }
// What is left of `qty` after `filled`, never below zero (a venue that
// reports more filled than ordered leaves nothing, not a negative rest).
inline Decimal remaining(const Decimal& qty, const Decimal& filled) noexcept {
  const Decimal r = sub(qty, filled);
  return r.mantissa < 0 ? Decimal{0, r.scale} : r;
}
// `v` rounded to a multiple of `tick` (down, up or nearest), at tick's scale.
enum class Round { down, up, nearest };
Decimal round_to_tick(double v, const Decimal& tick, Round mode) noexcept;
Decimal round_to_tick(const Amount& v, const Decimal& tick, Round mode) noexcept;

}  // namespace ot
