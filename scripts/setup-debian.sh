#!/usr/bin/env bash
# Installs what OptiTrade needs to build, test and benchmark, from Debian 12
# packages only. Safe to run again; does nothing when all is installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3 zstd openssl
  libboost1.81-dev libssl-dev libcli11-dev libsimdjson-dev libfmt-dev
  cppzmq-dev libzmq3-dev libzstd-dev zlib1g-dev catch2 libbenchmark-dev
  libtomlplusplus-dev libpq-dev postgresql libdeflate-dev strace nats-server libnats-dev
  liburing-dev
  clang-14 libclang-rt-14-dev libfuzzer-14-dev clang-format clang-tidy-14
  systemd file libsystemd-dev prometheus
  chromium chromium-driver python3-selenium
  # ot-train's neural networks (CMake option OT_WITH_TORCH, on by default).
  libtorch-dev
)
# kubectl renders the Kubernetes manifests (kubectl kustomize); Debian's
# kubernetes-client provides it unless another kubectl is already installed.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
# The deployment test parses YAML with the python3 that runs the tests.
python3 -c 'import yaml' 2>/dev/null || packages+=(python3-yaml)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
