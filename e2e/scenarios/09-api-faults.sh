# Scenario 9: the API server answers 10% of all requests with 500 and drops every watch after
# 20 s, for every client (controller, simulator, kubectl); three rollouts still reach the right
# final state: a healthy version promoted, an error-rate breach rolled back, an abort honoured.
# Runs on its own cluster, whose controller was started from the chart's args.
# shellcheck shell=bash

scenario_api_faults() {
  local ns=e2e-faults
  mr_running controller || mr_start_controller >/dev/null 2>&1 || sc_fail "no controller"
  sc_deploy "$ns" healthy
  sc_deploy "$ns" breach
  sc_deploy "$ns" aborted steps="1:5m 100"
  sc_faults '{"errors": [{"verb": "*", "rate": 0.1, "code": 500}], "dropWatchesAfterSeconds": 20}' ||
    sc_fail "could not configure faults"
  sc_note "faults on: $(sc_faults_get)"
  local c_healthy c_breach c_aborted
  c_healthy="$(sc_start_version "$ns" healthy)" || exit 1
  c_breach="$(sc_start_version "$ns" breach version=2.4.0-errors err=0.1)" || exit 1
  c_aborted="$(sc_start_version "$ns" aborted)" || exit 1
  sc_wait_step "$ns/aborted" 0 90
  sc_retry kc -n "$ns" annotate --overwrite mr aborted modelrollout.io/abort=true ||
    sc_fail "kubectl annotate failed 10 times"
  sc_wait_final "$ns/breach" RolledBack 150
  sc_wait_final "$ns/aborted" RolledBack 60
  sc_wait_final "$ns/healthy" Healthy 180
  sc_note "all final; faults off"
  sc_faults_clear || sc_fail "could not clear faults"
  local injected
  injected="$(grep -c 'injected fault' "$MR_LOCAL/logs/controller.log")"
  sc_expect_gt "controller requests that got an injected 500" "$injected" 0

  sc_expect_eq "healthy: stableRevision" "$(sc_get "$ns" healthy '{.status.stableRevision}')" "$c_healthy"
  sc_expect_eq "healthy: route weights" \
    "$(sc_get "$ns" healthy '{.spec.rules[0].backendRefs[0].weight}/{.spec.rules[0].backendRefs[1].weight}' httproute)" "100/0"
  sc_expect_match "healthy: route weights seen in order" "$(sc_weights "$ns/healthy")" '^0( 1)?( 10)?( 50)?( 100)? 0$'
  sc_expect_event "$ns" healthy "^Normal Promoted: " "healthy: Events"
  sc_expect_eq "breach: rolledBackRevision" "$(sc_get "$ns" breach '{.status.rolledBackRevision}')" "$c_breach"
  sc_expect_match "breach: reason" "$(sc_history "$ns" breach)" "^Progressing>RolledBack AnalysisFailed: .*errorRate=[0-9.e+-]+ \([^)]*\) Fail"
  sc_expect_eq "breach: route weights" \
    "$(sc_get "$ns" breach '{.spec.rules[0].backendRefs[0].weight}/{.spec.rules[0].backendRefs[1].weight}' httproute)" "100/0"
  sc_expect_event "$ns" breach "^Warning AnalysisFailed: .*errorRate=" "breach: Events"
  sc_expect_eq "aborted: rolledBackRevision" "$(sc_get "$ns" aborted '{.status.rolledBackRevision}')" "$c_aborted"
  sc_expect_match "aborted: reason" "$(sc_history "$ns" aborted)" "^Progressing>RolledBack Aborted: "
  sc_expect_eventually "aborted: canary replicas" 0 sc_get "$ns" aborted-canary '{.spec.replicas}' deploy
  sc_expect_eq "controller restarts" "$(grep -c '^=== .* starting:' "$MR_LOCAL/logs/controller.log")" 1
}

# sc_faults JSON: POST /admin/faults on this cluster's API server (same TLS and token as kubectl).
sc_faults() {
  curl -fsS --cacert "$MR_LOCAL/certs/ca.crt" -H "Authorization: Bearer ${MR_APISERVER_TOKEN-mr-e2e-token}" \
    -H 'Content-Type: application/json' -X POST --data "$1" \
    "https://127.0.0.1:$(cat "$MR_LOCAL/apiserver.port")/admin/faults" >/dev/null
}
sc_faults_get() {
  curl -fsS --cacert "$MR_LOCAL/certs/ca.crt" -H "Authorization: Bearer ${MR_APISERVER_TOKEN-mr-e2e-token}" \
    "https://127.0.0.1:$(cat "$MR_LOCAL/apiserver.port")/admin/faults"
}
sc_faults_clear() {
  curl -fsS --cacert "$MR_LOCAL/certs/ca.crt" -H "Authorization: Bearer ${MR_APISERVER_TOKEN-mr-e2e-token}" \
    -X DELETE "https://127.0.0.1:$(cat "$MR_LOCAL/apiserver.port")/admin/faults" >/dev/null
}
