#!/bin/sh
# Replay a real Binance spot capture and print the first top-of-book changes.
ot-feed replay "$OT_DATA/binance-spot.raw" | ot-book --emit bbo | grep '"bbo"' | head -n 3
