# Helpers for the e2e scenarios (e2e/scenarios/*.sh), sourced by e2e/run.sh after cluster.sh.
# A scenario is a function run in its own subshell with MR_LOCAL set to its cluster; it logs to
# stdout (the scenario's log file) and ends with `sc_fail MESSAGE` (exit 1) or by returning.
#
# Observing without polling kubectl: per cluster, one `kubectl get -w` per kind appends a line
# per change of every ModelRollout, HTTPRoute and Istio VirtualService to
# $MR_LOCAL/watch/{mr,routes,vs}.log (sc_start_watchers); scenarios read the latest line of
# their object from there.
#   mr line:    ns/name|generation|observedGeneration|phase|currentStep|canaryWeight|
#               canaryRevision|stableRevision|lastAnalysis.verdict|lastAnalysis.step|
#               consecutiveErrors|stepStartedAt
#   route line: ns/name|<stable weight>|<canary weight>   (first rule; backendRefs in order)
#   vs line:    ns/name|<stable weight>|<canary weight>   (first http route; destinations in order)
# shellcheck shell=bash

SC_MR_TEMPLATE='{.metadata.namespace}/{.metadata.name}|{.metadata.generation}|{.status.observedGeneration}|{.status.phase}|{.status.currentStep}|{.status.canaryWeight}|{.status.canaryRevision}|{.status.stableRevision}|{.status.lastAnalysis.verdict}|{.status.lastAnalysis.step}|{.status.consecutiveErrors}|{.status.stepStartedAt}{"\n"}'
SC_ROUTE_TEMPLATE='{.metadata.namespace}/{.metadata.name}|{.spec.rules[0].backendRefs[0].weight}|{.spec.rules[0].backendRefs[1].weight}{"\n"}'
SC_VS_TEMPLATE='{.metadata.namespace}/{.metadata.name}|{.spec.http[0].route[0].weight}|{.spec.http[0].route[1].weight}{"\n"}'

# sc_start_watchers: one restart loop per kind (a dropped watch is simply re-opened; the new
# watch starts with the current state). Pids in $MR_LOCAL/pids/watch-*.pid (down stops them).
sc_start_watchers() {
  mkdir -p "$MR_LOCAL/watch"
  local kind tpl res
  for kind in mr routes vs; do
    case $kind in
      mr) tpl="$SC_MR_TEMPLATE" res=modelrollouts.modelrollout.io ;;
      routes) tpl="$SC_ROUTE_TEMPLATE" res=httproutes.gateway.networking.k8s.io ;;
      vs) tpl="$SC_VS_TEMPLATE" res=virtualservices.networking.istio.io ;;
    esac
    : >"$MR_LOCAL/watch/$kind.log"
    # shellcheck disable=SC2016  # expanded by the inner bash
    setsid bash -c 'while :; do
        kubectl --kubeconfig "$1/kubeconfig" --cache-dir "$1/kube-cache" get "$2" -A -w \
          --request-timeout=0 -o jsonpath="$3" >>"$1/watch/$4.log" 2>>"$1/watch/$4.err"
        sleep 0.3
      done' _ "$MR_LOCAL" "$res" "$tpl" "$kind" </dev/null &
    echo $! >"$MR_LOCAL/pids/watch-$kind.pid"
  done
}

# sc_state NS/NAME: the latest mr line of the object ("" if none yet).
sc_state() { grep -F "$1|" "$MR_LOCAL/watch/mr.log" 2>/dev/null | tail -1; }

# sc_field NS/NAME FIELD: one field of the latest mr line, by name.
sc_field() {
  local line gen og phase step weight canary stable verdict vstep errors started
  line="$(sc_state "$1")"
  IFS='|' read -r _ gen og phase step weight canary stable verdict vstep errors started <<<"$line"
  case "$2" in
    gen) echo "$gen" ;; observed) echo "$og" ;; phase) echo "$phase" ;; step) echo "$step" ;;
    weight) echo "$weight" ;; canary) echo "$canary" ;; stable) echo "$stable" ;;
    verdict) echo "$verdict" ;; vstep) echo "$vstep" ;; errors) echo "$errors" ;;
    started) echo "$started" ;;
    *) return 1 ;;
  esac
}

