#!/usr/bin/env bash
# Builds OptiTrade and replays a bundled real Binance capture through
# ot-feed | ot-book: a ladder when this is a terminal, a bbo stream otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
export PATH="$PWD/build/bin:$PATH"
capture=tests/data/binance-spot.raw
if [ -t 1 ]; then
  ot-feed replay --speed 5 "$capture" | ot-book --top 12
else
  ot-feed replay "$capture" | ot-book --emit bbo | head -n 20
fi
