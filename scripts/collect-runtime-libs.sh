#!/usr/bin/env bash
# Copies the shared libraries BINARY needs (ldd, so transitive ones too) into DIR, except glibc's:
# the loader and libc family must come from the runtime base (distroless cc-debian12 ships the
# same Debian 12 glibc as the debian:12 builder). Used for the controller image (Dockerfile,
# LD_LIBRARY_PATH) and the plugin archives (scripts/package-plugin.sh, RPATH $ORIGIN/lib).
#
#   scripts/collect-runtime-libs.sh BINARY DIR
set -euo pipefail
bin="${1:?binary}"
dir="${2:?output dir}"
mkdir -p "$dir"
is_glibc() {
  case "$1" in
    ld-linux*.so.* | ld64.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libresolv.so.* | libutil.so.* | libanl.so.* | libmvec.so.* | libnss_*.so.* | libBrokenLocale.so.* | \
      libc_malloc_debug.so.* | libthread_db.so.*) return 0 ;;
  esac
  return 1
}
missing=0
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  if [ "$path" = "not" ]; then
    echo "collect-runtime-libs: $bin needs $name, which ldd cannot find" >&2
    missing=1
    continue
  fi
  is_glibc "$name" && continue
  cp -L "$path" "$dir/$name"
done < <(ldd "$bin")
exit $missing
