#!/usr/bin/env bash
# Renders charts/modelrollout to multi-document YAML on stdout, CRD included (crds.install).
# Uses the real `helm template` when one is at hand: $HELM_BIN, else .local/bin/helm (built by
# scripts/ensure-helm.sh), else helm on PATH; otherwise the Go renderer in this folder (built
# offline from Debian's golang-go + sprig into .local/helm-render/, rebuilt when stale), which
# the chart tests keep in agreement with helm.
#
#   tools/helm-render/render.sh [--release NAME] [--namespace NS] [--chart DIR]
#                               [--set k=v]... [--set-string k=v]... [-f values.yaml]...
#
# HELM_RENDER=go forces the Go renderer; HELM_RENDER=helm forces helm, building it with
# scripts/ensure-helm.sh when none is at hand (the agreement test uses both).
# HELM_RENDER_BIN_DIR overrides where the Go renderer is built.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

release=modelrollout
namespace=default
chart="$repo/charts/modelrollout"
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --release) release="$2"; shift 2 ;;
    --release=*) release="${1#*=}"; shift ;;
    --namespace|-n) namespace="$2"; shift 2 ;;
    --namespace=*) namespace="${1#*=}"; shift ;;
    --chart) chart="$2"; shift 2 ;;
    --chart=*) chart="${1#*=}"; shift ;;
    --set|--set-string|-f|--values) passthrough+=("$1" "$2"); shift 2 ;;
    --set=*|--set-string=*|--values=*) passthrough+=("$1"); shift ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "render.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

mode="${HELM_RENDER:-auto}"
helm_bin="${HELM_BIN:-}"
if [ -z "$helm_bin" ]; then
  if [ -x "$repo/.local/bin/helm" ]; then
    helm_bin="$repo/.local/bin/helm"
  elif command -v helm >/dev/null 2>&1; then
    helm_bin="$(command -v helm)"
  fi
fi
if [ "$mode" = auto ]; then
  if [ -n "$helm_bin" ]; then mode=helm; else mode=go; fi
fi

if [ "$mode" = helm ]; then
  if [ -z "$helm_bin" ]; then
    helm_bin="$("$repo/scripts/ensure-helm.sh")" || exit $?
  fi
  exec "$helm_bin" template "$release" "$chart" --namespace "$namespace" --include-crds \
    ${passthrough[@]+"${passthrough[@]}"}
fi

bin_dir="${HELM_RENDER_BIN_DIR:-$repo/.local/helm-render}"
bin="$bin_dir/helm-render"
if [ ! -x "$bin" ] || [ -n "$(find "$here" -name '*.go' -newer "$bin" -print -quit)" ]; then
  mkdir -p "$bin_dir"
  # Offline: GOPATH mode over Debian's /usr/share/gocode (sprig, semver, yaml.v2).
  if ! (cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
          GOCACHE="$bin_dir/go-cache" go build -o "$bin.tmp.$$" .); then
    echo "render.sh: building the Go renderer failed (needs golang-go and sprig)" >&2
    exit 1
  fi
  mv -f "$bin.tmp.$$" "$bin"
fi
exec "$bin" --chart "$chart" --release "$release" --namespace "$namespace" --include-crds \
  ${passthrough[@]+"${passthrough[@]}"}
