#include "venues/binance/binance_parser.h"

#include <simdjson.h>

#include <string>
#include <vector>

#include "core/json_in.h"

namespace ot::binance {
namespace {

namespace od = simdjson::ondemand;

enum class StreamKind { unknown, depth, snapshot, book_ticker, agg_trade, trade, skipped };

StreamKind classify(std::string_view stream) {
  const auto at = stream.find('@');
  if (at == std::string_view::npos) return StreamKind::unknown;
  std::string_view kind = stream.substr(at + 1);
  if (kind.rfind("depthSnapshot", 0) == 0) return StreamKind::snapshot;
  if (kind.rfind("depth", 0) == 0) return StreamKind::depth;
  if (kind == "bookTicker") return StreamKind::book_ticker;
  if (kind == "aggTrade") return StreamKind::agg_trade;
  if (kind == "trade") return StreamKind::trade;
  if (kind.rfind("kline", 0) == 0 || kind.rfind("markPrice", 0) == 0 ||
      kind.rfind("ticker", 0) == 0 || kind.rfind("miniTicker", 0) == 0 ||
      kind.rfind("forceOrder", 0) == 0) {
    return StreamKind::skipped;
  }
  return StreamKind::unknown;
}

StreamKind classify_event_type(std::string_view e) {
  if (e == "depthUpdate") return StreamKind::depth;
  if (e == "bookTicker") return StreamKind::book_ticker;
  if (e == "aggTrade") return StreamKind::agg_trade;
  if (e == "trade") return StreamKind::trade;
  if (e == "kline" || e == "markPriceUpdate" || e == "24hrTicker") return StreamKind::skipped;
  return StreamKind::unknown;
}

using simdjson::error_code;

// Reads a side; `text` gets its text when that is already our encoding.
error_code read_levels(JsonValue v, std::vector<PriceLevel>& out, std::string_view& text) {
  od::array levels;
  std::string_view raw;
  bool canonical = false;
  if (auto e = v.get_array().get(levels)) return e;
  if (auto e = levels.raw_json().get(raw)) return e;
  if (auto e = scan_string_levels(raw, out).get(canonical)) return e;
  text = canonical ? raw : std::string_view();
  return simdjson::SUCCESS;
}

FrameResult failed(error_code e) {
  return FrameResult::fail(malformed_json(simdjson::error_message(e)));
}

class Parser final : public FrameParser {
 public:
  Parser(Market m, bool fixed, bool fast) : market_(m), fixed_(fixed), fast_(fast) {
    bids_.reserve(1024);
    asks_.reserve(1024);
  }

  std::string_view venue() const override { return venue_name(market_); }

  FrameResult parse(std::string_view frame, Nanos recv, EventListener& out) override {
    if (fast_) {
      if (auto r = fast_depth(frame, recv, out)) return *r;
    }
    od::document doc;
    od::object root, data;
    if (auto e = parser_.iterate(frame.data(), frame.size(), frame.size() + 64).get(doc)) {
      return failed(e);
    }
    if (auto e = doc.get_object().get(root)) return failed(e);
    std::string_view stream;
    for (auto field : root) {
      std::string_view key, type;
      if (auto e = field.unescaped_key().get(key)) return failed(e);
      if (key == "stream") {
        if (auto e = read(field.value(), stream)) return failed(e);
      } else if (key == "data") {
        StreamKind kind = classify(stream);
        if (kind == StreamKind::unknown) {
          return FrameResult::fail("unknown stream '" + std::string(stream) + "'");
        }
        if (kind == StreamKind::skipped) return FrameResult::skipped();
        if (auto e = field.value().get_object().get(data)) return failed(e);
        return payload(kind, stream, data, recv, out);
      } else if (key == "result" || key == "id" || key == "code") {
        return FrameResult::control();
      } else if (key == "generated") {
        continue;
      } else if (key == "e" && stream.empty()) {
        // A raw (non-combined) stream: the payload is the top-level object.
        if (auto e = read(field.value(), type)) return failed(e);
        StreamKind kind = classify_event_type(type);
        if (kind == StreamKind::unknown) return FrameResult::fail("unknown event type");
        if (kind == StreamKind::skipped) return FrameResult::skipped();
        doc.rewind();
        if (auto e = doc.get_object().get(data)) return failed(e);
        return payload(kind, {}, data, recv, out);
      } else if (stream.empty()) {
        return FrameResult::fail("unknown message (field '" + std::string(key) + "')");
      }
    }
    return FrameResult::fail("no data in frame");
  }

 private:
  void saw_futures(std::string_view symbol) {
    if (fixed_ || market_ != Market::spot) return;
    market_ = symbol.find('_') != std::string_view::npos ? Market::coinm : Market::usdm;
    fixed_ = true;
  }
  void saw_spot() { fixed_ = true; }

