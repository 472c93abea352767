#!/bin/sh
# Every OKX book message carries a CRC32 of the top 25 levels; ot-feed and
# ot-book both verify them.
ot-feed replay --stats "$OT_DATA/okx.raw" 2>&1 >/dev/null | tr ' ' '\n' | grep checksums
ot-feed replay "$OT_DATA/okx.raw" | ot-book --stats 2>&1 >/dev/null | tr ' ' '\n' | grep checksums
