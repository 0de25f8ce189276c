#!/usr/bin/env bash
# Stops the Prometheus started by e2e/prometheus/start.sh (by its recorded pid only).
# Keeps .local/prometheus.port so the next start reuses the address; --purge removes the
# data dir and the port file too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${MR_LOCAL_DIR:-$ROOT/.local}"
pidfile="$LOCAL/prometheus.pid"
if [ -s "$pidfile" ]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
fi
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$LOCAL/prometheus" "$LOCAL/prometheus.port"
fi
