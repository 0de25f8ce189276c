#!/usr/bin/env bash
# The newcomer's demo: a model rollout on a local cluster, live in the terminal.
#   e2e/demo.sh [healthy|drift|error-rate|latency|mae]      (or: make demo SCENARIO=drift)
# Brings up its own cluster in .local/demo (e2e/cluster/up.sh with MR_LOCAL=.local/demo),
# applies the CRD and examples/demo/, waits until version 2.3.0 is Healthy, then rolls out
# examples/demo/versions/<SCENARIO>.yaml and shows the rollout with
# `kubectl modelrollout status --watch` until it is Healthy (healthy) or RolledBack (the others),
# then the Events. Ends in about two minutes. Ctrl-C or the end stops everything it started.
# Exit code: 0 when the rollout ended as the scenario expects, 1 otherwise.
# Environment: MR_BIN_DIR (default build), MR_DEMO_KEEP=1 leaves the cluster up at the end.
set -euo pipefail
MR_LOG_PREFIX=demo
export MR_LOCAL="${MR_DEMO_LOCAL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.local/demo}"
# shellcheck source=e2e/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

scenario="${1:-${SCENARIO:-healthy}}"
case "$scenario" in
  healthy) expected=Healthy ;;
  drift | error-rate | latency | mae) expected=RolledBack ;;
  *) echo "usage: $0 [healthy|drift|error-rate|latency|mae]" >&2; exit 2 ;;
esac
version_patch="$MR_ROOT/examples/demo/versions/$scenario.yaml"
ns=demo name=fraud-scorer
command -v kubectl >/dev/null || mr_die "kubectl is not on PATH (see docs/e2e.md)"
mr_find_binary plugin/kubectl-modelrollout >/dev/null || mr_die "kubectl-modelrollout not built; run: make build"

watch_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  [[ -n "$watch_pid" ]] && kill "$watch_pid" 2>/dev/null
  if [[ "${MR_DEMO_KEEP:-0}" == 1 ]]; then
    echo
    mr_log "cluster left running (MR_LOCAL=${MR_LOCAL#"$MR_ROOT"/}); stop it with: MR_LOCAL=${MR_LOCAL#"$MR_ROOT"/} make cluster-down"
  else
    echo
    mr_log "stopping the local cluster"
    mr_cluster_down 2>/dev/null
    mr_log "stopped; nothing is left running"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Starting a local cluster: test API server, simulator, Prometheus, controller"
mr_cluster_down 2>/dev/null  # a previous demo killed hard may have left pids behind
MR_LOG_PREFIX=cluster mr_cluster_up || mr_die "the cluster did not start; logs in ${MR_LOCAL#"$MR_ROOT"/}/logs/"
prom_port="$(cat "$MR_LOCAL/prometheus.port")"

say "Applying the ModelRollout CRD and examples/demo/ (fraud-scorer 2.3.0, HTTPRoute, 1/10/50/100 steps)"
kc apply -f "$MR_ROOT/crds/modelrollout.io_modelrollouts.yaml" | sed 's/^/    /'
kc apply -f "$MR_ROOT/examples/demo/00-namespace.yaml" -f "$MR_ROOT/examples/demo/httproute.yaml" | sed 's/^/    /'
sed "s#http://127.0.0.1:9090#http://127.0.0.1:$prom_port#" "$MR_ROOT/examples/demo/modelrollout.yaml" |
  kc apply -f - | sed 's/^/    /'

say "Waiting for fraud-scorer 2.3.0 to be deployed (first apply: straight to stable)"
if ! mr_plugin -n "$ns" status "$name" --watch --timeout 60s >/dev/null; then
  mr_plugin -n "$ns" status "$name" || true
  mr_die "fraud-scorer did not become Healthy"
fi
# shellcheck disable=SC2317  # called through mr_wait
stable_ready() { [[ "$(kc -n "$ns" get deploy "$name-stable" -o jsonpath='{.status.readyReplicas}')" == 4 ]]; }
mr_wait 30 "stable pods ready" stable_ready || mr_die "the stable Deployment did not become ready"
kc -n "$ns" get mr "$name" | sed 's/^/    /'

say "Rolling out $(sed -n '1s/^# //p' "$version_patch")"
echo "    kubectl -n demo patch mr fraud-scorer --type merge --patch-file examples/demo/versions/$scenario.yaml"
kc -n "$ns" patch mr "$name" --type merge --patch-file "$version_patch" | sed 's/^/    /'
sleep 1
echo "    (live view: kubectl modelrollout -n demo status fraud-scorer --watch; Ctrl-C stops the demo)"
sleep 1

# The plugin redraws in place on a terminal, or prints each change when piped.
set +e
"$(mr_find_binary plugin/kubectl-modelrollout)" --kubeconfig "$MR_LOCAL/kubeconfig" \
  -n "$ns" status "$name" --watch --timeout 4m &
watch_pid=$!  # the plugin itself, so the trap can stop it
wait "$watch_pid"
rc=$?
watch_pid=""
set -e

phase="$(kc -n "$ns" get mr "$name" -o jsonpath='{.status.phase}')"
say "The rollout ended: $phase"
kc -n "$ns" get mr "$name" | sed 's/^/    /'
echo "    Route weights: $(kc -n "$ns" get httproute "$name" -o jsonpath='{range .spec.rules[0].backendRefs[*]}{.name}={.weight} {end}')"
echo "    Events:"
kc -n "$ns" get events --field-selector "involvedObject.name=$name" \
  -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message 2>/dev/null | sed 's/^/      /'
if [[ "$phase" == "$expected" ]]; then
  if [[ "$expected" == Healthy ]]; then
    say "Done: the new version passed every step and is now the stable version."
  else
    say "Done: the canary breached its threshold and was rolled back automatically; 2.3.0 keeps all traffic."
  fi
  exit 0
fi
mr_log "expected $expected, got $phase (plugin exit code $rc); logs in ${MR_LOCAL#"$MR_ROOT"/}/logs/"
exit 1
