#include "core/event_decoder.h"

#include <simdjson.h>

#include <array>

#include "core/json_in.h"
#include "core/message.h"

namespace ot {

namespace od = simdjson::ondemand;

namespace {

constexpr std::array<std::string_view, 15> kTypeNames = {
    "",      "book",   "trade", "quote", "ticker",   "status", "bbo",    "depth",
    "order", "cancel", "amend", "exec",  "position", "greeks", "control"};

// Thrown for a field that is present but unusable; names it.
struct BadField {
  std::string_view name;
  const char* what;
};

Decimal decimal_of(od::value v, std::string_view name) {
  std::string_view text;
  try {
    text = string_text(v);
  } catch (const simdjson::simdjson_error&) {
    throw BadField{name, "expected a decimal string"};
  }
  auto d = Decimal::parse(text);
  if (!d) throw BadField{name, "not a decimal"};
  return *d;
}

template <class E>
E enum_of(std::optional<E> (*parse)(std::string_view), od::value v, std::string_view name) {
  auto e = parse(string_text(v));
  if (!e) throw BadField{name, "unknown value"};
  return *e;
}

}  // namespace

std::optional<Order> request_in(const DecodedEvent& ev) {
  switch (ev.kind) {
    case EventType::order:
      return ev.order;
    case EventType::cancel:
      return request_of(ev.cancel);
    case EventType::amend:
      return request_of(ev.amend);
    default:
      return std::nullopt;
  }
}

EventType event_type_of(std::string_view type) {
  for (std::size_t i = 1; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == type) return static_cast<EventType>(i);
  }
  return EventType::unknown;
}

struct EventDecoder::Impl {
  EventTypes wanted;
  od::parser parser;
  std::vector<PriceLevel> bids;
  std::vector<PriceLevel> asks;
  std::string type;
  bool side_seen = false, qty_seen = false;  // of the order being decoded

  // After a failure on an order, cancel or amend: what can still be read of
  // the fields that name it, each on its own, so that it can be rejected by
  // id. Leaves `out.kind` as it is.
  void salvage(std::string_view line, DecodedEvent& out) {
    std::string_view id, venue, symbol, strategy;
    std::optional<Side> side;
    try {
      od::document doc = parser.iterate(line.data(), line.size(), line.size() + 64);
      for (auto f : doc.get_object()) {
        std::string_view key = f.unescaped_key();
        auto text = [&](std::string_view& into) {
          std::string_view t;
          if (f.value().get_string().get(t) == simdjson::SUCCESS) into = t;
        };
        if (key == "id") {
          text(id);
        } else if (key == "venue") {
          text(venue);
        } else if (key == "symbol") {
          text(symbol);
        } else if (key == "strategy") {
          text(strategy);
        } else if (key == "side") {
          std::string_view t;
          if (f.value().get_string().get(t) == simdjson::SUCCESS) side = parse_side(t);
        }
      }
    } catch (const simdjson::simdjson_error&) {
      // A line broken further on: keep what came before the break.
    }
    auto fill = [&](auto& e) {
      e = {};
      e.id = id;
      e.venue = venue;
      e.symbol = symbol;
      e.strategy = strategy;
    };
    if (out.kind == EventType::order) {
      fill(out.order);
      out.order.side = side.value_or(Side::buy);
    } else if (out.kind == EventType::cancel) {
      fill(out.cancel);
    } else {
      fill(out.amend);
    }
  }

  static void levels(od::value v, std::vector<PriceLevel>& out) {
    od::array a = v.get_array();
    scan_string_levels(std::string_view(a.raw_json()), out);
  }

  // Common header fields shared by most types.
  template <class T>
  static bool header(T& e, std::string_view key, od::value v) {
    if (key == "venue") {
      e.venue = string_text(v);
    } else if (key == "symbol") {
      e.symbol = string_text(v);
    } else {
      return false;
    }
    return true;
  }

