// What every venue provides: a frame parser that normalizes the venue's
// messages into events, the session protocol of its public WebSocket API
// (URLs, subscriptions, keep-alives, REST snapshots), and its book integrity
// rules. Everything venue-specific lives behind this interface, under
// lib/venues/<venue>/; the rest of the code sees normalized events only.
//
// Threading: a Venue is immutable and shareable; parsers and sessions are
// single-threaded objects created per stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "core/instrument.h"
#include "core/result.h"

namespace ot {

// Outcome of parsing one frame.
enum class FrameKind {
  data,     // normalized events were emitted
  control,  // session traffic: subscription acks, pongs, heartbeats
  skipped,  // a valid venue message we do not normalize (e.g. klines)
  error,    // malformed or unknown; `error` says what
};

struct FrameResult {
  FrameKind kind = FrameKind::data;
  std::string error;
  static FrameResult data() { return {}; }
  static FrameResult control() { return {FrameKind::control, {}}; }
  static FrameResult skipped() { return {FrameKind::skipped, {}}; }
  static FrameResult fail(std::string why) { return {FrameKind::error, std::move(why)}; }
};

// Turns a venue's frames into normalized events.
class FrameParser {
 public:
  virtual ~FrameParser() = default;
  // `frame` must be followed by at least 64 readable bytes (kLinePadding).
  // Events go to `out` synchronously, in frame order. Never throws.
  virtual FrameResult parse(std::string_view frame, Nanos recv, EventListener& out) = 0;
  // The venue name events carry (may be refined by the data, e.g. Binance
  // spot vs USD-M futures).
  virtual std::string_view venue() const = 0;
};

// Channels a live session can subscribe to.
struct Channels {
  bool book = true;
  bool trade = true;
  bool quote = true;
  bool ticker = false;
};

struct Subscription {
  std::vector<std::string> symbols;
  Channels channels;
};

// One message the session must send.
struct Outgoing {
  std::string text;
};

// A session's protocol state machine, driven by the live engine: it never
// does I/O itself and never blocks.
class SessionProtocol {
 public:
  virtual ~SessionProtocol() = default;
  // Request target (path and query) of the WebSocket upgrade.
  virtual std::string ws_target() const = 0;
  // Messages to send right after connecting.
  virtual std::vector<Outgoing> on_connected() = 0;
  // Reply (if any) a received frame requires: a pong to a text ping, a
  // Deribit test_request answer. Called before the frame is parsed.
  virtual std::optional<Outgoing> reply_to(std::string_view frame) = 0;
  // Application-level keep-alive to send when the link has been quiet for
  // ping_interval(); nullopt when the venue relies on WebSocket pings.
  virtual std::optional<Outgoing> keepalive() = 0;
  virtual std::chrono::milliseconds ping_interval() const = 0;
  // Messages that restart `symbol`'s book stream (unsubscribe + subscribe),
  // for venues that resync by resubscribing.
  virtual std::vector<Outgoing> resubscribe_book(std::string_view symbol) = 0;
  // REST target of a depth snapshot for venues that need one (Binance);
  // nullopt otherwise.
  virtual std::optional<std::string> snapshot_target(std::string_view symbol) const = 0;
  // Wraps a REST snapshot body as the capture's generated frame.
  virtual std::string snapshot_frame(std::string_view symbol, std::string_view body) const = 0;
  // Reconnect proactively after this long (Binance cuts sessions at 24 h).
  virtual std::optional<std::chrono::seconds> max_session_age() const = 0;
};

// Book integrity rules.
struct BookRules {
  // Binance: diffs before the first snapshot are buffered and a REST
  // snapshot is fetched; other venues send a snapshot on subscribe.
  bool needs_rest_snapshot = false;
  // Venue checksum over the book, if the venue has one. Gets the top levels
  // as the venue's own strings.
  using ChecksumFn = std::int64_t (*)(std::span<const PriceLevel> bids,
                                      std::span<const PriceLevel> asks);
  ChecksumFn checksum = nullptr;
  int checksum_depth = 0;
};

class Venue {
 public:
  virtual ~Venue() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<FrameParser> make_parser() const = 0;
  virtual std::unique_ptr<SessionProtocol> make_session(const Subscription& sub) const = 0;
  virtual std::string default_ws_url() const = 0;
  virtual std::string default_rest_url() const = 0;
  virtual BookRules book_rules() const = 0;
  // `symbol`'s terms in common words (core/instrument.h), read from its
  // name; nullopt if the name is not one of this venue's instrument
  // shapes. The contract size is the venue's rule (contract_size());
  // describe_instrument() overlays the sizes given at start-up.
  virtual std::optional<Instrument> describe(std::string_view symbol) const {
    (void)symbol;
    return std::nullopt;
  }
  // Whether `symbol` is an inverse contract here (coin-margined, valued in
  // USD; PnL in the coin).
  virtual bool inverse(std::string_view symbol) const {
    (void)symbol;
    return false;
  }
  // What one unit of `symbol`'s quantity is worth in the instrument's value
  // unit: the coin for linear instruments, USD for inverse ones. 1 where the
  // quantity is already in those units (spot, Binance USD-M, Deribit);
  // the contract's face value where it counts contracts (Binance COIN-M:
  // 100 USD for BTC, 10 USD for the others; OKX swaps, futures and
  // options); nullopt where the venue's rules do not fix it (most OKX
  // linear contracts: set it with set_contract_size()).
  virtual std::optional<Decimal> contract_size(std::string_view symbol) const {
    (void)symbol;
    return Decimal{1, 0};
  }
  // Reads the contract sizes in the venue's own list of instruments (the
  // body of its REST answer: OKX's /api/v5/public/instruments, Binance
  // COIN-M's /dapi/v1/exchangeInfo) and gives each to `each`. corrupt if
  // the body is not such a list; venues whose quantities are already in
  // value units have no sizes to read and always say so (invalid_argument).
  using SizeSink = std::function<void(std::string_view symbol, const Decimal& size)>;
  virtual Result<> read_contract_sizes(std::string_view body, const SizeSink& each) const;
};

// The registry: every venue the toolkit knows, by name ("binance",
// "binance-futures", "binance-delivery", "okx", "deribit"). nullptr if unknown.
const Venue* find_venue(std::string_view name);
// Whether `symbol` on `venue` is an inverse (coin-margined, USD-sized)
// contract, as the venue (lib/venues/<venue>/) says; false for unknown venues.
bool is_inverse(std::string_view venue, std::string_view symbol);
// `symbol` on `venue` in common terms (Venue::describe), with the contract
// size contract_size() gives; nullopt for unknown venues and names.
std::optional<Instrument> describe_instrument(std::string_view venue, std::string_view symbol);
// One unit of `symbol`'s quantity on `venue` in its value unit (see
// Venue::contract_size): a size given to set_contract_size() first, then the
// venue's rules; nullopt if neither knows it (1 for unknown venues).
std::optional<Decimal> contract_size(std::string_view venue, std::string_view symbol);
// Gives (or corrects) the contract size of one instrument, for the whole
// process. Not thread-safe: call it at start-up, before lookups from other
// threads. invalid_argument (nothing changed) unless `size` is positive.
Result<> set_contract_size(std::string_view venue, std::string_view symbol, const Decimal& size);
// The same from "VENUE:SYMBOL=SIZE" (a command line's form); invalid_argument
// if `spec` is not of that form or SIZE is not a positive decimal.
Result<> set_contract_size(std::string_view spec);
// Loads "VENUE:FILE", a venue's instruments list saved to a file (see
// Venue::read_contract_sizes), and gives every size in it to
// set_contract_size(). How many sizes were loaded; invalid_argument for a
// malformed spec, an unknown venue or an unreadable file, corrupt for a
// file that is not the venue's list.
Result<std::size_t> load_instruments(std::string_view spec);
std::vector<std::string_view> venue_names();

// A parser for the venue a capture frame comes from, guessed from the
// frame's shape (Binance spot vs futures is refined by later frames);
// nullptr when the frame says nothing.
std::unique_ptr<FrameParser> make_detected_parser(std::string_view frame);

// Helpers shared by the venue parsers.
std::string_view trim_token(std::string_view raw_json_token);
// "malformed frame: <what>" without the library's trailing period.
std::string malformed_json(std::string_view what);

}  // namespace ot
