# Shell helpers shared by e2e/cluster/*.sh, e2e/demo.sh and e2e/run.sh. Source it; it defines
# functions and these variables (each overridable from the environment):
#   MR_ROOT     the repository root
#   MR_LOCAL    runtime state of one cluster (default $MR_ROOT/.local): kubeconfig, *.port,
#               pids/, logs/. Several clusters can run side by side with different MR_LOCAL.
#   MR_BIN_DIR  build directory holding the binaries (default $BUILD, else build); relative
#               paths are taken from MR_ROOT. Binaries missing there are looked up in build*/.
# No function here starts anything; see e2e/lib/cluster.sh for that.
# shellcheck shell=bash

MR_ROOT="${MR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
MR_LOCAL="${MR_LOCAL:-$MR_ROOT/.local}"
[[ "$MR_LOCAL" = /* ]] || MR_LOCAL="$PWD/$MR_LOCAL"
MR_BIN_DIR="${MR_BIN_DIR:-${BUILD:-build}}"
[[ "$MR_BIN_DIR" = /* ]] || MR_BIN_DIR="$MR_ROOT/$MR_BIN_DIR"

mr_log() { echo "${MR_LOG_PREFIX:-e2e}: $*" >&2; }
mr_die() { mr_log "ERROR: $*"; exit 1; }

# mr_find_binary <path relative to a build dir>: MR_BIN_DIR first, then any build*/ directory
# (newest first), so a developer's own build dir works without configuration.
mr_find_binary() {
  local rel="$1" candidate
  if [[ -x "$MR_BIN_DIR/$rel" ]]; then echo "$MR_BIN_DIR/$rel"; return 0; fi
  # shellcheck disable=SC2045  # build dir names have no spaces; ls -t gives newest first
  for candidate in $(ls -td "$MR_ROOT"/build*/"$rel" 2>/dev/null); do
    if [[ -x "$candidate" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# kc ARGS...: kubectl against the cluster in MR_LOCAL.
kc() {
  kubectl --kubeconfig "$MR_LOCAL/kubeconfig" --cache-dir "$MR_LOCAL/kube-cache" "$@"
}

# mr_plugin ARGS...: the kubectl-modelrollout binary against the cluster in MR_LOCAL.
mr_plugin() {
  local bin
  bin="$(mr_find_binary plugin/kubectl-modelrollout)" || { mr_log "kubectl-modelrollout not built"; return 4; }
  "$bin" --kubeconfig "$MR_LOCAL/kubeconfig" "$@"
}

# mr_running <name>: true when $MR_LOCAL/pids/<name>.pid names a live process.
mr_running() {
  local pidfile="$MR_LOCAL/pids/$1.pid"
  [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# mr_wait <timeout seconds> <description> <command...>: polls every 0.5 s until the command
# succeeds; returns 1 (after saying what it waited for) on timeout.
mr_wait() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      mr_log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# mr_free_port: prints a loopback TCP port in 20000-31999 (below the kernel's ephemeral range, so
# no outgoing connection holds it) nobody listens on (checked with ss) and no *.port file under
# .local/ reserves (a port written for a later start, like the outage Prometheus's, is not
# listened on until then). The caller binds it right away, so a race with another process is
# possible but unlikely.
mr_free_port() {
  local p i reserved
  reserved=" $(find "$MR_ROOT/.local" -maxdepth 5 -name '*.port' -exec cat {} + 2>/dev/null | tr '\n' ' ') "
  for ((i = 0; i < 50; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$reserved" == *" $p "* ]] && continue
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# mr_stop_pid <name> <pid> [signal]: stops a process (and its process group when it leads one),
# SIGTERM then SIGKILL after 5 s. Only the given pid/group is touched.
mr_stop_pid() {
  local name="$1" pid="$2" sig="${3:-TERM}" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  if [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]]; then
    kill -"$sig" -- "-$pid" 2>/dev/null || true
  else
    kill -"$sig" "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  mr_log "$name (pid $pid) ignored SIG$sig; killing"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}
