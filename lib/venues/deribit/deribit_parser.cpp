#include <simdjson.h>

#include <string>
#include <vector>

#include "core/json_in.h"
#include "venues/deribit/deribit.h"

namespace ot::deribit {
namespace {

namespace od = simdjson::ondemand;

using simdjson::error_code;

// A millisecond timestamp as nanoseconds; out of range is an error.
error_code ms_field(JsonValue v, std::optional<Nanos>& out) {
  std::int64_t ms = 0;
  if (auto e = v.get_int64().get(ms)) return e;
  out = ns_from_ms(ms);
  return out ? simdjson::SUCCESS : simdjson::NUMBER_OUT_OF_RANGE;
}

// A number's text as the venue wrote it.
error_code number_text(JsonValue v, std::string_view& out) {
  od::json_type type;
  std::string_view token;
  if (auto e = v.type().get(type)) return e;
  if (type != od::json_type::number) return simdjson::INCORRECT_TYPE;
  if (auto e = v.raw_json_token().get(token)) return e;
  out = trim_token(token);
  return simdjson::SUCCESS;
}

// [action, price, amount]; a "delete" carries amount 0.
error_code read_levels(JsonValue v, std::vector<PriceLevel>& out) {
  out.clear();
  od::array levels;
  if (auto e = v.get_array().get(levels)) return e;
  for (auto level : levels) {
    od::array members;
    if (auto e = level.get_array().get(members)) return e;
    PriceLevel pl;
    int i = 0;
    bool del = false;
    for (auto x : members) {
      error_code e = simdjson::SUCCESS;
      std::string_view action;
      if (i == 0) {
        e = x.get_string().get(action);
        del = action == "delete";
      } else if (i == 1) {
        e = number_text(x, pl.price);
      } else if (i == 2) {
        pl.qty = "0";
        if (!del) e = number_text(x, pl.qty);
      } else {
        e = x.error();  // further members: read past, broken or not
      }
      if (e) return e;
      ++i;
    }
    if (i < 3) return simdjson::INCORRECT_TYPE;
    out.push_back(pl);
  }
  return simdjson::SUCCESS;
}

enum class Channel { unknown, book, trades, ticker, quote };

// "book.BTC-PERPETUAL.raw" -> book, instrument.
Channel classify(std::string_view channel, std::string_view& instrument) {
  const auto dot = channel.find('.');
  if (dot == std::string_view::npos) return Channel::unknown;
  std::string_view kind = channel.substr(0, dot);
  std::string_view rest = channel.substr(dot + 1);
  const auto last = rest.rfind('.');
  instrument = last == std::string_view::npos ? rest : rest.substr(0, last);
  if (kind == "book") return Channel::book;
  if (kind == "trades") return Channel::trades;
  if (kind == "ticker") return Channel::ticker;
  if (kind == "quote") {
    instrument = rest;
    return Channel::quote;
  }
  return Channel::unknown;
}

class Parser final : public FrameParser {
 public:
  Parser() {
    bids_.reserve(512);
    asks_.reserve(512);
  }
  std::string_view venue() const override { return "deribit"; }

  FrameResult parse(std::string_view frame, Nanos recv, EventListener& out) override {
    FrameResult r = FrameResult::data();
    if (auto e = parse_frame(frame, recv, out, r)) {
      return FrameResult::fail(malformed_json(simdjson::error_message(e)));
    }
    return r;
  }

 private:
  // The frame's result into `r`, or the JSON error that stopped the walk.
  error_code parse_frame(std::string_view frame, Nanos recv, EventListener& out, FrameResult& r) {
    od::document doc;
    od::object root;
    if (auto e = parser_.iterate(frame.data(), frame.size(), frame.size() + 64).get(doc)) return e;
    if (auto e = doc.get_object().get(root)) return e;
    std::string_view method;
    for (auto field : root) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      if (key == "jsonrpc") continue;
      if (key == "id" || key == "result") {
        r = FrameResult::control();
        return simdjson::SUCCESS;
      }
      if (key == "error") {
        r = FrameResult::fail("venue error response");
        return simdjson::SUCCESS;
      }
      if (key == "method") {
        if (auto e = field.value().get_string().get(method)) return e;
        if (method == "heartbeat") {
          r = FrameResult::control();
          return simdjson::SUCCESS;
        }
        if (method != "subscription") {
          r = FrameResult::fail("unknown method '" + std::string(method) + "'");
          return simdjson::SUCCESS;
        }
      } else if (key == "params") {
        od::object params;
        if (auto e = field.value().get_object().get(params)) return e;
        return this->params(params, recv, out, r);
      }
    }
    r = FrameResult::fail("unknown message");
    return simdjson::SUCCESS;
  }

  error_code params(od::object obj, Nanos recv, EventListener& out, FrameResult& r) {
    Channel ch = Channel::unknown;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      if (key == "channel") {
        std::string_view instrument, channel;
        if (auto e = field.value().get_string().get(channel)) return e;
        ch = classify(channel, instrument);
        if (ch == Channel::unknown) {
          r = FrameResult::fail("unknown channel '" + std::string(channel) + "'");
          return simdjson::SUCCESS;
        }
        instrument_.assign(instrument);
      } else if (key == "data") {
        if (ch == Channel::unknown) {
          r = FrameResult::fail("data before channel");
          return simdjson::SUCCESS;
        }
        r = FrameResult::data();
        if (ch == Channel::trades) {
          od::array trades;
          if (auto e = field.value().get_array().get(trades)) return e;
          for (auto t : trades) {
            od::object o;
            if (auto e = t.get_object().get(o)) return e;
            if (auto e = trade(o, recv, out)) return e;
          }
          return simdjson::SUCCESS;
        }
        od::object data;
        if (auto e = field.value().get_object().get(data)) return e;
        return ch == Channel::book     ? book(data, recv, out)
               : ch == Channel::ticker ? ticker(data, recv, out)
                                       : quote(data, recv, out);
      }
    }
    r = FrameResult::fail("subscription without data");
    return simdjson::SUCCESS;
  }

