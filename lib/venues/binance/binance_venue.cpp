#include "venues/binance/binance_venue.h"

#include <simdjson.h>

#include <string>

#include "venues/binance/binance_parser.h"

namespace ot::binance {
namespace {

class Session final : public SessionProtocol {
 public:
  Session(Market m, Subscription sub) : market_(m), sub_(std::move(sub)) {}

  std::string ws_target() const override { return "/stream"; }

  std::vector<Outgoing> on_connected() override {
    std::string params;
    auto add = [&](const std::string& sym, std::string_view stream) {
      if (!params.empty()) params += ',';
      params += '"' + sym + '@' + std::string(stream) + '"';
    };
    for (const auto& s : sub_.symbols) {
      const std::string sym = stream_prefix(s);
      if (sub_.channels.book) add(sym, "depth@100ms");
      if (sub_.channels.quote) add(sym, "bookTicker");
      if (sub_.channels.trade) add(sym, "aggTrade");
    }
    return {Outgoing{"{\"method\":\"SUBSCRIBE\",\"params\":[" + params +
                     "],\"id\":" + std::to_string(++request_id_) + "}"}};
  }
  std::optional<Outgoing> reply_to(std::string_view) override { return std::nullopt; }
  // The server pings every few minutes; Beast answers with pongs. We ping too
  // so a dead link is noticed.
  std::optional<Outgoing> keepalive() override { return std::nullopt; }
  std::chrono::milliseconds ping_interval() const override { return std::chrono::seconds(30); }
  std::vector<Outgoing> resubscribe_book(std::string_view) override { return {}; }
  std::optional<std::string> snapshot_target(std::string_view symbol) const override {
    const char* path = market_ == Market::spot   ? "/api/v3/depth"
                       : market_ == Market::usdm ? "/fapi/v1/depth"
                                                 : "/dapi/v1/depth";
    return std::string(path) + "?symbol=" + std::string(symbol) + "&limit=1000";
  }
  std::string snapshot_frame(std::string_view symbol, std::string_view body) const override {
    return "{\"stream\":\"" + stream_prefix(symbol) +
           "@depthSnapshot\",\"generated\":true,\"data\":" + std::string(body) + "}";
  }
  std::optional<std::chrono::seconds> max_session_age() const override {
    return std::chrono::hours(23) + std::chrono::minutes(50);
  }

 private:
  Market market_;
  Subscription sub_;
  int request_id_ = 0;
};

Result<> read_coinm_sizes(std::string_view body, const Venue::SizeSink& each) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.parse(body.data(), body.size()).get(root)) {
    return Error(ErrorCode::corrupt, std::string("not JSON: ") + simdjson::error_message(e));
  }
  std::int64_t code = 0;
  if (!root["code"].get(code)) {
    std::string_view msg;
    if (root["msg"].get(msg)) msg = {};
    return Error(ErrorCode::corrupt,
                 "the venue answered code " + std::to_string(code) + ": " + std::string(msg));
  }
  simdjson::dom::array symbols;
  if (root["symbols"].get(symbols))
    return Error(ErrorCode::corrupt, std::string("no \"symbols\" list"));
  std::size_t index = 0;
  for (simdjson::dom::element s : symbols) {
    std::string_view symbol;
    simdjson::dom::element size_json;
    if (s["symbol"].get(symbol) || s["contractSize"].get(size_json)) {
      return Error(ErrorCode::corrupt,
                   "symbol " + std::to_string(index) +
                       ": no symbol or contractSize (a COIN-M /dapi/v1/exchangeInfo has both)");
    }
    ++index;
    const std::string text = simdjson::to_string(size_json);
    const auto size = Decimal::parse(text);
    if (!size || size->mantissa <= 0) {
      return Error(ErrorCode::corrupt,
                   std::string(symbol) + ": contractSize is not a positive number");
    }
    each(symbol, *size);
  }
  return {};
}