  void field(DecodedEvent& out, std::string_view key, od::value v) {
    switch (out.kind) {
      case EventType::book: {
        auto& b = out.book;
        if (header(b, key, v)) return;
        if (key == "ts")
          b.ts = v.get_int64();
        else if (key == "recv")
          b.recv = v.get_int64();
        else if (key == "snapshot")
          b.snapshot = v.get_bool();
        else if (key == "first_seq")
          b.first_seq = v.get_int64();
        else if (key == "seq")
          b.seq = v.get_int64();
        else if (key == "prev_seq")
          b.prev_seq = v.get_int64();
        else if (key == "checksum")
          b.checksum = v.get_int64();
        else if (key == "bids")
          levels(v, bids);
        else if (key == "asks")
          levels(v, asks);
        return;
      }
      case EventType::status: {
        auto& s = out.status;
        if (header(s, key, v)) return;
        if (key == "ts")
          s.ts = v.get_int64();
        else if (key == "event")
          s.event = v.get_string();
        else if (key == "detail")
          s.detail = v.get_string();
        return;
      }
      case EventType::trade: {
        auto& t = out.trade;
        if (header(t, key, v)) return;
        if (key == "ts")
          t.ts = v.get_int64();
        else if (key == "recv")
          t.recv = v.get_int64();
        else if (key == "price")
          t.price = string_text(v);
        else if (key == "qty")
          t.qty = string_text(v);
        else if (key == "side")
          t.side = enum_of(parse_side, v, key);
        else if (key == "id")
          t.id = string_text(v);
        return;
      }
      case EventType::bbo:
      case EventType::quote: {
        auto& q = out.top;
        if (header(q, key, v)) return;
        if (v.is_null()) return;  // an empty side
        if (key == "ts")
          q.ts = v.get_int64();
        else if (key == "recv")
          q.recv = v.get_int64();
        else if (key == "bid")
          q.bid = decimal_of(v, key), q.has_bid = true;
        else if (key == "bid_qty")
          q.bid_qty = decimal_of(v, key);
        else if (key == "ask")
          q.ask = decimal_of(v, key), q.has_ask = true;
        else if (key == "ask_qty")
          q.ask_qty = decimal_of(v, key);
        return;
      }
      case EventType::ticker: {
        auto& t = out.ticker;
        if (header(t, key, v)) return;
        if (key == "ts") {
          t.ts = v.get_int64();
        } else if (key == "recv") {
          t.recv = v.get_int64();
        } else {
          for (std::size_t i = 0; i < kTickerFieldNames.size(); ++i) {
            if (kTickerFieldNames[i] == key) t.fields[i] = string_text(v);
          }
        }
        return;
      }
      case EventType::order: {
        auto& o = out.order;
        if (header(o, key, v)) return;
        if (key == "id")
          o.id = v.get_string();
        else if (key == "ts")
          o.ts = v.get_int64();
        else if (key == "side")
          o.side = enum_of(parse_side, v, key), side_seen = true;
        else if (key == "qty")
          o.qty = decimal_of(v, key), qty_seen = true;
        else if (key == "price")
          o.price = decimal_of(v, key);
        else if (key == "kind")
          o.kind = enum_of(parse_order_kind, v, key);
        else if (key == "tif")
          o.tif = enum_of(parse_tif, v, key);
        else if (key == "reduce_only")
          o.reduce_only = v.get_bool();
        else if (key == "strategy")
          o.strategy = v.get_string();
        return;
      }
      case EventType::cancel: {
        auto& c = out.cancel;
        if (header(c, key, v)) return;
        if (key == "id")
          c.id = v.get_string();
        else if (key == "ts")
          c.ts = v.get_int64();
        else if (key == "strategy")
          c.strategy = v.get_string();
        return;
      }
      case EventType::amend: {
        auto& a = out.amend;
        if (header(a, key, v)) return;
        if (key == "id")
          a.id = v.get_string();
        else if (key == "ts")
          a.ts = v.get_int64();
        else if (key == "qty")
          a.qty = decimal_of(v, key);
        else if (key == "price")
          a.price = decimal_of(v, key);
        else if (key == "strategy")
          a.strategy = v.get_string();
        return;
      }
      case EventType::exec: {
        auto& e = out.exec;
        if (header(e, key, v)) return;
        if (key == "id")
          e.id = v.get_string();
        else if (key == "ts")
          e.ts = v.get_int64();
        else if (key == "side")
          e.side = enum_of(parse_side, v, key);
        else if (key == "status")
          e.status = enum_of(parse_exec_status, v, key);
        else if (key == "price")
          e.price = decimal_of(v, key);
        else if (key == "qty")
          e.qty = decimal_of(v, key);
        else if (key == "filled")
          e.filled = decimal_of(v, key);
        else if (key == "leaves")
          e.leaves = decimal_of(v, key);
        else if (key == "order_price")
          e.order_price = decimal_of(v, key);
        else if (key == "avg_price")
          e.avg_price = decimal_of(v, key);
        else if (key == "fee")
          e.fee = decimal_of(v, key);
        else if (key == "liquidity")
          e.liquidity = enum_of(parse_liquidity, v, key);
        else if (key == "reason")
          e.reason = v.get_string();
        else if (key == "venue_id")
          e.venue_id = v.get_string();
        else if (key == "trade_id")
          e.trade_id = v.get_string();
        else if (key == "strategy")
          e.strategy = v.get_string();
        else if (key == "seq")
          e.seq = v.get_int64();
        return;
      }
      case EventType::control: {
        auto& c = out.control;
        if (key == "command")
          c.command = v.get_string();
        else if (key == "target")
          c.target = v.get_string();
        else if (key == "detail")
          c.detail = v.get_string();
        else if (key == "ts")
          c.ts = v.get_int64();
        return;
      }
      default:
        return;
    }
  }

