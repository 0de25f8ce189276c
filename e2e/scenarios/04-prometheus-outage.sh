# Scenario 4: Prometheus stopped mid-step: Error verdicts, no promotion, no rollback; once it is
# back the rollout continues to the end. The rollout uses its own Prometheus (same simulator
# target), so stopping it does not disturb the other scenarios sharing the cluster.
# shellcheck shell=bash

scenario_prometheus_outage() {
  local ns=e2e-prom-outage name=model key=e2e-prom-outage/model
  local prom_dir="$MR_LOCAL/prometheus-outage" port
  sc_prom_outage_start "$prom_dir" || sc_fail "could not start the scenario's Prometheus"
  port="$(cat "$prom_dir/prometheus.port")"
  sc_deploy "$ns" "$name" prom="http://127.0.0.1:$port" steps="1:2s 10:40s 50:2s 100"
  local canary
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_step "$key" 1 90
  sc_wait_for 30 "a passing check at step 2" sc_verdict_at "$key" Pass 1
  sc_note "step 2 holds at 10% and passes; stopping its Prometheus (port $port)"
  MR_LOCAL_DIR="$prom_dir" "$MR_ROOT/e2e/prometheus/stop.sh"
  local stopped_at=$SECONDS
  sc_wait_for 30 "an Error verdict" sc_verdict_at "$key" Error 1
  sc_wait_for 30 "3 consecutive errors" sc_errors_at_least "$key" 3
  sleep 2
  sc_expect_eq "phase during the outage" "$(sc_get "$ns" "$name" '{.status.phase}')" Progressing
  sc_expect_eq "step during the outage" "$(sc_get "$ns" "$name" '{.status.currentStep}')" 1
  sc_expect_eq "weight during the outage" "$(sc_get "$ns" "$name" '{.status.canaryWeight}')" 10
  sc_expect_eq "route weights so far" "$(sc_weights "$ns/$name")" "0 1 10"
  sc_expect_eq "consecutiveFailures" "$(sc_get "$ns" "$name" '{.status.consecutiveFailures}')" 0
  sc_expect_match "lastAnalysis.message" "$(sc_get "$ns" "$name" '{.status.lastAnalysis.message}')" "."
  sc_expect_eq "condition Analysis" \
    "$(sc_get "$ns" "$name" '{.status.conditions[?(@.type=="Analysis")].status}/{.status.conditions[?(@.type=="Analysis")].reason}')" \
    "False/Error"
  sc_note "Prometheus down for $((SECONDS - stopped_at))s; starting it again on the same port"
  sc_prom_outage_start "$prom_dir" --port "$port" || sc_fail "could not restart Prometheus"
  sc_wait_final "$key" Healthy 150
  MR_LOCAL_DIR="$prom_dir" "$MR_ROOT/e2e/prometheus/stop.sh" --purge

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 10 50 100 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  local history events
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_no_match "history" "$history" "RolledBack|Paused"
  sc_expect_eq "history StepAdvanced entries" "$(sc_count "$history" ' StepAdvanced: ')" 3
  sc_expect_event "$ns" "$name" "^Warning CheckError: check at step 2/4: "
  sc_expect_event "$ns" "$name" "^Normal Promoted: "
  events="$(sc_events "$ns" "$name")"
  echo "$events"
}

# sc_prom_outage_start DIR [start.sh args]: a Prometheus of its own scraping the simulator.
sc_prom_outage_start() {
  local dir="$1"; shift
  mkdir -p "$dir"
  MR_LOCAL_DIR="$dir" setsid "$MR_ROOT/e2e/prometheus/start.sh" \
    --target "127.0.0.1:$(cat "$MR_LOCAL/simulator.port")" "$@" >/dev/null || return 1
  cp "$dir/prometheus.pid" "$MR_LOCAL/pids/prometheus-outage.pid"
}

sc_verdict_at() {  # NS/NAME VERDICT STEP
  [[ "$(sc_field "$1" verdict)" == "$2" && "$(sc_field "$1" vstep)" == "$3" ]]
}
sc_errors_at_least() { [[ "$(sc_field "$1" errors)" -ge "$2" ]] 2>/dev/null; }
