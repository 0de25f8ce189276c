#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need, if any are missing.
# Needs root (or passwordless sudo) only when something is missing.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git curl ca-certificates
      libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev prometheus-cpp-dev libspdlog-dev
      libssl-dev libgtest-dev libgmock-dev prometheus lua5.1 python3-yaml golang-go
      golang-github-masterminds-sprig-dev procps zlib1g-dev jq
      libcurl4-openssl-dev clang-format clang-tidy
      clang-14 libclang-rt-14-dev)   # clang-14 + its runtimes: libFuzzer (make fuzz)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v kubectl >/dev/null; then
  echo "warning: kubectl is not on PATH; kubectl-driven tests and the demo need it" >&2
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "error: these Debian packages are missing and I am not root: ${missing[*]}" >&2
    echo "       run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's prometheus package may start a system service on :9090; our tests run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus || true
fi
