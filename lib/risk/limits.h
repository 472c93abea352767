// Pre-trade limits, loss limits, kill switch and hedging settings, read
// from a TOML file (`ot-risk --limits risk.toml`, see ot-risk(1)):
//
//   [account]                 # the whole book
//   max_open_orders = 50
//   order_rate = 20           # orders per second (token bucket) ...
//   order_burst = 40          # ... and its depth
//   daily_loss = "500"        # stop trading when realized+unrealized−fees <= −500
//   max_drawdown = "300"      # ... or when it falls this far below its peak
//   kill_file = "/run/ot/kill"  # its existence is a kill switch
//
//   [defaults]                # every symbol, unless overridden
//   max_order_qty = "1"
//   max_notional = "50000"    # per order, qty × price (mid for market orders)
//   max_position = "5"        # |position + working same-side orders + order|
//   price_collar_bps = 100    # limit price within 1 % of the mid
//   max_open_orders = 10
//   self_trade = "reject"     # or "allow"
//
//   [symbols."BTCUSDT"]       # any venue; or "binance-futures:BTCUSDT"
//   max_position = "2"
//
//   [greeks."deribit:BTC"]    # options portfolio per venue and underlying
//                             # (Instrument::underlying: "okx:BTC-USD")
//   delta_band = 0.5          # hedge when |delta − target| exceeds this (coin)
//   delta_target = 0
//   hedge_symbol = "BTC-PERPETUAL"
//   max_gamma = 0.02
//   max_vega = 500
//   premium_adjusted = true   # hedge the premium-adjusted delta
//
//   [contracts]               # one contract in its value unit, where the
//   "okx:SOL-USDT-SWAP" = "1" # venue's rules do not fix it (here 1 SOL)
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/decimal.h"
#include "core/result.h"

namespace ot {

struct SymbolLimits {
  std::optional<Decimal> max_order_qty;
  std::optional<Decimal> max_notional;
  std::optional<Decimal> max_position;
  std::optional<double> price_collar_bps;
  std::optional<long> max_open_orders;
  bool self_trade_reject = true;
};

struct AccountLimits {
  std::optional<long> max_open_orders;
  double order_rate = 0;  // 0: no limit
  double order_burst = 0;
  std::optional<Decimal> daily_loss;
  std::optional<Decimal> max_drawdown;
  std::string kill_file;
};

struct GreekLimits {
  double delta_band = 0;  // 0: no hedging
  double delta_target = 0;
  std::string hedge_symbol;
  std::optional<double> max_gamma;
  std::optional<double> max_vega;
  bool premium_adjusted = true;
};

struct RiskLimits {
  AccountLimits account;
  SymbolLimits defaults;
  std::map<std::string, SymbolLimits> symbols;  // "symbol" or "venue:symbol"
  std::map<std::string, GreekLimits> greeks;    // "venue:UNDERLYING"
  std::map<std::string, Decimal> contracts;     // "venue:symbol" → contract size

  // Gives the [contracts] sizes to the process (ot::set_contract_size).
  void apply_contract_sizes() const;

  // The limits that apply to one instrument.
  const SymbolLimits& for_symbol(std::string_view venue, std::string_view symbol) const;
  const GreekLimits* for_underlying(std::string_view venue, std::string_view underlying) const;
};

// Parses a limits file. invalid_argument (with the line) on bad syntax, an
// unknown key or a value of the wrong type, or a file that cannot be read.
Result<RiskLimits> load_limits(const std::string& path);
Result<RiskLimits> parse_limits(std::string_view text);

}  // namespace ot
