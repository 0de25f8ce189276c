# The controller's identity in the local clusters: the chart's ServiceAccount and RBAC only
# (issue 15, "least privilege, proven"). Sourced by e2e/lib/cluster.sh.
#   mr_chart_rbac_apply NS      renders the chart (as scenario 00 does: leader election on) and
#                               applies its Namespace-scoped ServiceAccount and every RBAC object
#                               (ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding)
#   mr_sa_kubeconfig NS SA OUT  a kubeconfig like $MR_LOCAL/kubeconfig whose user is a
#                               TokenRequest token of NS/SA (valid 24 h)
#   mr_controller_identity      both, for the cluster's own controller: writes
#                               $MR_LOCAL/controller.kubeconfig, which mr_start_controller uses
# The test API server authorizes the token with the chart's Roles and bindings like
# kube-apiserver; e2e/scenarios/99-least-privilege.sh compares what the controller used with
# what the chart grants.
# shellcheck shell=bash

MR_CHART_NAMESPACE="${MR_CHART_NAMESPACE:-modelrollout-system}"
MR_CHART_SA="${MR_CHART_SA:-modelrollout}"
MR_RBAC_KINDS=(ServiceAccount ClusterRole ClusterRoleBinding Role RoleBinding)

# mr_chart_render NS OUT: the chart as scenario 00 installs it.
mr_chart_render() {
  "$MR_ROOT/tools/helm-render/render.sh" --namespace "$1" --set leaderElection.enabled=true >"$2"
}

# mr_yaml_split FILE DIR: one file per document (000.yaml, 001.yaml, ...).
mr_yaml_split() {
  rm -rf "$2" && mkdir -p "$2"
  awk -v dir="$2" '/^---/ { n++; next } { f = dir "/" sprintf("%03d", n) ".yaml"; print > f }' "$1"
}

# mr_yaml_kind FILE: the kind of a single-document file ("" if none).
mr_yaml_kind() { awk '/^kind:/ {print $2; exit}' "$1"; }

mr_chart_rbac_apply() {
  local ns="$1" dir="$MR_LOCAL/chart-rbac" f kind
  mkdir -p "$dir"
  mr_chart_render "$ns" "$dir/rendered.yaml" || { mr_log "render.sh failed"; return 1; }
  mr_yaml_split "$dir/rendered.yaml" "$dir/docs"
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$ns" | kc apply -f - >/dev/null || return 1
  for f in "$dir"/docs/*.yaml; do
    kind="$(mr_yaml_kind "$f")"
    [[ " ${MR_RBAC_KINDS[*]} " == *" $kind "* ]] || continue
    kc apply -f "$f" >/dev/null || { mr_log "kubectl apply of the chart's $kind failed"; return 1; }
  done
}

mr_sa_kubeconfig() {
  local ns="$1" sa="$2" out="$3" body token
  body='{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":86400}}'
  token="$(kc create --raw "/api/v1/namespaces/$ns/serviceaccounts/$sa/token" -f - <<<"$body" |
    jq -r '.status.token // empty')" || true
  [[ -n "$token" ]] || { mr_log "no TokenRequest token for $ns/$sa"; return 1; }
  cp "$MR_LOCAL/kubeconfig" "$out.tmp"
  kubectl --kubeconfig "$out.tmp" config set-credentials \
    "$(kubectl --kubeconfig "$out.tmp" config view --minify -o jsonpath='{.contexts[0].context.user}')" \
    --token="$token" >/dev/null || return 1
  mv "$out.tmp" "$out"
}

mr_controller_identity() {
  mr_chart_rbac_apply "$MR_CHART_NAMESPACE" || return 1
  mr_sa_kubeconfig "$MR_CHART_NAMESPACE" "$MR_CHART_SA" "$MR_LOCAL/controller.kubeconfig" || return 1
  mr_log "controller identity: system:serviceaccount:$MR_CHART_NAMESPACE:$MR_CHART_SA (the chart's RBAC only)"
}

# The kubeconfig the controller runs with: the ServiceAccount's when there is one.
mr_controller_kubeconfig() {
  if [[ -s "$MR_LOCAL/controller.kubeconfig" ]]; then
    echo "$MR_LOCAL/controller.kubeconfig"
  else
    echo "$MR_LOCAL/kubeconfig"
  fi
}
