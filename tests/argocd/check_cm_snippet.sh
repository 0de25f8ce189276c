#!/usr/bin/env bash
# The argocd-cm patch and docs/argocd.md must carry argocd/health.lua verbatim (indented), so
# what users paste is what tests/argocd/health_test.lua ran.
set -euo pipefail
root="$1"
key='resource.customizations.health.modelrollout.io_ModelRollout: |'
extract() { # file indent -> the block under the key, de-indented
  awk -v key="$key" -v ind="$2" '
    index($0, key) { grab = 1; next }
    grab && ($0 == "" || substr($0, 1, length(ind)) == ind) { print substr($0, length(ind) + 1); next }
    grab { exit }' "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
status=0
for spec in "argocd/argocd-cm.yaml:    " "docs/argocd.md:    "; do
  file="${spec%%:*}"; ind="${spec#*:}"
  if ! diff <(extract "$root/$file" "$ind") "$root/argocd/health.lua" >/tmp/cm-diff.$$; then
    echo "$file: health check differs from argocd/health.lua:"; cat /tmp/cm-diff.$$; status=1
  fi
done
rm -f /tmp/cm-diff.$$
exit $status
