#!/bin/sh
# The trading chain on a replayed capture: a market maker quotes SUSHIUSDT,
# the risk gate checks its orders, the paper venue fills them with queue
# position and fees; executions go back to the strategy and the risk gate
# over ZeroMQ. The replay is paced (10x) so the feedback keeps up, as it
# would live.
set -e
data=${OT_DATA:-$(dirname "$0")/../tests/data}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fills=ipc://$dir/fills
ot-feed replay --speed 10 "$data/binance-futures.raw" \
  | ot-book --pass-book \
  | ot-strat --session ex --fills "$fills" --config "$(dirname "$0")/mm.toml" mm \
  | ot-risk --limits "$(dirname "$0")/risk.toml" --fills "$fills" \
  | ot-exec --venue paper --fills-out "$fills" --fills-subscribers 2 \
      --maker-fee 0.0002 --taker-fee 0.0004 > "$dir/out"
# What happened, in words that do not depend on timing: the fills and
# the final position are in $dir/out.
grep -q '"liquidity"' "$dir/out" && echo "the market maker traded"
grep '"type":"exec"' "$dir/out" | sed 's/.*"seq":\([0-9]*\).*/\1/' \
  | awk '$1 != NR { bad = 1 } END { print bad ? "reports: gap" : "reports: numbered without a gap" }'
grep -q '"type":"position"' "$dir/out" && echo "positions: published"
