#!/bin/sh
# A learned strategy from data to paper trading: a synthetic market with a
# planted edge (examples/learned/synth_market.py: book imbalance predicts
# the next moves in the direction of the trade flow), a network trained on
# its first 60 %, chosen on the next 20 % and backtested on the last 20 %
# next to the baselines, then the model served by ot-strat in the chain
# against the paper venue. The figures depend on the CPU's floating point
# (libtorch); what is printed here does not.
set -e
here=$(dirname "$0")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/learned/synth_market.py" --minutes 180 > "$dir/market.ndjson"

# 1. Train: samples every second, the move over the next 3 s as the label.
ot-train supervised --data "$dir/market.ndjson" --venue paper --symbol SYNTH \
  --param horizon=3s --out "$dir/synth.model" --log "$dir/train.log" -q > "$dir/report.ndjson"
grep -E '^(kind|horizon_ns|step_ns) ' "$dir/synth.model"

# 2. Evaluate: out of sample, the learned policy against no trading, the
#    mm strategy's defaults and a linear model on the same features.
python3 - "$dir/report.ndjson" <<'PY'
import json, sys
r = {json.loads(l)["policy"]: json.loads(l) for l in open(sys.argv[1])}
best = max(r, key=lambda p: r[p]["pnl"])
print("policies on the test window:", " ".join(r))
print("best out of sample:", best)
print("learned: significant (t > 2):", r["learned"]["sharpe_t"] > 2)
PY

# 3. Paper-trade: the model in the chain, its executions fed back.
ot-book --pass-book --emit bbo --emit depth=10 < "$dir/market.ndjson" \
  | ot-strat --fills "ipc://$dir/fills" learned --model "$dir/synth.model" \
      --venue paper --symbol SYNTH \
  | ot-exec --venue paper --fills-out "ipc://$dir/fills" > "$dir/out.ndjson"
hash=$(tail -1 "$dir/synth.model" | cut -d' ' -f2 | cut -c1-16)
fills=$(grep -c '"status":"\(filled\|partial\)".*"strategy":"learned:'"$hash"'"' "$dir/out.ndjson")
[ "$fills" -gt 0 ] && echo "paper trading: fills tagged with the model's hash"
