#!/bin/sh
# Paper trading on a replayed capture with the dashboard, in tmux, wired by
# ZeroMQ; the strategy's orders and the dashboard's meet in ot-risk, and the
# dashboard reads ot-exec's output (the market, reports, positions, the kill
# switch, as they passed the chain):
#   ot-feed replay -PUB-> ot-book -PUB-> ot-strat -PUSH-> ot-risk -PUSH-> ot-exec
#                                                            ^               | PUB
#                                              ot-dash -PUSH-+  <------------+
# Usage: examples/tmux-dash.sh [CAPTURE] [SPEED]
# then open the URL in ot-dash's pane (it carries the access token).
# OT_DASH_LISTEN (127.0.0.1:8080) and OT_RUN (/tmp/ot-dash, the endpoints'
# folder) move it elsewhere.
here=$(cd "$(dirname "$0")" && pwd)
capture=${1:-$here/../tests/data/binance-futures.raw}
speed=${2:-1}
run=${OT_RUN:-/tmp/ot-dash}
listen=${OT_DASH_LISTEN:-127.0.0.1:8080}
mkdir -p $run
tmux new-session -d -s dash -n chain \
  "ot-exec --venue paper --in ipc://$run/risk --fills-out ipc://$run/fills --fills-subscribers 2 --out ipc://$run/all --out-pattern pub"
tmux split-window -t dash -v \
  "ot-risk --limits $here/risk.toml --in ipc://$run/strat,ipc://$run/dash --out ipc://$run/risk --fills ipc://$run/fills"
tmux split-window -t dash -v \
  "ot-strat --in ipc://$run/bbo --out ipc://$run/strat --fills ipc://$run/fills --config $here/mm.toml mm"
tmux split-window -t dash -h \
  "ot-dash --in ipc://$run/all --orders ipc://$run/dash --listen $listen"
tmux split-window -t dash -h \
  "ot-book --in ipc://$run/md --out ipc://$run/bbo --pass-book --emit bbo depth=20"
tmux split-window -t dash -h \
  "sleep 1; ot-feed replay --speed $speed $capture --out ipc://$run/md"
tmux select-layout -t dash:chain tiled
echo "the dashboard's URL is in ot-dash's pane; detach with C-b d"
tmux attach -t dash