  FrameResult payload(StreamKind kind, std::string_view stream, od::object obj, Nanos recv,
                      EventListener& out) {
    switch (kind) {
      case StreamKind::depth:
      case StreamKind::snapshot:
        return depth(kind == StreamKind::snapshot, stream, obj, recv, out);
      case StreamKind::book_ticker:
        return book_ticker(obj, recv, out);
      case StreamKind::agg_trade:
      case StreamKind::trade:
        return trade(kind == StreamKind::agg_trade, obj, recv, out);
      default:
        return FrameResult::skipped();
    }
  }

  // A depth message's fields, however they were read.
  struct Depth {
    BookUpdate u;
    std::optional<std::int64_t> event_time, tx_time;
    bool have_bids = false, have_asks = false;
  };

  FrameResult depth(bool snapshot, std::string_view stream, od::object obj, Nanos recv,
                    EventListener& out) {
    Depth d;
    BookUpdate& u = d.u;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return failed(e);
      error_code e = simdjson::SUCCESS;
      if (key.size() == 1) {
        switch (key[0]) {
          case 'E':
            e = read(field.value(), d.event_time);
            break;
          case 'T':
            e = read(field.value(), d.tx_time);
            break;
          case 's':
            e = read(field.value(), u.symbol);
            break;
          case 'U':
            e = read(field.value(), u.first_seq);
            break;
          case 'u':
            e = read(field.value(), u.seq);
            break;
          case 'b':
            e = read_levels(field.value(), bids_, u.bids_json);
            d.have_bids = true;
            break;
          case 'a':
            e = read_levels(field.value(), asks_, u.asks_json);
            d.have_asks = true;
            break;
          default:
            break;
        }
      } else if (key == "pu") {
        e = read(field.value(), u.prev_seq);
      } else if (key == "lastUpdateId") {
        e = read(field.value(), u.seq);
      } else if (key == "bids") {
        e = read_levels(field.value(), bids_, u.bids_json), d.have_bids = true;
      } else if (key == "asks") {
        e = read_levels(field.value(), asks_, u.asks_json), d.have_asks = true;
      }
      if (e) return failed(e);
    }
    return finish_depth(d, snapshot, stream, recv, out);
  }

  FrameResult finish_depth(Depth& d, bool snapshot, std::string_view stream, Nanos recv,
                           EventListener& out) {
    BookUpdate& u = d.u;
    u.recv = recv;
    u.snapshot = snapshot;
    if (snapshot) {
      symbol_of_stream(stream, symbol_);
      u.symbol = symbol_;
      if (d.tx_time)
        saw_futures(u.symbol);
      else
        saw_spot();
    } else if (u.prev_seq) {
      saw_futures(u.symbol);
    } else {
      saw_spot();
    }
    if (u.symbol.empty() || !u.seq || !d.have_bids || !d.have_asks || (!snapshot && !u.first_seq)) {
      return FrameResult::fail("depth message lacks symbol, ids or sides");
    }
    if (d.tx_time || d.event_time) {
      u.ts = ns_from_ms(d.tx_time ? *d.tx_time : *d.event_time);
      if (!u.ts) return FrameResult::fail("depth message time out of range");
    }
    u.venue = venue();
    u.bids = bids_;
    u.asks = asks_;
    out.on_book(u);
    return FrameResult::data();
  }

  // Diff depth exactly as Binance sends it, {"stream":"…@depth…","data":{"e":
  // "depthUpdate",…,"b":[…],"a":[…]}} with no whitespace, read straight
  // from the bytes in one pass: no simdjson stage, no On-Demand walk. The
  // first byte off that layout (another stream, an unknown key, whitespace,
  // an escape, a number that is not a plain integer) returns nullopt and the
  // frame goes the general way, which gives the same events.
  std::optional<FrameResult> fast_depth(std::string_view frame, Nanos recv, EventListener& out) {
    if (frame.empty() || frame.back() != '}') return std::nullopt;
    ExactReader r(frame);
    std::string_view stream;
    if (!r.literal("{\"stream\":") || !r.string(stream) || classify(stream) != StreamKind::depth ||
        !r.literal(",\"data\":{")) {
      return std::nullopt;
    }
    Depth d;
    BookUpdate& u = d.u;
    std::string_view key, ignored;
    for (;;) {
      if (!r.key(key)) return std::nullopt;
      bool ok;
      if (key.size() == 1) {
        switch (key[0]) {
          case 'e':
            ok = r.string(ignored);
            break;
          case 's':
            ok = r.string(u.symbol);
            break;
          case 'E':
            ok = r.integer(d.event_time);
            break;
          case 'T':
            ok = r.integer(d.tx_time);
            break;
          case 'U':
            ok = r.integer(u.first_seq);
            break;
          case 'u':
            ok = r.integer(u.seq);
            break;
          case 'b':
            ok = r.levels(bids_, &u.bids_json) && (d.have_bids = true);
            break;
          case 'a':
            ok = r.levels(asks_, &u.asks_json) && (d.have_asks = true);
            break;
          default:
            return std::nullopt;
        }
      } else if (key == "pu") {
        ok = r.integer(u.prev_seq);
      } else {
        return std::nullopt;
      }
      const auto next = r.after_member(ok, "}}");
      if (next == ExactReader::Next::off) return std::nullopt;
      if (next == ExactReader::Next::done) break;
    }
    return finish_depth(d, false, stream, recv, out);
  }

