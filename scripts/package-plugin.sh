#!/usr/bin/env bash
# Packs a built kubectl-modelrollout into the release archive krew installs:
#   kubectl-modelrollout_<VERSION>_<OS>_<ARCH>.tar.gz  with kubectl-modelrollout, lib/ (its
#   shared libraries except glibc; the binary's RPATH is $ORIGIN/lib) and README.md,
#   and <archive>.sha256 ("<hex>  <file>", as sha256sum -c reads it).
# The binary needs glibc >= the builder's (Debian 12: 2.36).
#
#   scripts/package-plugin.sh BINARY VERSION OS ARCH OUT_DIR
set -euo pipefail
bin="${1:?plugin binary}"
version="${2:?version}"
os="${3:?os}"
arch="${4:?arch}"
out="${5:?output dir}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
if ! readelf -d "$bin" | grep -q '(RPATH).*\$ORIGIN/lib'; then
  echo "package-plugin: $bin has no RPATH \$ORIGIN/lib (plugin/CMakeLists.txt sets it)" >&2
  exit 1
fi
name="kubectl-modelrollout_${version}_${os}_${arch}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/kubectl-modelrollout"
"$here/collect-runtime-libs.sh" "$bin" "$stage/lib"
install -m 0644 "$root/docs/plugin.md" "$stage/README.md"
mkdir -p "$out"
# Reproducible: fixed order, owner and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='1970-01-01 00:00:00Z' \
  -C "$stage" -czf "$out/$name.tar.gz" kubectl-modelrollout lib README.md
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
