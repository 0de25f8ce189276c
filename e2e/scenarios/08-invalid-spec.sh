# Scenario 8: a malformed ModelRollout is rejected by kubectl with the field named (schema:
# maximum, type, unknown field); one that passes the schema but breaks a CEL rule of the CRD
# (selector not matching the template's labels, step weights not increasing) is rejected with
# the rule's message, on both API servers (the test API server evaluates the CRD's CEL rules
# too, e2e/apiserver/cel_rules.h); nothing rejected is stored, and a valid rollout in the same
# namespace is rolled out as usual. A spec only the controller can judge (an analysis address
# outside the allow-list) is stored and refused by the controller with an InvalidSpec condition.
# shellcheck shell=bash

scenario_invalid_spec() {
  local ns=e2e-invalid out
  sc_manifest "$ns" good >"$SC_WORK/good.yaml"
  kc apply -f "$SC_WORK/good.yaml" >/dev/null || sc_fail "could not apply the valid rollout"

  # 1. Schema violations: kubectl exits non-zero and names the field.
  sc_manifest "$ns" bad-weight steps="150:5s 100" >"$SC_WORK/bad-weight.yaml"
  sc_expect_rejected "$SC_WORK/bad-weight.yaml" 'spec\.steps\[0\]\.weight'
  sc_manifest "$ns" bad-type replicas='"four"' >"$SC_WORK/bad-type.yaml"
  sc_expect_rejected "$SC_WORK/bad-type.yaml" 'spec\.replicas'
  sc_manifest "$ns" bad-field >"$SC_WORK/bad-field.yaml"
  sed -i 's/^  service: /  serivce: /' "$SC_WORK/bad-field.yaml"
  sc_expect_rejected "$SC_WORK/bad-field.yaml" 'spec\.serivce'
  for out in bad-weight bad-type bad-field; do
    kc -n "$ns" get mr "$out" >/dev/null 2>&1 && sc_fail "rejected ModelRollout $out exists"
  done
  echo "ok: no rejected ModelRollout was stored"

  # 2. Passes the schema, breaks a CEL rule (x-kubernetes-validations): rejected with the
  # rule's message at the field that declares it.
  sc_manifest "$ns" wrong selector=other-app >"$SC_WORK/wrong.yaml"
  sc_expect_rejected "$SC_WORK/wrong.yaml" \
    'spec: Invalid value: "object": spec\.selector\.matchLabels must be contained in spec\.template\.metadata\.labels'
  sc_manifest "$ns" wrong-steps steps="50:5s 10:5s 100" >"$SC_WORK/wrong-steps.yaml"
  sc_expect_rejected "$SC_WORK/wrong-steps.yaml" \
    'spec\.steps: Invalid value: "array": step weights must be strictly increasing'
  for out in wrong wrong-steps; do
    kc -n "$ns" get mr "$out" >/dev/null 2>&1 && sc_fail "rejected ModelRollout $out exists"
  done
  echo "ok: the CEL rules rejected both and nothing was stored"

  # 3. Valid for the API server, invalid for the controller: an analysis address outside the
  # platform's allow-list (--allowed-prometheus-addresses). Stored; the controller deploys
  # nothing and says why in a condition and the message, naming the allow-list.
  sc_manifest "$ns" foreign prom=http://203.0.113.7:9090 >"$SC_WORK/foreign.yaml"
  kc apply -f "$SC_WORK/foreign.yaml" >/dev/null || sc_fail "the API server rejected foreign"
  sc_wait_for 60 "foreign: InvalidSpec condition" sc_condition_reason_is "$ns" foreign \
    InvalidSpec
  sc_expect_match "foreign: message" "$(sc_get "$ns" foreign '{.status.message}')" \
    'allowed-prometheus-addresses'
  kc -n "$ns" get deploy foreign-stable >/dev/null 2>&1 &&
    sc_fail "a rollout with an address outside the allow-list was deployed"
  echo "ok: the controller refused the address outside the allow-list (InvalidSpec)"

  # 4. The valid neighbour is unaffected: deployed, then a new version promoted.
  sc_wait_final "$ns/good" Healthy 60
  sc_wait_for 60 "good-stable ready" sc_deploy_ready "$ns" good-stable 4
  local canary
  canary="$(sc_start_version "$ns" good)" || exit 1
  sc_wait_final "$ns/good" Healthy 150
  sc_expect_eq "good: stableRevision" "$(sc_get "$ns" good '{.status.stableRevision}')" "$canary"
  sc_expect_weights "good: route weights" "$ns/good" "0 1 10 50 100 0"
}

sc_condition_reason_is() {  # NS NAME REASON: some condition of the rollout has REASON
  sc_get "$1" "$2" '{range .status.conditions[*]}{.reason}{"\n"}{end}' 2>/dev/null | grep -qx "$3"
}

sc_expect_rejected() {  # FILE FIELD-REGEX
  local out
  if out="$(kc apply -f "$1" 2>&1)"; then
    sc_fail "kubectl accepted $(basename "$1"): $out"
  fi
  echo "$out"
  sc_expect_match "kubectl error for $(basename "$1")" "$out" "$2"
}
