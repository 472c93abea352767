#include <simdjson.h>

#include <string>
#include <vector>

#include "venues/deribit/deribit.h"

namespace ot::deribit {
namespace {

namespace od = simdjson::ondemand;

// A millisecond timestamp as nanoseconds; out of range is an error.
Nanos ms_field(simdjson::ondemand::value v) {
  const auto ns = ns_from_ms(v.get_int64());
  if (!ns) throw simdjson::simdjson_error(simdjson::NUMBER_OUT_OF_RANGE);
  return *ns;
}

std::string_view number_text(od::value v) {
  if (v.type() != od::json_type::number) throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE);
  return trim_token(v.raw_json_token());
}

// [action, price, amount]; a "delete" carries amount 0.
void read_levels(od::value v, std::vector<PriceLevel>& out) {
  out.clear();
  for (auto level : v.get_array()) {
    PriceLevel pl;
    int i = 0;
    bool del = false;
    for (auto x : level.get_array()) {
      if (i == 0)
        del = std::string_view(x.get_string()) == "delete";
      else if (i == 1)
        pl.price = number_text(x.value());
      else if (i == 2)
        pl.qty = del ? std::string_view("0") : number_text(x.value());
      ++i;
    }
    if (i < 3) throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE);
    out.push_back(pl);
  }
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
    try {
      return parse_frame(frame, recv, out);
    } catch (const simdjson::simdjson_error& e) {
      return FrameResult::fail(malformed_json(e.what()));
    }
  }

 private:
  FrameResult parse_frame(std::string_view frame, Nanos recv, EventListener& out) {
    od::document doc = parser_.iterate(frame.data(), frame.size(), frame.size() + 64);
    od::object root = doc.get_object();
    std::string_view method;
    for (auto field : root) {
      std::string_view key = field.unescaped_key();
      if (key == "jsonrpc") continue;
      if (key == "id" || key == "result") return FrameResult::control();
      if (key == "error") return FrameResult::fail("venue error response");
      if (key == "method") {
        method = field.value().get_string();
        if (method == "heartbeat") return FrameResult::control();
        if (method != "subscription") {
          return FrameResult::fail("unknown method '" + std::string(method) + "'");
        }
      } else if (key == "params") {
        return params(field.value().get_object(), recv, out);
      }
    }
    return FrameResult::fail("unknown message");
  }

  FrameResult params(od::object obj, Nanos recv, EventListener& out) {
    Channel ch = Channel::unknown;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "channel") {
        std::string_view instrument;
        std::string_view channel = field.value().get_string();
        ch = classify(channel, instrument);
        if (ch == Channel::unknown) {
          return FrameResult::fail("unknown channel '" + std::string(channel) + "'");
        }
        instrument_.assign(instrument);
      } else if (key == "data") {
        switch (ch) {
          case Channel::book:
            book(field.value().get_object(), recv, out);
            break;
          case Channel::trades:
            for (auto t : field.value().get_array()) trade(t.get_object(), recv, out);
            break;
          case Channel::ticker:
            ticker(field.value().get_object(), recv, out);
            break;
          case Channel::quote:
            quote(field.value().get_object(), recv, out);
            break;
          default:
            return FrameResult::fail("data before channel");
        }
        return FrameResult::data();
      }
    }
    return FrameResult::fail("subscription without data");
  }

  void book(od::object obj, Nanos recv, EventListener& out) {
    BookUpdate u;
    u.venue = "deribit";
    u.symbol = instrument_;
    u.recv = recv;
    bool have_bids = false, have_asks = false;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "type")
        u.snapshot = std::string_view(field.value().get_string()) == "snapshot";
      else if (key == "timestamp")
        u.ts = ms_field(field.value());
      else if (key == "change_id")
        u.seq = field.value().get_int64();
      else if (key == "prev_change_id")
        u.prev_seq = field.value().get_int64();
      else if (key == "bids")
        read_levels(field.value(), bids_), have_bids = true;
      else if (key == "asks")
        read_levels(field.value(), asks_), have_asks = true;
    }
    if (!have_bids || !have_asks || !u.seq) throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    u.bids = bids_;
    u.asks = asks_;
    out.on_book(u);
  }

  void trade(od::object obj, Nanos recv, EventListener& out) {
    Trade t;
    t.venue = "deribit";
    t.recv = recv;
    bool have_side = false;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "trade_id")
        t.id = field.value().get_string();
      else if (key == "price")
        t.price = number_text(field.value());
      else if (key == "amount")
        t.qty = number_text(field.value());
      else if (key == "timestamp")
        t.ts = ms_field(field.value());
      else if (key == "instrument_name")
        t.symbol = field.value().get_string();
      else if (key == "direction") {
        std::string_view d = field.value().get_string();
        t.side = d == "sell" ? Side::sell : Side::buy;
        have_side = d == "buy" || d == "sell";
      }
    }
    if (t.symbol.empty()) t.symbol = instrument_;
    if (t.price.empty() || t.qty.empty() || !have_side) {
      throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    }
    out.on_trade(t);
  }

  void ticker(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "deribit";
    t.symbol = instrument_;
    t.recv = recv;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "timestamp") {
        t.ts = ms_field(field.value());
        continue;
      }
      if (key == "greeks") {
        for (auto g : field.value().get_object()) {
          std::string_view k = g.unescaped_key();
          TickerField f = k == "delta"   ? TickerField::delta
                          : k == "gamma" ? TickerField::gamma
                          : k == "vega"  ? TickerField::vega
                          : k == "theta" ? TickerField::theta
                          : k == "rho"   ? TickerField::rho
                                         : TickerField::count;
          if (f != TickerField::count) t[f] = number_text(g.value());
        }
        continue;
      }
      if (key == "underlying_index") {
        t[TickerField::underlying_index] = field.value().get_string();
        continue;
      }
      TickerField f = TickerField::count;
      if (key == "last_price")
        f = TickerField::last;
      else if (key == "best_bid_price")
        f = TickerField::bid;
      else if (key == "best_bid_amount")
        f = TickerField::bid_qty;
      else if (key == "best_ask_price")
        f = TickerField::ask;
      else if (key == "best_ask_amount")
        f = TickerField::ask_qty;
      else if (key == "mark_price")
        f = TickerField::mark;
      else if (key == "index_price")
        f = TickerField::index;
      else if (key == "underlying_price")
        f = TickerField::underlying;
      else if (key == "mark_iv")
        f = TickerField::mark_iv;
      else if (key == "bid_iv")
        f = TickerField::bid_iv;
      else if (key == "ask_iv")
        f = TickerField::ask_iv;
      else if (key == "interest_rate")
        f = TickerField::interest_rate;
      else if (key == "open_interest")
        f = TickerField::open_interest;
      else if (key == "current_funding")
        f = TickerField::funding_rate;
      if (f == TickerField::count) continue;
      od::value v = field.value();
      // last_price is null before the first trade.
      if (v.is_null()) continue;
      t[f] = number_text(v);
    }
    out.on_ticker(t);
  }

  void quote(od::object obj, Nanos recv, EventListener& out) {
    Quote q;
    q.venue = "deribit";
    q.symbol = instrument_;
    q.recv = recv;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "timestamp")
        q.ts = ms_field(field.value());
      else if (key == "best_bid_price")
        q.bid = number_text(field.value());
      else if (key == "best_bid_amount")
        q.bid_qty = number_text(field.value());
      else if (key == "best_ask_price")
        q.ask = number_text(field.value());
      else if (key == "best_ask_amount")
        q.ask_qty = number_text(field.value());
    }
    out.on_quote(q);
  }

  od::parser parser_;
  std::vector<PriceLevel> bids_;
  std::vector<PriceLevel> asks_;
  std::string instrument_;
};

}  // namespace

std::unique_ptr<FrameParser> make_parser() { return std::make_unique<Parser>(); }

}  // namespace ot::deribit
