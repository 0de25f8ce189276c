#!/usr/bin/env bash
# Prints the absolute path of a Helm v3 binary built from Go modules, building it on first use.
#
#   scripts/ensure-helm.sh            -> prints /abs/path/.local/bin/helm, exit 0
#
# Contract (tests, the chart tests and e2e rely on it):
#   exit 0  stdout is exactly one line, the absolute path of .local/bin/helm (nothing else on
#           stdout; build progress goes to stderr).
#   exit 2  the binary cannot be built here because Go modules cannot be fetched (no `go`, or
#           the Go module proxy is unreachable and the module cache lacks what tools/helm/go.sum
#           names). One line on stderr says so; callers fall back (offline renderer) and say so.
#   exit 1  anything else (a compile error, a full disk): a real failure.
#
# tools/helm/go.mod pins helm.sh/helm/v3 (a `tool` directive); the binary is rebuilt only when
# the sha256 of tools/helm/go.mod + go.sum changes (stamp in .local/bin/.helm.stamp). Concurrent
# callers (ctest -j) wait on a lock instead of building twice. The build runs under nice -n 10,
# with GOTOOLCHAIN=local (never downloads a Go toolchain) and the user's Go caches
# (GOMODCACHE, GOCACHE), so later builds are cheap. MR_HELM_BIN_DIR overrides .local/bin.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod_dir="$repo/tools/helm"
bin_dir="${MR_HELM_BIN_DIR:-$repo/.local/bin}"
bin="$bin_dir/helm"
stamp="$bin_dir/.helm.stamp"

unavailable() {
  echo "ensure-helm: helm cannot be built here: $1" >&2
  exit 2
}

command -v go >/dev/null 2>&1 || unavailable "go is not installed (apt-get install golang-go)"
command -v sha256sum >/dev/null 2>&1 || { echo "ensure-helm: sha256sum missing" >&2; exit 1; }
want="$(cat "$mod_dir/go.mod" "$mod_dir/go.sum" | sha256sum | cut -d' ' -f1)"

fresh() { [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if fresh; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin_dir"
exec 9>"$bin_dir/.helm.lock"
flock 9
if fresh; then  # another caller built it while we waited
  echo "$bin"
  exit 0
fi

# Module mode whatever the caller's environment (the chart tests run Go in GOPATH mode over
# Debian's /usr/share/gocode, which must not become the module cache).
goenv=(env -u GOFLAGS)
if [ "${GO111MODULE:-}" = off ]; then goenv+=(-u GOPATH -u GOCACHE); fi
goenv+=(GO111MODULE=on GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly)
cd "$mod_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! timeout 600 "${goenv[@]}" go mod download >"$log" 2>&1; then
  unavailable "Go modules cannot be fetched ($(grep -m1 -v '^go: downloading' "$log" || echo "go mod download failed"))"
fi
helm_ver="$("${goenv[@]}" go list -m -f '{{.Version}}' helm.sh/helm/v3)"
k8s_ver="$("${goenv[@]}" go list -m -f '{{.Version}}' k8s.io/client-go)"  # v0.MINOR.PATCH
k8s_minor="$(echo "$k8s_ver" | cut -d. -f2)"
# The same -X flags as Helm's Makefile: without them `helm version` says v3-unreleased and
# .Capabilities.KubeVersion (and lint's deprecation checks) default to Kubernetes 1.20.
ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$helm_ver"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
echo "ensure-helm: building helm $helm_ver into $bin (a few minutes on 2 cores, once)" >&2
start=$SECONDS
if ! CGO_ENABLED=0 nice -n 10 "${goenv[@]}" go build -trimpath -ldflags "$ldflags" \
       -o "$bin.tmp.$$" helm.sh/helm/v3/cmd/helm >"$log" 2>&1; then
  rm -f "$bin.tmp.$$"
  if grep -qE 'dial tcp|no such host|proxyconnect|connection refused|i/o timeout|missing go.sum entry' "$log"; then
    unavailable "Go modules cannot be fetched ($(head -1 "$log"))"
  fi
  echo "ensure-helm: go build of helm $helm_ver failed:" >&2
  cat "$log" >&2
  exit 1
fi
mv -f "$bin.tmp.$$" "$bin"
echo "$want" >"$stamp"
echo "ensure-helm: built helm $helm_ver in $((SECONDS - start))s" >&2
echo "$bin"
