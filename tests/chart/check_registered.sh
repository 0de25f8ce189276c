#!/usr/bin/env bash
# Fails when a Go test function in tests/chart is matched by none of the ctest groups in
# CMakeLists.txt (so a new test cannot silently never run).
set -euo pipefail
dir="$1"
mapfile -t regexes < <(grep -o '"[a-z_]*=^Test[^"]*"' "$dir/CMakeLists.txt" | sed 's/^"[a-z_]*=//; s/"$//')
[ ${#regexes[@]} -gt 0 ] || { echo "no groups parsed from CMakeLists.txt"; exit 1; }
status=0
for fn in $(grep -ho '^func Test[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //'); do
  hit=0
  for re in "${regexes[@]}"; do
    if echo "$fn" | grep -Eq "$re"; then hit=1; break; fi
  done
  if [ $hit -eq 0 ]; then echo "Go test $fn is not in any ctest group"; status=1; fi
done
exit $status