// Binance's instrument names: spot pairs "BTCUSDT"; USD-M perpetuals
// "BTCUSDT" and quarterlies "BTCUSDT_250328"; COIN-M perpetuals
// "BTCUSD_PERP" and quarterlies "BTCUSD_250328", coin-margined and traded
// in whole contracts. Quarterlies expire at 08:00 UTC.
std::optional<Instrument> describe_symbol(Market m, std::string_view symbol) {
  if (symbol.empty()) return std::nullopt;
  Instrument in;
  const std::size_t cut = symbol.find('_');
  const std::string_view pair = symbol.substr(0, cut);
  const std::string_view tail = cut == std::string_view::npos ? "" : symbol.substr(cut + 1);
  in.underlying = std::string(pair);
  if (m == Market::spot) {
    if (!tail.empty()) return std::nullopt;
    return in;
  }
  in.kind = InstrumentKind::perpetual;
  if (m == Market::coinm) {
    if (!pair.ends_with("USD") || pair.size() == 3 || tail.empty()) return std::nullopt;
    in.inverse = true;
    in.currency = std::string(pair.substr(0, pair.size() - 3));
    in.lot = Decimal{1, 0};
  } else {
    for (std::string_view quote : {"USDT", "USDC"}) {
      if (pair.ends_with(quote)) in.currency = std::string(quote);
    }
  }
  if (tail.empty() || tail == "PERP") return in;
  const auto expiry = parse_yymmdd(tail, 8);
  if (!expiry) return std::nullopt;
  in.kind = InstrumentKind::future;
  in.expiry = *expiry;
  return in;
}

class BinanceVenue final : public Venue {
 public:
  explicit BinanceVenue(Market m) : market_(m) {}
  std::string_view name() const override { return venue_name(market_); }
  std::unique_ptr<FrameParser> make_parser() const override {
    return binance::make_parser(market_, true);
  }
  std::unique_ptr<SessionProtocol> make_session(const Subscription& sub) const override {
    return std::make_unique<Session>(market_, sub);
  }
  std::string default_ws_url() const override {
    switch (market_) {
      case Market::spot:
        return "wss://stream.binance.com:9443";
      case Market::usdm:
        return "wss://fstream.binance.com";
      case Market::coinm:
        return "wss://dstream.binance.com";
    }
    return {};
  }
  std::string default_rest_url() const override {
    switch (market_) {
      case Market::spot:
        return "https://api.binance.com";
      case Market::usdm:
        return "https://fapi.binance.com";
      case Market::coinm:
        return "https://dapi.binance.com";
    }
    return {};
  }
  BookRules book_rules() const override {
    BookRules r;
    r.needs_rest_snapshot = true;
    return r;
  }
  std::optional<Instrument> describe(std::string_view symbol) const override {
    auto in = describe_symbol(market_, symbol);
    if (in) in->contract_size = contract_size(symbol);
    return in;
  }
  // COIN-M contracts are all inverse, and count contracts of 100 USD
  // (BTCUSD_…) or 10 USD (every other coin).
  bool inverse(std::string_view) const override { return market_ == Market::coinm; }
  std::optional<Decimal> contract_size(std::string_view symbol) const override {
    if (market_ != Market::coinm) return Decimal{1, 0};
    return Decimal{symbol.starts_with("BTCUSD") ? 100 : 10, 0};
  }
  // COIN-M's GET /dapi/v1/exchangeInfo: "contractSize" of every symbol.
  Result<> read_contract_sizes(std::string_view body, const SizeSink& each) const override {
    if (market_ != Market::coinm) return Venue::read_contract_sizes(body, each);
    return read_coinm_sizes(body, each);
  }

 private:
  Market market_;
};

}  // namespace

const Venue& venue(Market m) {
  static const BinanceVenue spot(Market::spot), usdm(Market::usdm), coinm(Market::coinm);
  switch (m) {
    case Market::spot:
      return spot;
    case Market::usdm:
      return usdm;
    case Market::coinm:
      return coinm;
  }
  return spot;
}

}  // namespace ot::binance
