#!/usr/bin/env bash
# Stops everything e2e/cluster/up.sh started: every process named by .local/pids/*.pid, newest
# first (so clients stop before the API server), SIGTERM then SIGKILL after 5 s.
#   e2e/cluster/down.sh          (or: make cluster-down)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${MR_LOCAL:-$ROOT/.local}"
PIDS="$LOCAL/pids"

log() { echo "cluster-down: $*" >&2; }

# stop_pidfile <file>: stops the process (and its process group, started with setsid).
stop_pidfile() {
  local file="$1" name pid i
  name="$(basename "$file" .pid)"
  pid="$(cat "$file" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$file"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  log "stopped $name (pid $pid)"
}

[[ -d "$PIDS" ]] || { log "nothing to stop"; exit 0; }
mapfile -t files < <(ls -t "$PIDS"/*.pid 2>/dev/null)
for f in "${files[@]}"; do stop_pidfile "$f"; done
rm -f "$LOCAL/apiserver.port"
log "done"
