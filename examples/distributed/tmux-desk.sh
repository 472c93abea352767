#!/bin/sh
# The distributed desk on one machine, over loopback: a three-node NATS
# cluster, ot-sim serving a bundled capture as the venue, two redundant feed
# handlers, the strategy chain with executions over JetStream, a recorder
# and a live ladder read from the stream. Kill a handler pane (or a NATS
# server) and watch the ladder carry on.
#   examples/distributed/tmux-desk.sh [CAPTURE] [SYMBOL]
# Needs nats-server and the ot-* programs on PATH; the servers' streams, the
# journal and the store go to a temporary directory it names.
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
capture=${1:-$here/tests/data/binance-futures.raw}
symbol=${2:-SUSHIUSDT}
dir=$(mktemp -d /tmp/ot-desk.XXXXXX)
for i in 1 2 3; do
  routes=""
  for j in 1 2 3; do [ "$j" = "$i" ] || routes="$routes nats-route://127.0.0.1:1622$j"; done
  cat > "$dir/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:1422$i
jetstream { store_dir: $dir/n$i }
cluster { name: desk, listen: 127.0.0.1:1622$i, routes: [$(echo $routes | tr ' ' ,)] }
CONF
done
nats=nats://127.0.0.1:14221,127.0.0.1:14222,127.0.0.1:14223
cat > "$dir/risk.toml" <<'TOML'
[account]
max_open_orders = 10
[defaults]
max_order_qty = "100"
price_collar_bps = 50
max_position = "50"
TOML
sim="ot-sim --venue binance-futures --data $capture --speed 1 --listen 127.0.0.1:18443"
feed="ot-feed live --venue binance-futures --symbols $symbol --ws-url ws://127.0.0.1:18443 \
  --rest-url http://127.0.0.1:18443 --out '$nats/md?js=MD&replicas=3'"
tmux new-session -d -s desk "nats-server -c $dir/n1.conf"
tmux split-window -t desk "nats-server -c $dir/n2.conf"
tmux split-window -t desk "nats-server -c $dir/n3.conf"
tmux select-layout -t desk tiled
sleep 3
tmux new-window -t desk -n feeds "$sim"
tmux split-window -t desk:feeds "sleep 1; $feed"
tmux split-window -t desk:feeds "sleep 2; $feed"
tmux new-window -t desk -n desk \
  "ot-book --in '$nats/md.>?js=MD&durable=ladder' --top 15"
tmux split-window -h -t desk:desk "sleep 2; ot-book --in '$nats/md.>?js=MD&durable=strategy' --pass-book \
  | ot-strat --fills '$nats/fills.>?js=FILLS' mm --symbol $symbol --qty 5 --gamma 0.01 --tick 0.001 \
  | ot-risk --limits $dir/risk.toml --fills '$nats/fills.>?js=FILLS' \
  | ot-exec --venue paper --fills-out '$nats/fills?js=FILLS&replicas=3' --journal $dir/exec.journal \
  | grep --line-buffered '\"type\":\"exec\"'"
tmux split-window -v -t desk:desk "sleep 2; ot-store write --dir $dir/store --in '$nats/md.>?js=MD&durable=recorder'"
echo "desk state: $dir (tmux kill-session -t desk; rm -r $dir)" >&2
tmux attach -t desk
