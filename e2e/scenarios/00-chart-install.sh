# Install from the rendered chart: charts/modelrollout rendered by tools/helm-render/render.sh
# (leader election on) is applied to the test API server, RBAC included (ServiceAccount,
# ClusterRole, ClusterRoleBinding, Role, RoleBinding); kinds it does not serve are skipped and
# listed. The controller is started with exactly the args of the chart's Deployment (bind
# addresses moved to free loopback ports, the Prometheus allow-list to the local Prometheus,
# plus --kubeconfig, since it runs outside a pod) and as the chart's ServiceAccount: a
# TokenRequest token, so the chart's RBAC is all it may do (scenario 99 checks what it used).
# It must become ready, take the Lease, and deploy a ModelRollout. It stays running as this
# cluster's controller for scenario 9.
# shellcheck shell=bash

scenario_chart_install() {
  local ns=modelrollout-system
  "$MR_ROOT/tools/helm-render/render.sh" --namespace "$ns" --set leaderElection.enabled=true \
    >"$SC_WORK/rendered.yaml" || sc_fail "render.sh failed"
  local served
  served="$(kc api-resources --no-headers | awk '{print $NF}' | sort -u)"
  # Split the rendered stream into one file per document, named by kind.
  mr_yaml_split "$SC_WORK/rendered.yaml" "$SC_WORK/docs"
  local f kind applied=() skipped=()
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" | kc apply -f - >/dev/null
  for f in "$SC_WORK"/docs/*.yaml; do
    kind="$(awk '/^kind:/ {print $2; exit}' "$f")"
    [[ -n "$kind" ]] || continue
    if grep -qx "$kind" <<<"$served"; then
      kc apply -f "$f" || sc_fail "kubectl apply of the chart's $kind failed"
      applied+=("$kind")
    else
      skipped+=("$kind")
    fi
  done
  echo "applied: ${applied[*]}"
  echo "skipped (kinds the test API server does not serve): ${skipped[*]}"
  ((${#skipped[@]} == 0)) ||
    echo "skipped, not served by the test API server: ${skipped[*]}" >"$SC_RESULT_DIR/$SC_NAME.note"
  for kind in CustomResourceDefinition Deployment Service "${MR_RBAC_KINDS[@]}"; do
    grep -qx "$kind" <<<"$(printf '%s\n' "${applied[@]}")" || sc_fail "the chart's $kind was not applied"
  done

  # The controller with the chart's args.
  local args=() arg metrics_port health_port bin
  mapfile -t args < <(kc -n "$ns" get deploy modelrollout \
    -o jsonpath='{range .spec.template.spec.containers[0].args[*]}{@}{"\n"}{end}')
  ((${#args[@]} > 0)) || sc_fail "no args in the chart's Deployment"
  echo "chart args: ${args[*]}"
  metrics_port="$(mr_free_port)" health_port="$(mr_free_port)"
  local run=()
  for arg in "${args[@]}"; do
    case "$arg" in
      --metrics-bind-address=*) run+=("--metrics-bind-address=127.0.0.1:$metrics_port") ;;
      --health-probe-bind-address=*) run+=("--health-probe-bind-address=127.0.0.1:$health_port") ;;
      # The in-cluster default address does not exist here; allow the local Prometheus instead.
      --allowed-prometheus-addresses=*) run+=("--allowed-prometheus-addresses=${SC_PROM:-$arg}") ;;
      *) run+=("$arg") ;;
    esac
  done
  bin="$(mr_find_binary controller/modelrollout-controller)" || sc_fail "controller not built"
  echo "$health_port" >"$MR_LOCAL/controller.port"
  # The Pod's ServiceAccount: the Deployment's serviceAccountName, with a TokenRequest token.
  local sa
  sa="$(kc -n "$ns" get deploy modelrollout -o jsonpath='{.spec.template.spec.serviceAccountName}')"
  [[ -n "$sa" ]] || sc_fail "the chart's Deployment names no serviceAccountName"
  mr_sa_kubeconfig "$ns" "$sa" "$MR_LOCAL/controller.kubeconfig" ||
    sc_fail "no token for the chart's ServiceAccount $ns/$sa"
  echo "ok: the controller runs as system:serviceaccount:$ns:$sa"
  POD_NAME=modelrollout-e2e-0 POD_NAMESPACE="$ns" \
    mr_start_bg controller "$bin" --kubeconfig "$MR_LOCAL/controller.kubeconfig" "${run[@]}" ||
    sc_fail "could not start the controller"
  mr_wait_component controller 30 curl -fsS "http://127.0.0.1:$health_port/readyz" ||
    sc_fail "controller with the chart's args not ready"
  echo "ok: /readyz on the chart's health port (moved to $health_port)"
  # Read the whole page first: `curl | grep -q` fails under pipefail when grep stops reading
  # at its first match and curl cannot write the rest (exit 23, seen in CI).
  local metrics_page
  metrics_page="$(curl -fsS "http://127.0.0.1:$metrics_port/metrics")" ||
    sc_fail "no metrics on the chart's metrics port (moved to $metrics_port)"
  grep -q '^# TYPE' <<<"$metrics_page" ||
    sc_fail "no metrics on the chart's metrics port (moved to $metrics_port)"
  echo "ok: /metrics on the chart's metrics port (moved to $metrics_port)"
  # The identity is the controller's own (hostname_<random>); the one it logs must hold the Lease.
  local identity
  sc_wait_for 30 "the controller leading" grep -q 'became leader of modelrollout-system/modelrollout-controller' "$MR_LOCAL/logs/controller.log"
  identity="$(grep -o '"leader election: [^ ]* became leader' "$MR_LOCAL/logs/controller.log" | tail -1 | awk '{print $3}')"
  sc_wait_for 30 "the Lease held by $identity" sc_lease_held "$ns" "$identity"
  echo "ok: Lease $ns/modelrollout-controller held by $identity"

  # It reconciles: a ModelRollout without analysis is deployed and a new version promoted.
  sc_deploy e2e-chart model analysis=0 steps="50:1s 100"
  local canary
  canary="$(sc_start_version e2e-chart model)" || exit 1
  sc_wait_final e2e-chart/model Healthy 60
  sc_expect_eq "stableRevision" "$(sc_get e2e-chart model '{.status.stableRevision}')" "$canary"
}

sc_lease_held() {  # NS IDENTITY
  [[ -n "$2" && "$(sc_get "$1" modelrollout-controller '{.spec.holderIdentity}' lease 2>/dev/null)" == "$2" ]]
}
