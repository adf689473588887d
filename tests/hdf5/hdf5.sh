#!/usr/bin/env bash
# H5FD_NACRE end to end, against a standalone Nacre server job started here.
#
# hdf5.sh <np>     (np = 1..4 client ranks)
#   1. h5_check mpio write on a local file (HDF5's MPI-IO driver, ROMIO)
#   2. h5_check nacre write /h5/t.h5 (verifies in the program, reopens)
#   3. h5_check nacre verify at another rank count (np % 4 + 1)
#   4. the file's striping came from the fapl (65536, all servers)
#   5. export (nacre-ctl get): h5diff and h5dump equal to the local file;
#      the exported copy also verifies through the MPI-IO driver
#   6. import (nacre-ctl put) of the local file, verified through H5FD_NACRE
# hdf5.sh errors
#   bad input (non-HDF5 Nacre file, missing file, bad fapls) at 2 ranks.
#
# Every process this test starts is stopped by PID on exit, also on failure.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-h5
prog="$build/tests/hdf5/nacre_h5_check"
mode="${1:?usage: hdf5.sh <np>|errors}"
for f in "$prog" "$NACRE_SERVER_BIN" "$NACRE_CTL_BIN"; do
  [ -e "$f" ] || { echo "missing $f (build the test's dependencies)"; exit 1; }
done
LOCAL_IO=(--mca io romio321)  # see tests/mpiio_preload/preload.sh (OMPIO flaky here)

ctl() { timeout 60 "${MPIC[@]}" -n 1 "$NACRE_CTL_BIN" "$@"; }
up() {
  "$src/scripts/nacre-up.sh" -n 2 -d "$state"
  export NACRE_ADDRESS="file:$state/port"
  MPIC=("${MPI[@]}" --ompi-server "file:$state/ompi-server.uri" -x NACRE_ADDRESS)
  ctl mkdir /h5
}
down() {
  timeout 60 "$src/scripts/nacre-down.sh" -d "$state"
  grep -q "shut down cleanly" "$state/server.log"
}

up
if [ "$mode" = errors ]; then
  echo "this is not an HDF5 file" > "$state/not_hdf5.txt"
  ctl put "$state/not_hdf5.txt" /h5/not_hdf5.txt
  timeout 120 "${MPIC[@]}" -n 2 "$prog" nacre errors /h5
  down
  echo "hdf5 errors: OK"
  exit 0
fi

np="$mode"
other=$(( np % 4 + 1 ))
echo "== 1. local file, MPI-IO driver, $np ranks"
timeout 120 "${MPI[@]}" "${LOCAL_IO[@]}" -n "$np" "$prog" mpio write "$state/local.h5"
echo "== 2. Nacre file, H5FD_NACRE, $np ranks"
timeout 180 "${MPIC[@]}" -n "$np" "$prog" nacre write /h5/t.h5
echo "== 3. reopen with $other ranks"
timeout 180 "${MPIC[@]}" -n "$other" "$prog" nacre verify /h5/t.h5
echo "== 4. striping from the fapl"
ctl getstripe /h5/t.h5 | tee "$state/stripe.txt"
grep -q "stripe_size=65536 stripe_count=2" "$state/stripe.txt"
echo "== 5. export and compare"
ctl get /h5/t.h5 "$state/fetched.h5"
h5diff "$state/local.h5" "$state/fetched.h5"
cmp <(h5dump "$state/local.h5" | tail -n +2) <(h5dump "$state/fetched.h5" | tail -n +2)
if cmp -s "$state/local.h5" "$state/fetched.h5"; then echo "byte-identical to the local file"; fi
timeout 120 "${MPI[@]}" "${LOCAL_IO[@]}" -n "$other" "$prog" mpio verify "$state/fetched.h5"
echo "== 6. import and verify through H5FD_NACRE"
ctl put "$state/local.h5" /h5/imported.h5
timeout 180 "${MPIC[@]}" -n "$other" "$prog" nacre verify /h5/imported.h5
echo "== shutdown"
down
echo "hdf5 np=$np: OK"
