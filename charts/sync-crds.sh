#!/usr/bin/env bash
# Copies the repository's CRD (crds/, the source of truth) into the chart. Run after every CRD
# change; ctest chart.crd fails while the two differ.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/crds/modelrollout.io_modelrollouts.yaml"
[ -f "$src" ] || { echo "sync-crds: $src does not exist yet" >&2; exit 1; }
mkdir -p "$repo/charts/modelrollout/crds"
cp "$src" "$repo/charts/modelrollout/crds/"
echo "copied $src into charts/modelrollout/crds/"
