#!/usr/bin/env bash
# Renders plugins/modelrollout.yaml for one release: VERSION (without the leading v) and the
# sha256 of each archive, read from the <archive>.sha256 files scripts/package-plugin.sh wrote.
# Fails when an archive's checksum is missing, so a manifest never points at nothing.
#
#   scripts/render-krew-manifest.sh VERSION ARCHIVE_DIR > modelrollout.yaml
set -euo pipefail
version="${1:?version without v}"
dir="${2:?archive dir}"
root="$(cd "$(dirname "$0")/.." && pwd)"
sum() {
  local f="$dir/kubectl-modelrollout_${version}_$1.tar.gz.sha256"
  [ -s "$f" ] || { echo "render-krew-manifest: missing $f" >&2; exit 1; }
  local hex
  hex="$(cut -d' ' -f1 "$f")"
  [[ "$hex" =~ ^[0-9a-f]{64}$ ]] || { echo "render-krew-manifest: bad checksum in $f" >&2; exit 1; }
  echo "$hex"
}
amd64="$(sum linux_amd64)"
arm64="$(sum linux_arm64)"
sed -e "s/{{VERSION}}/$version/g" -e "s/{{SHA256_LINUX_AMD64}}/$amd64/g" \
    -e "s/{{SHA256_LINUX_ARM64}}/$arm64/g" "$root/plugins/modelrollout.yaml"
