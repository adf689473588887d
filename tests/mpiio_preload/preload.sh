#!/usr/bin/env bash
# libnacre_mpiio.so end to end.
#
# preload.sh plain: an unmodified MPI-IO program (mpiio_plain)
#   1. on a local file, plain Open MPI
#   2. on a local file with LD_PRELOAD=libnacre_mpiio.so (pass-through)
#   3. on nacre:/preload/plain.dat with LD_PRELOAD, against a standalone
#      server job started here (the preload raises MPI to
#      MPI_THREAD_MULTIPLE), and 3b. again with NACRE_MPI_THREAD_MULTIPLE=0
#      (plain MPI_Init: call-scoped locks)
# Every run verifies its data; the three checksums must match, and the Nacre
# file fetched with nacre-ctl must equal the local one byte for byte.
#
# preload.sh hdf5: an unmodified parallel HDF5 program (hdf5_parallel, MPI-IO
# driver) on a local file and on nacre:/preload/h5.h5 under LD_PRELOAD; both
# verify their data; the Nacre file, fetched, must equal the local one under
# h5diff and h5dump.
#
# Every process this test starts is stopped by PID on exit, also on failure.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-preload
lib="$build/lib/mpiio_preload/libnacre_mpiio.so"
mode="${1:-plain}"
case "$mode" in
  plain) prog="$build/tests/mpiio_preload/nacre_mpiio_plain" ;;
  hdf5) prog="$build/tests/mpiio_preload/nacre_hdf5_parallel" ;;
  *) echo "usage: preload.sh plain|hdf5"; exit 2 ;;
esac
np="${NACRE_PRELOAD_NP:-4}"
for f in "$lib" "$prog" "$NACRE_SERVER_BIN" "$NACRE_CTL_BIN"; do
  [ -e "$f" ] || { echo "missing $f (build the test's dependencies)"; exit 1; }
done


# Local-file runs use ROMIO: Open MPI 4.1's default OMPIO intermittently
# returns wrong data for MPI_File_iwrite_at + iread_at here (2 of 8 runs,
# without any preload) and invalid error codes on ranks > 0 of a failed open.
LOCAL_IO=(--mca io "${NACRE_PRELOAD_LOCAL_IO:-romio321}")

checksum() { grep -o 'checksum [0-9a-f]*' <<<"$1"; }
# The thread level the program got from its plain MPI_Init.
expect_level() {
  grep -q "^MPI thread level $2\$" <<<"$1" || { echo "expected MPI thread level $2"; exit 1; }
}
up() {
  "$src/scripts/nacre-up.sh" -n 2 -d "$state"
  export NACRE_ADDRESS="file:$state/port"
  MPIC=("${MPI[@]}" --ompi-server "file:$state/ompi-server.uri" -x NACRE_ADDRESS)
  ctl mkdir /preload
  # small stripes so the file spans both servers and many stripes
  ctl setstripe -S 65536 -c -1 /preload
}
ctl() { timeout 60 "${MPIC[@]}" -n 1 "$NACRE_CTL_BIN" "$@"; }  # needs the rendezvous too
down() {
  timeout 60 "$src/scripts/nacre-down.sh" -d "$state"
  grep -q "shut down cleanly" "$state/server.log"
}

if [ "$mode" = hdf5 ]; then
  echo "== 1. local file"
  timeout 120 "${MPI[@]}" "${LOCAL_IO[@]}" -n "$np" "$prog" "$state/local.h5"
  echo "== 2. nacre: file, LD_PRELOAD, standalone server job"
  up
  timeout 180 "${MPIC[@]}" -x LD_PRELOAD="$lib" -n "$np" "$prog" nacre:/preload/h5.h5
  ctl get /preload/h5.h5 "$state/fetched.h5"
  h5diff "$state/local.h5" "$state/fetched.h5"
  cmp <(h5dump "$state/local.h5" | tail -n +2) <(h5dump "$state/fetched.h5" | tail -n +2)
  echo "== shutdown"
  down
  echo "mpiio_preload hdf5: OK"
  exit 0
