#!/usr/bin/env bash
# Checks that every C++ source in the repository is formatted by the
# checked-in .clang-format; lists the files that are not and exits 1.
#   bash scripts/check-format.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# clang-format exits non-zero on an unformatted file (xargs then 123): the
# list below says which, so that status is not the script's.
bad=$({ git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror 2>&1 || true; } |
  sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error:.*/\1/p' | sort -u)
if [ -n "$bad" ]; then
  echo "check-format: not formatted (run clang-format -i on them):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "check-format: every C++ source is formatted"
