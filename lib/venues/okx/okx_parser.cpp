#include <libdeflate.h>
#include <simdjson.h>

#include <array>
#include <string>
#include <vector>

#include "core/json_in.h"
#include "core/swar.h"
#include "venues/okx/okx.h"

namespace ot::okx {
namespace {

namespace od = simdjson::ondemand;

// OKX's millisecond times are strings of digits: the time in nanoseconds,
// or the simdjson error the text deserves.
simdjson::error_code read_ms(std::string_view s, Nanos& out) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 18) return simdjson::NUMBER_ERROR;
  for (char c : s) {
    if (c < '0' || c > '9') return simdjson::NUMBER_ERROR;
    v = v * 10 + (c - '0');
  }
  const auto ns = ns_from_ms(v);
  if (!ns) return simdjson::NUMBER_OUT_OF_RANGE;
  out = *ns;
  return simdjson::SUCCESS;
}

// A string of milliseconds as nanoseconds.
simdjson::error_code ms_field(JsonValue v, std::optional<Nanos>& out) {
  std::string_view text;
  Nanos ns = 0;
  if (auto e = v.get_string().get(text)) return e;
  if (auto e = read_ms(text, ns)) return e;
  out = ns;
  return simdjson::SUCCESS;
}

simdjson::error_code read_levels(JsonValue v, std::vector<PriceLevel>& out) {
  od::array levels;
  std::string_view raw;
  if (auto e = v.get_array().get(levels)) return e;
  if (auto e = levels.raw_json().get(raw)) return e;
  return scan_string_levels(raw, out).error();  // 4 members: never canonical
}

enum class Channel { unknown, books, bbo, trades, tickers, opt_summary };

Channel classify(std::string_view c) {
  if (c == "books" || c == "books-l2-tbt" || c == "books50-l2-tbt" || c == "books5") {
    return Channel::books;
  }
  if (c == "bbo-tbt") return Channel::bbo;
  if (c == "trades" || c == "trades-all") return Channel::trades;
  if (c == "tickers") return Channel::tickers;
  if (c == "opt-summary") return Channel::opt_summary;
  return Channel::unknown;
}

class Parser final : public FrameParser {
 public:
  explicit Parser(bool fast) : fast_(fast) {
    bids_.reserve(512);
    asks_.reserve(512);
  }
  std::string_view venue() const override { return "okx"; }

  FrameResult parse(std::string_view frame, Nanos recv, EventListener& out) override {
    if (frame == "pong") return FrameResult::control();
    if (fast_) {
      if (auto r = fast_book(frame, recv, out)) return *r;
    }
    FrameResult r = FrameResult::data();
    if (auto e = parse_frame(frame, recv, out, r)) {
      return FrameResult::fail(malformed_json(simdjson::error_message(e)));
    }
    return r;
  }

 private:
  using error_code = simdjson::error_code;

