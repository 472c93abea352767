// The end of a backtest: its summary figures (BacktestResult::metrics) and
// the one-line JSON summary (BacktestResult::summary), from the equity
// curve and the ledger's totals.
//
//   pnl, return          total PnL (realized + unrealized − fees + funding),
//                        and over the capital
//   sharpe, sortino      of the per-bar returns (over the capital),
//                        annualized by the bar (365-day years); sortino's
//                        deviation is over the downside returns
//   max_drawdown         the largest fall from a peak, as a fraction of it
//   fills, orders, volume, fees, funding, realized, unrealized
//   turnover             volume over the capital
//   win_rate             closing fills that realized a gain, over all
//                        closing fills
//   avg_holding_s        first-in-first-out holding time, qty-weighted
//   events               market events the chain took
#pragma once

#include "backtest/backtest.h"
#include "backtest/ledger.h"
#include "risk/positions.h"
#include "strat/strategy.h"

namespace ot {

// Fills r.metrics and r.summary. `params`: the (first) strategy's, as run;
// `end`: the clock at the end.
void summarize(const BacktestConfig& c, const Params& params, const Ledger& ledger,
               const PositionBook& positions, Nanos end, BacktestResult& r);

}  // namespace ot
