// ot-sim's OKX: v5 public WebSocket (op subscribe / unsubscribe, "ping" ->
// "pong"); a books subscription starts with a snapshot of the current book
// carrying its CRC32 checksum; REST /api/v5/market/books.
#include <simdjson.h>

#include <string>

#include "venues/okx/okx.h"
#include "venues/okx/okx_venue.h"
#include "venues/sim_protocol.h"

namespace ot::okx {
namespace {

namespace od = simdjson::ondemand;

std::string arg_json(const std::string& channel, const std::string& inst) {
  return "{\"channel\":\"" + channel + "\",\"instId\":\"" + inst + "\"}";
}

class OkxSim final : public SimProtocol {
 public:
  std::string_view venue() const override { return "okx"; }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    try {
      od::document doc = parser_.iterate(padded.data(), frame.size(), padded.size());
      std::string channel, inst;
      bool snapshot = false;
      bool has_data = false;
      for (auto field : doc.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "event") return std::nullopt;
        if (key == "arg") {
          for (auto a : field.value().get_object()) {
            std::string_view k = a.unescaped_key();
            if (k == "channel")
              channel = std::string(std::string_view(a.value().get_string()));
            else if (k == "instId")
              inst = std::string(std::string_view(a.value().get_string()));
          }
        } else if (key == "action") {
          snapshot = std::string_view(field.value().get_string()) == "snapshot";
        } else if (key == "data") {
          has_data = true;
          break;
        }
      }
      if (!has_data || channel.empty()) return std::nullopt;
      SimRoute r;
      r.topic = channel + ":" + inst;
      if (channel.rfind("books", 0) == 0) r.symbol = inst;
      r.snapshot_only = snapshot;
      return r;
    } catch (const simdjson::simdjson_error&) {
      return std::nullopt;
    }
  }

  void on_open(std::string_view, SimConnection&, const SimMarket&) override {}

  void on_message(std::string_view text, SimConnection& c, const SimMarket& m,
                  SimExchange&) override {
    if (text == "ping") {
      c.send("pong");
      return;
    }
    std::string padded(text);
    padded.append(64, ' ');
    std::string op;
    std::vector<std::pair<std::string, std::string>> args;
    try {
      od::document doc = parser_.iterate(padded.data(), text.size(), padded.size());
      for (auto field : doc.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "op")
          op = std::string(std::string_view(field.value().get_string()));
        else if (key == "args") {
          for (auto a : field.value().get_array()) {
            std::string ch, inst;
            for (auto kv : a.get_object()) {
              std::string_view k = kv.unescaped_key();
              if (k == "channel")
                ch = std::string(std::string_view(kv.value().get_string()));
              else if (k == "instId")
                inst = std::string(std::string_view(kv.value().get_string()));
            }
            args.emplace_back(ch, inst);
          }
        }
      }
    } catch (const simdjson::simdjson_error&) {
      c.send("{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Invalid request: " +
             std::string(text.substr(0, 64)) + "\"}");
      return;
    }
    if (op != "subscribe" && op != "unsubscribe") {
      c.send("{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Invalid request: unknown op\"}");
      return;
    }
    for (const auto& [ch, inst] : args) {
      const std::string topic = ch + ":" + inst;
      if (op == "unsubscribe") {
        c.unsubscribe(topic);
        c.send("{\"event\":\"unsubscribe\",\"arg\":" + arg_json(ch, inst) + ",\"connId\":\"sim\"}");
        continue;
      }
      c.send("{\"event\":\"subscribe\",\"arg\":" + arg_json(ch, inst) + ",\"connId\":\"sim\"}");
      if (ch.rfind("books", 0) == 0) {
        const CheckedBook* b = m.book(inst);
        if (b != nullptr) c.send(snapshot_frame(ch, inst, *b, m));
      }
      c.subscribe(topic);
    }
  }

  void on_tick(SimConnection&) override {}

  std::optional<SimHttpReply> on_http(const SimHttpRequest& req, const SimMarket& m,
                                      SimExchange&) override {
    const std::string_view target = req.target;
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/api/v5/market/books") return std::nullopt;
    const std::string inst = sim_query_param(target, "instId");
    const CheckedBook* b = m.book(inst);
    if (b == nullptr) {
      return SimHttpReply{
          200, "{\"code\":\"51001\",\"msg\":\"Instrument ID does not exist\",\"data\":[]}", {}};
    }
    std::size_t sz = 1;
    const std::string s = sim_query_param(target, "sz");
    if (!s.empty()) sz = std::min<std::size_t>(400, std::strtoul(s.c_str(), nullptr, 10));
    return SimHttpReply{
        200, "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":" +
                 sim_levels_json(b->book(), BookSide::ask, sz, "[", ",\"0\",\"1\"]", true) +
                 ",\"bids\":" +
                 sim_levels_json(b->book(), BookSide::bid, sz, "[", ",\"0\",\"1\"]", true) +
                 ",\"ts\":\"" + std::to_string(m.venue_time() / 1'000'000) + "\"}]}", {}};
  }

 private:
  std::string snapshot_frame(const std::string& ch, const std::string& inst, const CheckedBook& b,
                             const SimMarket& m) {
    const L2Book& book = b.book();
    std::string arena_b, arena_a;
    std::vector<PriceLevel> bids, asks;
    book.top_text(BookSide::bid, kChecksumDepth, arena_b, bids);
    book.top_text(BookSide::ask, kChecksumDepth, arena_a, asks);
    const std::int64_t sum = checksum(bids, asks);
    const std::size_t depth = ch == "books5" ? 5 : 400;
    return "{\"arg\":" + arg_json(ch, inst) + ",\"action\":\"snapshot\",\"data\":[{\"asks\":" +
           sim_levels_json(book, BookSide::ask, depth, "[", ",\"0\",\"1\"]", true) +
           ",\"bids\":" + sim_levels_json(book, BookSide::bid, depth, "[", ",\"0\",\"1\"]", true) +
           ",\"ts\":\"" + std::to_string(m.venue_time() / 1'000'000) +
           "\",\"checksum\":" + std::to_string(sum) + ",\"prevSeqId\":-1}]}";
  }

  od::parser parser_;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim() { return std::make_unique<OkxSim>(); }

}  // namespace ot::okx
