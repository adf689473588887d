#!/usr/bin/env bash
# Install-tree test: cmake --install the build, build an outside project and
# the examples against the installed package, run the consumer on 4 ranks
# (2 servers) and check it reports success.
#
# usage: consumer_test.sh <mpiexec> <numproc-flag> [mpiexec flags...]
# env:   NACRE_BUILD_DIR, NACRE_SOURCE_DIR (set by nacre_add_script_test);
#        CC, CXX (the compilers of the build).
set -euo pipefail

mpiexec=${1:?usage: consumer_test.sh <mpiexec> <numproc-flag> [flags...]}
npflag=${2:?missing numproc flag}
shift 2
mpiflags=("$@")
build=${NACRE_BUILD_DIR:?NACRE_BUILD_DIR is not set}
src=${NACRE_SOURCE_DIR:?NACRE_SOURCE_DIR is not set}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nacre-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }
# Runs a command quietly; shows its output only if it fails.
quiet() {
  local log=$tmp/step.log
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    echo "FAILED: $*" >&2
    exit 1
  fi
}

step "install $build into $prefix"
quiet cmake --install "$build" --prefix "$prefix"
for f in include/nacre/nacre.h include/nacre/nacre.hpp lib/cmake/nacre/nacreConfig.cmake \
         lib/cmake/nacre/nacreConfigVersion.cmake lib/cmake/nacre/nacreTargets.cmake; do
  [[ -e $prefix/$f ]] || { echo "FAILED: $f was not installed" >&2; exit 1; }
done
ls "$prefix"/lib/libnacre.so.* >/dev/null || { echo "FAILED: no versioned libnacre" >&2; exit 1; }

# Only the install prefix: no source tree, no build tree, no package registry.
configure() {
  quiet cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
  local dir
  dir=$(sed -n 's/^nacre_DIR:PATH=//p' "$2/CMakeCache.txt")
  [[ $dir == "$prefix"/* ]] || { echo "FAILED: nacre found at '$dir', not in $prefix" >&2; exit 1; }
}

step "configure and build the consumer project"
configure "$src/tests/install/consumer" "$tmp/consumer"
quiet cmake --build "$tmp/consumer" -j2

step "configure and build the examples standalone"
configure "$src/examples" "$tmp/examples"
quiet cmake --build "$tmp/examples" -j2

status=0
for exe in consumer_cxx consumer_c; do
  step "run $exe on 4 ranks (2 servers)"
  out=$(NACRE_SERVERS=2 "$mpiexec" "$npflag" 4 "${mpiflags[@]}" "$tmp/consumer/$exe" 2>&1) || {
    echo "$out"
    echo "FAILED: $exe exited with an error" >&2
    status=1
    continue
  }
  echo "$out"
  if ! grep -q "^$exe: OK" <<<"$out"; then
    echo "FAILED: $exe did not print '$exe: OK'" >&2
    status=1
  fi
done
# The HDF5 example (built only when the package has nacre::h5fd): runs from
# the install tree with an embedded FileSystem handed to libnacre_h5fd.
if [[ -e $build/lib/h5fd/libnacre_h5fd.so ]]; then
  ls "$prefix"/lib/libnacre_h5fd.so.* >/dev/null || { echo "FAILED: libnacre_h5fd not installed" >&2; exit 1; }
  [[ -x $tmp/examples/04_hdf5_checkpoint ]] || { echo "FAILED: example 04 not built standalone" >&2; exit 1; }
  step "run the standalone-built 04_hdf5_checkpoint on 5 ranks (2 servers)"
  out=$(NACRE_SERVERS=2 "$mpiexec" "$npflag" 5 "${mpiflags[@]}" "$tmp/examples/04_hdf5_checkpoint" 2>&1) || status=1
  echo "$out"
  grep -q "^04_hdf5_checkpoint: .*: OK" <<<"$out" || { echo "FAILED: 04_hdf5_checkpoint" >&2; status=1; }
fi
[[ $status == 0 ]] && echo "install.consumer: OK"
exit $status
