// The backtest's account book beside the fused chain: the instruments seen
// (mid, mark, funding rate, contract size, inverse or linear), each fill
// (volume, fees, closing fills and wins, first-in-first-out holding time),
// funding payments, and the equity curve sampled once per bar. Positions
// and PnL themselves are ot-risk's (PositionBook); the ledger reads them.
//
// Funding: when ticker events carry `funding_rate`, positions in that
// instrument pay (long, positive rate) or receive it at 00:00, 08:00 and
// 16:00 UTC at the last mark. Equity points: the starting capital at the
// first event, then one at every multiple of the bar, and one at the end.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backtest/backtest.h"
#include "core/amount.h"
#include "core/event_encoder.h"
#include "core/events.h"
#include "core/orders.h"
#include "core/string_map.h"
#include "risk/positions.h"

namespace ot {

// What the ledger counted, for the summary.
struct LedgerTotals {
  std::uint64_t fills = 0, orders = 0, closing_fills = 0, wins = 0;
  double volume = 0;   // in the PnL currency (inverse contracts: their USD face)
  double funding = 0;  // received (+) or paid (−)
  Amount fees;
  double holding_sum = 0, holding_qty = 0;  // Σ qty × held ns, Σ qty closed
};

class Ledger {
 public:
  // `bar`: the sampling period (0: a candle's width, else one second).
  // Results go to `r` (symbols, equity, fills, fill_lines).
  Ledger(const PositionBook& positions, double capital, Nanos bar, BacktestResult& r);
  ~Ledger();

  // The instruments the strategies were configured to trade (venue empty:
  // any), reported from their first market event on.
  void add_target(std::string venue, std::string symbol);

  // Market state.
  void on_top(const TopOfBookEvent& t);
  void on_ticker(const Ticker& t);
  // A candle: its width is the bar unless one was given, and until a close
  // is seen the instrument is priced at the first open.
  void on_candle(const Candle& k);

  // An order a strategy sent (its instrument is traded from then on).
  void on_order(const Order& o);
  // A report: a fill is accounted, and kept as its exec event line.
  void on_report(const Exec& e);

  // The clock. begin() once at the first event (the starting capital);
  // advance(t) pays the funding due and takes the equity points due before
  // `t`, and the one at `t` when `inclusive`.
  void begin(Nanos t);
  void advance(Nanos t, bool inclusive);
  // The last point, at `t` (replacing one already taken at `t`).
  void finish(Nanos t);

  bool started() const { return start_ != 0; }
  Nanos start() const { return start_; }
  Nanos bar() const { return bar_; }
  double pnl() const;
  const LedgerTotals& totals() const { return totals_; }
  // "venue symbol" → position qty (8 decimals), for the traded instruments
  // in the order they were first traded or quoted.
  std::vector<std::pair<std::string, std::string>> positions() const;

 private:
  struct Lot {
    double qty;  // signed
    Nanos t;
  };
  struct Instrument {
    std::string venue, symbol;
    std::size_t index = 0;  // in BacktestResult::symbols, or kUntraded
    double mid = 0;
    bool inverse = false;
    double size = 1;  // contract size: one unit of qty in coin (linear) or USD (inverse)
    Amount realized;  // as of the last fill
    std::deque<Lot> lots;
    std::optional<double> funding_rate;
    double mark = 0;
  };
  struct Target {
    std::string venue, symbol;
  };
  static constexpr std::size_t kUntraded = static_cast<std::size_t>(-1);
  static bool traded(const Instrument& in) { return in.index != kUntraded; }

  Instrument* find(std::string_view venue, std::string_view symbol);
  Instrument& instrument(std::string_view venue, std::string_view symbol, bool trading);
  void sample(Nanos t);
  void pay_funding();

  const PositionBook& positions_;
  double capital_;
  BacktestResult& r_;
  std::vector<Target> targets_;
  std::vector<std::unique_ptr<Instrument>> instruments_;
  StringMap<Instrument*> by_key_;
  RecentKeys<Instrument> recent_;
  std::string key_;
  Nanos start_ = 0, bar_ = 0, next_sample_ = 0, next_funding_ = 0;
  double peak_ = 0;
  LedgerTotals totals_;
  // The exec event line of each fill.
  class LastLine final : public LineSink {
   public:
    void write_line(std::string_view, std::string_view line) override { last.assign(line); }
    bool wants_topic() const override { return false; }
    std::string last;
  } fill_line_;
  EventEncoder fill_encoder_{fill_line_};
};

}  // namespace ot
