# Scenario 7: `kubectl annotate ... modelrollout.io/abort=true` rolls back now, and
# `modelrollout.io/promote=full` promotes without waiting for the remaining steps; the
# controller removes each annotation once acted on.
# shellcheck shell=bash

scenario_abort() {
  local ns=e2e-abort name=model key=e2e-abort/model
  sc_deploy "$ns" "$name" steps="1:5m 10:5m 100"
  local old_stable canary
  old_stable="$(sc_field "$key" stable)"
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_step "$key" 0 60
  kc -n "$ns" annotate mr "$name" modelrollout.io/abort=true || sc_fail "kubectl annotate failed"
  sc_wait_final "$key" RolledBack 30

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "status.rolledBackRevision" "$(sc_get "$ns" "$name" '{.status.rolledBackRevision}')" "$canary"
  sc_expect_eventually "canary Deployment replicas" 0 sc_get "$ns" "$name-canary" '{.spec.replicas}' deploy
  sc_wait_for 10 "abort annotation removed" sc_no_annotation "$ns" "$name" abort
  sc_expect_match "history" "$(sc_history "$ns" "$name")" "^Progressing>RolledBack Aborted: "
  sc_expect_event "$ns" "$name" "^Warning Aborted: " "Events"
}

scenario_promote_full() {
  local ns=e2e-promote name=model key=e2e-promote/model
  sc_deploy "$ns" "$name" steps="1:5m 10:5m 100"
  local canary
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_step "$key" 0 60
  local t0=$SECONDS
  kc -n "$ns" annotate mr "$name" modelrollout.io/promote=full || sc_fail "kubectl annotate failed"
  sc_wait_final "$key" Healthy 60
  sc_note "promoted $((SECONDS - t0))s after the annotation (the step's hold was 5m)"

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.4.0"
  sc_wait_for 10 "promote annotation removed" sc_no_annotation "$ns" "$name" promote
  local history
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>Promoting PromotedFull: "
  sc_expect_match "history" "$history" "^Promoting>Healthy Promoted: "
  sc_expect_no_match "history" "$history" "StepAdvanced"
  sc_expect_event "$ns" "$name" "^Normal PromotedFull: " "Events"
}

sc_no_annotation() {  # NS NAME KEY (without the modelrollout.io/ prefix)
  [[ -z "$(sc_get "$1" "$2" "{.metadata.annotations.modelrollout\\.io/$3}")" ]]
}
