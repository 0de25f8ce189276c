#!/usr/bin/env bash
# Stops everything e2e/cluster/up.sh started (by the pids in .local/pids/ only, newest first so
# clients stop before the API server; SIGTERM, then SIGKILL after 5 s). Fine when nothing runs.
#   e2e/cluster/down.sh          (or: make cluster-down)
set -uo pipefail
MR_LOG_PREFIX=cluster-down
# shellcheck source=e2e/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

if [[ "$(mr_cluster_status)" == down ]]; then
  rm -f "$MR_LOCAL"/pids/*.pid 2>/dev/null
  mr_log "cluster is not running; nothing to stop"
  exit 0
fi
mr_cluster_down
mr_log "done"
