#!/usr/bin/env bash
# Builds everything and runs every test: the fuzz harnesses for a bounded
# time each (scripts/fuzz.sh; OT_FUZZ_SECONDS per harness, default 25,
# OT_FUZZ_SECONDS=0 skips it), then CTest (unit, end-to-end, CLI golden,
# man page examples, the fuzz harnesses over their saved inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
fuzz=0
if [ "${OT_FUZZ_SECONDS:-25}" != 0 ]; then
  bash scripts/fuzz.sh "${OT_FUZZ_SECONDS:-25}" || fuzz=$?
fi
ctest --test-dir build --output-on-failure "$@"
exit "$fuzz"
