#include "venues/okx/instrument.h"

#include <simdjson.h>

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
    r.expiry = parts[2];
  } else if (n == 5 && parts[2].size() == 6 && digits(parts[2]) &&
             (parts[4] == "C" || parts[4] == "P")) {
    r.kind = InstrumentName::option;
    r.expiry = parts[2];
    r.strike = parts[3];
    r.right = parts[4];
  } else {
    r.base = r.quote = {};
  }
  return r;
}

std::optional<Instrument> describe(std::string_view name) {
  const InstrumentName n = parse_instrument(name);
  Instrument in;
  const bool coin_margined = n.quote == "USD";
  in.inverse = coin_margined && n.kind != InstrumentName::spot;
  in.currency = std::string(in.inverse ? n.base : n.quote);
  in.underlying = std::string(name.substr(0, n.base.size() + 1 + n.quote.size()));
  in.contract_size = contract_size(n);
  switch (n.kind) {
    case InstrumentName::unknown:
      return std::nullopt;
    case InstrumentName::spot:
      in.kind = InstrumentKind::spot;
      return in;
    case InstrumentName::swap:
      in.kind = InstrumentKind::perpetual;
      break;
    case InstrumentName::futures:
      in.kind = InstrumentKind::future;
      break;
    case InstrumentName::option: {
      in.kind = InstrumentKind::option;
      const auto strike = Decimal::parse(n.strike);
      if (!strike || strike->mantissa <= 0) return std::nullopt;
      in.strike = strike->to_double();
      in.right = n.right == "C" ? OptionRight::call : OptionRight::put;
      break;
    }
  }
  if (!n.expiry.empty()) {
    const auto expiry = parse_yymmdd(n.expiry, 8);
    if (!expiry) return std::nullopt;
    in.expiry = *expiry;
  }
  if (in.inverse || in.option()) in.lot = Decimal{1, 0};
  return in;
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

namespace {

// a × b, exact; nullopt past 18 digits or a scale of 18.
std::optional<Decimal> times(const Decimal& a, const Decimal& b) {
  __int128 m = static_cast<__int128>(a.mantissa) * b.mantissa;
  int scale = a.scale + b.scale;
  while (scale > 0 && m % 10 == 0) {
    m /= 10;
    --scale;
  }
  constexpr std::int64_t kMax = 999'999'999'999'999'999;
  if (scale > 18 || m > kMax || m < -kMax) return std::nullopt;
  return Decimal{static_cast<std::int64_t>(m), scale};
}

}  // namespace

Result<> read_contract_sizes(std::string_view body,
                             const std::function<void(std::string_view, const Decimal&)>& each) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.parse(body.data(), body.size()).get(root)) {
    return Error(ErrorCode::corrupt, std::string("not JSON: ") + simdjson::error_message(e));
  }
  std::string_view code;
  if (!root["code"].get(code) && code != "0") {
    std::string_view msg;
    if (root["msg"].get(msg)) msg = {};
    return Error(ErrorCode::corrupt,
                 "the venue answered code " + std::string(code) + ": " + std::string(msg));
  }
  simdjson::dom::array data;
  if (root["data"].get(data))
    return Error(ErrorCode::corrupt, std::string("no \"data\" list of instruments"));
  std::size_t index = 0;
  for (simdjson::dom::element inst : data) {
    std::string_view id, type, ct_val, ct_mult;
    if (inst["instId"].get(id) || inst["instType"].get(type)) {
      return Error(ErrorCode::corrupt,
                   "instrument " + std::to_string(index) + ": no instId or instType");
    }
    ++index;
    if (type != "SWAP" && type != "FUTURES" && type != "OPTION") continue;
    if (inst["ctVal"].get(ct_val) || inst["ctMult"].get(ct_mult)) {
      return Error(ErrorCode::corrupt, std::string(id) + ": no ctVal or ctMult");
    }
    const auto val = Decimal::parse(ct_val), mult = Decimal::parse(ct_mult);
    const auto size = val && mult ? times(*val, *mult) : std::nullopt;
    if (!size || size->mantissa <= 0) {
      return Error(ErrorCode::corrupt, std::string(id) + ": ctVal '" + std::string(ct_val) +
                                           "' × ctMult '" + std::string(ct_mult) +
                                           "' is not a positive size");
    }
    each(id, *size);
  }
  return {};
}

}  // namespace ot::okx
