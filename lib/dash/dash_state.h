// ot-dash's picture of the market and the account, kept from the events it
// reads, and its views as JSON for the browser (man ot-dash):
//   - per instrument: a book (from book events, or depth events as they
//     come), the bbo, the trades tape, candles at every interval of
//     kIntervals (lib/bars: closed ones and the one forming), and the mid
//     once a second;
//   - the account: open orders (from execution reports), fills, positions
//     and PnL per venue and symbol with the equity curve (from ot-risk's
//     position events), portfolio greeks with the delta hedge's state (its
//     band from the greeks events, its orders and fills from the execution
//     reports of strategy "hedge"), the kill switch, the last rejects with
//     their reasons;
//   - feed health per venue: connected, gaps, resyncs, checksum mismatches,
//     the last event's age and the event rate.
// Every view has a version that moves when its content changes; a server
// sends a view again only when its version moved, at most as often as it
// chooses (conflation), so the state's cost per event never depends on the
// browsers.
//
// Threading: one DashState, used under its owner's lock.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bars/bar_builder.h"
#include "core/event_decoder.h"
#include "core/json_out.h"
#include "core/time.h"

namespace ot::dash {

struct DashOptions {
  std::size_t levels = 20;        // ladder levels per side
  std::size_t tape = 100;         // trades kept per instrument
  std::size_t bars = 500;         // closed candles kept per instrument and interval
  std::size_t mids = 3600;        // mid points kept per instrument (one a second)
  std::size_t fills = 200;        // fills kept
  std::size_t rejects = 50;       // rejects kept
  std::size_t equity = 3600;      // equity curve points (one a second)
  std::size_t instruments = 500;  // instruments kept; later ones are not shown
};

// The chart's intervals, as the page offers them.
inline constexpr std::array<std::string_view, 6> kIntervals = {"1s", "10s", "1m",
                                                               "5m", "15m", "1h"};

// The views shared by every browser; the per-instrument ones (ladder,
// chart, tape) are asked for by instrument.
enum class View : std::uint8_t { instruments, orders, fills, positions, greeks, risk, health };
inline constexpr std::size_t kViews = 7;
std::string_view view_name(View v);

class DashState {
 public:
  explicit DashState(DashOptions options = {});
  ~DashState();
  DashState(const DashState&) = delete;
  DashState& operator=(const DashState&) = delete;

  // One event: `ev` as the decoder gave it (position and greeks events pass
  // through undecoded and are read from `line`); `now` is the monotonic
  // clock (ages, rates).
  void apply(const DecodedEvent& ev, std::string_view line, Nanos now);
  // A line that was not an event, from `source`.
  void malformed(std::string_view source);

  std::uint64_t version(View v) const { return versions_[static_cast<std::size_t>(v)]; }
  // The instrument's version (ladder, chart and tape move it), 0 if unknown.
  std::uint64_t instrument_version(std::string_view venue, std::string_view symbol) const;
  // Versions of the health view move with time (ages): at most once a
  // second, when `now` says a second passed.
  void tick(Nanos now);

  // The view as a JSON value appended to `out`.
  void write(View v, std::string& out) const;
  // The instrument's ladder, tape and chart at `interval` (one of
  // kIntervals) as one JSON object; false when the instrument is unknown.
  bool write_instrument(std::string_view venue, std::string_view symbol, std::string_view interval,
                        std::string& out) const;

  // The stream's clock: the latest market event time read from `venue`, or
  // from any venue when `venue` is empty or unknown (0 before any).
  Nanos clock(std::string_view venue = {}) const;
  // The kill switch as the last status event from ot-risk said.
  bool killed() const { return killed_; }
  // The open orders: id, venue and symbol of each.
  void for_each_order(const std::function<void(std::string_view id, std::string_view venue,
                                               std::string_view symbol)>& fn) const;

 private:
  struct Instrument;
  struct Venue;
  struct Order;
  struct Greeks;
  struct Hedges;
  Instrument* instrument(std::string_view venue, std::string_view symbol);
  Venue& venue(std::string_view name);
  void bump(View v) { ++versions_[static_cast<std::size_t>(v)]; }
  void on_book(const BookUpdate& u, bool whole);
  void on_top(const TopOfBookEvent& t, Nanos now);
  void on_trade(const Trade& t, Nanos now);
  void on_status(const Status& s, Nanos now);
  void on_exec(const Exec& e);
  void on_position(std::string_view line);
  void on_greeks(std::string_view line);
  void write_greeks(const Greeks& g, JsonOut& j) const;

  DashOptions o_;
  std::array<BarSpec, kIntervals.size()> specs_;
  std::map<std::string, std::unique_ptr<Instrument>, std::less<>> instruments_;
  std::map<std::string, std::unique_ptr<Venue>, std::less<>> venues_;
  std::map<std::string, Order, std::less<>> orders_;  // open, by client id
  std::deque<std::string> fills_;                     // JSON objects, newest last
  std::deque<std::string> rejects_;
  std::map<std::string, std::string, std::less<>> positions_;  // "venue symbol" -> JSON
  std::map<std::string, Greeks, std::less<>> greeks_;          // by "venue underlying"
  std::map<std::string, Hedges, std::less<>> hedges_;          // by "venue hedge-symbol"
  std::deque<std::pair<Nanos, double>> equity_;                // (stream ts, total PnL)
  std::map<std::string, double, std::less<>> pnl_;             // per position key
  std::string key_;  // scratch "venue symbol" of instrument()
  Nanos clock_ = 0;
  bool killed_ = false;
  std::string kill_reason_;
  std::uint64_t malformed_ = 0;
  Nanos last_tick_ = 0;
  std::array<std::uint64_t, kViews> versions_{};
};

}  // namespace ot::dash
