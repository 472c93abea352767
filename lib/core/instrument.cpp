#include "core/instrument.h"

namespace ot {

std::optional<Nanos> parse_yymmdd(std::string_view s, int hour) {
  if (s.size() != 6) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto two = [&](std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
  const int month = two(2), day = two(4);
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  const std::int64_t days =
      days_from_civil(2000 + two(0), static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86'400'000'000'000LL + hour * 3'600'000'000'000LL;
}

}  // namespace ot
