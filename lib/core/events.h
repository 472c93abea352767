// Normalized market events as they leave a venue parser, before encoding.
// The wire format is documented in man/ot-events.7; these structs are its
// in-memory form on the hot path.
//
// Ownership: every string_view and span points into buffers owned by the
// producer (the frame being parsed, or the parser's scratch vectors) and is
// valid only for the duration of the listener call that receives it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/decimal.h"
#include "core/time.h"

namespace ot {

// One price level as the venue wrote it: decimal text, qty "0" deletes.
// Producers that read the digits while scanning the text also hand over the
// values (scale -1: not read, parse the text); consumers ask through
// price_decimal() / qty_decimal(), which agree with Decimal::parse(text).
// A value is handed over only for plain text (digits and one point), so a
// consumer may take such text as needing no escaping.
struct PriceLevel {
  std::string_view price;
  std::string_view qty;
  Decimal price_value{0, -1};
  Decimal qty_value{0, -1};

  std::optional<Decimal> price_decimal() const {
    return price_value.scale >= 0 ? std::optional<Decimal>(price_value) : Decimal::parse(price);
  }
  std::optional<Decimal> qty_decimal() const {
    return qty_value.scale >= 0 ? std::optional<Decimal>(qty_value) : Decimal::parse(qty);
  }
};

// `book`: a snapshot (replaces the book) or a delta.
// Sequencing, uniform across venues:
//   seq       - id of the last update this message contains (Binance u,
//               OKX seqId, Deribit change_id, snapshot lastUpdateId)
//   prev_seq  - id the previous message must have ended at (Binance
//               futures pu, OKX prevSeqId, Deribit prev_change_id)
//   first_seq - id of the first update in this message (Binance U); when
//               prev_seq is absent, continuity means first_seq == last + 1
struct BookUpdate {
  std::string_view venue;
  std::string_view symbol;
  std::optional<Nanos> ts;
  Nanos recv = 0;
  bool snapshot = false;
  std::optional<std::int64_t> first_seq;
  std::optional<std::int64_t> seq;
  std::optional<std::int64_t> prev_seq;
  std::optional<std::int64_t> checksum;
  std::span<const PriceLevel> bids;
  std::span<const PriceLevel> asks;
  // Optional: the sides as the venue wrote them when that text is already
  // exactly their encoding here ([["price","qty"],...], compact, validated);
  // encoders copy it instead of writing level by level. Empty otherwise.
  std::string_view bids_json;
  std::string_view asks_json;
};

enum class Side { buy, sell };

struct Trade {
  std::string_view venue;
  std::string_view symbol;
  std::optional<Nanos> ts;
  Nanos recv = 0;
  std::string_view price;
  std::string_view qty;
  Side side = Side::buy;  // the aggressor's side
  std::string_view id;
};

// Top of book as the venue sends it (bookTicker, bbo-tbt, tickers' best).
struct Quote {
  std::string_view venue;
  std::string_view symbol;
  std::optional<Nanos> ts;
  Nanos recv = 0;
  std::optional<std::int64_t> seq;
  std::string_view bid;
  std::string_view bid_qty;
  std::string_view ask;
  std::string_view ask_qty;
};

// Ticker fields, each optional (empty view = absent). Names on the wire are
// kTickerFieldNames in the same order.
enum class TickerField : int {
  last,
  bid,
  bid_qty,
  ask,
  ask_qty,
  mark,
  index,
  underlying,
  underlying_index,
  mark_iv,
  bid_iv,
  ask_iv,
  interest_rate,
  open_interest,
  delta,
  gamma,
  vega,
  theta,
  rho,
  funding_rate,
  volume_24h,
  count
};
inline constexpr std::array<std::string_view, static_cast<int>(TickerField::count)>
    kTickerFieldNames = {"last",          "bid",           "bid_qty",
                         "ask",           "ask_qty",       "mark",
                         "index",         "underlying",    "underlying_index",
                         "mark_iv",       "bid_iv",        "ask_iv",
                         "interest_rate", "open_interest", "delta",
                         "gamma",         "vega",          "theta",
                         "rho",           "funding_rate",  "volume_24h"};

struct Ticker {
  std::string_view venue;
  std::string_view symbol;
  std::optional<Nanos> ts;
  Nanos recv = 0;
  std::array<std::string_view, static_cast<int>(TickerField::count)> fields{};
  std::string_view& operator[](TickerField f) { return fields[static_cast<int>(f)]; }
};

// `status`: session and integrity events. `event` is one of connected,
// disconnected, subscribed, gap, resync, checksum_mismatch, book_invalid,
// book_valid, error, eof.
struct Status {
  std::string_view venue;
  std::string_view symbol;  // empty for session-wide events
  Nanos ts = 0;
  std::string_view event;
  std::string_view detail;
};

// An OHLCV bar: a `bar` event (man/ot-events.7) or a candle file's row.
// The interval [open_time, close_time), prices and volumes as decimal text;
// what the source does not say is empty (texts) or -1 (trades).
struct Candle {
  std::string_view venue;
  std::string_view symbol;
  Nanos open_time = 0;
  Nanos close_time = 0;
  std::string_view open, high, low, close, volume;
  std::string_view buy_volume, vwap;
  std::int64_t trades = -1;
  bool forming = false;  // a bar still in progress (ot-bars --forming)
};

// Receives normalized events in the order the frames arrived. Called on the
// producer's thread; implementations must not retain the views.
class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_book(const BookUpdate& u) = 0;
  virtual void on_trade(const Trade& t) = 0;
  virtual void on_quote(const Quote& q) = 0;
  virtual void on_ticker(const Ticker& t) = 0;
  virtual void on_status(const Status& s) = 0;
};

}  // namespace ot
