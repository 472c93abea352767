// Fixed-point decimal numbers that remember the scale of the text they came
// from, so a venue's "7.6110" goes back out as "7.6110", never as a float.
//
// Thread-safety: value type, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ot {

// value = mantissa * 10^-scale. scale is 0..18; mantissa fits in int64.
struct Decimal {
  std::int64_t mantissa = 0;
  int scale = 0;

  // Parses plain decimal text ("123", "-0.0015", "7.6110") and JSON numbers
  // with an exponent ("1e-05", "4714.0"). Returns nullopt for empty text,
  // stray characters, more than 18 significant digits or a scale above 18.
  static std::optional<Decimal> parse(std::string_view text) noexcept;

  // Writes the shortest text that keeps `scale` digits after the point
  // (so parse(s).to_string() == s for canonical input). `out` must hold
  // kMaxChars bytes; returns one past the last byte written.
  static constexpr int kMaxChars = 24;
  char* to_chars(char* out) const noexcept;
  std::string to_string() const;

  bool is_zero() const noexcept { return mantissa == 0; }
  // Mantissa rescaled to `target_scale` (must be >= scale), saturated at the
  // int64 range where it does not fit.
  std::int64_t at_scale(int target_scale) const noexcept;
  double to_double() const noexcept;
};

// Three-way comparison by value, whatever the scales.
int compare(const Decimal& a, const Decimal& b) noexcept;
inline bool operator==(const Decimal& a, const Decimal& b) noexcept {
  // Same scale (the usual case on one instrument): no rescaling.
  return a.scale == b.scale ? a.mantissa == b.mantissa : compare(a, b) == 0;
}
inline bool operator<(const Decimal& a, const Decimal& b) noexcept { return compare(a, b) < 0; }

// 10^n for n in 0..18.
std::int64_t pow10(int n) noexcept;

// Writes mantissa * 10^-scale as text with exactly `scale` decimals.
char* format_fixed(char* out, __int128 mantissa, int scale) noexcept;

}  // namespace ot
