# The local cluster's components, one start function each; sourced by e2e/cluster/up.sh,
# e2e/cluster/down.sh, e2e/demo.sh and e2e/run.sh (which restarts single components).
# Two API servers (MR_API, resolved once per cluster by mr_resolve_api into $MR_LOCAL/api):
#   test  mr-test-apiserver (e2e/apiserver), fault injection, the simulator plays the
#         Deployment controller too;
#   kube  a real Kubernetes v1.32 control plane (tools/cluster: embedded etcd, kube-apiserver with
#         RBAC and its admission chain, kube-controller-manager) built from the Go module proxy
#         by tools/cluster/build.sh; the simulator plays only kubelet and data plane
#         (--kubelet-only), the chart is installed with helm and the controller runs with its
#         ServiceAccount's token. Default: kube when it can be built, else test (said once).
# Every component runs detached (its own session, so a Ctrl-C in the terminal reaches only the
# scripts, whose traps then stop it), writes its pid to $MR_LOCAL/pids/<name>.pid and appends its
# output to $MR_LOCAL/logs/<name>.log. Ports go to $MR_LOCAL/<name>.port.
#   apiserver   mr-test-apiserver, TLS + token (kube: mr-controlplane, admin client
#               certificate); writes $MR_LOCAL/kubeconfig
#   (crds)      e2e/crds/*.yaml and crds/*.yaml applied with kubectl
#   simulator   mr-simulator (kubelet + data plane + model metrics)
#   prometheus  /usr/bin/prometheus via e2e/prometheus/start.sh, scraping the simulator every
#               second
#   controller  modelrollout-controller on a fixed loopback port (kept across restarts so
#               Prometheus keeps scraping it), as the chart's ServiceAccount with the chart's
#               RBAC only ($MR_LOCAL/controller.kubeconfig, e2e/lib/rbac.sh)
# Environment (all optional):
#   MR_APISERVER_TLS=1|0, MR_APISERVER_TOKEN (default mr-e2e-token; empty = none),
#   MR_APISERVER_FLAGS (extra flags), MR_SIM_RATE (requests/s per ModelRollout, default 1000),
#   MR_SIM_READY_DELAY (default 1s), MR_SIM_FLAGS, MR_CONTROLLER_FLAGS,
#   MR_CONTROLLER_LOG_LEVEL (default info), MR_WITH_CONTROLLER=1|0 (default 1),
#   MR_API=kube|test (default: kube when tools/cluster/build.sh can build it, else test).
# shellcheck shell=bash
# shellcheck source=e2e/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=e2e/lib/rbac.sh
source "$(dirname "${BASH_SOURCE[0]}")/rbac.sh"

MR_COMPONENTS=(apiserver simulator prometheus controller)

# mr_start_bg <name> <command...>: runs the command in a new session, pid to pids/<name>.pid.
mr_start_bg() {
  local name="$1"; shift
  mkdir -p "$MR_LOCAL/pids" "$MR_LOCAL/logs"
  if mr_running "$name"; then
    mr_log "$name is already running (pid $(cat "$MR_LOCAL/pids/$name.pid"))"
    return 1
  fi
  echo "=== $(date -u +%FT%TZ) starting: $*" >>"$MR_LOCAL/logs/$name.log"
  setsid "$@" >>"$MR_LOCAL/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$MR_LOCAL/pids/$name.pid"
  mr_log "started $name (pid $!, log ${MR_LOCAL#"$MR_ROOT"/}/logs/$name.log)"
}

# mr_wait_component <name> <timeout> <command...>: like mr_wait, failing early (with the log
# tail) if the component died.
mr_wait_component() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! mr_running "$name"; then
      tail -20 "$MR_LOCAL/logs/$name.log" >&2 || true
      mr_log "$name exited during startup"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      mr_log "$name not ready after ${timeout}s (see $MR_LOCAL/logs/$name.log)"
      return 1
    fi
    sleep 0.2
  done
}

