# Scenario 99, run by e2e/run.sh after every other scenario has finished: the permissions the
# controller used during the whole run (both clusters; the test API server counts every
# authorization per identity, GET /admin/authorizations) against those the chart grants its
# ServiceAccount (the rules of every Role/ClusterRole bound to it; the chart's user-facing
# aggregated view/edit/admin ClusterRoles are bound to nobody and so not compared).
#   nothing missing: no request of the controller was denied (no 403);
#   nothing unused:  every granted (rule, verb, apiGroup, resource) allowed at least one request,
#                    or is in LP_ALLOW_UNUSED below with the reason e2e does not (always) take
#                    its path; an allow-list entry the chart no longer grants fails the check.
# The second check needs the whole suite (E2E_ALL_SELECTED=1); with a subset it only reports.
# shellcheck shell=bash

# "verb apiGroup resource  reason" ("core" for the empty group). Keep each reason true.
LP_ALLOW_UNUSED=(
  "get core services  ActionApplier::ensure re-reads a Service only when its create found it already there (the informer cache was behind); Deployments take the same path but are also read on every revision change"
  "get gateway.networking.k8s.io httproutes  traffic/object_update.cpp re-reads a route only after a 409 Conflict on update; e2e injects no conflicts on routes"
  "get networking.istio.io virtualservices  as for httproutes: the re-read after a 409 Conflict"
  "patch core events  event_recorder.cpp patches count/lastTimestamp only when an identical Event (same object, reason and message) repeats, which e2e does only in some runs"
)

