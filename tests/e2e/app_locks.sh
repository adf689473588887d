#!/usr/bin/env bash
# End to end: application locks between separate client jobs of one
# standalone server. Job A takes an fcntl and a flock lock and exits without
# unlocking or closing; meanwhile job B sees both locks busy and job C blocks
# for the fcntl lock; when A's session ends the server drops A's locks, C is
# granted, and a later job gets both locks. Every process this test starts is
# stopped by PID on exit.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-applock
client="$build/tests/e2e/nacre_app_lock_client"

"$src/scripts/nacre-up.sh" -n 2 -d "$state"
MPI+=(--ompi-server "file:$state/ompi-server.uri")
export NACRE_ADDRESS="file:$state/port"
mkdir -p "$state/flags"

echo "== job A takes the locks"
timeout 90 "${MPI[@]}" -n 1 "$client" hold /app.lock "$state/flags" & a=$!
for _ in $(seq 600); do
  [ -e "$state/flags/locked" ] && break
  kill -0 "$a" 2>/dev/null || { echo "job A ended early"; wait "$a"; exit 1; }
  sleep 0.1
done
[ -e "$state/flags/locked" ] || { echo "job A never took its locks"; exit 1; }

echo "== job B finds them busy"
timeout 60 "${MPI[@]}" -n 1 "$client" busy /app.lock

echo "== job C waits for the fcntl lock"
timeout 90 "${MPI[@]}" -n 1 "$client" wait /app.lock "$state/flags" > "$state/wait.out" & c=$!
for _ in $(seq 600); do
  [ -e "$state/flags/waiting" ] && break
  kill -0 "$c" 2>/dev/null || { echo "job C ended early"; cat "$state/wait.out"; exit 1; }
  sleep 0.1
done
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

echo "== shutdown"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state"
grep -q "shut down cleanly" "$state/server.log"
echo "application locks e2e: OK"
