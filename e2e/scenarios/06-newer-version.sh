# Scenario 6: a newer version applied mid-rollout restarts the canary at step 1; the old canary
# is replaced (same Deployment, new template) and the newest version is the one promoted.
# shellcheck shell=bash

scenario_newer_version() {
  local ns=e2e-newer name=model key=e2e-newer/model
  sc_deploy "$ns" "$name" steps="1:2s 10:30s 50:2s 100"
  local first second
  first="$(sc_start_version "$ns" "$name" version=2.4.0)" || exit 1
  sc_wait_step "$key" 1 90
  sc_note "canary $first holds at 10%; applying 2.5.0"
  sc_set_version "$ns" "$name" version=2.5.0
  sc_wait_for 30 "a new canary revision" sc_canary_changed "$key" "$first"
  second="$(sc_field "$key" canary)"
  sc_note "canary restarted as $second"
  sc_wait_final "$key" Healthy 150

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 10 0 1 10 50 100 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$second"
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.5.0"
  sc_expect_eq "canary Deployments" \
    "$(kc -n "$ns" get deploy -l modelrollout.io/role=canary -o jsonpath='{range .items[*]}{.metadata.name}:{.spec.template.spec.containers[0].image}{"\n"}{end}')" \
    "$name-canary:registry.example/model:2.5.0"
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>Progressing CanaryRestarted: newer revision $second replaces canary $first at step 2/4; restarting at step 1/4"
  sc_expect_no_match "history" "$history" "RolledBack"
  sc_expect_event "$ns" "$name" "^Normal CanaryRestarted: newer revision $second"
  sc_expect_event "$ns" "$name" "^Normal Promoted: "
  events="$(sc_events "$ns" "$name")"
  echo "$events"
}

sc_canary_changed() { local c; c="$(sc_field "$1" canary)"; [[ -n "$c" && "$c" != "$2" ]]; }
