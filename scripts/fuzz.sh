#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang, ASan and UBSan in
# ./build-fuzz and runs each for a bounded time from its seeds, printing
# execs/s and coverage per harness. An input that makes a harness fail is
# saved under tests/fuzz/corpus/<harness>/ (the normal tests run it from
# then on) and the script exits 1.
# Runs start from the seeds alone with libFuzzer's seed OT_FUZZ_SEED
# (default 1), so a run is repeatable on a given build.
#   bash scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(frames events capture config gateway sim store)
cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${harnesses[@]/#/fuzz_}"
failed=0
printf '| harness | seconds | execs | execs/s | coverage (edges) | features | result |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | --- |\n'
for h in "${harnesses[@]}"; do
  work="build-fuzz/corpus/$h"
  rm -rf "$work"
  mkdir -p "$work" "build-fuzz/crashes/$h"
  log="build-fuzz/$h.log"
  status=0
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz_$h" "$work" "tests/fuzz/corpus/$h" -dict=tests/fuzz/venues.dict \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -seed="${OT_FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$h/" \
    >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  rate=$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (build-fuzz/$h.log)"
    failed=1
    for f in build-fuzz/crashes/"$h"/*; do
      [ -e "$f" ] && cp "$f" "tests/fuzz/corpus/$h/$(basename "$f")"
    done
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$h" "$seconds" "${execs:-0}" "$rate" \
    "${cov:-?}" "${ft:-?}" "$result"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: failing inputs saved under tests/fuzz/corpus/<harness>/ (crash-*)" >&2
fi
exit "$failed"
