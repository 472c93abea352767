#include "venues/deribit/instrument.h"

#include <array>
#include <charconv>
#include <cstdlib>

namespace ot::deribit {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

// "27DEC24" or "5JAN25" → 08:00 UTC of that day.
std::optional<Nanos> parse_expiry(std::string_view s) {
  if (s.size() < 6 || s.size() > 7) return std::nullopt;
  const std::size_t day_len = s.size() - 5;
  int day = 0, year = 0;
  if (std::from_chars(s.data(), s.data() + day_len, day).ptr != s.data() + day_len) {
    return std::nullopt;
  }
  const std::string_view mon = s.substr(day_len, 3);
  const std::string_view yy = s.substr(day_len + 3);
  if (std::from_chars(yy.data(), yy.data() + 2, year).ptr != yy.data() + 2) return std::nullopt;
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == mon) month = i + 1;
  }
  if (month == 0 || day < 1 || day > 31) return std::nullopt;
  const std::int64_t days = days_from_civil(2000 + year, month, static_cast<unsigned>(day));
  return static_cast<Nanos>(days) * 86'400'000'000'000LL + 8LL * 3'600'000'000'000LL;
}

std::optional<double> parse_strike(std::string_view s) {
  std::string text(s);
  for (char& c : text) {
    if (c == 'd')
      c = '.';
    else if ((c < '0' || c > '9') && c != '.')
      return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(v > 0)) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Instrument> describe(std::string_view name) {
  const std::size_t d1 = name.find('-');
  if (d1 == std::string_view::npos || d1 == 0) return std::nullopt;
  Instrument in;
  in.underlying = std::string(name.substr(0, d1));
  const std::size_t settle = in.underlying.find('_');
  in.inverse = settle == std::string::npos;
  in.currency = in.inverse ? in.underlying : in.underlying.substr(settle + 1);
  std::string_view rest = name.substr(d1 + 1);
  if (rest == "PERPETUAL") {
    in.kind = InstrumentKind::perpetual;
  } else {
    const std::size_t d2 = rest.find('-');
    auto expiry = parse_expiry(rest.substr(0, d2));
    if (!expiry) return std::nullopt;
    in.expiry = *expiry;
    in.kind = InstrumentKind::future;
    if (d2 != std::string_view::npos) {
      rest = rest.substr(d2 + 1);
      const std::size_t d3 = rest.find('-');
      if (d3 == std::string_view::npos) return std::nullopt;
      auto strike = parse_strike(rest.substr(0, d3));
      const std::string_view cp = rest.substr(d3 + 1);
      if (!strike || (cp != "C" && cp != "P")) return std::nullopt;
      in.kind = InstrumentKind::option;
      in.strike = *strike;
      in.right = cp == "C" ? OptionRight::call : OptionRight::put;
    }
  }
  if (in.usd_quantity()) in.lot = Decimal{in.underlying == "BTC" ? 10 : 1, 0};
  return in;
}

}  // namespace ot::deribit
