#include "core/event_decoder.h"

#include <simdjson.h>

#include "core/json_in.h"
#include "core/message.h"

namespace ot {

namespace od = simdjson::ondemand;

struct EventDecoder::Impl {
  od::parser parser;
  std::vector<PriceLevel> bids;
  std::vector<PriceLevel> asks;
  std::string type;

  static void levels(od::value v, std::vector<PriceLevel>& out) {
    out.clear();
    for (auto level : v.get_array()) {
      PriceLevel pl;
      int i = 0;
      for (auto x : level.get_array()) {
        if (i == 0)
          pl.price = string_text(x.value());
        else if (i == 1)
          pl.qty = string_text(x.value());
        ++i;
      }
      if (i != 2) throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE);
      out.push_back(pl);
    }
  }

  void decode(std::string_view line, DecodedEvent& out) {
    out = DecodedEvent{};
    od::document doc = parser.iterate(line.data(), line.size(), line.size() + 64);
    od::object obj = doc.get_object();
    bool first = true;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "type") {
        std::string_view t = field.value().get_string();
        type.assign(t);
        out.type = type;
        // Fast path: a type we do not decode needs nothing else.
        if (first && out.type != "book" && out.type != "status") return;
        first = false;
        continue;
      }
      first = false;
      if (key == "venue") {
        out.book.venue = out.status.venue = field.value().get_string();
      } else if (key == "symbol") {
        out.book.symbol = out.status.symbol = field.value().get_string();
      } else if (key == "ts") {
        out.book.ts = out.status.ts = field.value().get_int64();
      } else if (key == "recv") {
        out.book.recv = field.value().get_int64();
      } else if (key == "snapshot") {
        out.book.snapshot = field.value().get_bool();
      } else if (key == "first_seq") {
        out.book.first_seq = field.value().get_int64();
      } else if (key == "seq") {
        out.book.seq = field.value().get_int64();
      } else if (key == "prev_seq") {
        out.book.prev_seq = field.value().get_int64();
      } else if (key == "checksum") {
        out.book.checksum = field.value().get_int64();
      } else if (key == "bids") {
        levels(field.value(), bids);
      } else if (key == "asks") {
        levels(field.value(), asks);
      } else if (key == "event") {
        out.status.event = field.value().get_string();
      } else if (key == "detail") {
        out.status.detail = field.value().get_string();
      }
    }
    if (out.type.empty()) throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    if (out.type == "book") {
      if (out.book.venue.empty() || out.book.symbol.empty()) {
        throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
      }
      out.book.bids = bids;
      out.book.asks = asks;
    }
  }
};

EventDecoder::EventDecoder() : impl_(std::make_unique<Impl>()) {
  impl_->bids.reserve(1024);
  impl_->asks.reserve(1024);
}
EventDecoder::~EventDecoder() = default;

bool EventDecoder::decode(std::string_view line, DecodedEvent& out, std::string& error) {
  // Levels from an earlier line must not leak into this one.
  impl_->bids.clear();
  impl_->asks.clear();
  try {
    impl_->decode(line, out);
    return true;
  } catch (const simdjson::simdjson_error& e) {
    error = house_message("malformed event: ", e.what());
    return false;
  }
}

}  // namespace ot
