#!/usr/bin/env bash
# Prints the directory holding the local control plane's binaries (kube-apiserver and
# kube-controller-manager of Kubernetes v1.32, mr-controlplane with embedded etcd), building
# them from the Go module proxy on first use.
#
#   tools/cluster/build.sh            -> prints /abs/path/.local/bin/controlplane-<hash>, exit 0
#
# Contract (e2e/lib/cluster.sh relies on it):
#   exit 0  stdout is exactly one line, the absolute directory (build progress goes to stderr).
#   exit 2  the binaries cannot be built here because Go modules cannot be fetched (no `go`, or
#           the module proxy is unreachable and the module cache lacks what go.sum names).
#           One line on stderr says so; callers fall back to the test API server.
#   exit 1  anything else (a compile error, a full disk): a real failure.
#
# The directory is keyed by the sha256 of tools/cluster/go.mod, go.sum, this script and
# cmd/mr-controlplane, so only the first build pays (56 minutes measured on 2 cores shared with
# other builds); Go's own caches in ~/.cache/go-build and ~/go/pkg/mod make a build in a fresh
# clone a relink of 15-60 s. Older controlplane-* directories are removed. Concurrent callers wait on a lock. Builds run under nice -n 10 with GOTOOLCHAIN=local.
# MR_CONTROLPLANE_BIN_DIR overrides .local/bin.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mod_dir="$repo/tools/cluster"
bin_root="${MR_CONTROLPLANE_BIN_DIR:-$repo/.local/bin}"

unavailable() {
  echo "cluster-build: the Kubernetes control plane cannot be built here: $1" >&2
  exit 2
}

command -v go >/dev/null 2>&1 || unavailable "go is not installed"
go_minor="$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[[ -n "$go_minor" && "$go_minor" -ge 23 ]] ||
  unavailable "$(command -v go) is $(go env GOVERSION 2>/dev/null || echo unknown); Kubernetes v1.32 needs Go 1.23 or newer"
key="$(cd "$mod_dir" && cat go.mod go.sum build.sh cmd/mr-controlplane/*.go | sha256sum | cut -c1-16)"
out="$bin_root/controlplane-$key"
fresh() { [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" && -x "$out/mr-controlplane" ]]; }
if fresh; then
  echo "$out"
  exit 0
fi
mkdir -p "$bin_root"
exec 9>"$bin_root/.controlplane.lock"
flock 9
if fresh; then
  echo "$out"
  exit 0
fi

goenv=(env -u GOFLAGS GO111MODULE=on GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly)
cd "$mod_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "cluster-build: fetching the modules of tools/cluster/go.mod (first use only)" >&2
if ! timeout 900 "${goenv[@]}" go mod download >"$log" 2>&1; then
  unavailable "Go modules cannot be fetched ($(grep -m1 -v '^go: downloading' "$log" || echo "go mod download failed"))"
fi
echo "cluster-build: building kube-apiserver, kube-controller-manager and mr-controlplane into $out" >&2
echo "cluster-build: (the first build takes up to an hour on 2 busy cores; later ones reuse it)" >&2
start=$SECONDS
tmp="$out.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
# The version the binaries report (/version, kubectl version, helm's kubeVersion check), as
# Kubernetes' own build sets it.
k8s_ver="$("${goenv[@]}" go list -m -f '{{.Version}}' k8s.io/kubernetes)"  # v1.MINOR.PATCH
minor="$(echo "$k8s_ver" | cut -d. -f2)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_ver -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
if ! nice -n 10 "${goenv[@]}" go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  ./cmd/mr-controlplane >"$log" 2>&1; then
  rm -rf "$tmp"
  if grep -qE 'dial tcp|no such host|proxyconnect|connection refused|i/o timeout|missing go.sum entry|403 Forbidden' "$log"; then
    unavailable "Go modules cannot be fetched ($(head -1 "$log"))"
  fi
  echo "cluster-build: go build failed:" >&2
  cat "$log" >&2
  exit 1
fi
rm -rf "$out"
mv "$tmp" "$out"
# Older builds (another go.mod) are ~300 MB each: keep only this one.
for old in "$bin_root"/controlplane-*; do
  [[ "$old" == "$out" || ! -d "$old" ]] || rm -rf "$old"
done
echo "cluster-build: built in $((SECONDS - start))s" >&2
echo "$out"
