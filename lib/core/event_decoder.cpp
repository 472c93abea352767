#include "core/event_decoder.h"

#include <simdjson.h>

#include <array>

#include "core/event_tally.h"
#include "core/json_in.h"
#include "core/message.h"

namespace ot {

namespace od = simdjson::ondemand;

namespace {

constexpr std::array<std::string_view, 16> kTypeNames = {
    "",      "book",   "trade", "quote", "ticker",   "status", "bbo",     "depth",
    "order", "cancel", "amend", "exec",  "position", "greeks", "control", "bar"};

// Why a line does not decode: simdjson's error, or a field that is present
// but unusable (`what`, naming it). None: the read went well.
struct Fault {
  Fault() = default;
  explicit Fault(simdjson::error_code e) : json(e) {}
  Fault(std::string_view field, const char* problem) : name(field), what(problem) {}
  explicit operator bool() const { return json != simdjson::SUCCESS || what != nullptr; }

  simdjson::error_code json = simdjson::SUCCESS;
  std::string_view name;
  const char* what = nullptr;
};

Fault bad(std::string_view name, const char* what) { return Fault(name, what); }

// A string, an integer or a bool (json_in.h's read), or a string's text.
template <class T>
Fault get(JsonValue v, T& out) {
  return Fault(read(v, out));
}
Fault text(JsonValue v, std::string_view& out) { return Fault(string_text(v, out)); }

Fault decimal(JsonValue v, std::string_view name, Decimal& out) {
  std::string_view t;
  if (string_text(v, t) != simdjson::SUCCESS) return bad(name, "expected a decimal string");
  auto d = Decimal::parse(t);
  if (!d) return bad(name, "not a decimal");
  out = *d;
  return {};
}
Fault decimal(JsonValue v, std::string_view name, std::optional<Decimal>& out) {
  Decimal d;
  Fault f = decimal(v, name, d);
  if (!f) out = d;
  return f;
}

template <class E, class T>
Fault enum_of(std::optional<E> (*parse)(std::string_view), JsonValue v, std::string_view name,
              T& out) {
  std::string_view t;
  if (auto e = string_text(v, t)) return Fault(e);
  auto e = parse(t);
  if (!e) return bad(name, "unknown value");
  out = *e;
  return {};
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

std::string_view event_type_name(EventType kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kTypeNames.size() ? kTypeNames[i] : std::string_view();
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
    // A line broken further on: what came before the break is kept.
    od::document doc;
    od::object obj;
    if (!parser.iterate(line.data(), line.size(), line.size() + 64).get(doc) &&
        !doc.get_object().get(obj)) {
      for (auto f : obj) {
        std::string_view key;
        if (f.unescaped_key().get(key)) break;
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

  static Fault levels(JsonValue v, std::vector<PriceLevel>& out) {
    od::array a;
    std::string_view raw;
    if (auto e = v.get_array().get(a)) return Fault(e);
    if (auto e = a.raw_json().get(raw)) return Fault(e);
    return Fault(scan_string_levels(raw, out).error());
  }

  // Common header fields shared by most types: whether `key` is one, and
  // how reading it went.
  template <class T>
  static bool header(T& e, std::string_view key, JsonValue v, Fault& f) {
    if (key == "venue") {
      f = text(v, e.venue);
    } else if (key == "symbol") {
      f = text(v, e.symbol);
    } else {
      return false;
    }
    return true;
  }

  // One member of the event being decoded.
  Fault field(DecodedEvent& out, std::string_view key, JsonValue v) {
    Fault f;
    switch (out.kind) {
      case EventType::book:
      case EventType::depth: {  // ot-book's top levels: a book event's fields
        auto& b = out.book;
        if (header(b, key, v, f)) return f;
        if (key == "ts")
          f = get(v, b.ts);
        else if (key == "recv")
          f = get(v, b.recv);
        else if (key == "snapshot")
          f = get(v, b.snapshot);
        else if (key == "first_seq")
          f = get(v, b.first_seq);
        else if (key == "seq")
          f = get(v, b.seq);
        else if (key == "prev_seq")
          f = get(v, b.prev_seq);
        else if (key == "checksum")
          f = get(v, b.checksum);
        else if (key == "bids")
          f = levels(v, bids);
        else if (key == "asks")
          f = levels(v, asks);
        return f;
      }
      case EventType::status: {
        auto& s = out.status;
        if (header(s, key, v, f)) return f;
        if (key == "ts")
          f = get(v, s.ts);
        else if (key == "event")
          f = get(v, s.event);
        else if (key == "detail")
          f = get(v, s.detail);
        return f;
      }
      case EventType::trade: {
        auto& t = out.trade;
        if (header(t, key, v, f)) return f;
        if (key == "ts")
          f = get(v, t.ts);
        else if (key == "recv")
          f = get(v, t.recv);
        else if (key == "price")
          f = text(v, t.price);
        else if (key == "qty")
          f = text(v, t.qty);
        else if (key == "side")
          f = enum_of(parse_side, v, key, t.side);
        else if (key == "id")
          f = text(v, t.id);
        return f;
      }
      case EventType::bbo:
      case EventType::quote: {
        auto& q = out.top;
        if (header(q, key, v, f)) return f;
        bool null = false;
        if (auto e = v.is_null().get(null)) return Fault(e);
        if (null) return f;  // an empty side
        if (key == "ts")
          f = get(v, q.ts);
        else if (key == "recv")
          f = get(v, q.recv);
        else if (key == "bid")
          f = decimal(v, key, q.bid), q.has_bid = true;
        else if (key == "bid_qty")
          f = decimal(v, key, q.bid_qty);
        else if (key == "ask")
          f = decimal(v, key, q.ask), q.has_ask = true;
        else if (key == "ask_qty")
          f = decimal(v, key, q.ask_qty);
        return f;
      }
      case EventType::bar: {
        auto& b = out.bar;
        if (header(b, key, v, f)) return f;
        bool null = false;
        if (auto e = v.is_null().get(null)) return Fault(e);
        if (null) return f;  // an indicator warming up
        if (key == "start")
          f = get(v, b.open_time);
        else if (key == "end")
          f = get(v, b.close_time);
        else if (key == "open")
          f = text(v, b.open);
        else if (key == "high")
          f = text(v, b.high);
        else if (key == "low")
          f = text(v, b.low);
        else if (key == "close")
          f = text(v, b.close);
        else if (key == "volume")
          f = text(v, b.volume);
        else if (key == "buy_volume")
          f = text(v, b.buy_volume);
        else if (key == "vwap")
          f = text(v, b.vwap);
        else if (key == "trades")
          f = get(v, b.trades);
        else if (key == "forming")
          f = get(v, b.forming);
        return f;
      }
      case EventType::ticker: {
        auto& t = out.ticker;
        if (header(t, key, v, f)) return f;
        if (key == "ts") {
          f = get(v, t.ts);
        } else if (key == "recv") {
          f = get(v, t.recv);
        } else {
          for (std::size_t i = 0; i < kTickerFieldNames.size(); ++i) {
            if (kTickerFieldNames[i] == key) f = text(v, t.fields[i]);
          }
        }
        return f;
      }
      case EventType::order: {
        auto& o = out.order;
        if (header(o, key, v, f)) return f;
        if (key == "id")
          f = get(v, o.id);
        else if (key == "ts")
          f = get(v, o.ts);
        else if (key == "side")
          f = enum_of(parse_side, v, key, o.side), side_seen = true;
        else if (key == "qty")
          f = decimal(v, key, o.qty), qty_seen = true;
        else if (key == "price")
          f = decimal(v, key, o.price);
        else if (key == "kind")
          f = enum_of(parse_order_kind, v, key, o.kind);
        else if (key == "tif")
          f = enum_of(parse_tif, v, key, o.tif);
        else if (key == "reduce_only")
          f = get(v, o.reduce_only);
        else if (key == "strategy")
          f = get(v, o.strategy);
        return f;
      }
      case EventType::cancel: {
        auto& c = out.cancel;
        if (header(c, key, v, f)) return f;
        if (key == "id")
          f = get(v, c.id);
        else if (key == "ts")
          f = get(v, c.ts);
        else if (key == "strategy")
          f = get(v, c.strategy);
        return f;
      }
      case EventType::amend: {
        auto& a = out.amend;
        if (header(a, key, v, f)) return f;
        if (key == "id")
          f = get(v, a.id);
        else if (key == "ts")
          f = get(v, a.ts);
        else if (key == "qty")
          f = decimal(v, key, a.qty);
        else if (key == "price")
          f = decimal(v, key, a.price);
        else if (key == "strategy")
          f = get(v, a.strategy);
        return f;
      }
      case EventType::exec: {
        auto& e = out.exec;
        if (header(e, key, v, f)) return f;
        if (key == "id")
          f = get(v, e.id);
        else if (key == "ts")
          f = get(v, e.ts);
        else if (key == "side")
          f = enum_of(parse_side, v, key, e.side);
        else if (key == "status")
          f = enum_of(parse_exec_status, v, key, e.status);
        else if (key == "price")
          f = decimal(v, key, e.price);
        else if (key == "qty")
          f = decimal(v, key, e.qty);
        else if (key == "filled")
          f = decimal(v, key, e.filled);
        else if (key == "leaves")
          f = decimal(v, key, e.leaves);
        else if (key == "order_price")
          f = decimal(v, key, e.order_price);
        else if (key == "avg_price")
          f = decimal(v, key, e.avg_price);
        else if (key == "fee")
          f = decimal(v, key, e.fee);
        else if (key == "liquidity")
          f = enum_of(parse_liquidity, v, key, e.liquidity);
        else if (key == "reason")
          f = get(v, e.reason);
        else if (key == "venue_id")
          f = get(v, e.venue_id);
        else if (key == "trade_id")
          f = get(v, e.trade_id);
        else if (key == "strategy")
          f = get(v, e.strategy);
        else if (key == "seq")
          f = get(v, e.seq);
        return f;
      }
      case EventType::control: {
        auto& c = out.control;
        if (key == "command")
          f = get(v, c.command);
        else if (key == "target")
          f = get(v, c.target);
        else if (key == "detail")
          f = get(v, c.detail);
        else if (key == "ts")
          f = get(v, c.ts);
        return f;
      }
      default:
        return f;
    }
  }

  // Checks the fields without which an event of a wanted type is unusable.
  // (Whether an order's values make sense is order_problem()'s to say.)
  Fault require(DecodedEvent& out) const {
    Fault f;
    auto need = [&f](bool ok, std::string_view name) {
      if (!ok && !f) f = bad(name, "missing");
    };
    switch (out.kind) {
      case EventType::book:
      case EventType::depth:
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
      case EventType::bar:
        need(!out.bar.venue.empty(), "venue");
        need(!out.bar.symbol.empty(), "symbol");
        need(out.bar.close_time > 0 && out.bar.close_time >= out.bar.open_time, "end");
        need(!out.bar.open.empty(), "open");
        need(!out.bar.high.empty(), "high");
        need(!out.bar.low.empty(), "low");
        need(!out.bar.close.empty(), "close");
        need(!out.bar.volume.empty(), "volume");
        break;
      default:
        break;
    }
    return f;
  }

  Fault decode(std::string_view line, DecodedEvent& out) {
    out.type = {};
    out.venue = {};
    out.kind = EventType::unknown;
    out.decoded = false;
    od::document doc;
    od::object obj;
    if (auto e = parser.iterate(line.data(), line.size(), line.size() + 64).get(doc)) {
      return Fault(e);
    }
    if (auto e = doc.get_object().get(obj)) return Fault(e);
    bool type_later = false;
    // A type passed through: its venue is read for the tally when it is
    // the next member, as the contract writes it.
    bool passed = false;
    for (auto m : obj) {
      std::string_view key;
      if (auto e = m.unescaped_key().get(key)) return Fault(e);
      if (passed) {
        if (key != "venue" || m.value().get_string().get(out.venue) != simdjson::SUCCESS) {
          out.venue = {};
        }
        return {};
      }
      if (key == "type") {
        std::string_view t;
        if (auto e = m.value().get_string().get(t)) return Fault(e);
        set_type(t, out);
        if (!wanted.contains(out.kind)) {
          if (event_tally() == nullptr) return {};
          passed = true;
          continue;
        }
        reset(out);
        continue;
      }
      if (out.type.empty()) {
        type_later = true;
        break;
      }
      if (Fault f = field(out, key, m.value())) return f;
    }
    if (passed) return {};
    if (type_later) {
      // The contract puts `type` first; tolerate other orders at some cost.
      std::string_view t;
      doc.rewind();
      if (auto e = doc.get_object().find_field_unordered("type").get_string().get(t)) {
        return Fault(e);
      }
      set_type(t, out);
      if (!wanted.contains(out.kind)) return {};
      reset(out);
      doc.rewind();
      if (auto e = doc.get_object().get(obj)) return Fault(e);
      for (auto m : obj) {
        std::string_view key;
        if (auto e = m.unescaped_key().get(key)) return Fault(e);
        if (key == "type") continue;
        if (Fault f = field(out, key, m.value())) return f;
      }
    }
    if (out.type.empty()) return Fault(simdjson::NO_SUCH_FIELD);
    if (Fault f = require(out)) return f;
    if (out.kind == EventType::book || out.kind == EventType::depth) {
      out.book.bids = bids;
      out.book.asks = asks;
    }
    out.decoded = true;
    return {};
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
      case EventType::depth:
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
      case EventType::bar:
        out.bar = {};
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

std::string_view venue_of(const DecodedEvent& ev) noexcept {
  if (!ev.decoded) return ev.venue;
  switch (ev.kind) {
    case EventType::book:
    case EventType::depth:
      return ev.book.venue;
    case EventType::status:
      return ev.status.venue;
    case EventType::trade:
      return ev.trade.venue;
    case EventType::bbo:
    case EventType::quote:
      return ev.top.venue;
    case EventType::ticker:
      return ev.ticker.venue;
    case EventType::order:
      return ev.order.venue;
    case EventType::cancel:
      return ev.cancel.venue;
    case EventType::amend:
      return ev.amend.venue;
    case EventType::exec:
      return ev.exec.venue;
    case EventType::bar:
      return ev.bar.venue;
    default:
      return ev.venue;
  }
}

Result<> EventDecoder::decode(std::string_view line, DecodedEvent& out) {
  // Levels from an earlier line must not leak into this one.
  impl_->bids.clear();
  impl_->asks.clear();
  const Fault f = impl_->decode(line, out);
  EventTally* tally = event_tally();
  if (!f) {
    if (tally != nullptr) tally->in(out.kind, venue_of(out), line);
    return {};
  }
  if (tally != nullptr) tally->malformed();
  std::string error = f.what == nullptr
                          ? house_message("malformed event: ", simdjson::error_message(f.json))
                          : "malformed event: field '" + std::string(f.name) + "': " + f.what;
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
