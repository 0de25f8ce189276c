#!/usr/bin/env bash
# Copies the repository's CRD (crds/, the source of truth) into the chart's files/crds/, which
# templates/crds.yaml renders (gated by crds.install). Run after every CRD change; ctest
# chart.crd (and the rollout CRD test) fail while the two differ.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/crds/modelrollout.io_modelrollouts.yaml"
dst="$repo/charts/modelrollout/files/crds"
[ -f "$src" ] || { echo "sync-crds: $src does not exist yet" >&2; exit 1; }
mkdir -p "$dst"
cp "$src" "$dst/"
echo "copied $src into charts/modelrollout/files/crds/"