  // Checks the fields without which an event of a wanted type is unusable.
  // (Whether an order's values make sense is order_problem()'s to say.)
  void require(DecodedEvent& out) const {
    auto need = [](bool ok, std::string_view name) {
      if (!ok) throw BadField{name, "missing"};
    };
    switch (out.kind) {
      case EventType::book:
        need(!out.book.venue.empty(), "venue");
        need(!out.book.symbol.empty(), "symbol");
        break;
      case EventType::trade:
        need(!out.trade.venue.empty(), "venue");
        need(!out.trade.price.empty(), "price");
        need(!out.trade.qty.empty(), "qty");
        break;
      case EventType::order:
        need(!out.order.id.empty(), "id");
        need(!out.order.venue.empty(), "venue");
        need(!out.order.symbol.empty(), "symbol");
        need(side_seen, "side");
        need(qty_seen, "qty");
        need(out.order.kind == OrderKind::market || out.order.price.has_value(), "price");
        break;
      case EventType::cancel:
        need(!out.cancel.id.empty(), "id");
        break;
      case EventType::amend:
        need(!out.amend.id.empty(), "id");
        need(out.amend.qty.has_value() || out.amend.price.has_value(), "qty or price");
        break;
      case EventType::exec:
        need(!out.exec.id.empty(), "id");
        break;
      case EventType::control:
        need(!out.control.command.empty(), "command");
        break;
      default:
        break;
    }
  }

  void decode(std::string_view line, DecodedEvent& out) {
    out.type = {};
    out.kind = EventType::unknown;
    out.decoded = false;
    od::document doc = parser.iterate(line.data(), line.size(), line.size() + 64);
    od::object obj = doc.get_object();
    bool type_later = false;
    for (auto f : obj) {
      std::string_view key = f.unescaped_key();
      if (key == "type") {
        set_type(f.value().get_string(), out);
        if (!wanted.contains(out.kind)) return;
        reset(out);
        continue;
      }
      if (out.type.empty()) {
        type_later = true;
        break;
      }
      field(out, key, f.value());
    }
    if (type_later) {
      // The contract puts `type` first; tolerate other orders at some cost.
      doc.rewind();
      set_type(doc.get_object().find_field_unordered("type").get_string(), out);
      if (!wanted.contains(out.kind)) return;
      reset(out);
      doc.rewind();
      for (auto f : doc.get_object()) {
        std::string_view key = f.unescaped_key();
        if (key != "type") field(out, key, f.value());
      }
    }
    if (out.type.empty()) throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    require(out);
    if (out.kind == EventType::book) {
      out.book.bids = bids;
      out.book.asks = asks;
    }
    out.decoded = true;
  }

  void set_type(std::string_view t, DecodedEvent& out) {
    type.assign(t);
    out.type = type;
    out.kind = event_type_of(type);
  }

  void reset(DecodedEvent& out) {
    side_seen = qty_seen = false;
    switch (out.kind) {
      case EventType::book:
        out.book = {};
        break;
      case EventType::status:
        out.status = {};
        break;
      case EventType::trade:
        out.trade = {};
        break;
      case EventType::bbo:
      case EventType::quote:
        out.top = {};
        break;
      case EventType::ticker:
        out.ticker = {};
        break;
      case EventType::order:
        out.order = {};
        break;
      case EventType::cancel:
        out.cancel = {};
        break;
      case EventType::amend:
        out.amend = {};
        break;
      case EventType::exec:
        out.exec = {};
        break;
      case EventType::control:
        out.control = {};
        break;
      default:
        break;
    }
  }
};

EventDecoder::EventDecoder(EventTypes wanted) : impl_(std::make_unique<Impl>()) {
  impl_->wanted = wanted;
  impl_->bids.reserve(1024);
  impl_->asks.reserve(1024);
}
EventDecoder::~EventDecoder() = default;

Result<> EventDecoder::decode(std::string_view line, DecodedEvent& out) {
  // Levels from an earlier line must not leak into this one.
  impl_->bids.clear();
  impl_->asks.clear();
  std::string error;
  try {
    impl_->decode(line, out);
    return {};
  } catch (const simdjson::simdjson_error& e) {
    error = house_message("malformed event: ", e.what());
  } catch (const BadField& f) {
    error = "malformed event: field '" + std::string(f.name) + "': " + f.what;
  }
  out.decoded = false;
  const bool request =
      out.kind == EventType::order || out.kind == EventType::cancel || out.kind == EventType::amend;
  if (request && impl_->wanted.contains(out.kind)) {
    impl_->salvage(line, out);
  } else {
    out.kind = EventType::unknown;
  }
  return Error(ErrorCode::corrupt, std::move(error));
}

}  // namespace ot
