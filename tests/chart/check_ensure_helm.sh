#!/usr/bin/env bash
# The contract of scripts/ensure-helm.sh that the chart tests and cp14's cluster tooling rely
# on: with Go modules unreachable (GOPROXY=off, empty module cache) it exits 2, prints nothing on
# stdout and exactly one line on stderr; with a built helm it prints one absolute path of an
# executable helm v3 and exits 0 without rebuilding (when the fixture chart.helm built one).
set -uo pipefail
repo="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
GOPROXY=off GOFLAGS=-modcacherw GOMODCACHE="$tmp/modcache" MR_HELM_BIN_DIR="$tmp/bin" \
  "$repo/scripts/ensure-helm.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 2 ]; then echo "offline: exit $rc, want 2"; status=1; fi
if [ -s "$tmp/out" ]; then echo "offline: stdout not empty: $(cat "$tmp/out")"; status=1; fi
if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "cannot be fetched" "$tmp/err"; then
  echo "offline: want one stderr line saying modules cannot be fetched, got:"; cat "$tmp/err"
  status=1
fi
if [ -x "$repo/.local/bin/helm" ] && [ -f "$repo/.local/bin/.helm.stamp" ]; then
  start=$SECONDS
  path="$("$repo/scripts/ensure-helm.sh")" || { echo "built: exit $?"; exit 1; }
  if [ "$(printf '%s\n' "$path" | wc -l)" -ne 1 ] || [[ "$path" != /* ]] || [ ! -x "$path" ]; then
    echo "built: stdout must be one absolute executable path, got: $path"; status=1
  elif ! "$path" version --short | grep -q '^v3\.'; then
    echo "built: $path is not helm v3"; status=1
  fi
  if [ $((SECONDS - start)) -gt 20 ]; then echo "built: a cached call took $((SECONDS - start))s"; status=1; fi
else
  echo "no built helm in .local/bin (Go modules unreachable here): only the offline contract checked"
fi
[ $status -eq 0 ] && echo "ensure-helm.sh contract holds"
exit $status
