#!/bin/sh
# A capture's trades into candles in one pipe: 1-second bars of OKX BTC-USDT
# with an EMA and an RSI, as the candle CSV that ot-backtest reads; then a
# momentum backtest on those candles.
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ot-feed replay "$OT_DATA/okx.raw" \
  | ot-bars --interval 1s --symbol BTC-USDT --indicators ema:3,rsi:3 --format csv > "$dir/btc-1s.csv"
head -5 "$dir/btc-1s.csv"
ot-backtest --data "$dir/btc-1s.csv" --candle-venue okx --candle-symbol BTC-USDT \
  --strategy momentum --param qty=0.01 --param fast=3 --param slow=10 --taker-fee 0.0005 \
  | tr , '\n' | grep -E '^"(events|fills|pnl)"'
