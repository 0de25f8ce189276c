#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets (clang-14, ASan+UBSan, -DMR_FUZZ=ON) in build-fuzz and
# runs each for FUZZ_SECONDS seconds (default 60), one after another on one core, starting from
# the seeds in fuzz/corpus/<target>/. Inputs libFuzzer finds go to build-fuzz/fuzz-corpus/ (not
# the repository); a crash, leak or hang leaves its input in build-fuzz/fuzz-artifacts/<target>/
# and fails the run. Prints executions per target. FUZZ_TARGETS="a b" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${BUILD_FUZZ:-build-fuzz}
targets=${FUZZ_TARGETS:-"watch_stream modelrollout_spec prometheus_response promql_template kubeconfig http_response"}

CC=${FUZZ_CC:-clang-14} CXX=${FUZZ_CXX:-clang++-14} \
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMR_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzzers -j "${JOBS:-$(nproc)}"

failed=()
summary=()
for t in $targets; do
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t/"
  log="$build/fuzz-$t.log"
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz_$t: ${seconds}s"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    summary+=("fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; see $log")
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
  else
    summary+=("fuzz_$t: ${execs} executions in ${seconds}s, no crash, leak or hang")
  fi
done
printf '%s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ] || { echo "fuzzing failed: ${failed[*]}" >&2; exit 1; }
