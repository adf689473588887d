#!/usr/bin/env bash
# End to end: application locks between separate client jobs of one
# standalone server. Job A takes an fcntl and a flock lock and exits without
# unlocking or closing; meanwhile job B sees both locks busy and job C blocks
# for the fcntl lock; when A's session ends the server drops A's locks, C is
# granted, and a later job gets both locks. Then the lease phase: job D (with
# a progress thread, so it holds a client lease) takes the locks and is
# killed with SIGKILL, which sends nothing; the servers presume it dead when
# its lease (NACRE_CLIENT_LEASE_MS, 3 s here) runs out, job E waits and is
# granted, and the server job still shuts down cleanly (it does not wait for
# the dead job's goodbye). Every process this test starts is stopped by PID
# on exit.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-applock
client="$build/tests/e2e/nacre_app_lock_client"

NACRE_CLIENT_LEASE_MS=3000 "$src/scripts/nacre-up.sh" -n 2 -d "$state"
MPI+=(--ompi-server "file:$state/ompi-server.uri")
export NACRE_ADDRESS="file:$state/port"
mkdir -p "$state/flags"

# wait_flag <flag> <pid> <name>: waits (60 s) until $state/flags/<flag>
# exists; fails if the job <pid> ends first or the flag never appears.
wait_flag() {
  local i
  for i in $(seq 600); do
    [ -e "$state/flags/$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 ended early"; wait "$2" || true; exit 1; }
    sleep 0.1
  done
  echo "$3 never created $1"; exit 1
}

echo "== job A takes the locks"
timeout 90 "${MPI[@]}" -n 1 "$client" hold /app.lock "$state/flags" & a=$!
wait_flag locked "$a" "job A"

echo "== job B finds them busy"
timeout 60 "${MPI[@]}" -n 1 "$client" busy /app.lock

echo "== job C waits for the fcntl lock"
timeout 90 "${MPI[@]}" -n 1 "$client" wait /app.lock "$state/flags" > "$state/wait.out" & c=$!
wait_flag waiting "$c" "job C"
sleep 1  # C's request reaches the server and waits there
kill -0 "$c" 2>/dev/null || { echo "job C did not wait"; cat "$state/wait.out"; exit 1; }

echo "== job A exits without unlocking; C is granted"
touch "$state/flags/release"
wait "$a"
wait "$c"
cat "$state/wait.out"
grep -q "^wait: granted" "$state/wait.out"

echo "== a later job gets both locks"
timeout 60 "${MPI[@]}" -n 1 "$client" free /app.lock

echo "== lease: job D holds the locks and is killed"
rm -f "$state/flags/"*
timeout 90 "${MPI[@]}" -n 1 "$client" --threads hold /app.lock "$state/flags" & d=$!
wait_flag locked "$d" "job D"
dpid="$(cat "$state/flags/locked")"
timeout 60 "${MPI[@]}" -n 1 "$client" busy /app.lock
timeout 90 "${MPI[@]}" -n 1 "$client" wait /app.lock "$state/flags" > "$state/wait2.out" & e=$!
wait_flag waiting "$e" "job E"
kill -9 "$dpid"
killed_at=$(date +%s)
wait "$d" || true  # its mpirun reports the kill
wait "$e"
cat "$state/wait2.out"
grep -q "^wait: granted" "$state/wait2.out"
echo "job E granted $(( $(date +%s) - killed_at )) s after the kill"
grep -q "presumed dead" "$state/server.log"

echo "== shutdown"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state"
grep -q "shut down cleanly" "$state/server.log"
echo "application locks e2e: OK"
