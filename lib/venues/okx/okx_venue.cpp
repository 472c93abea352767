#include "venues/okx/okx_venue.h"

#include <algorithm>
#include <string>

#include "venues/okx/instrument.h"
#include "venues/okx/okx.h"

namespace ot::okx {
namespace {

std::string arg(std::string_view channel, std::string_view inst) {
  return "{\"channel\":\"" + std::string(channel) + "\",\"instId\":\"" + std::string(inst) + "\"}";
}

class Session final : public SessionProtocol {
 public:
  explicit Session(Subscription sub) : sub_(std::move(sub)) {}
  std::string ws_target() const override { return "/ws/v5/public"; }
  std::vector<Outgoing> on_connected() override {
    std::string args;
    auto add = [&](std::string_view ch, const std::string& inst) {
      if (!args.empty()) args += ',';
      args += arg(ch, inst);
    };
    std::vector<std::string_view> families;
    for (const auto& s : sub_.symbols) {
      if (sub_.channels.book) add("books", s);
      if (sub_.channels.quote) add("bbo-tbt", s);
      if (sub_.channels.trade) add("trades", s);
      if (sub_.channels.ticker) add("tickers", s);
      // Options' volatilities and greeks come per family, in opt-summary.
      const InstrumentName n = parse_instrument(s);
      const std::string_view family(s.data(), n.base.size() + 1 + n.quote.size());
      if (sub_.channels.ticker && n.kind == InstrumentName::option &&
          std::find(families.begin(), families.end(), family) == families.end()) {
        families.push_back(family);
        if (!args.empty()) args += ',';
        args += "{\"channel\":\"opt-summary\",\"instFamily\":\"" + std::string(family) + "\"}";
      }
    }
    return {Outgoing{"{\"op\":\"subscribe\",\"args\":[" + args + "]}"}};
  }
  std::optional<Outgoing> reply_to(std::string_view) override { return std::nullopt; }
  // OKX closes a connection that is quiet for 30 s; "ping" gets "pong".
  std::optional<Outgoing> keepalive() override { return Outgoing{"ping"}; }
  std::chrono::milliseconds ping_interval() const override { return std::chrono::seconds(20); }
  std::vector<Outgoing> resubscribe_book(std::string_view symbol) override {
    const std::string a = arg("books", symbol);
    return {Outgoing{"{\"op\":\"unsubscribe\",\"args\":[" + a + "]}"},
            Outgoing{"{\"op\":\"subscribe\",\"args\":[" + a + "]}"}};
  }
  std::optional<std::string> snapshot_target(std::string_view) const override {
    return std::nullopt;
  }
  std::string snapshot_frame(std::string_view, std::string_view body) const override {
    return std::string(body);
  }
  std::optional<std::chrono::seconds> max_session_age() const override { return std::nullopt; }

 private:
  Subscription sub_;
};

class OkxVenue final : public Venue {
 public:
  std::string_view name() const override { return "okx"; }
  std::unique_ptr<FrameParser> make_parser() const override { return okx::make_parser(); }
  std::unique_ptr<SessionProtocol> make_session(const Subscription& sub) const override {
    return std::make_unique<Session>(sub);
  }
  std::string default_ws_url() const override { return "wss://ws.okx.com:8443"; }
  std::string default_rest_url() const override { return "https://www.okx.com"; }
  BookRules book_rules() const override {
    BookRules r;
    r.checksum = &okx::checksum;
    r.checksum_depth = kChecksumDepth;
    return r;
  }
  std::optional<Instrument> describe(std::string_view symbol) const override {
    return okx::describe(symbol);
  }
  // Coin-margined swaps and futures: BTC-USD-SWAP, BTC-USD-220527 (not
  // the options, BTC-USD-220527-30000-C, which are valued in the coin).
  bool inverse(std::string_view symbol) const override {
    const okx::InstrumentName n = okx::parse_instrument(symbol);
    return n.quote == "USD" &&
           (n.kind == okx::InstrumentName::swap || n.kind == okx::InstrumentName::futures);
  }
  std::optional<Decimal> contract_size(std::string_view symbol) const override {
    return okx::contract_size(okx::parse_instrument(symbol));
  }
  Result<> read_contract_sizes(std::string_view body, const SizeSink& each) const override {
    return okx::read_contract_sizes(body, each);
  }
};

}  // namespace

const Venue& venue() {
  static const OkxVenue v;
  return v;
}

}  // namespace ot::okx
