// ot-sim's Binance: combined streams (/stream?streams=… and SUBSCRIBE /
// UNSUBSCRIBE / LIST_SUBSCRIPTIONS messages) and REST depth snapshots
// (/api/v3/depth, /fapi/v1/depth, /dapi/v1/depth) from the current book.
#include <simdjson.h>

#include <string>

#include "venues/binance/binance_venue.h"
#include "venues/sim_protocol.h"

namespace ot::binance {
namespace {

namespace od = simdjson::ondemand;

class BinanceSim final : public SimProtocol {
 public:
  explicit BinanceSim(Market m) : market_(m) {}
  std::string_view venue() const override { return venue_name(market_); }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    try {
      od::document doc = parser_.iterate(padded.data(), frame.size(), padded.size());
      std::string_view stream;
      for (auto field : doc.get_object()) {
        if (std::string_view(field.unescaped_key()) == "stream") {
          stream = field.value().get_string();
          break;
        }
      }
      if (stream.empty()) return std::nullopt;
      SimRoute r;
      r.topic.assign(stream);
      const auto at = stream.find('@');
      const std::string_view kind = stream.substr(at + 1);
      if (kind.rfind("depth", 0) == 0) symbol_of_stream(stream, r.symbol);
      r.snapshot_only = kind == "depthSnapshot";
      return r;
    } catch (const simdjson::simdjson_error&) {
      return std::nullopt;
    }
  }

  void on_open(std::string_view target, SimConnection& c, const SimMarket&) override {
    const std::string streams = sim_query_param(target, "streams");
    std::size_t start = 0;
    while (start < streams.size()) {
      const auto slash = streams.find('/', start);
      c.subscribe(
          streams.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }

  void on_message(std::string_view text, SimConnection& c, const SimMarket&) override {
    std::string padded(text);
    padded.append(64, ' ');
    std::string method;
    std::vector<std::string> params;
    std::string id = "null";
    try {
      od::document doc = parser_.iterate(padded.data(), text.size(), padded.size());
      for (auto field : doc.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "method")
          method = std::string(std::string_view(field.value().get_string()));
        else if (key == "id")
          id = std::string(trim_token(field.value().raw_json_token()));
        else if (key == "params") {
          for (auto p : field.value().get_array())
            params.emplace_back(std::string_view(p.get_string()));
        }
      }
    } catch (const simdjson::simdjson_error&) {
      c.send("{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: expected a request object\"}}");
      return;
    }
    if (method == "SUBSCRIBE" || method == "UNSUBSCRIBE") {
      for (const auto& p : params) {
        if (method == "SUBSCRIBE")
          c.subscribe(p);
        else
          c.unsubscribe(p);
      }
      c.send("{\"result\":null,\"id\":" + id + "}");
    } else if (method == "LIST_SUBSCRIPTIONS") {
      std::string list;
      for (const auto& s : c.topics()) list += (list.empty() ? "\"" : ",\"") + s + "\"";
      c.send("{\"result\":[" + list + "],\"id\":" + id + "}");
    } else {
      c.send("{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown method\"},\"id\":" + id +
             "}");
    }
  }

  void on_tick(SimConnection&) override {}

  std::optional<SimHttpReply> on_http(std::string_view target, const SimMarket& m) override {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/api/v3/ping" || path == "/fapi/v1/ping" || path == "/dapi/v1/ping") {
      return SimHttpReply{200, "{}"};
    }
    if (path != "/api/v3/depth" && path != "/fapi/v1/depth" && path != "/dapi/v1/depth") {
      return std::nullopt;
    }
    const std::string symbol = sim_query_param(target, "symbol");
    const CheckedBook* b = m.book(symbol);
    if (b == nullptr) return SimHttpReply{400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"};
    std::size_t limit = 100;
    const std::string l = sim_query_param(target, "limit");
    if (!l.empty()) limit = std::min<std::size_t>(5000, std::strtoul(l.c_str(), nullptr, 10));
    std::string body = "{\"lastUpdateId\":" + std::to_string(b->last_seq().value_or(0));
    if (path != "/api/v3/depth") {
      const std::string ms = std::to_string(m.venue_time() / 1'000'000);
      body += ",\"E\":" + ms + ",\"T\":" + ms;
    }
    body += ",\"bids\":" + sim_levels_json(b->book(), BookSide::bid, limit, "[", "]", true);
    body += ",\"asks\":" + sim_levels_json(b->book(), BookSide::ask, limit, "[", "]", true) + "}";
    return SimHttpReply{200, std::move(body)};
  }

 private:
  Market market_;
  od::parser parser_;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim(Market m) { return std::make_unique<BinanceSim>(m); }

}  // namespace ot::binance