# sc_settled NS/NAME PHASE: the controller has seen the latest generation and is in PHASE.
sc_settled() {
  [[ "$(sc_field "$1" gen)" == "$(sc_field "$1" observed)" && "$(sc_field "$1" phase)" == "$2" ]]
}

# sc_wait_final NS/NAME EXPECTED TIMEOUT: waits until the latest generation has ended in
# Healthy, RolledBack or Degraded; fails at once on a different final phase.
sc_wait_final() {
  local key="$1" expected="$2" deadline=$((SECONDS + $3)) phase
  while ((SECONDS < deadline)); do
    if [[ "$(sc_field "$key" gen)" == "$(sc_field "$key" observed)" ]]; then
      phase="$(sc_field "$key" phase)"
      [[ "$phase" == "$expected" ]] && return 0
      case "$phase" in
        Healthy | RolledBack | Degraded)
          # A final phase of the previous generation can linger one pass; give it a moment.
          sleep 1
          phase="$(sc_field "$key" phase)"
          [[ "$phase" == "$expected" ]] && return 0
          case "$phase" in Healthy | RolledBack | Degraded)
            sc_fail "$key ended $phase, expected $expected: $(sc_status_message "$key")" ;;
          esac ;;
      esac
    fi
    sleep 0.5
  done
  sc_fail "$key not $expected after $3s (now: $(sc_state "$key")): $(sc_status_message "$key")"
}

# sc_wait_for TIMEOUT DESCRIPTION COMMAND...: mr_wait that fails the scenario.
sc_wait_for() {
  local timeout="$1" what="$2"; shift 2
  mr_wait "$timeout" "$what" "$@" || sc_fail "timed out after ${timeout}s waiting for: $what"
}

sc_fail() {
  echo "FAIL: $*"
  echo "$*" >"$SC_RESULT_DIR/$SC_NAME.reason"
  sc_dump_state
  exit 1
}

# sc_dump_state: what a failure needs to be understood from CI's output alone (run.sh prints the
# end of a failed scenario's log): the status of every rollout this scenario deployed, and the
# controller's log lines that name them.
SC_KEYS=()
sc_dump_state() {
  local key ns name
  for key in "${SC_KEYS[@]}"; do
    ns="${key%%/*}" name="${key##*/}"
    echo "--- state of $key at $(date +%T)"
    kc --request-timeout=5s -n "$ns" get mr "$name" -o json 2>&1 |
      jq -c '.status // {} | {phase, message, currentStep, canaryWeight, stableRevision,
        canaryRevision, waitingSince, stepStartedAt,
        conditions: [.conditions[]? | "\(.type)=\(.status)/\(.reason)"],
        history: [.history[]? | "\(.time) \(.from)>\(.to) \(.reason)"][-6:]}' 2>&1 || true
    sc_events "$ns" "$name" 2>&1 | tail -8 || true
    grep -F "$ns" "$MR_LOCAL/logs/controller.log" 2>/dev/null | tail -15 || true
  done
}

sc_note() { echo "[$(date +%T)] $*"; }

# sc_get NS NAME JSONPATH [KIND]: one kubectl read (mr by default).
sc_get() { kc -n "$1" get "${4:-mr}" "$2" -o "jsonpath=$3"; }

sc_status_message() {
  local ns="${1%%/*}" name="${1##*/}"
  sc_get "$ns" "$name" '{.status.message}' 2>/dev/null
}

# sc_weights NS/ROUTE [routes|vs]: the canary weights the HTTPRoute (vs: the VirtualService)
# went through, consecutive repeats removed, e.g. "0 1 10 50 100 0". Each line must also give
# stable = 100 - canary (else "BAD(s/c)").
sc_weights() {
  grep -F "$1|" "$MR_LOCAL/watch/${2:-routes}.log" | awk -F'|' '
    { s = $2; c = $3; if (s + c != 100) c = "BAD(" s "/" c ")"; if (NR == 1 || c != last) { out = out sep c; sep = " "; last = c } }
    END { print out }'
}

# sc_expect_weights LABEL NS/ROUTE WANT [routes|vs]: the route's weights become WANT. A final
# phase is stored before the route write that follows it (a rollback is recorded first, issue 13)
# and the route watcher logs a moment later, so this waits up to 15 s before it compares.
sc_expect_weights() {
  local label="$1" key="$2" want="$3" kind="${4:-routes}" deadline=$((SECONDS + 15))
  while ((SECONDS < deadline)) && [[ "$(sc_weights "$key" "$kind")" != "$want" ]]; do sleep 0.2; done
  sc_expect_eq "$label" "$(sc_weights "$key" "$kind")" "$want"
}

