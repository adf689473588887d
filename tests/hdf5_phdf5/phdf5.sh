#!/usr/bin/env bash
# HDF5's own parallel test suite (testphdf5, from Debian's hdf5 source
# package) against Nacre, through libnacre_mpiio.so: the unmodified test
# program, HDF5's MPI-IO driver, file names nacre:/phdf5/np<N>/..., a
# standalone server job started here.
#
# phdf5.sh [np ...]      (default: 2 4)
#   1. build testphdf5 (build_testphdf5.sh; cached in the build tree)
#   2. start a standalone server job (2 servers), mkdir /phdf5/np<N>
#   3. for each np: mpirun -n np testphdf5 -x <excluded tests> with
#      LD_PRELOAD=libnacre_mpiio.so and HDF5_PARAPREFIX=nacre:/phdf5/np<N>;
#      fails unless testphdf5 exits 0 AND reports "finished with no errors"
#      AND no test printed an error
#   4. nothing went to the local file system; the server shuts down cleanly
# The excluded tests and the reason for each are in README.md here.
#
# Every process this test starts is stopped by PID on exit, also on failure.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-phdf5
here="$src/tests/hdf5_phdf5"
lib="$build/lib/mpiio_preload/libnacre_mpiio.so"
nps=("$@"); [ ${#nps[@]} -gt 0 ] || nps=(2 4)
for f in "$lib" "$NACRE_SERVER_BIN" "$NACRE_CTL_BIN"; do
  [ -e "$f" ] || { echo "missing $f (build the test's dependencies)"; exit 1; }
done

echo "== 1. testphdf5 from Debian's hdf5 source package"
prog="$("$here/build_testphdf5.sh" "$build/tests/hdf5_phdf5/cache" | tail -n 1)"
[ -x "$prog" ] || { echo "FAIL: testphdf5 could not be built (see above)"; exit 1; }

# Tests not run at np ranks: excluded.txt, "<name> <all|np,np..> <reason>"
# (full reasons in README.md).
excluded_at() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/excluded.txt" |
    awk -v np="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "all" || a[i] == np) { print $1; break } }'
}

ctl() { timeout 60 "${MPIC[@]}" -n 1 "$NACRE_CTL_BIN" "$@"; }
echo "== 2. standalone server job"
"$src/scripts/nacre-up.sh" -n 2 -d "$state"
export NACRE_ADDRESS="file:$state/port"
MPIC=("${MPI[@]}" --ompi-server "file:$state/ompi-server.uri" -x NACRE_ADDRESS)
ctl mkdir /phdf5
# 64 KiB stripes over both servers: the test files span servers and stripes
ctl setstripe -S 65536 -c -1 /phdf5

# h5_fixname mkdir()s the prefix locally if it can; run in an empty
# directory and check afterwards that nothing was created there.
work="$state/cwd"; mkdir -p "$work"; cd "$work"
status=0
for np in "${nps[@]}"; do
  ctl mkdir "/phdf5/np$np"
  mapfile -t excluded < <(excluded_at "$np")
  xargs_=(); for t in "${excluded[@]}"; do xargs_+=(-x "$t"); done
  echo "== 3. testphdf5, $np ranks, excluded: ${excluded[*]:-none}"
  log="$state/testphdf5.np$np.log"
  start=$SECONDS; rc=0
  HDF5_PARAPREFIX="nacre:/phdf5/np$np" HDF5_ALARM_SECONDS=240 \
    timeout 300 "${MPIC[@]}" -x LD_PRELOAD="$lib" -x HDF5_PARAPREFIX -x HDF5_ALARM_SECONDS \
    -n "$np" "$prog" "${xargs_[@]}" >"$log" 2>&1 || rc=$?
  grep -E 'ERROR|FAIL|error|PHDF5 tests' "$log" || true
  echo "   ran: $(sed -n 's/^Testing  -- .*(\([^()]*\)) *$/\1/p' "$log" | awk '!seen[$0]++' | tr '\n' ' ')"
  echo "   $(grep -c '^Testing' "$log" || true) test runs (all ranks) in $((SECONDS - start)) s, exit $rc"
  bad=""
  [ "$rc" -eq 0 ] || bad="exit code $rc"
  grep -q 'PHDF5 tests finished with no errors' "$log" || bad="${bad:+$bad, }no 'finished with no errors'"
  if grep -qE 'Parallel ERROR|PHDF5 ERROR|\*FAILED\*|tests detected [0-9]+ errors' "$log"; then
    bad="${bad:+$bad, }errors reported"
  fi
  grep -q "nacre:/phdf5/np$np/ParaTest.h5" "$log" || bad="${bad:+$bad, }test file is not on Nacre"
  if [ -n "$bad" ]; then
    echo "FAIL: testphdf5 at $np ranks: $bad; its output:"
    cat "$log"
    status=1
  else
    echo "   testphdf5 at $np ranks: OK"
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
[ "$status" -eq 0 ] || { echo "FAIL: testphdf5 reported failures (see above)"; exit 1; }
echo "== 4. shutdown"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state"
grep -q "shut down cleanly" "$state/server.log" || { echo "FAIL: server did not shut down cleanly"; exit 1; }
echo "hdf5.testphdf5 (np ${nps[*]}): OK"
