#!/usr/bin/env bash
# Keeps the Dockerfile honest on machines without Docker:
#  1. the builder stage runs exactly scripts/install-deps.sh and scripts/docker-build-steps.sh;
#  2. docker-build-steps.sh's plan (dry run) configures, builds, runs unit tests, installs the
#     controller and collects its non-glibc shared libraries where the final stage copies them;
#  3. the final stage is distroless cc-debian12 (glibc only, no shell: no RUN), non-root
#     numeric USER 65532, LD_LIBRARY_PATH to the collected libraries, exec-form ENTRYPOINT,
#     and the OCI labels org.opencontainers.image.*;
#  4. when a controller is built, scripts/collect-runtime-libs.sh run on it leaves out nothing
#     but glibc (Debian package libc6, which distroless cc-debian12 ships) and copies no glibc.
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
echo "$final" | head -1 | grep -Eq '^FROM gcr\.io/distroless/cc-debian12(:nonroot)?(@sha256:[0-9a-f]{64})?$' &&
  ok "final is distroless cc-debian12" || fail "final stage must be 'FROM gcr.io/distroless/cc-debian12:nonroot'"

mapfile -t runs < <(echo "$builder" | grep '^RUN ' | sed 's/^RUN  *//')
if [ ${#runs[@]} -eq 2 ] && [[ "${runs[0]}" == "./scripts/install-deps.sh"* ]] &&
   [[ "${runs[1]}" == "./scripts/docker-build-steps.sh /src /build /out" ]]; then
  ok "builder RUNs install-deps.sh then docker-build-steps.sh"
else
  fail "builder RUN lines must be exactly install-deps.sh and docker-build-steps.sh /src /build /out: ${runs[*]}"
fi

for s in install-deps.sh docker-build-steps.sh collect-runtime-libs.sh; do
  bash -n "$root/scripts/$s" || fail "scripts/$s has a syntax error"
done
plan="$(MR_DOCKER_STEPS_DRY_RUN=1 MR_JOBS=2 "$root/scripts/docker-build-steps.sh" /src /build /out)" ||
  fail "docker-build-steps.sh dry run failed"
expected_plan="cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build /build -j 2
ctest --test-dir /build -L unit --output-on-failure -j 2 --timeout 300
install -D -m 0755 /build/controller/modelrollout-controller /out/modelrollout-controller
/src/scripts/collect-runtime-libs.sh /out/modelrollout-controller /out/lib"
[ "$plan" = "$expected_plan" ] && ok "build plan" || fail "build plan differs:
$plan"

echo "$final" | grep -q '^RUN ' && fail "the distroless final stage has no shell: no RUN"
echo "$final" | grep -Eq '^COPY --from=builder /out/modelrollout-controller /usr/local/bin/modelrollout-controller$' &&
  ok "final copies the controller" || fail "final stage must COPY --from=builder /out/modelrollout-controller"
echo "$final" | grep -Eq '^COPY --from=builder /out/lib/ /usr/lib/modelrollout/$' &&
  ok "final copies the collected libraries" || fail "final stage must COPY --from=builder /out/lib/ /usr/lib/modelrollout/"
echo "$final" | grep -Eq '^ENV LD_LIBRARY_PATH=/usr/lib/modelrollout$' &&
  ok "LD_LIBRARY_PATH" || fail "final stage must set ENV LD_LIBRARY_PATH=/usr/lib/modelrollout"
echo "$final" | grep -Eq '^USER 65532(:65532)?$' && ok "USER 65532" || fail "final stage must run as numeric USER 65532"
echo "$final" | grep -Eq '^ENTRYPOINT \["/usr/local/bin/modelrollout-controller"\]$' &&
  ok "exec-form ENTRYPOINT" || fail "ENTRYPOINT must be the exec form of the controller (no shell)"
for label in title description source url version revision created; do
  echo "$final" | grep '^LABEL ' | grep -q "org\.opencontainers\.image\.$label=" &&
    ok "label org.opencontainers.image.$label" || fail "final stage lacks LABEL org.opencontainers.image.$label"
done

bin="${MR_CONTROLLER_BIN:-$(ls "$root"/build*/controller/modelrollout-controller 2>/dev/null | head -1)}"
if [ "$bin" = none ]; then
  echo "skip link check: sanitizer build (links libasan/libubsan, never shipped)"
elif [ -z "$bin" ]; then
  echo "skip link check: no built controller (build*/controller/modelrollout-controller)"
elif ! command -v dpkg >/dev/null; then
  echo "skip link check: no dpkg here"
else
  libs="$(mktemp -d)"
  if "$root/scripts/collect-runtime-libs.sh" "$bin" "$libs"; then ok "collect-runtime-libs.sh resolves every library"
  else fail "collect-runtime-libs.sh failed on $bin"; fi
  while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ -e "$libs/$name" ]; then ok "$name collected"; continue; fi
    pkg="$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null)"
    pkg="$(echo "$pkg" | head -1 | cut -d: -f1)"
    [ "$pkg" = libc6 ] && ok "$name from glibc (in the base)" || fail "$name ($pkg) is neither collected nor glibc"
  done < <(ldd "$bin")
  for f in "$libs"/*; do
    [ -e "$f" ] || continue
    pkg="$(dpkg -S "$(basename "$f")" 2>/dev/null | head -1 | cut -d: -f1)"
    [ "$pkg" = libc6 ] && fail "collected $(basename "$f") is glibc; it must come from the base image"
  done
  rm -rf "$libs"
fi
echo "$fails failure(s)"
[ $fails -eq 0 ]
