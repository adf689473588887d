#!/usr/bin/env bash
# Restart of a persistent deployment (embedded runtime):
#   job 1 formats, writes files of several layouts, syncs, exits;
#   job 2 (same config) mounts and verifies namespace, layouts, modes, bytes;
#   jobs 3.. with a wrong config (fewer servers, more servers, other replica
#   count, scratch over it, a foreign directory, a second server on a held
#   directory) are refused with a clear message and nothing on disk changes;
#   a last job verifies again.
# Every process this script starts is stopped by PID on exit (also on failure).
set -euo pipefail
source "$(dirname "$0")/durable_env.sh" nacre-restart 1

echo "== job 1: format, write, sync"
run -n 5 "$job" write t1 24
cat "$state/fs/server-0/nacre-stamp"
[ -f "$state/fs/server-0/metadata.mdb" ]
[ ! -f "$state/fs/server-1/metadata.mdb" ]

echo "== job 2: same config mounts and verifies (different client count)"
run -n 4 "$job" verify t1 24

before="$(snapshot "$state/fs")"
refused() {  # refused <expected text> <mpirun args...>
  local want="$1"; shift
  local out
  if out="$(run "$@" 2>&1)"; then :; else echo "$out"; echo "FAILED: job did not exit 0"; exit 1; fi
  grep -q "refused as expected" <<<"$out" || { echo "$out"; echo "FAILED: not refused"; exit 1; }
  grep -F -q "$want" <<<"$out" || { echo "$out"; echo "FAILED: message lacks '$want'"; exit 1; }
  echo "  refused: $(grep -m1 'refused as expected' <<<"$out")"
  local now; now="$(snapshot "$state/fs")"
  [ "$now" == "$before" ] || { diff <(echo "$before") <(echo "$now") | head; echo "FAILED: disk changed"; exit 1; }
}
echo "== wrong configs are refused, nothing on disk changes"
refused "formatted for 3 servers" -n 4 -x NACRE_SERVERS=2 "$job" refused "formatted for 3 servers"
refused "formatted for 3 servers" -n 6 -x NACRE_SERVERS=4 "$job" refused "formatted for 3 servers"
refused "scratch deployment would erase" -n 5 -x NACRE_DEPLOYMENT=scratch "$job" refused "scratch deployment would erase"
refused "replicas" -n 5 -x NACRE_REPLICAS=2 "$job" refused "formatted with 1 replica(s), but deployment.replicas is 2"

echo "== a foreign directory (another file system's server-1) is refused"
NACRE_STORE_DIR="$state/other" run -n 5 "$job" write other 3
mv "$state/fs/server-1" "$state/server-1.mine"
cp -a "$state/other/server-1" "$state/fs/server-1"
before="$(snapshot "$state/fs")"
refused "foreign" -n 5 "$job" refused "foreign"
rm -rf "$state/fs/server-1"; mv "$state/server-1.mine" "$state/fs/server-1"

echo "== a missing server directory is refused"
mv "$state/fs/server-2" "$state/server-2.away"
before="$(snapshot "$state/fs")"
refused "does not exist" -n 5 "$job" refused "does not exist"
[ ! -e "$state/fs/server-2" ]
mv "$state/server-2.away" "$state/fs/server-2"

echo "== a second job on directories in use fails with EBUSY"
# Hold server-0's lock from another process (flock on the directory). The
# subshell becomes `sleep` (exec), so the PID we kill is the lock's holder.
( exec 9<"$state/fs/server-0"; flock -x 9; exec sleep 300 ) & pids+=($!)
sleep 0.3
before="$(snapshot "$state/fs")"
refused "in use by another Nacre server" -n 5 "$job" refused "in use by another Nacre server"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "== after all that, the file system is intact"
run -n 5 "$job" verify t1 24
echo "restart: OK"
