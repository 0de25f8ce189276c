#!/usr/bin/env bash
# Scale benchmark of modelrollout-controller (issue 8): the real controller, mr-test-apiserver,
# mr-simulator and Prometheus as separate processes; bench/mrbench.py creates the load, watches
# and measures. Prints a Markdown table; JSON in .local/bench/ (latest-<label>.json).
#
#   bench/run.sh            full run: idle 1,000 and 10,000, churn 1,000 (100 aborts),
#                           analysis 500, failcheck 1,000 (100 failing checks): ~10 minutes
#                           before failcheck was added (not yet timed with it)
#   bench/run.sh --smoke    CI smoke: idle 200, churn 100 (10 aborts); no Prometheus, so no
#                           analysis and no failcheck (about 1 minute)
#   bench/run.sh [--smoke] -- <extra mrbench.py flags>   e.g. -- --levels 1000,5000
#
# Binaries come from $MR_BIN_DIR (default build/). Exit status 1 when the harness breaks (a
# process dies, a phase times out), 2 on missing binaries; missed targets do not fail it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${MR_BIN_DIR:-$ROOT/build}"
OUT="${MR_BENCH_OUT:-$ROOT/.local/bench}"
smoke=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for b in controller/modelrollout-controller e2e/apiserver/mr-test-apiserver e2e/simulator/mr-simulator; do
  [ -x "$BIN/$b" ] || { echo "run.sh: $BIN/$b not built (make build, or set MR_BIN_DIR)" >&2; exit 2; }
done
command -v kubectl >/dev/null || { echo "run.sh: kubectl not found" >&2; exit 2; }
mkdir -p "$OUT"
if [ "$smoke" = 1 ]; then
  args=(--label smoke --levels 200 --churn 100 --aborts 10 --rest-seconds 10 --rest-probes 10
        --settle-timeout 120 --phases idle)
else
  args=(--label full)
fi
# The simulator's own cost per tick at 500 rollouts (it shares the cores with the controller).
if [ -x "$BIN/bench/mr-bench-simulator" ]; then
  "$BIN/bench/mr-bench-simulator" 500 5 | tee "$OUT/simulator-$( [ "$smoke" = 1 ] && echo smoke || echo full).txt"
fi
exec python3 "$ROOT/bench/mrbench.py" --bin-dir "$BIN" --out "$OUT" "${args[@]}" "${extra[@]}"
