#!/bin/sh
# The live trading chain in tmux, one program per pane, wired by ZeroMQ:
#   ot-feed --PUB--> ot-book --PUB--> ot-strat --PUSH--> ot-risk --PUSH--> ot-exec
#                                        ^                  ^                 |
#                                        +------ executions (PUB, no drop) ---+
# Paper trading on live Binance USD-M data by default.
# Usage: examples/tmux-trading.sh [VENUE] [SYMBOL] [STRATEGY ARGS...]
venue=${1:-binance-futures}
symbol=${2:-BTCUSDT}
shift 2 2>/dev/null
args=${*:-mm --symbol $symbol --qty 0.001}
here=$(cd "$(dirname "$0")" && pwd)
run=/tmp/ot-trading
mkdir -p $run
tmux new-session -d -s trading -n chain \
  "ot-exec --venue paper --in ipc://$run/risk --fills-out ipc://$run/fills --fills-subscribers 2 --journal $run/exec.journal --out $run/exec.ndjson"
tmux split-window -t trading -v \
  "ot-risk --limits $here/risk.toml --in ipc://$run/strat --out ipc://$run/risk --fills ipc://$run/fills"
tmux split-window -t trading -v \
  "ot-strat --in ipc://$run/bbo --out ipc://$run/strat --fills ipc://$run/fills $args"
tmux split-window -t trading -h \
  "ot-book --in ipc://$run/md --out ipc://$run/bbo --pass-book"
tmux split-window -t trading -h \
  "sleep 1; ot-feed live --venue $venue --symbols $symbol --out ipc://$run/md"
tmux new-window -t trading -n fills "tail -F $run/exec.ndjson | grep --line-buffered -v '\"book\"\\|\"bbo\"'"
tmux new-window -t trading -n ladder "ot-book --in ipc://$run/md --top 20"
tmux select-layout -t trading:chain tiled
echo "kill switch: touch /tmp/ot-kill (see $here/risk.toml); detach with C-b d"
tmux attach -t trading