  // The frame's result into `r`, or the JSON error that stopped the walk.
  error_code parse_frame(std::string_view frame, Nanos recv, EventListener& out, FrameResult& r) {
    od::document doc;
    od::object root;
    if (auto e = parser_.iterate(frame.data(), frame.size(), frame.size() + 64).get(doc)) return e;
    if (auto e = doc.get_object().get(root)) return e;
    std::string_view channel_name;
    std::string_view inst;
    std::string_view action;
    for (auto field : root) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      if (key == "event") {
        std::string_view ev;
        if (auto e = field.value().get_string().get(ev)) return e;
        r = ev == "error" ? FrameResult::fail("venue error event") : FrameResult::control();
        return simdjson::SUCCESS;
      } else if (key == "arg") {
        od::object arg;
        if (auto e = field.value().get_object().get(arg)) return e;
        for (auto a : arg) {
          std::string_view k;
          if (auto e = a.unescaped_key().get(k)) return e;
          error_code e = simdjson::SUCCESS;
          if (k == "channel")
            e = read(a.value(), channel_name);
          else if (k == "instId")
            e = read(a.value(), inst);
          if (e) return e;
        }
      } else if (key == "action") {
        if (auto e = read(field.value(), action)) return e;
      } else if (key == "data") {
        Channel ch = classify(channel_name);
        if (ch == Channel::unknown) {
          r = FrameResult::fail("unknown channel '" + std::string(channel_name) + "'");
          return simdjson::SUCCESS;
        }
        // opt-summary names a family in its arg, and each option in its item.
        if (inst.empty() && ch != Channel::opt_summary) {
          r = FrameResult::fail("data without instId");
          return simdjson::SUCCESS;
        }
        // Keep the instrument: later strings reuse the parser's buffer.
        inst_.assign(inst);
        od::array items;
        if (auto e = field.value().get_array().get(items)) return e;
        for (auto item : items) {
          od::object obj;
          if (auto e = item.get_object().get(obj)) return e;
          error_code e = simdjson::SUCCESS;
          switch (ch) {
            case Channel::books:
              e = book(obj, action, recv, out);
              break;
            case Channel::bbo:
              e = bbo(obj, recv, out);
              break;
            case Channel::trades:
              e = trade(obj, recv, out);
              break;
            case Channel::tickers:
              e = ticker(obj, recv, out);
              break;
            case Channel::opt_summary:
              e = option_summary(obj, recv, out);
              break;
            default:
              break;
          }
          if (e) return e;
        }
        r = FrameResult::data();
        return simdjson::SUCCESS;
      }
    }
    r = FrameResult::fail("unknown message");
    return simdjson::SUCCESS;
  }

  error_code book(od::object obj, std::string_view action, Nanos recv, EventListener& out) {
    BookUpdate u;
    u.venue = "okx";
    u.symbol = inst_;
    u.recv = recv;
    u.snapshot = action == "snapshot";
    bool have_bids = false, have_asks = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "asks")
        e = read_levels(field.value(), asks_), have_asks = true;
      else if (key == "bids")
        e = read_levels(field.value(), bids_), have_bids = true;
      else if (key == "ts")
        e = ms_field(field.value(), u.ts);
      else if (key == "checksum")
        e = read(field.value(), u.checksum);
      else if (key == "seqId")
        e = read(field.value(), u.seq);
      else if (key == "prevSeqId")
        e = read(field.value(), u.prev_seq);
      if (e) return e;
    }
    if (!have_bids || !have_asks) return simdjson::NO_SUCH_FIELD;
    finish_book(u, out);
    return simdjson::SUCCESS;
  }

  void finish_book(BookUpdate& u, EventListener& out) {
    // prevSeqId is -1 on snapshots: not a link to anything.
    if (u.snapshot) u.prev_seq.reset();
    // A zero checksum means the venue did not compute one.
    if (u.checksum && *u.checksum == 0) u.checksum.reset();
    u.bids = bids_;
    u.asks = asks_;
    out.on_book(u);
  }

  // A books frame with one update in OKX's exact layout, read straight from
  // the bytes without simdjson:
  //   {"arg":{"channel":"books","instId":"…"},"action":"…","data":[{…}]}
  // nullopt at the first byte off that layout; the general path then reads
  // the frame (and reports what is wrong with it).
  std::optional<FrameResult> fast_book(std::string_view frame, Nanos recv, EventListener& out) {
    if (frame.empty() || frame.back() != '}') return std::nullopt;
    ExactReader r(frame);
    std::string_view channel, inst, action, key, ts;
    if (!r.literal("{\"arg\":{\"channel\":") || !r.string(channel) ||
        classify(channel) != Channel::books || !r.literal(",\"instId\":") || !r.string(inst) ||
        inst.empty() || !r.literal("},\"action\":") || !r.string(action) ||
        !r.literal(",\"data\":[{")) {
      return std::nullopt;
    }
    BookUpdate u;
    u.venue = "okx";
    u.symbol = inst;
    u.recv = recv;
    u.snapshot = action == "snapshot";
    bool have_bids = false, have_asks = false, extra = false;
    for (;;) {
      if (!r.key(key)) return std::nullopt;
      bool ok;
      if (key == "asks") {
        ok = have_asks = r.levels(asks_, nullptr, &extra);
      } else if (key == "bids") {
        ok = have_bids = r.levels(bids_, nullptr, &extra);
      } else if (key == "ts") {
        Nanos t = 0;
        ok = r.string(ts) && read_ms(ts, t) == simdjson::SUCCESS;
        u.ts = t;
      } else if (key == "checksum") {
        ok = r.integer(u.checksum);
      } else if (key == "seqId") {
        ok = r.integer(u.seq);
      } else if (key == "prevSeqId") {
        ok = r.integer(u.prev_seq);
      } else {
        return std::nullopt;
      }
      const auto next = r.after_member(ok, "}]}");
      if (next == ExactReader::Next::off) return std::nullopt;
      if (next == ExactReader::Next::done) break;
    }
    if (!have_bids || !have_asks) return std::nullopt;
    finish_book(u, out);
    return FrameResult::data();
  }

  error_code bbo(od::object obj, Nanos recv, EventListener& out) {
    Quote q;
    q.venue = "okx";
    q.symbol = inst_;
    q.recv = recv;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "asks") {
        e = read_levels(field.value(), asks_);
        if (!e && !asks_.empty()) q.ask = asks_[0].price, q.ask_qty = asks_[0].qty;
      } else if (key == "bids") {
        e = read_levels(field.value(), bids_);
        if (!e && !bids_.empty()) q.bid = bids_[0].price, q.bid_qty = bids_[0].qty;
      } else if (key == "ts") {
        e = ms_field(field.value(), q.ts);
      } else if (key == "seqId") {
        e = read(field.value(), q.seq);
      }
      if (e) return e;
    }
    out.on_quote(q);
    return simdjson::SUCCESS;
  }

  error_code trade(od::object obj, Nanos recv, EventListener& out) {
    Trade t;
    t.venue = "okx";
    t.symbol = inst_;
    t.recv = recv;
    bool have_side = false;
    for (auto field : obj) {
      std::string_view key, side;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "tradeId") {
        e = read(field.value(), t.id);
      } else if (key == "px") {
        e = read(field.value(), t.price);
      } else if (key == "sz") {
        e = read(field.value(), t.qty);
      } else if (key == "ts") {
        e = ms_field(field.value(), t.ts);
      } else if (key == "side") {
        e = read(field.value(), side);
        t.side = side == "sell" ? Side::sell : Side::buy;
        have_side = side == "buy" || side == "sell";
      }
      if (e) return e;
    }
    if (t.price.empty() || t.qty.empty() || !have_side) return simdjson::NO_SUCH_FIELD;
    out.on_trade(t);
    return simdjson::SUCCESS;
  }

  static TickerField ticker_field(std::string_view key) {
    if (key == "last") return TickerField::last;
    if (key == "bidPx") return TickerField::bid;
    if (key == "bidSz") return TickerField::bid_qty;
    if (key == "askPx") return TickerField::ask;
    if (key == "askSz") return TickerField::ask_qty;
    if (key == "vol24h") return TickerField::volume_24h;
    return TickerField::count;
  }

  error_code ticker(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "okx";
    t.symbol = inst_;
    t.recv = recv;
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "ts") {
        e = ms_field(field.value(), t.ts);
      } else if (const TickerField f = ticker_field(key); f != TickerField::count) {
        e = read(field.value(), t[f]);
      }
      if (e) return e;
    }
    out.on_ticker(t);
    return simdjson::SUCCESS;
  }

  static TickerField summary_field(std::string_view key) {
    if (key == "fwdPx") return TickerField::underlying;
    if (key == "deltaBS" || key == "deltaBs") return TickerField::delta;
    if (key == "gammaBS" || key == "gammaBs") return TickerField::gamma;
    if (key == "vegaBS" || key == "vegaBs") return TickerField::vega;
    if (key == "thetaBS" || key == "thetaBs") return TickerField::theta;
    return TickerField::count;
  }

  // One option of an opt-summary push: its volatilities, which OKX gives
  // as fractions (0.53), in percent as tickers carry them (53), the forward
  // as the underlying price, and OKX's Black-Scholes greeks (deltaBS…).
  error_code option_summary(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "okx";
    t.recv = recv;
    inst_.clear();
    for (auto field : obj) {
      std::string_view key, text;
      if (auto e = field.unescaped_key().get(key)) return e;
      error_code e = simdjson::SUCCESS;
      if (key == "instId") {
        if (!(e = read(field.value(), text))) inst_.assign(text);
      } else if (key == "ts") {
        e = ms_field(field.value(), t.ts);
      } else if (key == "markVol" || key == "bidVol" || key == "askVol") {
        if ((e = read(field.value(), text))) return e;
        const auto fraction = Decimal::parse(text);
        if (!fraction) return simdjson::NUMBER_ERROR;
        // Each volatility's text has a slot of its own, a repeated key too.
        const std::size_t slot = key == "markVol" ? 0 : key == "bidVol" ? 1 : 2;
        vol_[slot] = percent(*fraction).to_string();
        t[slot == 0   ? TickerField::mark_iv
          : slot == 1 ? TickerField::bid_iv
                      : TickerField::ask_iv] = vol_[slot];
      } else if (const TickerField f = summary_field(key); f != TickerField::count) {
        e = read(field.value(), t[f]);
      }
      if (e) return e;
    }
    if (inst_.empty()) return simdjson::NO_SUCH_FIELD;
    t.symbol = inst_;
    out.on_ticker(t);
    return simdjson::SUCCESS;
  }

  // A fraction as a percentage: the decimal point two places on.
  static Decimal percent(Decimal d) {
    d.scale -= 2;
    while (d.scale < 0) d.mantissa *= 10, ++d.scale;
    return d;
  }

  bool fast_;
  od::parser parser_;
  std::array<std::string, 3> vol_;
  std::vector<PriceLevel> bids_;
  std::vector<PriceLevel> asks_;
  std::string inst_;
};

}  // namespace

