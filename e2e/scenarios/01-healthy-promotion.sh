# Scenario 1: a healthy new version is promoted through 1/10/50/100 and becomes stable.
# shellcheck shell=bash

scenario_healthy_promotion() {
  local ns=e2e-healthy name=model key=e2e-healthy/model
  sc_deploy "$ns" "$name"
  local old_stable
  old_stable="$(sc_field "$key" stable)"
  local canary
  canary="$(sc_start_version "$ns" "$name" version=2.4.0)" || exit 1
  sc_wait_final "$key" Healthy 150

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 10 50 100 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  sc_expect_eq "status.canaryRevision" "$(sc_get "$ns" "$name" '{.status.canaryRevision}')" ""
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" "0"
  sc_expect_eq "condition Available" \
    "$(sc_get "$ns" "$name" '{.status.conditions[?(@.type=="Available")].status}')" "True"
  [[ "$canary" != "$old_stable" ]] || sc_fail "canary revision equals the old stable revision"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.4.0"
  sc_expect_eventually "canary Deployment replicas" 0 sc_get "$ns" "$name-canary" '{.spec.replicas}' deploy

  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Healthy>Progressing CanaryStarted: new revision $canary"
  sc_expect_eq "history StepAdvanced entries" "$(sc_count "$history" ' StepAdvanced: ')" 3
  sc_expect_match "history" "$history" "advancing to step 2/4 \(weight 10%\)"
  sc_expect_match "history" "$history" "advancing to step 3/4 \(weight 50%\)"
  sc_expect_match "history" "$history" "advancing to step 4/4 \(weight 100%\)"
  sc_expect_match "history" "$history" "^Progressing>Promoting AllStepsPassed: "
  sc_expect_match "history" "$history" "^Promoting>Healthy Promoted: "
  sc_expect_no_match "history" "$history" "RolledBack|Degraded"
  sc_expect_event "$ns" "$name" "^Normal CanaryStarted: "
  sc_expect_event "$ns" "$name" "^Normal StepStarted: "
  sc_expect_event "$ns" "$name" "^Normal StepAdvanced: "
  sc_expect_event "$ns" "$name" "^Normal AllStepsPassed: "
  sc_expect_event "$ns" "$name" "^Normal Promoted: "
  events="$(sc_events "$ns" "$name")"
  echo "$events"
  sc_expect_no_warning "Events" "$events"
}
