// Online features for learned strategies: computed event by event from what
// a strategy sees (the top of book, the book's depth, trades, its own fills,
// closed candles) and used unchanged by ot-train, the backtester and the
// live chain, so that a model meets in trading the numbers it was trained
// on.
//
// The features, in the order compute() writes them (names() spells them):
//   spread_bps              (ask − bid) / mid
//   micro_mid_bps           microprice − mid, over mid; the microprice
//                           weighs each side's price by the other's size
//   imbalance_N             (bid size − ask size) / (bid size + ask size)
//                           over the top N levels a side, for each N of
//                           `depths` (N = 1 from the top of book while no
//                           depth was given)
//   flow_W                  (bought − sold) / (bought + sold), trades of
//                           the last W, by aggressor, for each W of
//                           `windows` (0 with no trades)
//   signed_volume_W         bought − sold over the last W (in the
//                           instrument's quantity)
//   return_W_bps            log(mid now / mid W ago), the mid W ago to
//                           1/100 of the shortest window (0 until W of
//                           mids)
//   volatility_bps          realised volatility: the root of the sum of
//                           squared mid log returns of each `vol_step` over
//                           the last `vol_window` (gaps carry the mid on)
//   inventory               the strategy's own position (its fills)
//   since_fill_s            seconds since its last fill (capped at
//                           `fill_cap`, and the cap before any fill)
//   bar_return_bps          log(close / previous close), the last candle
//   bar_range_bps           (high − low) / close, the last candle
//   bar_log_volume          log(1 + volume), the last candle
//   bar_return_K_bps        log(close / close K candles before)
// Features with nothing to go on yet are 0; ready() says when the book
// features have a top of book to stand on.
//
// Causality: every feature at time t is a function of the events handed in
// before compute(t) with times ≤ t, and of t itself (windows end at t).
// Nothing looks ahead: tests/unit/features_test.cpp alters every event
// after t and checks the features at t are the same to the bit.
//
// Cost: O(1) amortised per event; compute() is O(features + the
// volatility window's steps). No allocation once the windows are full.
//
// Threading: one FeatureSet per instrument and strategy, on its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "bars/bar_builder.h"
#include "book/l2_book.h"
#include "core/events.h"
#include "core/orders.h"
#include "core/result.h"

namespace ot::features {

// Moves when a feature's meaning or order changes: a model trained on
// another version is refused.
inline constexpr std::uint32_t kVersion = 1;

inline constexpr Nanos kSecond = 1'000'000'000;

struct FeatureConfig {
  std::vector<std::size_t> depths{1, 5, 10};
  std::vector<Nanos> windows{kSecond, 10 * kSecond, 60 * kSecond};
  Nanos vol_window = 60 * kSecond;
  Nanos vol_step = kSecond;
  Nanos fill_cap = 3600 * kSecond;
  std::size_t bar_lookback = 5;
};

// How much data the features need before every window is full: the
// longest trade or return window, or the volatility window.
Nanos longest_window(const FeatureConfig& c);

// The configuration as one line ("v1 depths=1,5,10 windows=1s,10s,60s
// vol=60s/1s fill_cap=3600s bars=5"): a model file keeps it, and a
// FeatureSet made from the line computes the same features.
std::string describe(const FeatureConfig& c);
// The configuration a describe() line gives; invalid_argument for another
// version or a line that does not parse.
Result<FeatureConfig> parse_description(std::string_view line);

class FeatureSet {
 public:
  explicit FeatureSet(FeatureConfig config = {});

  const FeatureConfig& config() const { return c_; }
  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }
  // A top of book was seen.
  bool ready() const { return mid_ > 0; }

  void on_top(Nanos ts, double bid, double bid_qty, double ask, double ask_qty);
  void on_top(const TopOfBookEvent& t);
  // The top levels of the book, best first (as many as the deepest N).
  void on_depth(Nanos ts, std::span<const Level> bids, std::span<const Level> asks);
  void on_trade(Nanos ts, double price, double qty, Side aggressor);
  void on_trade(const Trade& t);
  // The strategy's own fill.
  void on_fill(Nanos ts, Side side, double qty);
  // A closed candle (forming ones are ignored).
  void on_bar(const Bar& bar);
  // The same from a candle (a candle file's row, ot-bars' `bar` event);
  // one whose numbers do not parse is ignored.
  void on_bar(const Candle& candle);

  // The features at `now` (no earlier than the events handed in) into
  // `out`, which holds size() values.
  void compute(Nanos now, std::span<double> out);

 private:
  struct Flow {
    Nanos window;
    std::deque<std::pair<Nanos, double>> trades;  // (ts, signed qty)
    double bought = 0, sold = 0;
  };
  void add_bar(double high, double low, double close, double volume);
  void step_mid(Nanos ts);
  // Drops trades and mids older than the windows need at `now`.
  void prune(Nanos now);

  FeatureConfig c_;
  std::vector<std::string> names_;
  // The book.
  double bid_ = 0, ask_ = 0, bid_qty_ = 0, ask_qty_ = 0, mid_ = 0;
  std::vector<double> imbalance_;  // per depth, from on_depth
  bool have_depth_ = false;
  // Mids for the returns: (ts, mid), one per slot (the last of the slot),
  // the oldest kept one at least the longest window old.
  std::deque<std::pair<Nanos, double>> mids_;
  Nanos longest_ = 0, slot_ = 1;
  // Volatility: the mid at the end of each step, and the squared returns
  // of the last vol_window / vol_step steps.
  Nanos step_end_ = 0;
  double step_mid_ = 0;
  std::deque<double> squared_;
  std::vector<Flow> flows_;
  // Own fills.
  double inventory_ = 0;
  Nanos last_fill_ = 0;
  // Candles: the last bar_lookback + 1 closes, the last range and volume.
  std::deque<double> closes_;
  double bar_range_ = 0, bar_volume_ = 0;
};

}  // namespace ot::features
