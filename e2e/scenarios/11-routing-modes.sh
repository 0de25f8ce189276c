# Scenario 11: the routing modes other than Gateway API (issue 13: "every routing mode runs in
# the e2e scenarios"):
#   - replica ratio (no trafficRouting, the root Service selects both roles' pods; the simulator
#     splits requests by ready pods), 10 replicas and steps 10/50/100 like
#     examples/replica-ratio.yaml: promoted end to end with the canary Deployment at 1, 5 and 10
#     replicas, the realised weights (9, 33, 50%) in status and WeightApproximated Events, and
#     few Deployment writes (the write storm of issue 13: the router and the planner both set
#     the canary's replicas, ~800 writes/s forever), none once settled;
#   - replica ratio with an error-rate breach: rolled back at the 10% step, canary at 0;
#   - Istio: a VirtualService's http route "primary" goes 0/1/10/50/100 and reads 100/0 after
#     the promotion.
# shellcheck shell=bash

sc_canary_replicas() {  # NS NAME -> spec.replicas of the canary Deployment
  sc_get "$1" "$2-canary" '{.spec.replicas}' deploy
}

sc_canary_at() { [[ "$(sc_canary_replicas "$1" "$2")" == "$3" ]]; }  # NS NAME REPLICAS

# Waits for step STEP (0-based) and checks the canary Deployment's replicas there.
sc_expect_step_replicas() {  # NS NAME STEP REPLICAS
  sc_wait_step "$1/$2" "$3" 90
  sc_expect_eq "canary Deployment replicas at step $(($3 + 1))" "$(sc_canary_replicas "$1" "$2")" "$4"
}

scenario_replica_ratio() {
  local ns=e2e-replica-ratio name=model key=e2e-replica-ratio/model
  sc_deploy "$ns" "$name" routing=replicas replicas=10 steps="10:10s 50:10s 100"
  local old_stable canary writes_before
  old_stable="$(sc_field "$key" stable)"
  writes_before="$(sc_controller_writes "$ns" deployments)"
  canary="$(sc_start_version "$ns" "$name" version=2.4.0)" || exit 1

  sc_expect_step_replicas "$ns" "$name" 0 1
  sc_expect_step_replicas "$ns" "$name" 1 5
  # Mid-hold the message says what the ratio realises: 5 canary pods beside 10 stable ones.
  local message
  message="$(sc_status_message "$key")"
  echo "status.message at step 2: $message"
  sc_expect_match "status.message at step 2" "$message" "canary weight 50% \(realised 33% by replica ratio\)"
  sc_expect_step_replicas "$ns" "$name" 2 10
  sc_wait_final "$key" Healthy 150

  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  [[ "$canary" != "$old_stable" ]] || sc_fail "canary revision equals the old stable revision"
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" "0"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.4.0"
  sc_expect_eventually "canary Deployment replicas" 0 sc_canary_replicas "$ns" "$name"
  sc_wait_for 30 "$ns/$name-stable ready" sc_deploy_ready "$ns" "$name-stable" 10

  # The canary's share as status saw it (weights of the mr lines, repeats removed).
  local weights
  weights="$(grep -F "$key|" "$MR_LOCAL/watch/mr.log" | awk -F'|' '
    $6 != "" && $6 != last { out = out sep $6; sep = " "; last = $6 } END { print out }')"
  echo "status.canaryWeight went through: $weights"
  sc_expect_match "status.canaryWeight sequence" "$weights" "(^| )9 .*33 .*50( |$)"

  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>Promoting AllStepsPassed: "
  sc_expect_match "history" "$history" "^Promoting>Healthy Promoted: "
  sc_expect_no_match "history" "$history" "RolledBack|Degraded"
  sc_expect_event "$ns" "$name" "^Normal WeightApproximated: step 1/3: weight 10% is realised as 9% by replica ratio \(1 canary pod\(s\) beside 10 stable\)"
  sc_expect_event "$ns" "$name" "^Normal WeightApproximated: step 2/3: weight 50% is realised as 33% "
  sc_expect_event "$ns" "$name" "^Normal WeightApproximated: step 3/3: weight 100% is realised as 50% "
  events="$(sc_events "$ns" "$name")"
  echo "$events"
  sc_expect_no_warning "Events" "$events"

  # Few Deployment writes for the whole rollout, and none once it settled.
  local writes settled
  writes=$(($(sc_controller_writes "$ns" deployments) - writes_before))
  sc_note "controller Deployment writes during the rollout: $writes"
  sc_expect_gt "Deployment writes seen in the write log" "$writes" 2
  ((writes <= 40)) || sc_fail "the controller wrote Deployments $writes times during one rollout (want <= 40)"
  echo "ok: Deployment writes during the rollout = $writes <= 40"
  settled="$(sc_controller_writes "$ns" deployments)"
  sleep 5
  sc_expect_eq "Deployment writes in 5 s after settling" \
    "$(($(sc_controller_writes "$ns" deployments) - settled))" 0
  echo "$writes Deployment writes" >"$SC_RESULT_DIR/$SC_NAME.note"
}

