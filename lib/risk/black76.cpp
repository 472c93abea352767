#include "risk/black76.h"

#include <cmath>

namespace ot {
namespace {

constexpr double kInvSqrt2Pi = 0.3989422804014327;

double norm_pdf(double x) { return kInvSqrt2Pi * std::exp(-0.5 * x * x); }
double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

Greeks black76(double forward, double strike, double t_years, double sigma, double rate,
               bool call) {
  Greeks g;
  const double df = std::exp(-rate * std::max(t_years, 0.0));
  if (t_years <= 0 || sigma <= 0 || forward <= 0 || strike <= 0) {
    const double intrinsic =
        call ? std::max(forward - strike, 0.0) : std::max(strike - forward, 0.0);
    g.price = df * intrinsic;
    g.delta = call ? (forward > strike ? df : 0.0) : (forward < strike ? -df : 0.0);
  } else {
    const double sq = sigma * std::sqrt(t_years);
    const double d1 = (std::log(forward / strike) + 0.5 * sigma * sigma * t_years) / sq;
    const double d2 = d1 - sq;
    const double pdf = norm_pdf(d1);
    if (call) {
      g.price = df * (forward * norm_cdf(d1) - strike * norm_cdf(d2));
      g.delta = df * norm_cdf(d1);
    } else {
      g.price = df * (strike * norm_cdf(-d2) - forward * norm_cdf(-d1));
      g.delta = -df * norm_cdf(-d1);
    }
    g.gamma = df * pdf / (forward * sq);
    g.vega = df * forward * pdf * std::sqrt(t_years) / 100.0;
    // dV/dt (calendar) = −∂V/∂T: time decay of the diffusion plus the carry
    // of the discount factor.
    const double decay = -df * forward * pdf * sigma / (2.0 * std::sqrt(t_years));
    g.theta = (decay + rate * g.price) / 365.0;
    if (t_years < 1.0 / 365.0) {
      // Less than a day left: the value lost by expiry, which is what a
      // day's theta can at most be (and what Deribit publishes).
      const double intrinsic =
          call ? std::max(forward - strike, 0.0) : std::max(strike - forward, 0.0);
      g.theta = intrinsic - g.price;
    }
  }
  g.price_coin = forward > 0 ? g.price / forward : 0;
  g.delta_pa = g.delta - g.price_coin;
  return g;
}

double implied_vol(double price, double forward, double strike, double t_years, double rate,
                   bool call) {
  if (t_years <= 0 || forward <= 0 || strike <= 0) return -1;
  const double df = std::exp(-rate * t_years);
  const double lower =
      df * (call ? std::max(forward - strike, 0.0) : std::max(strike - forward, 0.0));
  const double upper = df * (call ? forward : strike);
  if (price <= lower || price >= upper) return -1;
  double lo = 1e-6, hi = 20.0;
  double sigma = 0.5;
  for (int i = 0; i < 100; ++i) {
    const Greeks g = black76(forward, strike, t_years, sigma, rate, call);
    const double diff = g.price - price;
    if (std::fabs(diff) < 1e-12 * std::max(1.0, price)) return sigma;
    if (diff > 0)
      hi = sigma;
    else
      lo = sigma;
    const double vega = g.vega * 100.0;
    double next = vega > 1e-12 ? sigma - diff / vega : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    sigma = next;
  }
  return sigma;
}

}  // namespace ot
