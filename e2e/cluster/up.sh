#!/usr/bin/env bash
# Starts the local test cluster in the background and returns when every part is ready:
#   e2e/cluster/up.sh            (or: make cluster-up)
# Parts (e2e/lib/cluster.sh): test API server (TLS + token) with the ModelRollout, HTTPRoute and
# VirtualService CRDs, the simulator (kubelet + data plane + model metrics), a real Prometheus
# scraping the simulator every second, and the controller. All on loopback,
# ephemeral ports in .local/<part>.port, pids in .local/pids/, logs in .local/logs/.
# Then: kubectl --kubeconfig .local/kubeconfig get mr -A
# When the cluster is already up it says so and does nothing; a half-up cluster is stopped and
# started again. Environment: see e2e/lib/common.sh and e2e/lib/cluster.sh (MR_LOCAL,
# MR_BIN_DIR, MR_SIM_RATE, MR_WITH_CONTROLLER, ...).
set -euo pipefail
MR_LOG_PREFIX=cluster-up
# shellcheck source=e2e/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

command -v kubectl >/dev/null || mr_die "kubectl is not on PATH"
state="$(mr_cluster_status)"
case "$state" in
  up)
    mr_log "cluster is already up (apiserver port $(cat "$MR_LOCAL/apiserver.port"), prometheus port $(cat "$MR_LOCAL/prometheus.port")); nothing to do"
    exit 0 ;;
  partial:*)
    mr_log "cluster is half up (${state#partial: } running); restarting it"
    mr_cluster_down ;;
esac
if ! mr_cluster_up; then
  mr_log "startup failed; stopping what was started"
  mr_cluster_down
  exit 1
fi
rel="${MR_LOCAL#"$MR_ROOT"/}"
mr_log "cluster is up. Try: kubectl --kubeconfig $rel/kubeconfig get mr -A"
mr_log "Prometheus: http://127.0.0.1:$(cat "$MR_LOCAL/prometheus.port")  (use it as spec.analysis.prometheus.address)"