scenario_replica_ratio_breach() {
  local ns=e2e-replica-breach name=model key=e2e-replica-breach/model
  # Step 1 holds 60 s so that the breach has time to show (see scenario 2).
  sc_deploy "$ns" "$name" routing=replicas replicas=10 steps="10:60s 50:5s 100"
  local old_stable canary
  old_stable="$(sc_field "$key" stable)"
  canary="$(sc_start_version "$ns" "$name" version=2.4.0-errors err=0.1)" || exit 1
  sc_wait_final "$key" RolledBack 120

  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "status.rolledBackRevision" "$(sc_get "$ns" "$name" '{.status.rolledBackRevision}')" "$canary"
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" "0"
  sc_wait_for 30 "$ns/$name-canary scaled to 0" sc_canary_at "$ns" "$name" 0
  echo "ok: canary Deployment replicas = 0"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.3.0"
  sc_expect_eq "lastAnalysis.verdict" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.verdict}')" Fail
  sc_expect_eq "lastAnalysis.step" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.step}')" 0
  sc_expect_eq "errorRate verdict" \
    "$(sc_get "$ns" "$name" '{.status.lastAnalysis.metrics[?(@.name=="errorRate")].verdict}')" Fail
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>RolledBack AnalysisFailed: .* at step 1/3 .*errorRate="
  sc_expect_event "$ns" "$name" "^Normal WeightApproximated: step 1/3: weight 10% is realised as 9% "
  sc_expect_event "$ns" "$name" "^Warning AnalysisFailed: .*errorRate="
  events="$(sc_events "$ns" "$name")"
  echo "$events"
}

scenario_istio_promotion() {
  local ns=e2e-istio name=model key=e2e-istio/model
  sc_deploy "$ns" "$name" routing=istio
  local canary
  canary="$(sc_start_version "$ns" "$name" version=2.4.0)" || exit 1
  sc_wait_final "$key" Healthy 150

  sc_expect_weights "VirtualService weights (canary %, in order)" "$ns/$name" "0 1 10 50 100 0" vs
  sc_expect_eq "VirtualService weights at the end (stable/canary)" \
    "$(sc_get "$ns" "$name" '{.spec.http[0].route[0].weight}/{.spec.http[0].route[1].weight}' virtualservice)" \
    "100/0"
  sc_expect_eq "VirtualService destinations" \
    "$(sc_get "$ns" "$name" '{.spec.http[0].route[0].destination.host} {.spec.http[0].route[1].destination.host}' virtualservice)" \
    "$name-stable $name-canary"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.4.0"
  sc_expect_eventually "canary Deployment replicas" 0 sc_canary_replicas "$ns" "$name"
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_eq "history StepAdvanced entries" "$(sc_count "$history" ' StepAdvanced: ')" 3
  sc_expect_match "history" "$history" "^Promoting>Healthy Promoted: "
  sc_expect_no_match "history" "$history" "RolledBack|Degraded"
  events="$(sc_events "$ns" "$name")"
  echo "$events"
  sc_expect_no_warning "Events" "$events" "WeightApproximated"
}