# mr_resolve_api: prints test or kube for this cluster, remembered in $MR_LOCAL/api. MR_API=kube
# fails when the control plane cannot be built; unset, it falls back to test and says why once
# (the reason is kept in $MR_ROOT/.local/bin/.controlplane-unavailable for the next clusters).
mr_resolve_api() {
  local want="${MR_API:-auto}" dir rc=0 note="$MR_ROOT/.local/bin/.controlplane-unavailable"
  case "$want" in
    test) echo test; return 0 ;;
    kube | auto) ;;
    *) mr_log "MR_API must be kube or test (got '$want')"; return 1 ;;
  esac
  dir="$("$MR_ROOT/tools/cluster/build.sh" 2>"$MR_LOCAL/logs/controlplane-build.log")" || rc=$?
  if ((rc == 0)); then
    rm -f "$note"
    echo "$dir" >"$MR_LOCAL/controlplane.bin"
    echo kube
    return 0
  fi
  if [[ "$want" == kube ]]; then
    cat "$MR_LOCAL/logs/controlplane-build.log" >&2
    mr_log "MR_API=kube but the Kubernetes control plane could not be built (exit $rc)"
    return 1
  fi
  mkdir -p "$(dirname "$note")"
  if [[ "$(cat "$note" 2>/dev/null)" != "$(tail -1 "$MR_LOCAL/logs/controlplane-build.log")" ]]; then
    tail -1 "$MR_LOCAL/logs/controlplane-build.log" >"$note"
    mr_log "NOTE: using the test API server instead of kube-apiserver: $(cat "$note")"
  fi
  echo test
}

# mr_api: the API server kind of the cluster in MR_LOCAL (test when never resolved).
mr_api() { cat "$MR_LOCAL/api" 2>/dev/null || echo test; }

mr_start_apiserver() {
  mkdir -p "$MR_LOCAL/logs"
  local api
  api="$(mr_resolve_api)" || return 1
  echo "$api" >"$MR_LOCAL/api"
  if [[ "$api" == kube ]]; then mr_start_kube_apiserver; else mr_start_test_apiserver; fi
}

# mr_start_kube_apiserver: mr-controlplane (etcd, kube-apiserver, kube-controller-manager) as the
# "apiserver" component, then the simulator's Node. The audit log records every write (the
# e2e write log, like the test server's /admin/writes).
mr_start_kube_apiserver() {
  local bin_dir t0=$SECONDS
  bin_dir="$(cat "$MR_LOCAL/controlplane.bin")"
  rm -f "$MR_LOCAL/apiserver.port" "$MR_LOCAL/kubeconfig" "$MR_LOCAL/logs/audit.log"
  rm -rf "$MR_LOCAL/kube-cache" "$MR_LOCAL/kube"
  mkdir -p "$MR_LOCAL/kube"
  mr_start_bg apiserver "$bin_dir/mr-controlplane" --dir "$MR_LOCAL/kube" --bin-dir "$bin_dir" \
    --kubeconfig-out "$MR_LOCAL/kubeconfig" --port-file "$MR_LOCAL/apiserver.port" \
    --audit-log "$MR_LOCAL/logs/audit.log" || return 1
  mr_wait_component apiserver 240 test -s "$MR_LOCAL/apiserver.port" || return 1
  kc apply -f "$MR_ROOT/e2e/cluster/sim-node.yaml" >/dev/null || { mr_log "could not register the simulator's Node"; return 1; }
  mr_wait 60 "ServiceAccount default/default" kc -n default get serviceaccount default || return 1
  mr_log "kube-apiserver ready on port $(cat "$MR_LOCAL/apiserver.port") (etcd, kube-controller-manager; $((SECONDS - t0))s; logs ${MR_LOCAL#"$MR_ROOT"/}/kube/)"
}

mr_start_test_apiserver() {
  local bin tls="${MR_APISERVER_TLS:-1}" token="${MR_APISERVER_TOKEN-mr-e2e-token}"
  bin="$(mr_find_binary e2e/apiserver/mr-test-apiserver)" || { mr_log "mr-test-apiserver not built (make build)"; return 1; }
  rm -f "$MR_LOCAL/apiserver.port" "$MR_LOCAL/kubeconfig"
  rm -rf "$MR_LOCAL/kube-cache"
  local args=(--listen 127.0.0.1:0 --port-file "$MR_LOCAL/apiserver.port" --kubeconfig-out "$MR_LOCAL/kubeconfig")
  [[ "$tls" == 1 ]] && args+=(--tls --cert-dir "$MR_LOCAL/certs")
  [[ -n "$token" ]] && args+=(--token "$token")
  # shellcheck disable=SC2206  # word splitting of extra flags is intended
  [[ -n "${MR_APISERVER_FLAGS:-}" ]] && args+=(${MR_APISERVER_FLAGS})
  mr_start_bg apiserver "$bin" "${args[@]}" || return 1
  mr_wait_component apiserver 20 test -s "$MR_LOCAL/kubeconfig" || return 1
  mr_wait_component apiserver 20 kc get --raw /readyz || return 1
  mr_log "apiserver ready on port $(cat "$MR_LOCAL/apiserver.port")"
}

