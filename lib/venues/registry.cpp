// The venue registry: adding a venue means one folder and one line here.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/message.h"
#include "core/string_map.h"
#include "venues/binance/binance_venue.h"
#include "venues/deribit/deribit_venue.h"
#include "venues/okx/okx_venue.h"
#include "venues/venue.h"

namespace ot {
namespace {

const Venue* const kVenues[] = {
    &binance::venue(binance::Market::spot), &binance::venue(binance::Market::usdm),
    &binance::venue(binance::Market::coinm), &okx::venue(), &deribit::venue()};

}  // namespace

const Venue* find_venue(std::string_view name) {
  for (const Venue* v : kVenues) {
    if (v->name() == name) return v;
  }
  return nullptr;
}

bool is_inverse(std::string_view venue, std::string_view symbol) {
  const Venue* v = find_venue(venue);
  return v != nullptr && v->inverse(symbol);
}

std::optional<Instrument> describe_instrument(std::string_view venue, std::string_view symbol) {
  const Venue* v = find_venue(venue);
  if (v == nullptr) return std::nullopt;
  std::optional<Instrument> in = v->describe(symbol);
  if (in) in->contract_size = contract_size(venue, symbol);
  return in;
}

namespace {

StringMap<Decimal>& given_sizes() {
  static StringMap<Decimal> sizes;
  return sizes;
}

// "venue:symbol" in a scratch buffer (no allocation per look-up).
const std::string& size_key(std::string_view venue, std::string_view symbol) {
  thread_local std::string k;
  k.assign(venue).push_back(':');
  k.append(symbol);
  return k;
}

}  // namespace

std::optional<Decimal> contract_size(std::string_view venue, std::string_view symbol) {
  const auto& given = given_sizes();
  if (!given.empty()) {
    auto it = given.find(size_key(venue, symbol));
    if (it != given.end()) return it->second;
  }
  const Venue* v = find_venue(venue);
  return v != nullptr ? v->contract_size(symbol) : Decimal{1, 0};
}

Result<> set_contract_size(std::string_view venue, std::string_view symbol, const Decimal& size) {
  if (size.mantissa <= 0) {
    return Error(ErrorCode::invalid_argument,
                 std::string(venue) + ":" + std::string(symbol) + ": a contract size is positive");
  }
  given_sizes()[size_key(venue, symbol)] = size;
  return {};
}

Result<> set_contract_size(std::string_view spec) {
  const std::size_t colon = spec.find(':'), eq = spec.rfind('=');
  const std::optional<Decimal> size =
      eq == std::string_view::npos ? std::nullopt : Decimal::parse(spec.substr(eq + 1));
  if (colon == 0 || colon == std::string_view::npos || eq == std::string_view::npos ||
      eq <= colon + 1 || !size || size->mantissa <= 0) {
    return Error(
        ErrorCode::invalid_argument,
        "expected VENUE:SYMBOL=SIZE with a positive decimal SIZE, not '" + std::string(spec) + "'");
  }
  return set_contract_size(spec.substr(0, colon), spec.substr(colon + 1, eq - colon - 1), *size);
}

Result<> Venue::read_contract_sizes(std::string_view, const SizeSink&) const {
  return Error(ErrorCode::invalid_argument,
               std::string(name()) +
                   " quantities are already in the coin or in USD: it has no contract sizes to "
                   "load");
}

Result<std::size_t> load_instruments(std::string_view spec) {
  auto bad = [](std::string why) { return Error(ErrorCode::invalid_argument, std::move(why)); };
  const std::size_t colon = spec.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == spec.size()) {
    return bad("expected VENUE:FILE, not '" + std::string(spec) + "'");
  }
  const std::string_view venue = spec.substr(0, colon);
  const std::string path(spec.substr(colon + 1));
  const Venue* v = find_venue(venue);
  if (v == nullptr) return bad("unknown venue '" + std::string(venue) + "'");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream body;
  if (!in || !(body << in.rdbuf())) {
    return bad(path + ": cannot read: " + std::strerror(errno));
  }
  std::vector<std::pair<std::string, Decimal>> sizes;
  if (auto read = v->read_contract_sizes(
          body.view(),
          [&](std::string_view symbol, const Decimal& size) { sizes.emplace_back(symbol, size); });
      !read) {
    return read.error().within(path);
  }
  std::size_t loaded = 0;
  for (const auto& [symbol, size] : sizes) {
    if (set_contract_size(venue, symbol, size)) ++loaded;
  }
  return loaded;
}

std::vector<std::string_view> venue_names() {
  std::vector<std::string_view> names;
  for (const Venue* v : kVenues) names.push_back(v->name());
  return names;
}

std::unique_ptr<FrameParser> make_detected_parser(std::string_view frame) {
  if (frame.find("\"jsonrpc\"") != std::string_view::npos) return deribit::venue().make_parser();
  if (frame.find("\"arg\"") != std::string_view::npos ||
      frame.find("\"op\"") != std::string_view::npos) {
    return okx::venue().make_parser();
  }
  if (frame.find("\"stream\"") != std::string_view::npos ||
      frame.find("\"e\":\"depthUpdate\"") != std::string_view::npos) {
    return binance::make_parser(binance::Market::spot, false);
  }
  return nullptr;
}

std::string malformed_json(std::string_view what) {
  return house_message("malformed frame: ", what);
}

std::string_view trim_token(std::string_view t) {
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  return t;
}

}  // namespace ot
