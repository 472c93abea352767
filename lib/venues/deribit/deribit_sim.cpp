// ot-sim's Deribit: JSON-RPC 2.0 over WebSocket: public/subscribe and
// public/unsubscribe (a book subscription starts with a snapshot of the
// current book and its change_id), public/set_heartbeat with test_request
// heartbeats, public/test.
#include <simdjson.h>

#include <string>

#include "core/time.h"
#include "venues/deribit/deribit_venue.h"
#include "venues/sim_protocol.h"

namespace ot::deribit {
namespace {

namespace od = simdjson::ondemand;

// "book.BTC-PERPETUAL.100ms" -> "book.BTC-PERPETUAL"; quote.X stays.
std::string topic_of(std::string_view channel) {
  const auto first = channel.find('.');
  const auto last = channel.rfind('.');
  if (first == std::string_view::npos || first == last || channel.rfind("quote.", 0) == 0) {
    return std::string(channel);
  }
  return std::string(channel.substr(0, last));
}

class DeribitSim final : public SimProtocol {
 public:
  std::string_view venue() const override { return "deribit"; }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    try {
      od::document doc = parser_.iterate(padded.data(), frame.size(), padded.size());
      for (auto field : doc.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key != "params") continue;
        SimRoute r;
        for (auto p : field.value().get_object()) {
          std::string_view k = p.unescaped_key();
          if (k == "channel") {
            r.topic = topic_of(p.value().get_string());
          } else if (k == "data" && r.topic.rfind("book.", 0) == 0) {
            r.symbol = r.topic.substr(5);
            for (auto d : p.value().get_object()) {
              if (std::string_view(d.unescaped_key()) == "type") {
                r.snapshot_only = std::string_view(d.value().get_string()) == "snapshot";
                break;
              }
            }
          }
        }
        if (r.topic.empty()) return std::nullopt;
        return r;
      }
      return std::nullopt;
    } catch (const simdjson::simdjson_error&) {
      return std::nullopt;
    }
  }

  void on_open(std::string_view, SimConnection&, const SimMarket&) override {}

  void on_message(std::string_view text, SimConnection& c, const SimMarket& m) override {
    std::string padded(text);
    padded.append(64, ' ');
    std::string id = "null", method;
    std::vector<std::string> channels;
    int interval = 0;
    try {
      od::document doc = parser_.iterate(padded.data(), text.size(), padded.size());
      for (auto field : doc.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "id")
          id = std::string(trim_token(field.value().raw_json_token()));
        else if (key == "method")
          method = std::string(std::string_view(field.value().get_string()));
        else if (key == "params") {
          for (auto p : field.value().get_object()) {
            std::string_view k = p.unescaped_key();
            if (k == "channels") {
              for (auto ch : p.value().get_array())
                channels.emplace_back(std::string_view(ch.get_string()));
            } else if (k == "interval") {
              interval = static_cast<int>(std::int64_t(p.value().get_int64()));
            }
          }
        }
      }
    } catch (const simdjson::simdjson_error&) {
      c.send(error(id, -32700, "Parse error"));
      return;
    }
    const std::int64_t us = now_ns() / 1000;
    auto result = [&](const std::string& r) {
      return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + r +
             ",\"usIn\":" + std::to_string(us) + ",\"usOut\":" + std::to_string(us + 5) +
             ",\"usDiff\":5,\"testnet\":false}";
    };
    if (method == "public/subscribe" || method == "public/unsubscribe") {
      std::string list;
      for (const auto& ch : channels) list += (list.empty() ? "\"" : ",\"") + ch + "\"";
      c.send(result("[" + list + "]"));
      for (const auto& ch : channels) {
        const std::string topic = topic_of(ch);
        if (method == "public/unsubscribe") {
          c.unsubscribe(topic);
          continue;
        }
        if (topic.rfind("book.", 0) == 0) {
          const CheckedBook* b = m.book(topic.substr(5));
          if (b != nullptr) c.send(snapshot(ch, topic.substr(5), *b, m));
        }
        c.subscribe(topic);
      }
    } else if (method == "public/set_heartbeat") {
      if (interval < 10) {
        c.send(error(id, 10001, "invalid heartbeat interval, minimum 10"));
        return;
      }
      c.heartbeat_s = interval;
      c.ticks = 0;
      c.send(result("\"ok\""));
    } else if (method == "public/disable_heartbeat") {
      c.heartbeat_s = 0;
      c.send(result("\"ok\""));
    } else if (method == "public/test") {
      c.send(result("{\"version\":\"1.2.26\"}"));
    } else {
      c.send(error(id, -32601, "Method not found"));
    }
  }

  void on_tick(SimConnection& c) override {
    if (c.heartbeat_s <= 0) return;
    if (++c.ticks % c.heartbeat_s == 0) {
      c.send(
          "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"test_request\"}}");
    }
  }

  std::optional<SimHttpReply> on_http(const SimHttpRequest&, const SimMarket&,
                                      SimExchange&) override {
    return std::nullopt;
  }

 private:
  static std::string error(const std::string& id, int code, const std::string& msg) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"message\":\"" + msg +
           "\",\"code\":" + std::to_string(code) + "},\"testnet\":false}";
  }

  std::string snapshot(const std::string& channel, const std::string& inst, const CheckedBook& b,
                       const SimMarket& m) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"" + channel +
           "\",\"data\":{\"type\":\"snapshot\",\"timestamp\":" +
           std::to_string(m.venue_time() / 1'000'000) + ",\"instrument_name\":\"" + inst +
           "\",\"change_id\":" + std::to_string(b.last_seq().value_or(0)) +
           ",\"bids\":" + sim_levels_json(b.book(), BookSide::bid, 10000, "[\"new\",", "]", false) +
           ",\"asks\":" + sim_levels_json(b.book(), BookSide::ask, 10000, "[\"new\",", "]", false) +
           "}}}";
  }

  od::parser parser_;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim() { return std::make_unique<DeribitSim>(); }

}  // namespace ot::deribit
