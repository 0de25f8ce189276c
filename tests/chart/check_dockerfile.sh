#!/usr/bin/env bash
# Keeps the Dockerfile honest on machines without Docker:
#  1. the builder stage runs exactly scripts/install-deps.sh and scripts/docker-build-steps.sh;
#  2. docker-build-steps.sh's plan (dry run) configures, builds, runs unit tests and installs
#     the controller where the final stage copies it from;
#  3. the final stage is debian:12-slim, non-root 65532, exec-form ENTRYPOINT of that binary;
#  4. every runtime package exists in Debian (apt-cache), and when a controller is built, every
#     library it links (NEEDED) comes from a listed package, one of their dependencies, or the
#     base image.
# Usage: check_dockerfile.sh REPO_ROOT
set -uo pipefail
root="$1"
df="$root/Dockerfile"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok   $*"; }

[ -f "$df" ] || { echo "FAIL: no Dockerfile"; exit 1; }
# Join continuation lines so each instruction is one line.
instructions="$(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$df" | grep -Ev '^\s*(#|$)')"
builder="$(echo "$instructions" | awk '/^FROM /{n++} n==1')"
final="$(echo "$instructions" | awk '/^FROM /{n++} n==2')"

[ "$(echo "$instructions" | grep -c '^FROM ')" = 2 ] || fail "want exactly two stages"
echo "$builder" | head -1 | grep -Eq '^FROM debian:12 AS builder$' && ok "builder is debian:12" || fail "builder stage must be 'FROM debian:12 AS builder'"
echo "$final" | head -1 | grep -Eq '^FROM debian:12-slim$' && ok "final is debian:12-slim" || fail "final stage must be 'FROM debian:12-slim'"

mapfile -t runs < <(echo "$builder" | grep '^RUN ' | sed 's/^RUN  *//')
if [ ${#runs[@]} -eq 2 ] && [[ "${runs[0]}" == "./scripts/install-deps.sh"* ]] &&
   [[ "${runs[1]}" == "./scripts/docker-build-steps.sh /src /build /out" ]]; then
  ok "builder RUNs install-deps.sh then docker-build-steps.sh"
else
  fail "builder RUN lines must be exactly install-deps.sh and docker-build-steps.sh /src /build /out: ${runs[*]}"
fi

for s in install-deps.sh docker-build-steps.sh; do
  bash -n "$root/scripts/$s" || fail "scripts/$s has a syntax error"
done
plan="$(MR_DOCKER_STEPS_DRY_RUN=1 MR_JOBS=2 "$root/scripts/docker-build-steps.sh" /src /build /out)" ||
  fail "docker-build-steps.sh dry run failed"
expected_plan="cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build /build -j 2
ctest --test-dir /build -L unit --output-on-failure -j 2 --timeout 300
install -D -m 0755 /build/controller/modelrollout-controller /out/modelrollout-controller"
[ "$plan" = "$expected_plan" ] && ok "build plan" || fail "build plan differs:
$plan"

echo "$final" | grep -Eq '^COPY --from=builder /out/modelrollout-controller /usr/local/bin/modelrollout-controller$' &&
  ok "final copies the controller" || fail "final stage must COPY --from=builder /out/modelrollout-controller"
echo "$final" | grep -Eq '^USER 65532(:65532)?$' && ok "USER 65532" || fail "final stage must run as USER 65532"
echo "$final" | grep -Eq '^ENTRYPOINT \["/usr/local/bin/modelrollout-controller"\]$' &&
  ok "exec-form ENTRYPOINT" || fail "ENTRYPOINT must be the exec form of the controller (no shell)"

runtime_pkgs="$(echo "$final" | grep '^RUN ' | grep -o 'install -y --no-install-recommends [^&]*' |
  sed 's/install -y --no-install-recommends//' | tr -s ' ' '\n' | grep -v '^$' | sort -u)"
[ -n "$runtime_pkgs" ] || fail "no runtime packages found in the final stage"
for p in $(grep -o '[a-z0-9.+-]*-dev\b' <<<"$runtime_pkgs"); do fail "final stage installs a -dev package: $p"; done

# One apt-cache call for all packages (each call parses the whole package lists).
known="$(apt-cache show --no-all-versions libc6 $runtime_pkgs 2>/dev/null | sed -n 's/^Package: //p')"
if ! grep -qx libc6 <<<"$known"; then
  echo "skip package checks: apt-cache has no package lists here"
else
  for p in $runtime_pkgs; do
    grep -qx -- "$p" <<<"$known" && ok "package $p exists" || fail "package $p is not in Debian's lists"
  done
  bin="${MR_CONTROLLER_BIN:-$(ls "$root"/build*/controller/modelrollout-controller 2>/dev/null | head -1)}"
  if [ "$bin" = none ]; then
    echo "skip link check: sanitizer build (links libasan/libubsan, never shipped)"
  elif [ -z "$bin" ]; then
    echo "skip link check: no built controller (build*/controller/modelrollout-controller)"
  else
    # Packages of the debian:12-slim base image that carry C/C++ runtime libraries.
    allowed="libc6 libstdc++6 libgcc-s1 zlib1g libzstd1 liblzma5 libgcrypt20 libgpg-error0 $runtime_pkgs"
    allowed="$allowed $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances $runtime_pkgs 2>/dev/null | grep -v '^ ' | grep -v '^<')"
    needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
    for lib in $needed; do
      path="$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')"
      [ -n "$path" ] || { fail "ldd cannot resolve $lib"; continue; }
      real="$(readlink -f "$path")"
      pkg="$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null)"
      pkg="$(echo "$pkg" | head -1 | cut -d: -f1)"
      if [ -z "$pkg" ]; then fail "$lib ($path) belongs to no Debian package"; continue; fi
      if grep -qw -- "$pkg" <<<"$allowed"; then ok "$lib from $pkg"; else fail "$lib comes from $pkg, which the final stage does not install"; fi
    done
  fi
fi
echo "$fails failure(s)"
[ $fails -eq 0 ]
