# Scenario 5: the controller is SIGKILLed mid-step and restarted: the rollout continues from
# where it was, without repeating or skipping a step. It runs after the concurrent scenarios
# (e2e/run.sh): Events still queued in the killed process are lost, and theirs would be too.
# shellcheck shell=bash

scenario_controller_crash() {
  local ns=e2e-crash name=model key=e2e-crash/model
  sc_deploy "$ns" "$name" steps="1:2s 10:20s 50:2s 100"
  local canary
  canary="$(sc_start_version "$ns" "$name")" || exit 1
  sc_wait_step "$key" 1 90
  sleep 2
  local started pid
  started="$(sc_get "$ns" "$name" '{.status.stepStartedAt}')"
  pid="$(cat "$MR_LOCAL/pids/controller.pid")"
  sc_note "step 2 at 10% since $started; SIGKILL controller pid $pid"
  mr_kill_controller KILL
  kill -0 "$pid" 2>/dev/null && sc_fail "controller pid $pid survived SIGKILL"
  sleep 3
  sc_expect_eq "step while the controller is down" "$(sc_get "$ns" "$name" '{.status.currentStep}')" 1
  sc_expect_eq "route weight while the controller is down" \
    "$(sc_get "$ns" "$name" '{.spec.rules[0].backendRefs[1].weight}' httproute)" 10
  mr_start_controller >/dev/null 2>&1 || sc_fail "the controller did not restart: $(tail -5 "$MR_LOCAL/logs/controller.log")"
  sc_note "controller restarted (pid $(cat "$MR_LOCAL/pids/controller.pid"))"
  sc_wait_final "$key" Healthy 150

  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0 1 10 50 100 0"
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$canary"
  local history
  history="$(sc_history "$ns" "$name")"
  echo "$history"
  sc_expect_eq "history StepAdvanced entries" "$(sc_count "$history" ' StepAdvanced: ')" 3
  sc_expect_eq "history entries advancing to step 2" "$(sc_count "$history" 'advancing to step 2/4')" 1
  sc_expect_eq "history CanaryStarted entries" "$(sc_count "$history" ' CanaryStarted: ')" 1
  sc_expect_no_match "history" "$history" "CanaryRestarted|RolledBack|Degraded"
  sc_expect_event "$ns" "$name" "^Normal Promoted: " "Events"
}