  FrameResult book_ticker(od::object obj, Nanos recv, EventListener& out) {
    Quote q;
    q.recv = recv;
    std::optional<std::int64_t> event_time, tx_time;
    bool has_event_type = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return failed(e);
      if (key.size() != 1) continue;
      error_code e = simdjson::SUCCESS;
      switch (key[0]) {
        case 'e':
          has_event_type = true;
          break;
        case 'u':
          e = read(field.value(), q.seq);
          break;
        case 's':
          e = read(field.value(), q.symbol);
          break;
        case 'b':
          e = read(field.value(), q.bid);
          break;
        case 'B':
          e = read(field.value(), q.bid_qty);
          break;
        case 'a':
          e = read(field.value(), q.ask);
          break;
        case 'A':
          e = read(field.value(), q.ask_qty);
          break;
        case 'E':
          e = read(field.value(), event_time);
          break;
        case 'T':
          e = read(field.value(), tx_time);
          break;
        default:
          break;
      }
      if (e) return failed(e);
    }
    if (has_event_type) saw_futures(q.symbol);
    if (q.symbol.empty() || q.bid.empty() || q.ask.empty()) {
      return FrameResult::fail("bookTicker lacks symbol or prices");
    }
    if (tx_time || event_time) {
      q.ts = ns_from_ms(tx_time ? *tx_time : *event_time);
      if (!q.ts) return FrameResult::fail("bookTicker time out of range");
    }
    q.venue = venue();
    out.on_quote(q);
    return FrameResult::data();
  }

  FrameResult trade(bool aggregate, od::object obj, Nanos recv, EventListener& out) {
    Trade t;
    t.recv = recv;
    std::optional<std::int64_t> trade_time;
    std::optional<bool> buyer_maker;
    bool best_match_flag = false;
    for (auto field : obj) {
      std::string_view key, token;
      if (auto e = field.unescaped_key().get(key)) return failed(e);
      if (key.size() != 1) continue;
      error_code e = simdjson::SUCCESS;
      switch (key[0]) {
        case 's':
          e = read(field.value(), t.symbol);
          break;
        case 'p':
          e = read(field.value(), t.price);
          break;
        case 'q':
          e = read(field.value(), t.qty);
          break;
        case 'T':
          e = read(field.value(), trade_time);
          break;
        case 'm':
          e = read(field.value(), buyer_maker);
          break;
        case 'M':
          best_match_flag = true;
          break;
        case 'a':
        case 't':
          // The aggregate id (a) or the trade id (t), whichever this is.
          if ((key[0] == 'a') == aggregate) {
            e = field.value().raw_json_token().get(token);
            t.id = trim_token(token);
          }
          break;
        default:
          break;
      }
      if (e) return failed(e);
    }
    if (aggregate && !best_match_flag)
      saw_futures(t.symbol);
    else if (best_match_flag)
      saw_spot();
    if (t.symbol.empty() || t.price.empty() || t.qty.empty() || !buyer_maker) {
      return FrameResult::fail("trade lacks symbol, price, qty or side");
    }
    // The buyer was the maker: the aggressor sold.
    t.side = *buyer_maker ? Side::sell : Side::buy;
    if (trade_time) {
      t.ts = ns_from_ms(*trade_time);
      if (!t.ts) return FrameResult::fail("trade time out of range");
    }
    t.venue = venue();
    out.on_trade(t);
    return FrameResult::data();
  }

  od::parser parser_;
  Market market_;
  bool fixed_;
  bool fast_;
  std::vector<PriceLevel> bids_;
  std::vector<PriceLevel> asks_;
  std::string symbol_;
};

}  // namespace

std::string stream_prefix(std::string_view symbol) {
  std::string r(symbol);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

void symbol_of_stream(std::string_view stream, std::string& out) {
  out.assign(stream.substr(0, stream.find('@')));
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

std::string_view venue_name(Market m) {
  switch (m) {
    case Market::spot:
      return "binance";
    case Market::usdm:
      return "binance-futures";
    case Market::coinm:
      return "binance-delivery";
  }
  return "binance";
}

std::unique_ptr<FrameParser> make_parser(Market m, bool fixed, bool fast) {
  return std::make_unique<Parser>(m, fixed, fast);
}

}  // namespace ot::binance
