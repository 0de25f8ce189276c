#!/usr/bin/env bash
# The builder stage of the Dockerfile, as one script so it cannot drift from what we test:
# configure (Release), build, run the unit tests, install the controller binary and the shared
# libraries it needs beyond glibc (OUT_DIR/lib; the runtime stage is distroless cc).
#
#   scripts/docker-build-steps.sh SRC_DIR BUILD_DIR OUT_DIR
#
# MR_DOCKER_STEPS_DRY_RUN=1 prints the commands instead of running them (tests/chart checks
# the plan; the Dockerfile check verifies the image runs exactly this script).
set -euo pipefail
src="${1:?source dir}"
build="${2:?build dir}"
out="${3:?output dir}"
jobs="${MR_JOBS:-$(nproc)}"

run() {
  if [ "${MR_DOCKER_STEPS_DRY_RUN:-0}" = 1 ]; then
    printf '%s\n' "$*"
  else
    "$@"
  fi
}

run cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
run cmake --build "$build" -j "$jobs"
# Unit tests only: integration tests spawn servers the build sandbox may not allow.
run ctest --test-dir "$build" -L unit --output-on-failure -j "$jobs" --timeout 300
run install -D -m 0755 "$build/controller/modelrollout-controller" "$out/modelrollout-controller"
run "$src/scripts/collect-runtime-libs.sh" "$out/modelrollout-controller" "$out/lib"
