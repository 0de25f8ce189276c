# Scenario 3: a canary that cannot show it is within its thresholds is never promoted. With
# minSampleSize far above what the canary can serve, every check is Inconclusive: a step advances
# on "no harm shown" (issue 12), but full traffic (the 100% step) needs the evidence a promotion
# needs, which never comes: after inconclusiveTimeout onInconclusiveLimit: Pause pauses it at 10%.
# shellcheck shell=bash

scenario_low_traffic() {
  local ns=e2e-low-traffic name=model key=e2e-low-traffic/model
  sc_deploy "$ns" "$name" min=100000000 incTimeout=6s onInc=Pause steps="1:2s 10:2s 100"
  local old_stable canary
  old_stable="$(sc_field "$key" stable)"
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_for 90 "$key Paused" sc_settled "$key" Paused
  sc_note "paused; checking that it stays paused at 10% for 8 s"
  sleep 8

  sc_expect_eq "status.phase" "$(sc_get "$ns" "$name" '{.status.phase}')" Paused
  sc_expect_eq "status.currentStep" "$(sc_get "$ns" "$name" '{.status.currentStep}')" 1
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" 10
  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 10"
  sc_expect_eq "status.canaryRevision" "$(sc_get "$ns" "$name" '{.status.canaryRevision}')" "$canary"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "lastAnalysis.verdict" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.verdict}')" Inconclusive
  sc_expect_match "lastAnalysis.message" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.message}')" "minSampleSize"
  sc_expect_eq "no metric passed" \
    "$(sc_get "$ns" "$name" '{range .status.lastAnalysis.metrics[*]}{.verdict}{"\n"}{end}' | grep -c Pass)" 0
  sc_expect_eq "condition Paused" \
    "$(sc_get "$ns" "$name" '{.status.conditions[?(@.type=="Paused")].status}/{.status.conditions[?(@.type=="Paused")].reason}')" \
    "True/InconclusiveLimit"
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "Progressing>Paused InconclusiveLimit: "
  sc_expect_no_match "history" "$history" "Promoting|Promoted|RolledBack"
  sc_expect_event "$ns" "$name" " InconclusiveLimit: "
  events="$(sc_events "$ns" "$name")"
  echo "$events"
}
