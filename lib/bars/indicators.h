// Technical indicators over closed bars, computed online: each bar updates
// the state in O(1), with no allocation after construction. The formulas,
// seeding and warm-up (man ot-bars, INDICATORS):
//   sma:N   mean of the last N closes; from the Nth bar.
//   ema:N   alpha = 2/(N+1), seeded with the SMA of the first N closes (the
//           value at bar N), then ema = alpha*close + (1-alpha)*ema.
//   rsi:N   Wilder's: the changes of the close; the first average gain and
//           loss are the means of the first N changes (bar N+1), then
//           avg = (avg*(N-1) + x)/N; rsi = 100 - 100/(1 + gain/loss),
//           100 when the average loss is 0, 50 when both are 0.
//   vol:N   realised volatility of the last N log returns of the close,
//           sqrt(sum r^2) (not annualised, no mean removed); from bar N+1.
//   vwap:N  sum(price*qty)/sum(qty) over the last N bars; from bar N, null
//           while those bars hold no volume.
//   vwap    the session's: since 00:00 UTC of the bar's start day; null
//           until the day has volume.
// Every value is a double (nullopt while warming up); peek() gives what
// update() would give for a bar that has not closed yet (a forming bar),
// without changing anything.
//
// Threading: value types, one owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace ot {

enum class IndicatorKind : std::uint8_t { sma, ema, rsi, vol, vwap, vwap_day };

struct IndicatorSpec {
  IndicatorKind kind = IndicatorKind::sma;
  int period = 0;    // bars; 0 for vwap_day
  std::string name;  // the field name: "ema_20", "vwap_day"
};

// "ema:20,rsi:14,vwap,vol:60" (an empty list is none). Periods are 1 to
// 100000; a name given twice is an error.
Result<std::vector<IndicatorSpec>> parse_indicators(std::string_view list);

// What an indicator sees of a bar.
struct BarSample {
  Nanos start = 0;
  double close = 0;
  double volume = 0;
  double notional = 0;  // sum(price * qty)
};

class Indicator {
 public:
  explicit Indicator(const IndicatorSpec& spec);

  std::optional<double> update(const BarSample& bar);
  std::optional<double> peek(const BarSample& bar) const;
  const IndicatorSpec& spec() const { return spec_; }

 private:
  // The last `period` values and their sum, summed afresh once per lap so
  // that rounding does not build up.
  struct Window {
    std::vector<double> values;
    std::size_t head = 0, count = 0;
    std::size_t nonzero = 0;  // values that are not 0 (a sum's leftover is no volume)
    double sum = 0;
    bool full_with(std::size_t more) const { return count + more >= values.size(); }
    double sum_with(double x) const {
      return sum - (count == values.size() ? values[head] : 0) + x;
    }
    std::size_t nonzero_with(double x) const {
      return nonzero - (count == values.size() && values[head] != 0 ? 1 : 0) + (x != 0 ? 1 : 0);
    }
    void push(double x);
  };
  // The scalar state, and what a bar adds to the windows.
  struct State {
    std::uint64_t bars = 0;
    std::optional<double> prev_close;
    double seed_gain = 0, seed_loss = 0;  // ema: the seed's sum in seed_gain
    double avg_gain = 0, avg_loss = 0, ema = 0;
    std::int64_t day = -1;
    double day_notional = 0, day_volume = 0;
  };
  struct Next {
    std::optional<double> value;
    State state;
    std::optional<double> push_a, push_b;
  };
  Next next(const BarSample& bar) const;

  IndicatorSpec spec_;
  State state_;
  Window a_, b_;  // sma: closes; vol: r^2; vwap:N: notionals (a_) and volumes (b_)
};

}  // namespace ot
