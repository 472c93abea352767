#include "venues/deribit/instrument.h"

#include <array>
#include <charconv>
#include <cstdlib>

namespace ot::deribit {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
long days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

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
  const long days = days_from_civil(2000 + year, month, static_cast<unsigned>(day));
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

std::optional<Instrument> parse_instrument(std::string_view name) {
  const std::size_t d1 = name.find('-');
  if (d1 == std::string_view::npos || d1 == 0) return std::nullopt;
  Instrument in;
  in.currency = std::string(name.substr(0, d1));
  in.inverse = in.currency.find('_') == std::string::npos;
  std::string_view rest = name.substr(d1 + 1);
  if (rest == "PERPETUAL") {
    in.kind = InstrumentKind::perpetual;
    in.underlying_future = std::string(name);
    return in;
  }
  const std::size_t d2 = rest.find('-');
  auto expiry = parse_expiry(rest.substr(0, d2));
  if (!expiry) return std::nullopt;
  in.expiry = *expiry;
  in.underlying_future = std::string(name.substr(0, d1 + 1 + rest.substr(0, d2).size()));
  if (d2 == std::string_view::npos) {
    in.kind = InstrumentKind::future;
    return in;
  }
  rest = rest.substr(d2 + 1);
  const std::size_t d3 = rest.find('-');
  if (d3 == std::string_view::npos) return std::nullopt;
  auto strike = parse_strike(rest.substr(0, d3));
  const std::string_view cp = rest.substr(d3 + 1);
  if (!strike || (cp != "C" && cp != "P")) return std::nullopt;
  in.kind = InstrumentKind::option;
  in.strike = *strike;
  in.call = cp == "C";
  return in;
}

double contract_size_usd(std::string_view currency) { return currency == "BTC" ? 10.0 : 1.0; }

}  // namespace ot::deribit
