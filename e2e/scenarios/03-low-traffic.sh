# Scenario 3: too little traffic at 1%: every check is Inconclusive (never Pass without data),
# the canary is not promoted, and onInconclusiveLimit: Pause pauses it at 1%.
# shellcheck shell=bash

scenario_low_traffic() {
  local ns=e2e-low-traffic name=model key=e2e-low-traffic/model
  # 1% of the simulator's rate over 10 s is far below 5000 samples.
  sc_deploy "$ns" "$name" min=5000 window=10s incLimit=3 onInc=Pause steps="1:2s 10:2s 100"
  local old_stable canary
  old_stable="$(sc_field "$key" stable)"
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_for 90 "$key Paused" sc_settled "$key" Paused
  sc_note "paused; checking that it stays paused at 1% for 8 s"
  sleep 8

  sc_expect_eq "status.phase" "$(sc_get "$ns" "$name" '{.status.phase}')" Paused
  sc_expect_eq "status.currentStep" "$(sc_get "$ns" "$name" '{.status.currentStep}')" 0
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" 1
  sc_expect_eq "status.canaryRevision" "$(sc_get "$ns" "$name" '{.status.canaryRevision}')" "$canary"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "route weights (canary %, in order)" "$(sc_weights "$ns/$name")" "0 1"
  sc_expect_eq "lastAnalysis.verdict" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.verdict}')" Inconclusive
  local inconclusive
  inconclusive="$(sc_get "$ns" "$name" '{.status.consecutiveInconclusive}')"
  [[ "$inconclusive" -ge 3 ]] || sc_fail "consecutiveInconclusive $inconclusive < inconclusiveLimit 3"
  echo "ok: consecutiveInconclusive = $inconclusive >= 3"
  sc_expect_match "lastAnalysis.message" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.message}')" "minSampleSize|sample"
  sc_expect_eq "no metric passed" \
    "$(sc_get "$ns" "$name" '{range .status.lastAnalysis.metrics[*]}{.verdict}{"\n"}{end}' | grep -c Pass)" 0
  sc_expect_eq "condition Paused" \
    "$(sc_get "$ns" "$name" '{.status.conditions[?(@.type=="Paused")].status}/{.status.conditions[?(@.type=="Paused")].reason}')" \
    "True/InconclusiveLimit"
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>Paused InconclusiveLimit: "
  sc_expect_no_match "history" "$history" "StepAdvanced|Promoting|RolledBack"
  events="$(sc_events "$ns" "$name")"
  echo "$events"
  sc_expect_match "Events" "$events" " InconclusiveLimit: "
  sc_expect_eq "canary Deployment replicas" "$(sc_get "$ns" "$name-canary" '{.spec.replicas}' deploy)" 1
}
