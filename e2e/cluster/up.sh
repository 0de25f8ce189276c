#!/usr/bin/env bash
# Starts the local test cluster in the background and returns when it is ready.
#   e2e/cluster/up.sh            (or: make cluster-up)
# Components, each one function below (start order = the calls at the bottom):
#   apiserver  build*/e2e/apiserver/mr-test-apiserver on an ephemeral port; writes
#              .local/kubeconfig, .local/apiserver.port, .local/certs/ (TLS), then registers
#              the CRDs from e2e/crds/ and crds/ (when present).
# Every component writes its pid to .local/pids/<name>.pid and logs to .local/logs/<name>.log,
# so e2e/cluster/down.sh can stop it. To add a component: write start_<name> using start_bg and
# a readiness wait, and call it at the bottom.
# Environment: BUILD (build dir, default build), MR_LOCAL (state dir, default .local),
#   MR_APISERVER_TLS (1|0, default 1), MR_APISERVER_TOKEN (default mr-e2e-token; empty = none),
#   MR_APISERVER_FLAGS (extra flags, e.g. "--bookmark-interval 1s --fault-latency 5ms").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${MR_LOCAL:-$ROOT/.local}"
BUILD_DIR="${BUILD:-build}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
PIDS="$LOCAL/pids"
LOGS="$LOCAL/logs"
KUBECONFIG_FILE="$LOCAL/kubeconfig"
mkdir -p "$PIDS" "$LOGS"

log() { echo "cluster-up: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# find_binary <relative path under a build dir>: $BUILD first, then any build*/ directory.
find_binary() {
  local rel="$1" candidate
  if [[ -x "$BUILD_DIR/$rel" ]]; then echo "$BUILD_DIR/$rel"; return 0; fi
  for candidate in "$ROOT"/build*/"$rel"; do
    if [[ -x "$candidate" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# running <name>: true when .local/pids/<name>.pid names a live process.
running() {
  local pidfile="$PIDS/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_bg <name> <command...>: runs the command detached, pid to .local/pids/<name>.pid,
# stdout+stderr to .local/logs/<name>.log.
start_bg() {
  local name="$1"; shift
  if running "$name"; then die "$name is already running (pid $(cat "$PIDS/$name.pid")); run e2e/cluster/down.sh first"; fi
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  log "started $name (pid $!, log $LOGS/$name.log)"
}

# wait_until <name> <timeout seconds> <command...>: polls the command until it succeeds,
# failing early if the component died.
wait_until() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name"; then tail -20 "$LOGS/$name.log" >&2 || true; die "$name exited during startup"; fi
    if (( SECONDS >= deadline )); then die "$name not ready after ${timeout}s (see $LOGS/$name.log)"; fi
    sleep 0.2
  done
}

kubectl_local() { kubectl --kubeconfig "$KUBECONFIG_FILE" --cache-dir "$LOCAL/kube-cache" "$@"; }

start_apiserver() {
  local bin tls="${MR_APISERVER_TLS:-1}" token="${MR_APISERVER_TOKEN-mr-e2e-token}"
  bin="$(find_binary e2e/apiserver/mr-test-apiserver)" || die "mr-test-apiserver not built (make build)"
  rm -f "$LOCAL/apiserver.port" "$KUBECONFIG_FILE"
  rm -rf "$LOCAL/kube-cache"
  local args=(--listen 127.0.0.1:0 --port-file "$LOCAL/apiserver.port" --kubeconfig-out "$KUBECONFIG_FILE")
  [[ "$tls" == 1 ]] && args+=(--tls --cert-dir "$LOCAL/certs")
  [[ -n "$token" ]] && args+=(--token "$token")
  # shellcheck disable=SC2206  # word splitting of extra flags is intended
  [[ -n "${MR_APISERVER_FLAGS:-}" ]] && args+=(${MR_APISERVER_FLAGS})
  start_bg apiserver "$bin" "${args[@]}"
  wait_until apiserver 20 test -s "$LOCAL/apiserver.port"
  wait_until apiserver 20 kubectl_local get --raw /readyz
  log "apiserver ready on port $(cat "$LOCAL/apiserver.port"); KUBECONFIG=$KUBECONFIG_FILE"
}

register_crds() {
  local f
  for f in "$ROOT"/e2e/crds/*.yaml "$ROOT"/crds/*.yaml; do
    [[ -f "$f" ]] || continue
    kubectl_local apply -f "$f" >/dev/null || die "kubectl apply -f $f failed"
    log "registered $(basename "$f")"
  done
}

start_apiserver
register_crds
log "cluster is up. export KUBECONFIG=$KUBECONFIG_FILE"