fi

echo "== 1. local file, plain MPI"
out1="$(timeout 120 "${MPI[@]}" "${LOCAL_IO[@]}" -n "$np" "$prog" "$state/local.dat")"
echo "$out1"
sum1="$(checksum "$out1")"
[ -n "$sum1" ]
expect_level "$out1" 0   # Open MPI: MPI_THREAD_SINGLE 0, MPI_THREAD_MULTIPLE 3

echo "== 2. local file, LD_PRELOAD (pass-through, no server)"
out2="$(timeout 120 "${MPI[@]}" "${LOCAL_IO[@]}" -x LD_PRELOAD="$lib" -n "$np" "$prog" "$state/local2.dat")"
echo "$out2"
[ "$(checksum "$out2")" = "$sum1" ]
expect_level "$out2" 0   # no Nacre configured: the application's level
cmp "$state/local.dat" "$state/local2.dat"

echo "== 3. nacre: file, LD_PRELOAD, standalone server job"
up
out3="$(timeout 180 "${MPIC[@]}" -x LD_PRELOAD="$lib" -n "$np" "$prog" nacre:/preload/plain.dat)"
echo "$out3"
[ "$(checksum "$out3")" = "$sum1" ] || { echo "checksums differ: $sum1 vs $(checksum "$out3")"; exit 1; }
[ ! -e "nacre:" ] && [ ! -e "$PWD/nacre:/preload" ]   # nothing went to the local file system
ctl get /preload/plain.dat "$state/fetched.dat"
cmp "$state/local.dat" "$state/fetched.dat"
expect_level "$out3" 3   # the preload asked for MPI_THREAD_MULTIPLE (lock progress thread)

echo "== 3b. the same with NACRE_MPI_THREAD_MULTIPLE=0 (call-scoped locks, no caches)"
out3b="$(NACRE_MPI_THREAD_MULTIPLE=0 timeout 180 "${MPIC[@]}" -x NACRE_MPI_THREAD_MULTIPLE \
         -x NACRE_LOG=info -x LD_PRELOAD="$lib" -n "$np" "$prog" nacre:/preload/plain-b.dat 2>&1)"
echo "$out3b" | grep -v '^\[' || true
[ "$(checksum "$out3b")" = "$sum1" ] || { echo "checksums differ: $sum1 vs $(checksum "$out3b")"; exit 1; }
expect_level "$out3b" 0
grep -q 'extent locks are held only during each call' <<<"$out3b"
ctl get /preload/plain-b.dat "$state/fetched-b.dat"
cmp "$state/local.dat" "$state/fetched-b.dat"

echo "== 4. errors: relative nacre: path, and no server configured"
rc=0; out="$(timeout 60 "${MPIC[@]}" -x LD_PRELOAD="$lib" -n 2 "$prog" --open-fails nacre:relative.dat 2>&1)" || rc=$?
[ "$rc" -eq 3 ] || { echo "expected exit 3 for a relative nacre: path, got $rc: $out"; exit 1; }
grep -q 'must be absolute' <<<"$out"
if out="$(env -u NACRE_ADDRESS timeout 60 "${MPI[@]}" -x LD_PRELOAD="$lib" -n 2 "$prog" nacre:/preload/x.dat 2>&1)"; then
  echo "expected failure without NACRE_ADDRESS"; exit 1
fi
grep -q 'Nacre is not connected' <<<"$out"
if out="$(NACRE_ADDRESS=file:/nonexistent timeout 60 "${MPI[@]}" -x NACRE_ADDRESS -x LD_PRELOAD="$lib" -n 2 "$prog" nacre:/preload/x.dat 2>&1)"; then
  echo "expected failure for a bad address"; exit 1
fi
grep -q 'cannot connect to the Nacre server job' <<<"$out"

echo "== shutdown"
down
echo "mpiio_preload plain: OK"