  error_code book(od::object obj, Nanos recv, EventListener& out) {
    BookUpdate u;
    u.venue = "deribit";
    u.symbol = instrument_;
    u.recv = recv;
    bool have_bids = false, have_asks = false;
    for (auto field : obj) {
      std::string_view key, type;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "type") {
        e = field.value().get_string().get(type);
        u.snapshot = type == "snapshot";
      } else if (key == "timestamp") {
        e = ms_field(field.value(), u.ts);
      } else if (key == "change_id") {
        e = read(field.value(), u.seq);
      } else if (key == "prev_change_id") {
        e = read(field.value(), u.prev_seq);
      } else if (key == "bids") {
        e = read_levels(field.value(), bids_), have_bids = true;
      } else if (key == "asks") {
        e = read_levels(field.value(), asks_), have_asks = true;
      }
      if (e) return e;
    }
    if (!have_bids || !have_asks || !u.seq) return simdjson::NO_SUCH_FIELD;
    u.bids = bids_;
    u.asks = asks_;
    out.on_book(u);
    return simdjson::SUCCESS;
  }

  error_code trade(od::object obj, Nanos recv, EventListener& out) {
    Trade t;
    t.venue = "deribit";
    t.recv = recv;
    bool have_side = false;
    for (auto field : obj) {
      std::string_view key, direction;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "trade_id") {
        e = read(field.value(), t.id);
      } else if (key == "price") {
        e = number_text(field.value(), t.price);
      } else if (key == "amount") {
        e = number_text(field.value(), t.qty);
      } else if (key == "timestamp") {
        e = ms_field(field.value(), t.ts);
      } else if (key == "instrument_name") {
        e = read(field.value(), t.symbol);
      } else if (key == "direction") {
        e = read(field.value(), direction);
        t.side = direction == "sell" ? Side::sell : Side::buy;
        have_side = direction == "buy" || direction == "sell";
      }
      if (e) return e;
    }
    if (t.symbol.empty()) t.symbol = instrument_;
    if (t.price.empty() || t.qty.empty() || !have_side) return simdjson::NO_SUCH_FIELD;
    out.on_trade(t);
    return simdjson::SUCCESS;
  }

  static TickerField ticker_field(std::string_view key) {
    if (key == "last_price") return TickerField::last;
    if (key == "best_bid_price") return TickerField::bid;
    if (key == "best_bid_amount") return TickerField::bid_qty;
    if (key == "best_ask_price") return TickerField::ask;
    if (key == "best_ask_amount") return TickerField::ask_qty;
    if (key == "mark_price") return TickerField::mark;
    if (key == "index_price") return TickerField::index;
    if (key == "underlying_price") return TickerField::underlying;
    if (key == "mark_iv") return TickerField::mark_iv;
    if (key == "bid_iv") return TickerField::bid_iv;
    if (key == "ask_iv") return TickerField::ask_iv;
    if (key == "interest_rate") return TickerField::interest_rate;
    if (key == "open_interest") return TickerField::open_interest;
    if (key == "current_funding") return TickerField::funding_rate;
    return TickerField::count;
  }

  static TickerField greek_field(std::string_view k) {
    return k == "delta"   ? TickerField::delta
           : k == "gamma" ? TickerField::gamma
           : k == "vega"  ? TickerField::vega
           : k == "theta" ? TickerField::theta
           : k == "rho"   ? TickerField::rho
                          : TickerField::count;
  }

  error_code ticker(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "deribit";
    t.symbol = instrument_;
    t.recv = recv;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "timestamp") {
        e = ms_field(field.value(), t.ts);
      } else if (key == "greeks") {
        od::object greeks;
        if ((e = field.value().get_object().get(greeks))) return e;
        for (auto g : greeks) {
          std::string_view k;
          if ((e = g.unescaped_key().get(k))) return e;
          const TickerField f = greek_field(k);
          if (f != TickerField::count && (e = number_text(g.value(), t[f]))) return e;
        }
      } else if (key == "underlying_index") {
        e = read(field.value(), t[TickerField::underlying_index]);
      } else if (const TickerField f = ticker_field(key); f != TickerField::count) {
        JsonValue v = field.value();
        bool null = false;
        // last_price is null before the first trade.
        if (!(e = v.is_null().get(null)) && !null) e = number_text(v, t[f]);
      }
      if (e) return e;
    }
    out.on_ticker(t);
    return simdjson::SUCCESS;
  }

  error_code quote(od::object obj, Nanos recv, EventListener& out) {
    Quote q;
    q.venue = "deribit";
    q.symbol = instrument_;
    q.recv = recv;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "timestamp")
        e = ms_field(field.value(), q.ts);
      else if (key == "best_bid_price")
        e = number_text(field.value(), q.bid);
      else if (key == "best_bid_amount")
        e = number_text(field.value(), q.bid_qty);
      else if (key == "best_ask_price")
        e = number_text(field.value(), q.ask);
      else if (key == "best_ask_amount")
        e = number_text(field.value(), q.ask_qty);
      if (e) return e;
    }
    out.on_quote(q);
    return simdjson::SUCCESS;
  }

  od::parser parser_;
  std::vector<PriceLevel> bids_;
  std::vector<PriceLevel> asks_;
  std::string instrument_;
};

}  // namespace

std::unique_ptr<FrameParser> make_parser() { return std::make_unique<Parser>(); }

}  // namespace ot::deribit
