# Scenario 2: a canary that breaches exactly one metric is rolled back at the first step where
# enough samples exist, with the metric's name, value and verdict in status and Events.
# One scenario per metric: error rate, P99 latency, drift, MAE.
# shellcheck shell=bash

# metric_breach NS METRIC THRESHOLD VERSION-ARGS...: the common body.
metric_breach() {
  local ns="$1" metric="$2" threshold="$3"; shift 3
  local name=model key="$ns/model"
  # Step 1 holds 60 s: a step now advances at the end of its hold unless harm is shown (issue
  # 12), so the hold must give the breach time to show at 1% (10 requests/s).
  sc_deploy "$ns" "$name" steps="1:60s 10:5s 50:5s 100"
  local old_stable canary
  old_stable="$(sc_field "$key" stable)"
  canary="$(sc_start_version "$ns" "$name" "$@")" || exit 1
  sc_wait_final "$key" RolledBack 120

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "status.canaryWeight" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" "0"
  sc_expect_eq "status.rolledBackRevision" "$(sc_get "$ns" "$name" '{.status.rolledBackRevision}')" "$canary"
  sc_expect_eventually "canary Deployment replicas" 0 sc_get "$ns" "$name-canary" '{.spec.replicas}' deploy
  sc_expect_eq "stable Deployment image" \
    "$(sc_get "$ns" "$name-stable" '{.spec.template.spec.containers[0].image}' deploy)" \
    "registry.example/model:2.3.0"

  # The deciding check: at step 1 (index 0), enough samples, this metric failed, no other did.
  local la='{.status.lastAnalysis'
  sc_expect_eq "lastAnalysis.verdict" "$(sc_get "$ns" "$name" "$la.verdict}")" Fail
  sc_expect_eq "lastAnalysis.step" "$(sc_get "$ns" "$name" "$la.step}")" 0
  sc_expect_eq "lastAnalysis.revision" "$(sc_get "$ns" "$name" "$la.revision}")" "$canary"
  local m="$la.metrics[?(@.name==\"$metric\")]"
  sc_expect_eq "$metric verdict" "$(sc_get "$ns" "$name" "$m.verdict}")" Fail
  sc_expect_gt "$metric value" "$(sc_get "$ns" "$name" "$m.value}")" "$threshold"
  # Evidence of harm needs no minSampleSize (issue 12): a few dozen requests can be enough.
  sc_expect_gt "$metric sampleSize" "$(sc_get "$ns" "$name" "$m.sampleSize}")" 9
  local verdicts
  verdicts="$(sc_get "$ns" "$name" '{range .status.lastAnalysis.metrics[*]}{.name}={.verdict}{"\n"}{end}')"
  echo "$verdicts"
  sc_expect_eq "metrics judged" "$(sc_count "$verdicts" '=')" 4
  sc_expect_eq "other metrics failing" "$(grep -v "^$metric=" <<<"$verdicts" | grep -c '=Fail$')" 0

  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_match "history" "$history" "^Progressing>RolledBack AnalysisFailed: 1 consecutive failed check\(s\) at step 1/4 .*$metric=[0-9.e+-]+ \([^)]*\) Fail"
  sc_expect_eq "history StepAdvanced entries" "$(sc_count "$history" ' StepAdvanced: ')" 0
  sc_expect_event "$ns" "$name" "^Warning AnalysisFailed: .*$metric=[0-9.e+-]+ \([^)]*\) Fail"
  sc_expect_event "$ns" "$name" "^Warning CheckFailed: check at step 1/4: .*$metric=[0-9.e+-]+"
  events="$(sc_events "$ns" "$name")"
  echo "$events"
}

scenario_error_rate() { metric_breach e2e-error-rate errorRate 0.01 version=2.4.0-errors err=0.1; }
scenario_latency() { metric_breach e2e-latency latencyP99 100 version=2.4.0-slow p99=400; }
scenario_drift() { metric_breach e2e-drift drift 0.5 version=2.4.0-drift shift=0.2; }
scenario_mae() { metric_breach e2e-mae maeDegradation 0.5 version=2.4.0-mae abs=0.3; }
