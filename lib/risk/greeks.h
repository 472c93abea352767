// Options greeks for the risk gate, for any venue that lists options:
// each option's Black-76 greeks from its tickers (risk/black76.h), portfolio
// greeks per venue and underlying, the gamma and vega a new option order
// would add, and the size of the delta hedge that brings a portfolio back
// inside its band. Instruments come described by their venues
// (core/instrument.h, ot::describe_instrument); nothing here knows a venue.
//
//   - An option is priced from a ticker with an IV (mark_iv, in percent) and
//     a forward (underlying, else index), and the ticker's interest_rate;
//     time runs to the instrument's expiry from the ticker's time.
//   - A portfolio sums, over its open positions, each priced option's
//     greeks × quantity × contract size (the premium-adjusted delta for
//     coin-margined options where asked), and the delta of its futures and
//     perpetuals: a coin-margined contract of Q USD is Q / F coin.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/instrument.h"
#include "core/string_map.h"
#include "risk/black76.h"
#include "risk/limits.h"
#include "risk/positions.h"

namespace ot {

// An instrument's terms as risk uses them, looked up once per instrument:
// the contract size and inverse flag positions account with
// (ot::contract_size, ot::is_inverse; a size for any venue, known or not),
// and the venue's description, if it has one (ot::describe_instrument).
struct InstrumentTerms {
  std::optional<Decimal> size;
  bool inverse = false;
  std::optional<Instrument> instrument;
};

class TermsCache {
 public:
  const InstrumentTerms& of(std::string_view venue, std::string_view symbol);

 private:
  StringMap<InstrumentTerms> terms_;
  RecentKeys<InstrumentTerms> recent_;
  std::string key_;
};

struct OptionGreeks {
  std::string venue, symbol;
  Instrument instrument;
  double iv = 0, forward = 0, rate = 0;  // iv as a fraction
  Greeks greeks;
  bool priced = false;
};

struct OptionsPortfolio {
  double delta = 0, gamma = 0, vega = 0, theta = 0;
  double forward = 0;  // last underlying price seen
};

class OptionsBook {
 public:
  // Keeps option `t.symbol` (described by `inst`) and prices it from `t`;
  // false if `t` lacks an IV or a positive forward (an earlier pricing
  // stays). `now` stands in for a ticker without a time.
  bool price(const Ticker& t, const Instrument& inst, Nanos now);
  // The option once priced; nullptr otherwise.
  const OptionGreeks* priced(std::string_view venue, std::string_view symbol) const;

  // Recomputes the portfolio of `underlying` on `venue` from `positions`;
  // `mark` gives a future's or perpetual's price (nullopt: the portfolio's
  // forward is used). nullptr if it holds no position and had no portfolio.
  using MarkFn = std::function<std::optional<Decimal>(std::string_view symbol)>;
  const OptionsPortfolio* recompute(std::string_view venue, std::string_view underlying,
                                    const PositionBook& positions, TermsCache& terms,
                                    const MarkFn& mark, bool premium_adjusted);
  // Portfolio greeks of "venue:underlying" (nullptr if none).
  const OptionsPortfolio* portfolio(std::string_view key) const;
  bool has_portfolio(std::string_view venue, std::string_view underlying) const;

  // Why `o`, an order in option `inst`, breaks g's gamma or vega limit:
  // the portfolio's figure would exceed it and grow; empty if it does not.
  std::string check(const Order& o, const Instrument& inst, const GreekLimits& g) const;

 private:
  std::string_view key(std::string_view venue, std::string_view name) const;

  StringMap<std::unique_ptr<OptionGreeks>> options_;
  StringMap<OptionsPortfolio> portfolios_;
  mutable std::string key_;  // scratch "venue:name"
};

// The hedge that brings `delta` back to g's target once it leaves the band:
// in `hedge`'s units (USD for coin-margined futures and perpetuals, whose
// price is `price`; the coin otherwise) over its contract size, rounded to
// its lot, or to 6 decimals where it has none. nullopt inside the band, for
// a hedge of unknown contract size, and when it rounds to nothing.
struct HedgeSize {
  Side side = Side::buy;
  Decimal qty;
};
std::optional<HedgeSize> hedge_size(double delta, const GreekLimits& g, const Instrument& hedge,
                                    double price);

}  // namespace ot
