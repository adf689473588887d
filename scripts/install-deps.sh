#!/usr/bin/env bash
# Installs the Debian 12 packages Nacre needs to build, test and benchmark.
# Idempotent: does nothing when everything is present. Needs root (or sudo).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  openmpi-bin libopenmpi-dev
  libboost-dev libtomlplusplus-dev libcli11-dev
  doctest-dev libbenchmark-dev
  libhdf5-openmpi-dev hdf5-tools
  liblmdb-dev lmdb-utils libisal-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