scenario_least_privilege() {
  local ns="${MR_CHART_NAMESPACE:-modelrollout-system}" sa="${MR_CHART_SA:-modelrollout}"
  local user="system:serviceaccount:$ns:$sa" dir used="$SC_WORK/used.json" clusters=()
  for dir in ${E2E_CLUSTERS:-$MR_LOCAL}; do
    [[ -s "$dir/apiserver.port" ]] || continue
    MR_LOCAL="$dir" kc get --raw "/admin/authorizations?user=$user" >"$SC_WORK/authz-$(basename "$dir").json" ||
      sc_fail "could not read /admin/authorizations from $dir"
    clusters+=("$dir")
  done
  ((${#clusters[@]} > 0)) || sc_fail "no cluster is up"
  jq -s --arg u "$user" '[.[] | .users[$u].requests // [] | .[]]' "$SC_WORK"/authz-*.json >"$used"
  echo "clusters: ${clusters[*]}; $(jq length "$used") distinct requests of $user"
  # The chart's grants, as stored in the (first) cluster.
  MR_LOCAL="${clusters[0]}" kc get clusterrolebindings,rolebindings -A -o json >"$SC_WORK/bindings.json" ||
    sc_fail "could not list bindings"
  MR_LOCAL="${clusters[0]}" kc get clusterroles,roles -A -o json >"$SC_WORK/roles.json" ||
    sc_fail "could not list roles"
  jq -n --arg ns "$ns" --arg sa "$sa" --slurpfile b "$SC_WORK/bindings.json" \
    --slurpfile r "$SC_WORK/roles.json" '
    ($r[0].items | map({key: (if .kind == "ClusterRole" then "ClusterRole/\(.metadata.name)"
                              else "Role/\(.metadata.namespace)/\(.metadata.name)" end),
                        value: .}) | from_entries) as $roles
    | [$b[0].items[]
       | . as $bd
       | select((.subjects // []) | any(.kind == "ServiceAccount" and .name == $sa and
                                        ((.namespace // $bd.metadata.namespace // "") == $ns)))
       | {binding: (if .kind == "ClusterRoleBinding" then "ClusterRoleBinding/\(.metadata.name)"
                    else "RoleBinding/\(.metadata.namespace)/\(.metadata.name)" end),
          role: (if .roleRef.kind == "ClusterRole" then "ClusterRole/\(.roleRef.name)"
                 else "Role/\(.metadata.namespace)/\(.roleRef.name)" end)}
       | . as $g
       | ($roles[$g.role].rules // []) | to_entries[]
       | .key as $i | .value as $rule
       | $rule.verbs[] as $v | ($rule.apiGroups // [""])[] as $grp | ($rule.resources // [])[] as $res
       | {binding: $g.binding, role: $g.role, rule: $i, verb: $v, apiGroup: $grp, resource: $res,
          resourceNames: ($rule.resourceNames // [])}]' >"$SC_WORK/granted.json" ||
    sc_fail "jq failed on the chart's grants"
  echo "granted to $user:"
  jq -r '.[] | "  \(.role) rule \(.rule): \(.verb) \(if .apiGroup == "" then "core" else .apiGroup end) \(.resource)\(if (.resourceNames|length) > 0 then " names=\(.resourceNames|join(","))" else "" end)  (\(.binding))"' "$SC_WORK/granted.json"
  (($(jq length "$SC_WORK/granted.json") > 0)) || sc_fail "the chart grants $user nothing"

  # Nothing missing.
  local denied
  denied="$(jq -r '.[] | select(.denied > 0) | "\(.verb) \(if .apiGroup == "" then "core" else .apiGroup // "" end) \(.resource // .nonResourceURL)\(if (.subresource // "") != "" then "/" + .subresource else "" end) in \"\(.namespace // "")\" (denied \(.denied)x)"' "$used")"
  if [[ -n "$denied" ]]; then
    echo "DENIED (the chart grants too little):"
    echo "$denied"
    sc_fail "the controller was denied: $(tr '\n' ';' <<<"$denied")"
  fi
  echo "ok: no request of $user was denied"

  # Nothing unused.
  local unused allowed_unused=() line key reason left=()
  unused="$(jq -r --slurpfile used "$used" '
    def sub_of: if (.subresource // "") == "" then .resource else "\(.resource)/\(.subresource)" end;
    .[] | . as $g
    | select([$used[0][] | select(any(.grantedBy[]; .binding == $g.binding and .role == $g.role and .rule == $g.rule))
              | select($g.verb == "*" or .verb == $g.verb)
              | select($g.apiGroup == "*" or .apiGroup == $g.apiGroup)
              | select($g.resource == "*" or $g.resource == sub_of or
                       ($g.resource | startswith("*/")) and (.subresource == ($g.resource | ltrimstr("*/"))))]
             | length == 0)
    | "\(.verb) \(if .apiGroup == "" then "core" else .apiGroup end) \(.resource)"' \
    "$SC_WORK/granted.json" | sort -u)"
  for line in "${LP_ALLOW_UNUSED[@]}"; do allowed_unused+=("$(awk '{print $1, $2, $3}' <<<"$line")"); done
  while IFS= read -r key; do
    [[ -n "$key" ]] || continue
    if printf '%s\n' "${allowed_unused[@]}" | grep -qxF -- "$key"; then
      reason="$(printf '%s\n' "${LP_ALLOW_UNUSED[@]}" | grep -F -- "$key" | head -1 | cut -d' ' -f4- | sed 's/^ *//')"
      echo "unused but allowed: $key  ($reason)"
    else
      left+=("$key")
    fi
  done <<<"$unused"
  # Allow-list entries no longer granted are stale; used ones are fine (some paths are taken
  # only in some runs, e.g. a repeated identical Event).
  local stale=() granted_keys
  granted_keys="$(jq -r '.[] | "\(.verb) \(if .apiGroup == "" then "core" else .apiGroup end) \(.resource)"' "$SC_WORK/granted.json" | sort -u)"
  for key in "${allowed_unused[@]}"; do
    if ! grep -qxF -- "$key" <<<"$granted_keys"; then
      stale+=("$key")
    elif ! grep -qxF -- "$key" <<<"$unused"; then
      echo "allow-listed, and used in this run: $key"
    fi
  done
  if ((${#left[@]} > 0)); then
    echo "UNUSED (granted, never needed in this run):"
    printf '  %s\n' "${left[@]}"
  fi
  ((${#stale[@]} == 0)) || { echo "STALE allow-list entries:"; printf '  %s\n' "${stale[@]}"; }
  if [[ "${E2E_ALL_SELECTED:-0}" != 1 ]]; then
    echo "not the whole suite: unused permissions are reported, not checked"
    echo "partial run: ${#left[@]} granted permissions unused" >"$SC_RESULT_DIR/$SC_NAME.note"
    return 0
  fi
  ((${#left[@]} == 0)) || sc_fail "granted but unused: $(printf '%s; ' "${left[@]}")"
  ((${#stale[@]} == 0)) || sc_fail "stale allow-list entries: $(printf '%s; ' "${stale[@]}")"
  echo "ok: every granted permission was used (or is allow-listed with a reason)"
  echo "$(jq length "$SC_WORK/granted.json") grants checked, ${#allowed_unused[@]} allow-listed" >"$SC_RESULT_DIR/$SC_NAME.note"
}
