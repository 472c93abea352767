#include "venues/deribit/deribit_venue.h"

#include <string>

#include "venues/deribit/deribit.h"
#include "venues/deribit/instrument.h"

namespace ot::deribit {
namespace {

class Session final : public SessionProtocol {
 public:
  explicit Session(Subscription sub) : sub_(std::move(sub)) {}
  std::string ws_target() const override { return "/ws/api/v2"; }
  std::vector<Outgoing> on_connected() override {
    std::vector<std::string> channels;
    for (const auto& s : sub_.symbols) {
      // Public connections get the 100 ms aggregation; it carries the same
      // change_id / prev_change_id chain as the raw feed.
      if (sub_.channels.book) channels.push_back("book." + s + ".100ms");
      if (sub_.channels.trade) channels.push_back("trades." + s + ".100ms");
      if (sub_.channels.ticker) channels.push_back("ticker." + s + ".100ms");
      if (sub_.channels.quote) channels.push_back("quote." + s);
    }
    return {Outgoing{request("public/set_heartbeat", "{\"interval\":30}")},
            Outgoing{subscribe("public/subscribe", channels)}};
  }
  std::optional<Outgoing> reply_to(std::string_view frame) override {
    if (frame.find("\"test_request\"") == std::string_view::npos) return std::nullopt;
    return Outgoing{request("public/test", "{}")};
  }
  std::optional<Outgoing> keepalive() override { return std::nullopt; }
  std::chrono::milliseconds ping_interval() const override { return std::chrono::seconds(30); }
  std::vector<Outgoing> resubscribe_book(std::string_view symbol) override {
    std::vector<std::string> ch{"book." + std::string(symbol) + ".100ms"};
    return {Outgoing{subscribe("public/unsubscribe", ch)},
            Outgoing{subscribe("public/subscribe", ch)}};
  }
  std::optional<std::string> snapshot_target(std::string_view) const override {
    return std::nullopt;
  }
  std::string snapshot_frame(std::string_view, std::string_view body) const override {
    return std::string(body);
  }
  std::optional<std::chrono::seconds> max_session_age() const override { return std::nullopt; }

 private:
  std::string request(std::string_view method, std::string_view params) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(++id_) + ",\"method\":\"" +
           std::string(method) + "\",\"params\":" + std::string(params) + "}";
  }
  std::string subscribe(std::string_view method, const std::vector<std::string>& channels) {
    std::string list;
    for (const auto& c : channels) {
      if (!list.empty()) list += ',';
      list += '"' + c + '"';
    }
    return request(method, "{\"channels\":[" + list + "]}");
  }
  Subscription sub_;
  int id_ = 0;
};

class DeribitVenue final : public Venue {
 public:
  std::string_view name() const override { return "deribit"; }
  std::unique_ptr<FrameParser> make_parser() const override { return deribit::make_parser(); }
  std::unique_ptr<SessionProtocol> make_session(const Subscription& sub) const override {
    return std::make_unique<Session>(sub);
  }
  std::string default_ws_url() const override { return "wss://www.deribit.com"; }
  std::string default_rest_url() const override { return "https://www.deribit.com"; }
  BookRules book_rules() const override { return {}; }
  std::optional<Instrument> describe(std::string_view symbol) const override {
    auto in = deribit::describe(symbol);
    if (in) in->contract_size = contract_size(symbol);
    return in;
  }
  // Futures and perpetuals on the coin; not options, not the USDC-settled.
  bool inverse(std::string_view symbol) const override {
    auto in = deribit::describe(symbol);
    return in && in->usd_quantity();
  }
};

}  // namespace

const Venue& venue() {
  static const DeribitVenue v;
  return v;
}

}  // namespace ot::deribit
