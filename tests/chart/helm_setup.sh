#!/usr/bin/env bash
# ctest fixture chart.helm: builds (first use) or finds the pinned helm with
# scripts/ensure-helm.sh and writes its path to $2 for the Go chart tests (MR_HELM_PATH_FILE).
# When Go modules cannot be fetched (ensure-helm.sh exit 2) it writes "unavailable: <why>",
# says so once here and exits 2, which ctest reports as Skipped; the chart tests then render
# with the offline Go renderer only and skip helm lint, helm template and the agreement test.
# MR_SKIP_HELM=1 skips the build the same way (e.g. inside an image build, where the chart is
# not what is being shipped).
set -uo pipefail
repo="$1"
out="$2"
rm -f "$out"
if [ "${MR_SKIP_HELM:-}" = 1 ]; then
  echo "unavailable: MR_SKIP_HELM=1" >"$out"
  echo "helm skipped (MR_SKIP_HELM=1): chart tests use the offline renderer (tools/helm-render) only"
  exit 2
fi
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
path="$("$repo/scripts/ensure-helm.sh" 2>"$err")"
rc=$?
cat "$err" >&2
case $rc in
  0)
    echo "$path" >"$out"
    echo "helm for the chart tests: $path ($("$path" version --short))"
    ;;
  2)
    echo "unavailable: $(tail -1 "$err")" >"$out"
    echo "helm unavailable: chart tests use the offline renderer (tools/helm-render) only;" \
         "helm lint, helm template and the helm agreement tests are skipped"
    ;;
esac
exit $rc
