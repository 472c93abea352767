#include "venues/okx/instrument.h"

#include <algorithm>
#include <array>

namespace ot::okx {

InstrumentName parse_instrument(std::string_view name) {
  std::array<std::string_view, 6> parts;
  std::size_t n = 0;
  for (std::size_t start = 0; n < parts.size();) {
    const std::size_t dash = name.find('-', start);
    parts[n++] = name.substr(start, dash - start);
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  InstrumentName r;
  if (n < 2 || n > 5 ||
      std::any_of(parts.begin(), parts.begin() + n, [](std::string_view p) { return p.empty(); })) {
    return r;
  }
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  r.base = parts[0];
  r.quote = parts[1];
  if (n == 2) {
    r.kind = InstrumentName::spot;
  } else if (n == 3 && parts[2] == "SWAP") {
    r.kind = InstrumentName::swap;
  } else if (n == 3 && parts[2].size() == 6 && digits(parts[2])) {
    r.kind = InstrumentName::futures;
  } else if (n == 5 && parts[2].size() == 6 && digits(parts[2]) &&
             (parts[4] == "C" || parts[4] == "P")) {
    r.kind = InstrumentName::option;
  } else {
    r.base = r.quote = {};
  }
  return r;
}

std::optional<Decimal> contract_size(const InstrumentName& n) {
  const bool btc = n.base == "BTC", eth = n.base == "ETH";
  switch (n.kind) {
    case InstrumentName::spot:
      return Decimal{1, 0};
    case InstrumentName::swap:
    case InstrumentName::futures:
      if (n.quote == "USD") return Decimal{btc ? 100 : 10, 0};
      if (n.quote == "USDT" && btc) return Decimal{1, 2};
      if (n.quote == "USDT" && eth) return Decimal{1, 1};
      return std::nullopt;
    case InstrumentName::option:
      if (btc) return Decimal{1, 2};
      if (eth) return Decimal{1, 1};
      return std::nullopt;
    case InstrumentName::unknown:
      break;
  }
  return std::nullopt;
}

}  // namespace ot::okx
