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

std::int64_t parse_ms(std::string_view s) {
  Nanos ns = 0;
  if (const auto e = read_ms(s, ns); e != simdjson::SUCCESS) throw simdjson::simdjson_error(e);
  return ns;
}

void read_levels(od::value v, std::vector<PriceLevel>& out) {
  od::array levels = v.get_array();
  scan_string_levels(std::string_view(levels.raw_json()), out);  // 4 members: never canonical
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
    std::string_view channel_name;
    std::string_view inst;
    std::string_view action;
    for (auto field : root) {
      std::string_view key = field.unescaped_key();
      if (key == "event") {
        std::string_view ev = field.value().get_string();
        if (ev == "error") return FrameResult::fail("venue error event");
        return FrameResult::control();
      } else if (key == "arg") {
        for (auto a : field.value().get_object()) {
          std::string_view k = a.unescaped_key();
          if (k == "channel")
            channel_name = a.value().get_string();
          else if (k == "instId")
            inst = a.value().get_string();
        }
      } else if (key == "action") {
        action = field.value().get_string();
      } else if (key == "data") {
        Channel ch = classify(channel_name);
        if (ch == Channel::unknown) {
          return FrameResult::fail("unknown channel '" + std::string(channel_name) + "'");
        }
        // opt-summary names a family in its arg, and each option in its item.
        if (inst.empty() && ch != Channel::opt_summary) {
          return FrameResult::fail("data without instId");
        }
        // Keep the instrument: later strings reuse the parser's buffer.
        inst_.assign(inst);
        for (auto item : field.value().get_array()) {
          od::object obj = item.get_object();
          switch (ch) {
            case Channel::books:
              book(obj, action, recv, out);
              break;
            case Channel::bbo:
              bbo(obj, recv, out);
              break;
            case Channel::trades:
              trade(obj, recv, out);
              break;
            case Channel::tickers:
              ticker(obj, recv, out);
              break;
            case Channel::opt_summary:
              option_summary(obj, recv, out);
              break;
            default:
              break;
          }
        }
        return FrameResult::data();
      }
    }
    return FrameResult::fail("unknown message");
  }

  void book(od::object obj, std::string_view action, Nanos recv, EventListener& out) {
    BookUpdate u;
    u.venue = "okx";
    u.symbol = inst_;
    u.recv = recv;
    u.snapshot = action == "snapshot";
    bool have_bids = false, have_asks = false;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "asks")
        read_levels(field.value(), asks_), have_asks = true;
      else if (key == "bids")
        read_levels(field.value(), bids_), have_bids = true;
      else if (key == "ts")
        u.ts = parse_ms(field.value().get_string());
      else if (key == "checksum")
        u.checksum = field.value().get_int64();
      else if (key == "seqId")
        u.seq = field.value().get_int64();
      else if (key == "prevSeqId")
        u.prev_seq = field.value().get_int64();
    }
    if (!have_bids || !have_asks) throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    finish_book(u, out);
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

  void bbo(od::object obj, Nanos recv, EventListener& out) {
    Quote q;
    q.venue = "okx";
    q.symbol = inst_;
    q.recv = recv;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "asks") {
        read_levels(field.value(), asks_);
        if (!asks_.empty()) q.ask = asks_[0].price, q.ask_qty = asks_[0].qty;
      } else if (key == "bids") {
        read_levels(field.value(), bids_);
        if (!bids_.empty()) q.bid = bids_[0].price, q.bid_qty = bids_[0].qty;
      } else if (key == "ts") {
        q.ts = parse_ms(field.value().get_string());
      } else if (key == "seqId") {
        q.seq = field.value().get_int64();
      }
    }
    out.on_quote(q);
  }

  void trade(od::object obj, Nanos recv, EventListener& out) {
    Trade t;
    t.venue = "okx";
    t.symbol = inst_;
    t.recv = recv;
    bool have_side = false;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "tradeId")
        t.id = field.value().get_string();
      else if (key == "px")
        t.price = field.value().get_string();
      else if (key == "sz")
        t.qty = field.value().get_string();
      else if (key == "ts")
        t.ts = parse_ms(field.value().get_string());
      else if (key == "side") {
        std::string_view s = field.value().get_string();
        t.side = s == "sell" ? Side::sell : Side::buy;
        have_side = s == "buy" || s == "sell";
      }
    }
    if (t.price.empty() || t.qty.empty() || !have_side) {
      throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    }
    out.on_trade(t);
  }

  void ticker(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "okx";
    t.symbol = inst_;
    t.recv = recv;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "ts") {
        t.ts = parse_ms(field.value().get_string());
        continue;
      }
      TickerField f = TickerField::count;
      if (key == "last")
        f = TickerField::last;
      else if (key == "bidPx")
        f = TickerField::bid;
      else if (key == "bidSz")
        f = TickerField::bid_qty;
      else if (key == "askPx")
        f = TickerField::ask;
      else if (key == "askSz")
        f = TickerField::ask_qty;
      else if (key == "vol24h")
        f = TickerField::volume_24h;
      if (f != TickerField::count) t[f] = field.value().get_string();
    }
    out.on_ticker(t);
  }

  // One option of an opt-summary push: its volatilities, which OKX gives
  // as fractions (0.53), in percent as tickers carry them (53), the forward
  // as the underlying price, and OKX's Black-Scholes greeks (deltaBS…).
  void option_summary(od::object obj, Nanos recv, EventListener& out) {
    Ticker t;
    t.venue = "okx";
    t.recv = recv;
    inst_.clear();
    std::size_t vols = 0;
    for (auto field : obj) {
      std::string_view key = field.unescaped_key();
      if (key == "instId") {
        inst_.assign(std::string_view(field.value().get_string()));
        continue;
      }
      if (key == "ts") {
        t.ts = parse_ms(field.value().get_string());
        continue;
      }
      TickerField f = TickerField::count;
      if (key == "markVol" || key == "bidVol" || key == "askVol") {
        const auto fraction = Decimal::parse(std::string_view(field.value().get_string()));
        if (!fraction) throw simdjson::simdjson_error(simdjson::NUMBER_ERROR);
        vol_[vols] = percent(*fraction).to_string();
        f = key == "markVol"  ? TickerField::mark_iv
            : key == "bidVol" ? TickerField::bid_iv
                              : TickerField::ask_iv;
        t[f] = vol_[vols++];
        continue;
      }
      if (key == "fwdPx")
        f = TickerField::underlying;
      else if (key == "deltaBS" || key == "deltaBs")
        f = TickerField::delta;
      else if (key == "gammaBS" || key == "gammaBs")
        f = TickerField::gamma;
      else if (key == "vegaBS" || key == "vegaBs")
        f = TickerField::vega;
      else if (key == "thetaBS" || key == "thetaBs")
        f = TickerField::theta;
      if (f != TickerField::count) t[f] = field.value().get_string();
    }
    if (inst_.empty()) throw simdjson::simdjson_error(simdjson::NO_SUCH_FIELD);
    t.symbol = inst_;
    out.on_ticker(t);
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
