// Black-76 option pricing and greeks on a futures price, with the
// conventions Deribit uses for its coin-settled (inverse) options: prices
// and greeks in the quote currency per unit of the underlying, converted to
// coin by dividing by the futures price; time in years of 365 days.
//
//   d1 = (ln(F/K) + σ²T/2) / (σ√T),  d2 = d1 − σ√T,  D = e^{−rT}
//   call = D (F N(d1) − K N(d2)),     put = D (K N(−d2) − F N(−d1))
//
// delta      ∂V/∂F (what Deribit publishes: D N(d1), −D N(−d1))
// delta_pa   premium-adjusted delta for inverse options: delta − V/F, the
//            hedge that also covers the coin premium's exposure
// gamma      ∂²V/∂F² (per 1 unit of F)
// vega       per 1 volatility point (σ + 0.01)
// theta      per calendar day (365 per year); with less than a day left,
//            the value lost by expiry (intrinsic − V), as Deribit does
//
// Thread-safety: pure functions.
#pragma once

#include "core/time.h"

namespace ot {

struct Greeks {
  double price = 0;       // quote currency per unit of underlying
  double price_coin = 0;  // price / F
  double delta = 0;
  double delta_pa = 0;
  double gamma = 0;
  double vega = 0;
  double theta = 0;
};

// `t_years` > 0, `sigma` > 0 (as a fraction: 0.65, not 65). At or after
// expiry (t_years <= 0) the intrinsic value and its step delta.
Greeks black76(double forward, double strike, double t_years, double sigma, double rate, bool call);

// Year fraction between two times on a 365-day year.
inline double year_fraction(Nanos from, Nanos to) {
  return static_cast<double>(to - from) / (365.0 * 86'400e9);
}

// Implied volatility from a price in the quote currency (bisection plus
// Newton steps); nullopt-like negative result when the price is outside the
// no-arbitrage bounds.
double implied_vol(double price, double forward, double strike, double t_years, double rate,
                   bool call);

}  // namespace ot
