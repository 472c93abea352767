#!/usr/bin/env bash
# Builds everything and runs every test (unit, end-to-end, CLI golden, man
# page examples) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure "$@"