# sc_expect_eventually LABEL WANT CMD...: CMD's output becomes WANT within 15 s (what follows a
# stored final phase: the route write, the canary's scale-down).
sc_expect_eventually() {
  local label="$1" want="$2" deadline=$((SECONDS + 15)); shift 2
  while ((SECONDS < deadline)) && [[ "$("$@" 2>/dev/null)" != "$want" ]]; do sleep 0.2; done
  sc_expect_eq "$label" "$("$@" 2>/dev/null)" "$want"
}

# sc_events NS NAME: "Type Reason: message" per Event about the object, oldest first.
sc_events() {
  kc -n "$1" get events --field-selector "involvedObject.name=$2" \
    -o jsonpath='{range .items[*]}{.type} {.reason}: {.message}{"\n"}{end}'
}

# sc_history NS NAME: "from>to reason: message" per history entry.
sc_history() {
  sc_get "$1" "$2" '{range .status.history[*]}{.from}>{.to} {.reason}: {.message}{"\n"}{end}'
}

# sc_expect_event NS NAME EXTENDED-REGEX [WHAT]: an Event about NS/NAME matches, within 20 s.
# The controller writes Events from a queue after the status write that they describe (and
# retries them), so an Event may show a moment after the status a scenario waited for.
sc_expect_event() {
  mr_wait 20 "an Event about $1/$2 matching /$3/" sc_events_match "$1" "$2" "$3" || true
  sc_expect_match "${4:-Events}" "$(sc_events "$1" "$2" 2>/dev/null)" "$3"
}

sc_events_match() { grep -Eq -- "$3" <<<"$(sc_events "$1" "$2")"; }  # NS NAME EXTENDED-REGEX

sc_expect_eq() {  # WHAT ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || sc_fail "$1: got '$2', want '$3'"
  echo "ok: $1 = '$2'"
}

sc_expect_match() {  # WHAT TEXT EXTENDED-REGEX
  grep -Eq -- "$3" <<<"$2" || sc_fail "$1: no line matches /$3/ in: $(tr '\n' ';' <<<"$2")"
  echo "ok: $1 ~ /$3/"
}

# sc_expect_no_warning WHAT EVENTS [EXTRA-REGEX]: no Warning Event (nor EXTRA) other than a
# CheckError for a query that timed out or failed transiently ("query timed out after",
# "after N attempt(s)"): on a loaded machine one slow query is an Error verdict, which judges
# nothing (a healthy rollout still promotes) and is not a fault of the rollout under test. Any
# other CheckError (a bad query, TLS, the allow-list) still fails the check.
sc_expect_no_warning() {
  sc_expect_no_match "$1" \
    "$(grep -Ev '^Warning CheckError: .*(query timed out after|after [0-9]+ attempt\(s\))' <<<"$2")" \
    "^Warning ${3:+|$3}"
}

sc_expect_no_match() {  # WHAT TEXT EXTENDED-REGEX
  if grep -Eq -- "$3" <<<"$2"; then sc_fail "$1: unexpected /$3/ in: $(tr '\n' ';' <<<"$2")"; fi
  echo "ok: $1 !~ /$3/"
}

sc_expect_gt() {  # WHAT NUMBER THRESHOLD
  awk -v a="$2" -v b="$3" 'BEGIN { exit !(a != "" && a + 0 > b + 0) }' || sc_fail "$1: $2 is not > $3"
  echo "ok: $1 = $2 > $3"
}

sc_count() {  # TEXT EXTENDED-REGEX -> number of matching lines
  grep -Ec -- "$2" <<<"$1" || true
}

