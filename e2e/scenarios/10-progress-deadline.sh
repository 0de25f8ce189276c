# Scenario 10: canaries whose pods never become ready (issue 13, item 7). The simulator plays
# the failure from the pod template (SIM_POD_FAILURE) by writing Pod objects with the status the
# kubelet or scheduler would. With progressDeadlineSeconds 15 (time for the real Deployment
# controller and the simulated kubelet to create the pod and report its failure on a loaded
# 2-core CI machine; the reason is read afresh at the deadline):
#   - ImagePullBackOff, progressDeadlineAbort true (default): rolled back with the pods' reason
#     in status, Progressing=False/ProgressDeadlineExceeded and a Warning Event; the canary never
#     got traffic and is scaled to 0;
#   - OOMKilled, progressDeadlineAbort false: stays Progressing with Progressing=False/
#     ProgressDeadlineExceeded, the reason in the message and one Event, still no traffic.
# shellcheck shell=bash

# sc_failing_version NS NAME VERSION FAILURE: a new version whose pods fail with FAILURE.
sc_failing_version() {
  local ns="$1" name="$2" version="$3" failure="$4"
  cat >"$SC_WORK/$name-$version.yaml" <<PATCH
spec:
  template:
    spec:
      containers:
        - name: server
          image: registry.example/model:$version
          env:
            - {name: SIM_POD_FAILURE, value: "$failure"}
PATCH
  sc_retry kc -n "$ns" patch mr "$name" --type merge --patch-file "$SC_WORK/$name-$version.yaml" >&2 ||
    sc_fail "could not patch $ns/$name to $version"
}

sc_progressing_reason() {  # NS NAME
  sc_get "$1" "$2" '{.status.conditions[?(@.type=="Progressing")].reason}'
}

sc_message_matches() {  # KEY EXTENDED-REGEX
  grep -Eq -- "$2" <<<"$(sc_status_message "$1")"
}

sc_deadline_waiting() {  # NS NAME
  [[ "$(sc_progressing_reason "$1" "$2")" == ProgressDeadlineExceeded &&
    "$(sc_field "$1/$2" phase)" == Progressing ]]
}

scenario_progress_deadline() {
  local ns=e2e-deadline name=model key=e2e-deadline/model
  sc_deploy "$ns" "$name" steps="10:5m 100" analysis=0
  local old_stable
  old_stable="$(sc_field "$key" stable)"
  sc_retry kc -n "$ns" patch mr "$name" --type merge \
    -p '{"spec":{"progressDeadlineSeconds":15}}' >/dev/null || sc_fail "could not set the deadline"

  local t0=$SECONDS
  sc_failing_version "$ns" "$name" 2.4.0 ImagePullBackOff
  sc_wait_for 30 "$key canary started" sc_has_canary "$key"
  local canary
  canary="$(sc_field "$key" canary)"
  sc_wait_final "$key" RolledBack 60
  sc_note "rolled back $((SECONDS - t0))s after the change (progressDeadlineSeconds 15)"
  local message
  message="$(sc_status_message "$key")"
  echo "status.message: $message"
  sc_expect_match "status.message" "$message" "ImagePullBackOff: container server: Back-off pulling image"
  sc_expect_eq "Progressing reason" "$(sc_progressing_reason "$ns" "$name")" ProgressDeadlineExceeded
  sc_expect_eq "status.stableRevision" "$(sc_get "$ns" "$name" '{.status.stableRevision}')" "$old_stable"
  sc_expect_eq "status.rolledBackRevision" "$(sc_get "$ns" "$name" '{.status.rolledBackRevision}')" "$canary"
  sc_expect_eventually "canary Deployment replicas" 0 sc_get "$ns" "$name-canary" '{.spec.replicas}' deploy
  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0"
  sc_expect_match "history" "$(sc_history "$ns" "$name")" "^Progressing>RolledBack ProgressDeadlineExceeded: "
  sc_expect_event "$ns" "$name" "^Warning ProgressDeadlineExceeded: .*ImagePullBackOff" "Events"

  # The same with progressDeadlineAbort false and a model server killed for its memory.
  sc_retry kc -n "$ns" patch mr "$name" --type merge \
    -p '{"spec":{"progressDeadlineAbort":false}}' >/dev/null || sc_fail "could not set abort false"
  sc_failing_version "$ns" "$name" 2.5.0 OOMKilled
  sc_wait_for 60 "$key waiting past its deadline" sc_deadline_waiting "$ns" "$name"
  # Past the deadline the pods are read again while they say nothing, and the message follows.
  sc_wait_for 20 "$key: the pods' reason in status.message" sc_message_matches "$key" "OOMKilled"
  message="$(sc_status_message "$key")"
  echo "status.message: $message"
  sc_expect_match "status.message" "$message" "OOMKilled: container server"
  sc_expect_match "status.message" "$message" "progressDeadlineAbort is false"
  sc_expect_weights "route weights (canary %, in order)" "$ns/$name" "0"
  sleep 3  # a few more passes: still one Event for this revision
  sc_expect_eq "ProgressDeadlineExceeded Events" \
    "$(sc_count "$(sc_events "$ns" "$name")" "^Warning ProgressDeadlineExceeded: .*OOMKilled")" 1
}
