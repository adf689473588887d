#!/usr/bin/env bash
# HDF5's own parallel test suite (testphdf5, from Debian's hdf5 source
# package) against Nacre, on a standalone server job started here.
#
# phdf5.sh mpiio [np ...]   (default np: 2 4)
#   the unmodified testphdf5 with LD_PRELOAD=libnacre_mpiio.so: HDF5's own
#   MPI-IO driver, file names nacre:/phdf5/mpiio-np<N>/ParaTest.h5
# phdf5.sh h5fd [np ...]
#   testphdf5 built with h5fd_shim.h: the tests' fapls use H5FD_NACRE where
#   they ask for the MPI-IO driver. The harness itself also calls MPI-IO on
#   the test file (h5_get_file_size, MPI_File_delete), so libnacre_mpiio.so
#   is preloaded for those calls; HDF5's I/O goes through the driver, which
#   is checked: it alone reads NACRE_H5_STRIPE_SIZE (set to 128 KiB here)
#   when it creates the file.
#
#   1. build testphdf5 (build_testphdf5.sh; cached in the build tree)
#   2. start a standalone server job (2 servers), mkdir /phdf5/<route>-np<N>
#   3. for each np: mpirun -n np testphdf5 -x <excluded tests>; fails unless
#      testphdf5 exits 0 AND rank 0 reports "finished with no errors" AND no
#      test printed an error AND the test file is the Nacre one
#   4. nothing went to the local file system; the server shuts down cleanly
# The excluded tests and the reason for each: excluded.txt and README.md.
#
# Every process this test starts is stopped by PID on exit, also on failure.
# The script keeps to its own time budget (NACRE_PHDF5_BUDGET, 270 s, below
# the ctest TIMEOUT of 300 s) so that it fails, and its EXIT trap stops the
# server job, before ctest would kill it (which no trap survives).
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-phdf5
here="$src/tests/hdf5_phdf5"
lib="$build/lib/mpiio_preload/libnacre_mpiio.so"
route="${1:?usage: phdf5.sh mpiio|h5fd [np ...]}"; shift
case "$route" in mpiio) flavour=mpio ;; h5fd) flavour=h5fd ;; *) echo "unknown route $route"; exit 2 ;; esac
nps=("$@"); [ ${#nps[@]} -gt 0 ] || nps=(2 4)
budget="${NACRE_PHDF5_BUDGET:-270}"
# seconds left of the budget, at most $1; fails the test when it is spent
left() {
  local l=$((budget - SECONDS))
  if [ "$l" -lt 5 ]; then
    echo "FAIL: out of time (${budget} s budget spent; testphdf5 needs about 25 s on an idle 2-core machine)" >&2
    exit 1
  fi
  echo $((l < $1 ? l : $1))
}
for f in "$lib" "$NACRE_SERVER_BIN" "$NACRE_CTL_BIN"; do
  [ -e "$f" ] || { echo "missing $f (build the test's dependencies)"; exit 1; }
done

echo "== 1. testphdf5 ($flavour) from Debian's hdf5 source package"
prog="$("$here/build_testphdf5.sh" "$build/tests/hdf5_phdf5/cache" "$flavour" | tail -n 1)"
[ -x "$prog" ] || { echo "FAIL: testphdf5 could not be built (see above)"; exit 1; }

# Tests not run: excluded.txt, "<name> <routes> <rank counts> <reason>"
excluded_at() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/excluded.txt" |
    awk -v route="$route" -v np="$1" '
      function has(list, x,   a, n, i) { n = split(list, a, ","); for (i = 1; i <= n; i++) if (a[i] == "all" || a[i] == x) return 1; return 0 }
      has($2, route) && has($3, np) { print $1 }'
}

ctl() { local t; t=$(left 60); timeout "$t" "${MPIC[@]}" -n 1 "$NACRE_CTL_BIN" "$@"; }
echo "== 2. standalone server job"
t=$(left 60); timeout "$t" "$src/scripts/nacre-up.sh" -n 2 -d "$state"
export NACRE_ADDRESS="file:$state/port"
MPIC=("${MPI[@]}" --ompi-server "file:$state/ompi-server.uri" -x NACRE_ADDRESS)
ctl mkdir /phdf5
# 64 KiB stripes over both servers: the test files span servers and stripes
ctl setstripe -S 65536 -c -1 /phdf5
extra=()
if [ "$route" = h5fd ]; then
  export NACRE_H5_STRIPE_SIZE=131072
  extra=(-x NACRE_H5_STRIPE_SIZE)
fi

# h5_fixname mkdir()s the prefix locally if it can; run in an empty
# directory and check afterwards that nothing was created there.
work="$state/cwd"; mkdir -p "$work"; cd "$work"
status=0
for np in "${nps[@]}"; do
  dir="/phdf5/$route-np$np"
  ctl mkdir "$dir"
  mapfile -t excluded < <(excluded_at "$np")
  xargs_=(); for t in "${excluded[@]}"; do xargs_+=(-x "$t"); done
  echo "== 3. testphdf5 ($route), $np ranks, excluded: ${excluded[*]:-none}"
  log="$state/testphdf5.np$np.log"
  start=$SECONDS; rc=0; t=$(left 240)
  HDF5_PARAPREFIX="nacre:$dir" HDF5_ALARM_SECONDS=240 \
    timeout "$t" "${MPIC[@]}" -x LD_PRELOAD="$lib" -x HDF5_PARAPREFIX -x HDF5_ALARM_SECONDS "${extra[@]}" \
    -n "$np" "$prog" "${xargs_[@]}" >"$log" 2>&1 || rc=$?
  grep -E 'ERROR|FAIL|error|PHDF5 tests' "$log" || true
  echo "   ran: $(sed -n 's/^Testing  -- .*(\([^()]*\)) *$/\1/p' "$log" | awk '!seen[$0]++' | tr '\n' ' ')"
  echo "   $(grep -c '^Testing' "$log" || true) test runs (all ranks) in $((SECONDS - start)) s, exit $rc"
  bad=""
  [ "$rc" -eq 0 ] || bad="exit code $rc"
  [ "$rc" -ne 124 ] || bad="timed out after $t s (it takes about 12 s on an idle machine)"
  grep -q 'PHDF5 tests finished with no errors' "$log" || bad="${bad:+$bad, }no 'finished with no errors'"
  if grep -qE 'Parallel ERROR|PHDF5 ERROR|\*FAILED\*|tests detected [0-9]+ errors' "$log"; then
    bad="${bad:+$bad, }errors reported"
  fi
  grep -q "nacre:$dir/ParaTest.h5" "$log" || bad="${bad:+$bad, }test file is not on Nacre"
  if [ -z "$bad" ] && [ "$route" = h5fd ]; then
    ctl getstripe "$dir/ParaTest.h5" | grep -q "stripe_size=131072" ||
      bad="the test file was not created by H5FD_NACRE (no 128 KiB stripes)"
  fi
  if [ -n "$bad" ]; then
    echo "FAIL: testphdf5 ($route) at $np ranks: $bad; its output:"
    cat "$log"
    status=1
  else
    echo "   testphdf5 ($route) at $np ranks: OK"
  fi
done
cd "$state"
if [ -n "$(ls -A "$work")" ]; then
  echo "FAIL: testphdf5 created local files: $(ls -A "$work")"; status=1
fi
# testphdf5 calls MPI_Abort on its first failed check. Its clients (plain
# MPI_Init, no lease: docs/LOCKS.md "Client leases") then never disconnect,
# so a graceful shutdown would wait for them: leave it to the EXIT trap,
# which stops the server job by PID.
[ "$status" -eq 0 ] || { echo "FAIL: testphdf5 ($route) reported failures (see above)"; exit 1; }
echo "== 4. shutdown"
t=$(left 60); timeout "$t" "$src/scripts/nacre-down.sh" -d "$state"
grep -q "shut down cleanly" "$state/server.log" || { echo "FAIL: server did not shut down cleanly"; exit 1; }
echo "hdf5.testphdf5 ($route, np ${nps[*]}): OK"