# sc_manifest NS NAME [key=value...]: a Namespace, the route of the routing mode and a
# ModelRollout whose analysis points at $SC_PROM (the cluster's Prometheus). Keys and defaults:
#   steps="1:5s 10:5s 50:5s 100"  version=2.3.0  err=0 p50=20 p99=50 shift=0 abs=0.1
#   analysis=1 interval=2s window=30s min=200 failureLimit=1 incTimeout=5m onInc=Pause
#   errMax=0.01 p99Max=100 driftMax=0.5 maeMax=0.5 prom=$SC_PROM selector=<name> replicas=4
#   routing=gateway  (gateway: an HTTPRoute <name>; istio: a VirtualService <name> whose http
#                     route "primary" is named in spec.trafficRouting; replicas: no route and no
#                     trafficRouting, so the canary's share is its share of ready pods)
# Sizes: at 1% of the simulator's 1000 requests/s the canary gets 10/s; every check reads all
# the canary's requests since it started, so min=200 is reached about 20 s into step 1. The
# failing versions breach their thresholds by a factor >= 3.
sc_manifest() {
  local ns="$1" name="$2"; shift 2
  local steps="1:5s 10:5s 50:5s 100" version=2.3.0 err=0 p50=20 p99=50 shift=0 abs=0.1
  local analysis=1 interval=2s window=30s min=200 failureLimit=1 incTimeout=5m onInc=Pause
  local errMax=0.01 p99Max=100 driftMax=0.5 maeMax=0.5 prom="${SC_PROM:-}" selector="$name" replicas=4
  local routing=gateway kv
  for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n' "$ns"
  sc_route_manifest "$ns" "$name" "$routing" || return 1
  cat <<EOF
apiVersion: modelrollout.io/v1alpha1
kind: ModelRollout
metadata: {name: $name, namespace: $ns}
spec:
  replicas: $replicas
  selector: {matchLabels: {app: $selector}}
  template:
    metadata: {labels: {app: $name}}
    spec:
      containers:
$(sc_container "$version" "$err" "$p50" "$p99" "$shift" "$abs")
  service: {port: 80, targetPort: 8080}
EOF
  case "$routing" in
    gateway) echo "  trafficRouting: {gatewayAPI: {httpRoute: $name}}" ;;
    istio) echo "  trafficRouting: {istio: {virtualService: $name, routes: [primary]}}" ;;
  esac
  echo "  steps:"
  local s
  for s in $steps; do
    if [[ "$s" == *:* ]]; then echo "    - {weight: ${s%%:*}, hold: ${s#*:}}"; else echo "    - {weight: $s}"; fi
  done
  [[ "$analysis" == 1 ]] || return 0
  cat <<EOF
  analysis:
    prometheus: {address: "$prom", timeout: 5s}
    interval: $interval
    window: $window
    failureLimit: $failureLimit
    minSampleSize: $min
    inconclusiveTimeout: $incTimeout
    onInconclusiveLimit: $onInc
    metrics:
      errorRate: {max: $errMax}
      latencyP99: {maxMs: $p99Max}
      drift: {max: $driftMax}
      maeDegradation: {max: $maeMax}
EOF
}

# sc_route_manifest NS NAME ROUTING: sc_manifest's route object and a "---" (nothing for
# replica ratio). The route names <name>-stable (weight 100) first, then <name>-canary (0).
sc_route_manifest() {
  local ns="$1" name="$2"
  case "$3" in
    gateway) cat <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $name, namespace: $ns}
spec:
  parentRefs: [{name: e2e-gateway}]
  rules:
    - backendRefs:
        - {name: $name-stable, port: 80, weight: 100}
        - {name: $name-canary, port: 80, weight: 0}
---
EOF
      ;;
    istio) cat <<EOF
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: $name, namespace: $ns}
spec:
  hosts: [$name.$ns.svc.cluster.local]
  http:
    - name: primary
      route:
        - destination: {host: $name-stable, port: {number: 80}}
          weight: 100
        - destination: {host: $name-canary, port: {number: 80}}
          weight: 0
---
EOF
      ;;
    replicas) ;;
    *) echo "sc_manifest: unknown routing '$3' (gateway, istio or replicas)" >&2; return 1 ;;
  esac
}

# sc_container VERSION ERR P50 P99 SHIFT ABS: the containers list (indented for a template).
sc_container() {
  cat <<EOF
        - name: server
          image: registry.example/model:$1
          env:
            - {name: SIM_ERROR_RATE, value: "$2"}
            - {name: SIM_LATENCY_MS_P50, value: "$3"}
            - {name: SIM_LATENCY_MS_P99, value: "$4"}
            - {name: SIM_PREDICTION_SHIFT, value: "$5"}
            - {name: SIM_ABS_ERROR, value: "$6"}
EOF
}