std::unique_ptr<FrameParser> make_parser(bool fast) { return std::make_unique<Parser>(fast); }

std::int64_t checksum(std::span<const PriceLevel> bids, std::span<const PriceLevel> asks) {
  // The text is built on the stack (no allocation per message) and goes to
  // the CRC whenever the buffer is full.
  char buf[4096];
  std::size_t n = 0;
  // libdeflate's CRC-32 (the zlib polynomial) folds with carry-less
  // multiplies: several times zlib's table-driven speed on these ~1 kB.
  std::uint32_t crc = 0;
  auto flush = [&] {
    crc = libdeflate_crc32(crc, buf, n);
    n = 0;
  };
  auto put = [&](std::string_view piece) {
    if (n + piece.size() > sizeof buf) flush();
    if (piece.size() > sizeof buf) {
      crc = libdeflate_crc32(crc, piece.data(), piece.size());
      return;
    }
    swar::copy_short(buf + n, piece.data(), piece.size());
    n += piece.size();
  };
  auto colon = [&] {
    if (n == sizeof buf) flush();
    buf[n++] = ':';
  };
  bool first = true;
  auto level = [&](const PriceLevel& l) {
    if (!first) colon();
    first = false;
    put(l.price);
    colon();
    put(l.qty);
  };
  for (std::size_t i = 0; i < static_cast<std::size_t>(kChecksumDepth); ++i) {
    if (i < bids.size()) level(bids[i]);
    if (i < asks.size()) level(asks[i]);
  }
  flush();
  return static_cast<std::int32_t>(crc);
}

}  // namespace ot::okx
