#!/bin/sh
# A live desk in tmux: one feed fanned out over ZeroMQ, a ladder, a bbo tape
# and a recorder. Usage: examples/tmux-live.sh [VENUE] [SYMBOL]
venue=${1:-binance}
symbol=${2:-BTCUSDT}
ep=ipc:///tmp/ot-$venue.md
tmux new-session -d -s ot \
  "ot-feed live --venue $venue --symbols $symbol --record $venue-\$(date +%F).raw.zst --out $ep"
tmux split-window -h -t ot "ot-book --in $ep --top 20"
tmux split-window -v -t ot "ot-book --in $ep --emit bbo | cut -c 1-160"
tmux attach -t ot
