// Bars (candles) from trades or mids, one instrument per builder: the one
// bar builder that ot-bars, the backtester's candle path, the dashboard's
// chart and the trainer's candle features use (man ot-bars).
//
// Kinds:
//   time    [start, end) aligned to whole intervals since the epoch (UTC). A
//           bar closes on event time: at the first trade at or past its end
//           (never on the wall clock, so a replay gives the bars of the live
//           run), or at the end of the input. Intervals with no trade are
//           written as bars of the last close with no volume (fill_empty),
//           or skipped. A trade stamped before its bar's start (the venue's
//           streams are not perfectly ordered) counts in the bar in progress:
//           a closed bar never changes.
//   tick    every `size` trades.
//   volume  once the quantity reaches `size` (the trade that crosses it is
//           in the bar whole: trades are never split).
//   dollar  once sum(price * qty) reaches `size`, likewise.
// Mid bars (source mid) take the mid of each top of book as a price with no
// volume; time and tick kinds only.
//
// Allocation: none per trade or bar once the builder is made.
// Threading: one owner.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bars/indicators.h"
#include "core/amount.h"
#include "core/decimal.h"
#include "core/events.h"
#include "core/result.h"
#include "core/time.h"

namespace ot {

// Bounds of what a builder takes: times that leave room for a year-long
// interval before int64 ends; a trade's value (price * qty) that an Amount
// holds many times over.
inline constexpr Nanos kMaxBarTime = 9'000'000'000'000'000'000LL;
inline constexpr double kMaxTradeValue = 1e18;
inline constexpr double kMaxTradeQty = 1e15;

enum class BarKind : std::uint8_t { time, tick, volume, dollar };
enum class BarSource : std::uint8_t { trade, mid };

std::string_view bar_kind_name(BarKind k);
std::optional<BarKind> parse_bar_kind(std::string_view s);

// "500ms", "10s", "1m", "4h", "1d" (a positive whole number and a unit).
Result<Nanos> parse_interval(std::string_view s);

struct BarSpec {
  BarKind kind = BarKind::time;
  BarSource source = BarSource::trade;
  Nanos interval = 60'000'000'000LL;  // time bars
  Decimal size{1, 0};                 // tick: trades; volume: qty; dollar: price*qty

  std::string label = "1m";  // the interval or size as written
  bool fill_empty = true;    // time bars: empty intervals as bars
  // Empty intervals written at most for one gap; a longer gap (a feed that
  // was down for days, a bad timestamp) is skipped and counted.
  std::uint64_t max_fill = 100000;
  std::vector<IndicatorSpec> indicators;
};

// A bar spec as a user words it (ot-bars' options; empty: not given).
struct BarSpecWords {
  std::string kind = "time", interval, size, source = "trade", indicators, empty = "fill";
};
// The words checked together into `spec` (kind, source, empty-interval
// rule, interval or size, label, indicators; the rest left as it is);
// invalid_argument naming the option at fault.
Result<> make_bar_spec(const BarSpecWords& words, BarSpec& spec);

// A bar as built. Values are exact; the views are valid during the call
// that hands the bar over.
struct Bar {
  std::string_view venue, symbol;
  Nanos start = 0, end = 0;  // time bars: the interval; others: first and last trade
  Nanos ts = 0;              // the close: end
  Nanos recv = 0;            // receive time of the event that closed it
  Decimal open, high, low, close;
  Amount volume, buy_volume;  // exact sums, whatever their digits
  Amount notional;            // sum(price * qty)
  std::uint64_t trades = 0;
  bool forming = false;
  std::span<const std::optional<double>> indicators;  // as BarSpec::indicators

  // notional / volume to 10 decimals (fewer where the value needs the
  // digits); the close when there is no volume.
  Decimal vwap() const;
};

class BarSink {
 public:
  virtual ~BarSink() = default;
  virtual void on_bar(const Bar& bar) = 0;
};

class BarBuilder {
 public:
  BarBuilder(const BarSpec& spec, std::string venue, std::string symbol);

  // A trade at `ts` (venue time). Writes to `sink` the bars it closes, empty
  // ones included, before counting the trade. The caller keeps out what
  // cannot be a trade: ts outside (0, kMaxBarTime], qty beyond
  // kMaxTradeQty, price * qty beyond kMaxTradeValue.
  void on_trade(Nanos ts, Nanos recv, const Decimal& price, const Decimal& qty, Side aggressor,
                BarSink& sink);
  // A mid at `ts` (mid bars).
  void on_mid(Nanos ts, Nanos recv, const Decimal& mid, BarSink& sink);
  // Writes the bar in progress flagged forming, its indicators as they
  // would be if it closed now; false when no bar is in progress.
  bool write_forming(BarSink& sink);
  // Closes the bar in progress (the end of the input).
  void finish(BarSink& sink);

  std::uint64_t late() const { return late_; }          // trades before their bar's start
  std::uint64_t unfilled() const { return unfilled_; }  // empty intervals skipped (max_fill)

 private:
  void add(Nanos ts, Nanos recv, const Decimal& price, const Decimal& qty, Side aggressor);
  void start_bar(Nanos start, const Decimal& price);
  void close_bar(BarSink& sink);
  void fill_to(Nanos start, BarSink& sink);
  bool full() const;
  BarSample sample() const;

  const BarSpec& spec_;
  std::string venue_, symbol_;
  std::vector<Indicator> indicators_;
  std::vector<std::optional<double>> values_;
  Bar bar_;
  bool open_ = false;
  std::optional<Decimal> last_close_;
  Amount size_;                 // volume and dollar bars' threshold
  std::int64_t tick_size_ = 1;  // tick bars' trades
  std::uint64_t late_ = 0, unfilled_ = 0;
};

}  // namespace ot
