#!/usr/bin/env bash
# End to end: a standalone server job (2 ranks) and several client jobs, one
# after the other and at the same time, all seeing one namespace; then a
# clean shutdown. Every process this test starts is stopped by PID on exit.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-e2e
client="$build/tests/e2e/nacre_standalone_client"

# A connected job that says nothing is dropped after 2 s (see below).
NACRE_JOIN_TIMEOUT_MS=2000 "$src/scripts/nacre-up.sh" -n 2 -d "$state"
MPI+=(--ompi-server "file:$state/ompi-server.uri")
export NACRE_ADDRESS="file:$state/port"

echo "== two client jobs, one after the other"
timeout 60 "${MPI[@]}" -n 2 "$client" write first
timeout 60 "${MPI[@]}" -n 3 "$client" verify first

echo "== two client jobs at the same time"
timeout 60 "${MPI[@]}" -n 2 "$client" write second & a=$!
timeout 60 "${MPI[@]}" -n 2 "$client" write third & b=$!
wait $a; wait $b
timeout 60 "${MPI[@]}" -n 1 "$client" verify second & a=$!
timeout 60 "${MPI[@]}" -n 2 "$client" verify third & b=$!
NACRE_ADDRESS=service:nacre timeout 60 "${MPI[@]}" -n 1 "$client" verify first & c=$!
wait $a; wait $b; wait $c
listing="$(timeout 60 "${MPI[@]}" -n 1 "$client" list)"
echo "$listing"
for t in first second third; do grep -q "job $t" <<<"$listing"; done

echo "== nacre-ctl put/get round trip with progress output"
head -c $((24 << 20)) /dev/urandom > "$state/blob"
CTL=("${MPI[@]}" -n 1 "$NACRE_CTL_BIN")
NACRE_PROGRESS=1 timeout 60 "${CTL[@]}" mkdir /blobs
NACRE_PROGRESS=1 timeout 60 "${CTL[@]}" put "$state/blob" /blobs/b 2> "$state/put.err"
grep -q "^put: 24.0 / 24.0 MiB (100%)" "$state/put.err"
NACRE_PROGRESS=1 timeout 60 "${CTL[@]}" get /blobs/b "$state/blob.back" 2> "$state/get.err"
grep -q "^get: 24.0 / 24.0 MiB (100%)" "$state/get.err"
cmp "$state/blob" "$state/blob.back"
timeout 60 "${CTL[@]}" stat /blobs/b | grep -q "size=25165824"

echo "== a bad address is a clear error, not a hang"
if out="$(NACRE_ADDRESS=file:/nonexistent timeout 60 "${MPI[@]}" -n 1 "$client" list 2>&1)"; then
  echo "expected failure for a bad address"; exit 1
fi
grep -q "cannot read a port from /nonexistent" <<<"$out"

echo "== a job that dies right after its connect does not stop the server job from accepting"
# It exits before its first message (NACRE_TEST_DIE_AFTER_CONNECT); server
# rank 0 drops the connection after NACRE_JOIN_TIMEOUT_MS and takes the
# next job. Before, its accept thread waited for that message forever.
if NACRE_TEST_DIE_AFTER_CONNECT=1 timeout 60 "${MPI[@]}" -n 1 "$client" list > "$state/died.out" 2>&1; then
  echo "the job that should have died right after connecting succeeded"; exit 1
fi
for i in $(seq 100); do grep -q "sent nothing for 2000 ms" "$state/server.log" && break; sleep 0.1; done
grep -q "sent nothing for 2000 ms (NACRE_JOIN_TIMEOUT_MS)" "$state/server.log"
listing="$(timeout 60 "${MPI[@]}" -n 1 "$client" list)"
grep -q "job first" <<<"$listing"
# A job slower than that (it says what it wants after 3 s) is dropped too;
# it gives up on the answer after its own NACRE_JOIN_TIMEOUT_MS, with a
# clear error, and releases the connect locks for the next job.
if out="$(NACRE_TEST_STALL_AFTER_CONNECT_MS=3000 NACRE_JOIN_TIMEOUT_MS=2000 timeout 60 \
          "${MPI[@]}" -x NACRE_TEST_STALL_AFTER_CONNECT_MS -x NACRE_JOIN_TIMEOUT_MS -n 1 "$client" list 2>&1)"; then
  echo "the stalled job should have failed"; exit 1
fi
grep -q "did not answer the join request within 2000 ms (NACRE_JOIN_TIMEOUT_MS)" <<<"$out" || { echo "$out"; exit 1; }
listing="$(timeout 60 "${MPI[@]}" -n 1 "$client" list)"
grep -q "job first" <<<"$listing"

echo "== a job that connects while the server job shuts down is refused, not hung"
# The shutdown request holds its wake-up connection back until $state/wake
# exists (NACRE_TEST_WAKE_AFTER), so the next job connects in between.
NACRE_TEST_WAKE_AFTER="$state/wake" timeout 90 "${CTL[@]}" shutdown > "$state/shutdown.out" 2>&1 &
shutdown_pid=$!
refused=0
for i in $(seq 50); do
  if out="$(timeout 60 "${MPI[@]}" -n 1 "$client" list 2>&1)"; then sleep 0.2; continue; fi
  grep -q "is shutting down and takes no new client jobs" <<<"$out" || { echo "$out"; exit 1; }
  refused=1; break
done
[ "$refused" -eq 1 ] || { echo "no client job was refused during the shutdown"; exit 1; }
echo "    refused: $(grep -o "the Nacre server job .* client jobs" <<<"$out" | head -1)"
touch "$state/wake"
wait "$shutdown_pid"
grep -q "shutdown requested" "$state/shutdown.out"
pid="$(cat "$state/server.pid")"
for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || { echo "the server job did not exit after the wake-up"; exit 1; }
grep -q "shut down cleanly" "$state/server.log"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state"  # stops ompi-server
echo "standalone e2e: OK"
