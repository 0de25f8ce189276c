#!/usr/bin/env bash
# Starts Debian's /usr/bin/prometheus for the local cluster, on loopback, scraping the
# simulator every second.
#
#   e2e/prometheus/start.sh [--target HOST:PORT] [--port N] [--fresh]
#
# Target: --target, else 127.0.0.1:$(cat .local/simulator.port) (waits up to 20 s for the file).
# Port: --port, else the port in .local/prometheus.port when it exists (so a restart keeps the
# address the ModelRollouts point at), else a random free loopback port.
# --fresh deletes the data dir first. Optional env CONTROLLER_METRICS_TARGET=HOST:PORT adds a
# scrape job for the controller.
# Writes: .local/prometheus/prometheus.yml, data in .local/prometheus/data,
#         .local/prometheus.port, .local/prometheus.pid, log .local/logs/prometheus.log.
# Prints "prometheus listening on http://127.0.0.1:PORT" once /-/ready answers.
# Stop it with e2e/prometheus/stop.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${MR_LOCAL_DIR:-$ROOT/.local}"
PROM_BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
target="" port="" fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "start.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ -x "$PROM_BIN" ] || { echo "start.sh: $PROM_BIN not found (apt-get install prometheus)" >&2; exit 1; }
mkdir -p "$LOCAL/prometheus/data" "$LOCAL/logs"

if [ -f "$LOCAL/prometheus.pid" ] && kill -0 "$(cat "$LOCAL/prometheus.pid")" 2>/dev/null; then
  echo "start.sh: prometheus already running (pid $(cat "$LOCAL/prometheus.pid"))" >&2
  exit 1
fi

if [ -z "$target" ]; then
  for _ in $(seq 200); do
    [ -s "$LOCAL/simulator.port" ] && break
    sleep 0.1
  done
  [ -s "$LOCAL/simulator.port" ] || { echo "start.sh: no $LOCAL/simulator.port; pass --target" >&2; exit 1; }
  target="127.0.0.1:$(cat "$LOCAL/simulator.port")"
fi

extra=""
if [ -n "${CONTROLLER_METRICS_TARGET:-}" ]; then
  extra="  - job_name: modelrollout-controller
    static_configs:
      - targets: ['${CONTROLLER_METRICS_TARGET}']"
fi
config="$LOCAL/prometheus/prometheus.yml"
awk -v t="$target" -v e="$extra" '{gsub(/@SIMULATOR_TARGET@/, t); gsub(/@EXTRA_SCRAPE_CONFIGS@/, e); print}' \
  "$ROOT/e2e/prometheus/prometheus.yml.tmpl" > "$config"
if command -v promtool >/dev/null; then
  promtool check config "$config" >/dev/null || { echo "start.sh: invalid $config" >&2; exit 1; }
fi
[ "$fresh" = 1 ] && rm -rf "$LOCAL/prometheus/data" && mkdir -p "$LOCAL/prometheus/data"

port_free() { ! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
candidates=()
[ -n "$port" ] && candidates+=("$port")
[ -z "$port" ] && [ -s "$LOCAL/prometheus.port" ] && candidates+=("$(cat "$LOCAL/prometheus.port")")
if [ -z "$port" ]; then
  for _ in 1 2 3 4 5; do candidates+=("$((20000 + RANDOM % 40000))"); done
fi

log="$LOCAL/logs/prometheus.log"
for p in "${candidates[@]}"; do
  port_free "$p" || continue
  "$PROM_BIN" --config.file="$config" --storage.tsdb.path="$LOCAL/prometheus/data" \
    --web.listen-address="127.0.0.1:$p" --web.enable-lifecycle \
    --storage.tsdb.retention.time=1d --log.level=warn >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if curl -fsS "http://127.0.0.1:$p/-/ready" >/dev/null 2>&1; then
      echo "$p" > "$LOCAL/prometheus.port"
      echo "$pid" > "$LOCAL/prometheus.pid"
      echo "prometheus listening on http://127.0.0.1:$p"
      exit 0
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
echo "start.sh: prometheus did not become ready; see $log" >&2
exit 1
