#!/usr/bin/env bash
# Installs the Debian 12 packages Nacre needs to build, test and benchmark.
# Idempotent: does nothing when everything is present. Needs root (or sudo).
# Also fetches Debian's hdf5 source package (see below).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git dpkg-dev
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
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's hdf5 source package, of the same version as the installed
# libhdf5-openmpi-dev, for hdf5.testphdf5 (tests/hdf5_phdf5): HDF5's own
# parallel tests are built from it at test time. Only the .dsc and tarballs
# are downloaded (no build, nothing unpacked); NACRE_HDF5_SRC overrides the
# directory (the test reads the same variable).
HDF5_SRC="${NACRE_HDF5_SRC:-/usr/local/src/nacre-hdf5}"
hdf5_ver="$(dpkg-query -W -f='${source:Version}' libhdf5-openmpi-dev)"
if [ ! -f "$HDF5_SRC/hdf5_${hdf5_ver#*:}.dsc" ]; then
  echo "install-deps: fetching the hdf5 $hdf5_ver source package into $HDF5_SRC"
  if ! grep -qsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
       /etc/apt/sources.list.d/*.sources; then
    # deb-src entries mirroring Debian's deb ones (debian.sources, the
    # Debian 12 default, or one-line entries in sources.list)
    src_list=/etc/apt/sources.list.d/nacre-deb-src
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        $SUDO tee "$src_list.sources" >/dev/null
    else
      sed -n 's/^deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list | $SUDO tee "$src_list.list" >/dev/null
    fi
  fi
  $SUDO apt-get update -qq
  $SUDO mkdir -p "$HDF5_SRC"
  # as root in a root-owned directory apt cannot drop to _apt: hide its warning
  (cd "$HDF5_SRC" && $SUDO apt-get source --download-only -qq "hdf5=$hdf5_ver" 2>&1 |
     grep -v "unsandboxed as root" || true)
  [ -f "$HDF5_SRC/hdf5_${hdf5_ver#*:}.dsc" ] || { echo "install-deps: could not fetch the hdf5 source package" >&2; exit 1; }
fi
