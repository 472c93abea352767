#!/bin/sh
# Record a capture's events and its raw frames in the file store, list what
# is there, read trades of one symbol back by time, and replay the stored
# frames through ot-feed as if they were the capture.
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ot-feed replay "$OT_DATA/okx.raw" | ot-store write --dir "$dir/store"
ot-store write --raw --dir "$dir/store" < "$OT_DATA/okx.raw"
ot-store ls --dir "$dir/store" --json | grep '"BTC-USDT"' | sed 's/"bytes":[0-9]*,//'
ot-store read --dir "$dir/store" --symbol BTC-USDT --type trade --from 2022-05-13T16:27:15Z | wc -l
ot-store read --raw --dir "$dir/store" --venue okx | ot-feed replay - > "$dir/replayed"
ot-feed replay "$OT_DATA/okx.raw" | cmp - "$dir/replayed" && echo "stored frames replay like the capture"
