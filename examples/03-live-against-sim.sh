#!/bin/sh
# A local Deribit (ot-sim) serving a real capture; ot-feed connects over the
# venue's JSON-RPC protocol, the simulator drops the connection after 20
# frames, ot-feed reconnects and resyncs; the final top of book is right.
set -e
dir=$(mktemp -d)
ot-sim --venue deribit --data "$OT_DATA/deribit.raw" --speed 40 --drop-after 20 \
  --port-file "$dir/port" --linger 4 > /dev/null &
while [ ! -s "$dir/port" ]; do sleep 0.05; done
ot-feed live -q --venue deribit --symbols BTC-24SEP21-8000-P --channels book \
  --ws-url "ws://127.0.0.1:$(cat "$dir/port")" --duration 3 > "$dir/events"
wait
grep -o '"event":"[a-z_]*"' "$dir/events" | sort | uniq -c | sed 's/^ *//'
ot-book --emit depth=1 < "$dir/events" | grep '"depth"' | tail -n 1 | grep -o '"bids".*'
rm -rf "$dir"
