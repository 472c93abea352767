#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) over the sources of lib/ and tools/
# changed since BASE (default: the commit before HEAD), with build/'s
# compile_commands.json (scripts/build.sh writes it). Exits 1 on a finding.
#   bash scripts/tidy.sh [BASE]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
git rev-parse -q --verify "$base^{commit}" >/dev/null || base=$(git rev-list --max-parents=0 HEAD)
# libtorch's headers do not parse with clang-tidy-14 over GCC 12's library:
# the sources that include them (lib/train/torch_*.cpp) are left out.
mapfile -t files < <(git diff --name-only --diff-filter=AM "$base" -- 'lib/*.cpp' 'tools/*.cpp' \
                       ':(exclude)lib/train/torch_*.cpp')
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy: no changed sources in lib/ or tools/ since $base"
  exit 0
fi
echo "tidy: ${#files[@]} sources changed since $base"
out=$(printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy-14 -p build --quiet 2>/dev/null || true)
if grep -q 'warning:\|error:' <<<"$out"; then
  grep -A3 'warning:\|error:' <<<"$out"
  echo "tidy: findings above" >&2
  exit 1
fi
echo "tidy: clean"