# sc_set_version NS NAME [version=2.4.0 err=0 p50=20 p99=50 shift=0 abs=0.1]: a new model
# version, as a merge patch of the template's containers (what a user's `kubectl apply` does).
sc_set_version() {
  local ns="$1" name="$2"; shift 2
  local version=2.4.0 err=0 p50=20 p99=50 shift=0 abs=0.1 kv
  for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
  printf 'spec:\n  template:\n    spec:\n      containers:\n%s\n' \
    "$(sc_container "$version" "$err" "$p50" "$p99" "$shift" "$abs")" >"$SC_WORK/$name-$version.yaml"
  sc_retry kc -n "$ns" patch mr "$name" --type merge --patch-file "$SC_WORK/$name-$version.yaml" >&2 ||
    sc_fail "could not patch $ns/$name to $version"
}

# sc_controller_writes NS RESOURCE: how many writes (create/update/patch/delete, any
# subresource) the controller sent to RESOURCE (a plural, e.g. deployments) in NS, from the test
# API server's write log (GET /admin/writes; e2e/apiserver/README.md), or on kube-apiserver from
# its audit log (writes only, written before the response; tools/cluster).
sc_controller_writes() {
  if [[ "$(mr_api)" == kube ]]; then
    jq -n --arg ns "$1" --arg res "$2" '[inputs | select(.stage == "ResponseComplete" and
      .objectRef.namespace == $ns and .objectRef.resource == $res and
      (.userAgent // "" | startswith("modelrollout-controller")))] | length' "$MR_LOCAL/logs/audit.log"
    return
  fi
  kc get --raw /admin/writes | jq --arg ns "$1" --arg res "$2" \
    '[.items[] | select(.namespace == $ns and .resource == $res and
      (.userAgent | startswith("modelrollout-controller")))] | length'
}

# sc_retry COMMAND...: up to 10 attempts 1 s apart (for scenario 9's injected 500s).
sc_retry() {
  local i
  for ((i = 0; i < 10; i++)); do
    "$@" && return 0
    sleep 1
  done
  return 1
}

# sc_deploy NS NAME [key=value...]: applies sc_manifest and waits until the first version is
# Healthy with its stable pods ready, so a following version change has a stable to compare to.
sc_deploy() {
  local ns="$1" name="$2" replicas=4 kv
  for kv in "${@:3}"; do [[ "$kv" == replicas=* ]] && replicas="${kv#replicas=}"; done
  sc_manifest "$@" >"$SC_WORK/$name.yaml" || sc_fail "no manifest for $ns/$name"
  SC_KEYS+=("$ns/$name")
  sc_retry kc apply -f "$SC_WORK/$name.yaml" || sc_fail "kubectl apply of $ns/$name failed"
  sc_wait_final "$ns/$name" Healthy 60
  sc_wait_for 60 "$ns/$name-stable ready" sc_deploy_ready "$ns" "$name-stable" "$replicas"
  sc_note "$ns/$name deployed: stable $(sc_field "$ns/$name" stable)"
}

sc_deploy_ready() {  # NS DEPLOYMENT REPLICAS
  [[ "$(kc -n "$1" get deploy "$2" -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" == "$3" ]]
}

# sc_wait_step NS/NAME STEP TIMEOUT: the canary holds at STEP (0-based) with its weight set.
sc_wait_step() {
  sc_wait_for "$3" "$1 at step $(($2 + 1)) with the weight set" sc_at_step "$1" "$2"
}
sc_at_step() {
  [[ "$(sc_field "$1" phase)" == Progressing && "$(sc_field "$1" step)" == "$2" && -n "$(sc_field "$1" started)" ]]
}

sc_has_canary() { [[ -n "$(sc_field "$1" canary)" ]]; }

# sc_start_version NS NAME [key=value...]: sc_set_version, then waits for the canary revision
# and prints it.
sc_start_version() {
  local key="$1/$2" canary
  sc_set_version "$@"
  sc_wait_for 30 "$key canary started" sc_has_canary "$key"
  canary="$(sc_field "$key" canary)"
  sc_note "$key canary $canary started" >&2
  echo "$canary"
}