mr_register_crds() {
  local f
  for f in "$MR_ROOT"/e2e/crds/*.yaml "$MR_ROOT"/crds/*.yaml; do
    [[ -f "$f" ]] || continue
    kc apply -f "$f" >/dev/null || { mr_log "kubectl apply -f $f failed"; return 1; }
  done
  mr_wait 20 "CRDs established" kc wait --for=condition=Established --timeout=1s \
    crd/modelrollouts.modelrollout.io crd/httproutes.gateway.networking.k8s.io || return 1
  mr_log "registered CRDs: ModelRollout, HTTPRoute, VirtualService"
}

mr_start_simulator() {
  local bin
  bin="$(mr_find_binary e2e/simulator/mr-simulator)" || { mr_log "mr-simulator not built (make build)"; return 1; }
  rm -f "$MR_LOCAL/simulator.port"
  # shellcheck disable=SC2206
  local extra=(${MR_SIM_FLAGS:-})
  [[ "$(mr_api)" == kube ]] && extra=(--kubelet-only "${extra[@]}")
  mr_start_bg simulator "$bin" --kubeconfig "$MR_LOCAL/kubeconfig" --rate "${MR_SIM_RATE:-1000}" \
    --ready-delay "${MR_SIM_READY_DELAY:-1s}" --port-file "$MR_LOCAL/simulator.port" \
    --log-format text "${extra[@]}" || return 1
  mr_wait_component simulator 20 test -s "$MR_LOCAL/simulator.port" || return 1
  mr_wait_component simulator 10 curl -fsS "http://127.0.0.1:$(cat "$MR_LOCAL/simulator.port")/metrics" || return 1
  mr_log "simulator ready: metrics on port $(cat "$MR_LOCAL/simulator.port"), ${MR_SIM_RATE:-1000} requests/s per ModelRollout"
}

# The controller's port is chosen once per cluster and reused on restart, so its /metrics stays
# at one address.
mr_controller_port() {
  if [[ ! -s "$MR_LOCAL/controller.port" ]]; then
    mr_free_port >"$MR_LOCAL/controller.port" || return 1
  fi
  cat "$MR_LOCAL/controller.port"
}

# mr_start_prometheus [--fresh]: start.sh keeps the port of .local/prometheus.port, so a restart
# keeps the address the ModelRollouts point at.
mr_start_prometheus() {
  local out
  mkdir -p "$MR_LOCAL/pids" "$MR_LOCAL/logs"
  # Not scraping the controller yet: start.sh substitutes CONTROLLER_METRICS_TARGET inside the
  # template's header comment too, which breaks the YAML (reported to the simulator's owner).
  out="$(MR_LOCAL_DIR="$MR_LOCAL" setsid "$MR_ROOT/e2e/prometheus/start.sh" "$@" 2>&1)" || {
    echo "$out" >&2
    return 1
  }
  cp "$MR_LOCAL/prometheus.pid" "$MR_LOCAL/pids/prometheus.pid"
  mr_log "prometheus ready on port $(cat "$MR_LOCAL/prometheus.port") (scrapes every 1s; log ${MR_LOCAL#"$MR_ROOT"/}/logs/prometheus.log)"
}

mr_stop_prometheus() {
  local pid
  pid="$(cat "$MR_LOCAL/prometheus.pid" 2>/dev/null || true)"
  MR_LOCAL_DIR="$MR_LOCAL" "$MR_ROOT/e2e/prometheus/stop.sh" || true
  rm -f "$MR_LOCAL/pids/prometheus.pid"
  [[ -n "$pid" ]] && mr_log "stopped prometheus (pid $pid)"
  return 0
}

# mr_allowed_prometheus_addresses: the controller's allow-list (docs/security.md), one a line.
# The scenarios' analysis queries the local Prometheus, and scenario 4 a second one that it stops
# and starts (on a port reserved before the controller starts); the chart's default entry
# (analysis.allowedPrometheusAddresses) is there as on a default install, for the examples that
# name it (scenario 12; nothing answers at it here, so their checks end in Error).
mr_allowed_prometheus_addresses() {
  echo "http://127.0.0.1:$(cat "$MR_LOCAL/prometheus.port")"
  echo "http://127.0.0.1:$(cat "$MR_LOCAL/prometheus-outage/prometheus.port")"
  echo "http://prometheus.monitoring:9090"
}

mr_start_controller() {
  local bin port
  bin="$(mr_find_binary controller/modelrollout-controller)" || { mr_log "modelrollout-controller not built (make build)"; return 1; }
  port="$(mr_controller_port)" || return 1
  # shellcheck disable=SC2206
  local extra=(${MR_CONTROLLER_FLAGS:-})
  mkdir -p "$MR_LOCAL/prometheus-outage"
  [[ -s "$MR_LOCAL/prometheus-outage/prometheus.port" ]] ||
    mr_free_port >"$MR_LOCAL/prometheus-outage/prometheus.port" || return 1
  [[ -s "$MR_LOCAL/prometheus.port" ]] &&
    extra=("--allowed-prometheus-addresses=$(mr_allowed_prometheus_addresses | paste -sd,)" "${extra[@]}")
  local kubeconfig
  kubeconfig="$(mr_controller_kubeconfig)"
  if [[ "$(mr_api)" == kube ]]; then
    mr_install_chart || return 1
    kubeconfig="$MR_LOCAL/controller.kubeconfig"
  fi
  mr_start_bg controller "$bin" --kubeconfig "$kubeconfig" --workers 8 \
    --metrics-bind-address "127.0.0.1:$port" --health-probe-bind-address "127.0.0.1:$port" \
    --log-format text --log-level "${MR_CONTROLLER_LOG_LEVEL:-info}" "${extra[@]}" || return 1
  mr_wait_component controller 30 curl -fsS "http://127.0.0.1:$port/readyz" || return 1
  mr_log "controller ready (metrics and probes on port $port)"
}

# mr_install_chart (kube only): installs charts/modelrollout with `helm install` (helm from
# scripts/ensure-helm.sh; when that cannot build one, the offline renderer's output applied with
# kubectl, said once), then writes $MR_LOCAL/controller.kubeconfig with a token of the chart's
# ServiceAccount (TokenRequest, 24 h), so the controller, which runs outside the cluster, has
# exactly the chart's RBAC. The chart's own Deployment gets a simulated pod and does nothing.
mr_install_chart() {
  local ns=modelrollout-system helm sa token f="$MR_LOCAL/controller.kubeconfig"
  if ! kc get namespace "$ns" >/dev/null 2>&1 || ! kc -n "$ns" get deploy modelrollout >/dev/null 2>&1; then
    if [[ -x "$MR_ROOT/scripts/ensure-helm.sh" ]] &&
      helm="$("$MR_ROOT/scripts/ensure-helm.sh" 2>>"$MR_LOCAL/logs/helm.log")"; then
      HELM_CACHE_HOME="$MR_LOCAL/helm/cache" HELM_CONFIG_HOME="$MR_LOCAL/helm/config" \
        HELM_DATA_HOME="$MR_LOCAL/helm/data" "$helm" --kubeconfig "$MR_LOCAL/kubeconfig" \
        install modelrollout "$MR_ROOT/charts/modelrollout" --namespace "$ns" --create-namespace \
        --set crds.install=false \
        >>"$MR_LOCAL/logs/helm.log" 2>&1 || { mr_log "helm install failed (${MR_LOCAL#"$MR_ROOT"/}/logs/helm.log)"; return 1; }
      mr_log "chart installed with helm install ($("$helm" version --short 2>/dev/null))"
    else
      mr_log "NOTE: helm is not available ($(tail -1 "$MR_LOCAL/logs/helm.log" 2>/dev/null)); applying the offline rendering of the chart with kubectl"
      printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" | kc apply -f - >/dev/null
      "$MR_ROOT/tools/helm-render/render.sh" --namespace "$ns" --set crds.install=false | kc apply -f - >>"$MR_LOCAL/logs/helm.log" 2>&1 ||
        { mr_log "applying the rendered chart failed (${MR_LOCAL#"$MR_ROOT"/}/logs/helm.log)"; return 1; }
    fi
  fi
  sa="$(kc -n "$ns" get deploy modelrollout -o jsonpath='{.spec.template.spec.serviceAccountName}')" || return 1
  token="$(kc -n "$ns" create token "$sa" --duration 24h)" || { mr_log "no token for $ns/$sa"; return 1; }
  rm -f "$f"
  kubectl config --kubeconfig "$f" set-cluster local --server "https://127.0.0.1:$(cat "$MR_LOCAL/apiserver.port")" \
    --certificate-authority "$MR_LOCAL/kube/pki/ca.crt" --embed-certs >/dev/null &&
    kubectl config --kubeconfig "$f" set-credentials "$sa" --token "$token" >/dev/null &&
    kubectl config --kubeconfig "$f" set-context local --cluster local --user "$sa" >/dev/null &&
    kubectl config --kubeconfig "$f" use-context local >/dev/null || return 1
  mr_log "controller credentials: ServiceAccount $ns/$sa (the chart's RBAC only)"
}

# mr_kill_controller [signal]: stops the controller by its recorded pid (SIGKILL for the crash
# scenario) and forgets the pid.
mr_kill_controller() {
  local pid
  pid="$(cat "$MR_LOCAL/pids/controller.pid" 2>/dev/null || true)"
  mr_stop_pid controller "$pid" "${1:-TERM}"
  rm -f "$MR_LOCAL/pids/controller.pid"
}

# mr_cluster_status: prints "up", "down" or "partial: <running components>".
mr_cluster_status() {
  local c running=() wanted=(apiserver simulator prometheus)
  [[ "${MR_WITH_CONTROLLER:-1}" == 1 ]] && wanted+=(controller)
  for c in "${MR_COMPONENTS[@]}"; do mr_running "$c" && running+=("$c"); done
  if ((${#running[@]} == 0)); then
    echo down
  elif ((${#running[@]} == ${#wanted[@]})); then
    echo up
  else
    echo "partial: ${running[*]}"
  fi
}

mr_cluster_up() {
  mkdir -p "$MR_LOCAL/pids" "$MR_LOCAL/logs"
  rm -f "$MR_LOCAL/controller.port" "$MR_LOCAL/prometheus.port" "$MR_LOCAL/controller.kubeconfig"
  mr_start_apiserver || return 1
  mr_register_crds || return 1
  mr_start_simulator || return 1
  mr_start_prometheus --fresh || return 1
  if [[ "${MR_WITH_CONTROLLER:-1}" == 1 ]]; then
    # On kube the chart's `helm install` (mr_install_chart, in mr_start_controller) creates the
    # ServiceAccount and RBAC; applying them first would make helm refuse to own them.
    if [[ "$(mr_api)" != kube ]]; then mr_controller_identity || return 1; fi
    mr_start_controller || return 1
  fi
}

# mr_cluster_down: every recorded pid. The API server's clients (controller, simulator,
# Prometheus, watchers) stop in parallel, since each takes a second or two to shut down
# cleanly; the API server last.
mr_cluster_down() {
  local f name pid files waits=()
  [[ -d "$MR_LOCAL/pids" ]] || return 0
  mr_stop_prometheus &
  waits+=($!)
  files=()
  for f in "$MR_LOCAL"/pids/*.pid; do
    [[ "$f" == */apiserver.pid || "$f" == */prometheus.pid ]] || files+=("$f")
  done
  for f in "${files[@]}" "$MR_LOCAL/pids/apiserver.pid"; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == */apiserver.pid ]]; then
      wait "${waits[@]}" 2>/dev/null
      waits=()
    fi
    name="$(basename "$f" .pid)"
    pid="$(cat "$f" 2>/dev/null || true)"
    rm -f "$f"
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
    (mr_stop_pid "$name" "$pid" && mr_log "stopped $name (pid $pid)") &
    waits+=($!)
  done
  wait "${waits[@]}" 2>/dev/null
  rm -f "$MR_LOCAL/apiserver.port" "$MR_LOCAL/simulator.port"
}
