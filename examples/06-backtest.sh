#!/bin/sh
# Backtest the market maker of examples/mm.toml on a capture with fees, then
# a small parameter grid of mean reversion on a month of 1-minute candles;
# --fail-if sets the exit status for cron.
set -e
here=$(dirname "$0")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ot-backtest --data "$OT_DATA/binance-futures.raw" --strategy mm --config "$here/mm.toml" \
  --maker-fee 0.0002 --taker-fee 0.0004 --report "$dir/mm" | tr , '\n' | grep -E '^"(pnl|fills|fees)"'
ls "$dir/mm"
ot-backtest --data "$OT_DATA/candles/btc-perp-1m-2022-01.csv.zst" --strategy meanrev \
  --param qty=0.1 --param window=30,60 --param entry_z=2,2.5 --taker-fee 0.0005 \
  --report "$dir/grid" > /dev/null
cut -d, -f1-7 "$dir/grid/grid.csv"
if ot-backtest --data "$OT_DATA/binance-futures.raw" --strategy mm --config "$here/mm.toml" \
     --maker-fee 0.0002 --fail-if 'pnl<0' > /dev/null 2>&1; then echo "passed"; else echo "failed the threshold (exit $?)"; fi
