#!/usr/bin/env bash
# Crash test (issue 6): a writer job over a persistent deployment (embedded
# runtime, directory store, LMDB metadata) is killed with SIGKILL -- mpirun
# and every rank at once -- at a random time, then a verify job mounts the
# same directories and checks every promise the writer logged:
#   * every byte synced before the kill is intact (generation-stamped
#     patterns: a byte of another cycle, a lost record or zeros are reported
#     with the record's generation);
#   * the namespace (LMDB metadata) is consistent: every logged file is
#     there with its size, unlinked files stay gone, readdir and stat agree,
#     inodes are unique, at most one entry per writer comes from the
#     operation the kill interrupted, and new files can be created;
#   * the file system mounts again (same stamps: never reformatted).
# The writer appends to the same three files in every cycle (recovery of
# files written before earlier kills), with records of varied, never
# page-aligned sizes spanning stripes, and creates/renames/unlinks files.
# See durable_job.cpp (crash-writer, crash-verify) for the log format.
#
# Environment (all optional):
#   NACRE_CRASH_CYCLES   kill/verify cycles (default 12)
#   NACRE_CRASH_SEED     seed of the whole run (default random; always printed)
#   NACRE_CRASH_REPLICAS NACRE_REPLICAS of the deployment (default 2, the persistent default)
#   NACRE_CRASH_SERVERS  servers (default 3); NACRE_CRASH_WRITERS writer ranks (default 2)
#   NACRE_CRASH_KEEP=1   keep the state directory (printed) when the test fails
# Every job runs in its own session (setsid); the script kills each session
# by its id on the way out, also on failure.
set -euo pipefail
build="${NACRE_BUILD_DIR:?set NACRE_BUILD_DIR}"
job="$build/tests/durability/nacre_durable_job"
cycles="${NACRE_CRASH_CYCLES:-12}"
seed="${NACRE_CRASH_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000000 ))}"
replicas="${NACRE_CRASH_REPLICAS:-2}"
servers="${NACRE_CRASH_SERVERS:-3}"
writers="${NACRE_CRASH_WRITERS:-2}"
echo "crash: seed $seed, $cycles cycles, $servers servers, $writers writers, replicas $replicas"
echo "crash: replay with NACRE_CRASH_SEED=$seed NACRE_CRASH_CYCLES=$cycles NACRE_CRASH_REPLICAS=$replicas" \
     "NACRE_CRASH_SERVERS=$servers NACRE_CRASH_WRITERS=$writers"
RANDOM=$seed  # every random choice of this script follows from the seed

state="$(mktemp -d /tmp/nacre-crash-XXXXXX)"
log="$state/writer.log"  # crash-writer logs to $log.<rank>; unique to this run
sids=()
ok=0
cleanup() {
  local s
  for s in "${sids[@]:-}"; do
    [ -n "$s" ] && [ "$s" -gt 1 ] && pkill -KILL -s "$s" 2>/dev/null || true
  done
  if [ "$ok" = 1 ] || [ "${NACRE_CRASH_KEEP:-0}" != 1 ]; then rm -rf "$state"
  else echo "crash: state kept in $state"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
trap 'echo "crash: FAILED at line $LINENO (seed $seed)"' ERR
fail() { echo "crash: FAILED (seed $seed): $*"; exit 1; }

ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT --oversubscribe --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo
     --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1)
export NACRE_STORE=directory NACRE_STORE_DIR="$state/fs" NACRE_DEPLOYMENT=persistent
export NACRE_REPLICAS="$replicas" NACRE_SERVERS="$servers"

# Processes of session $1 that are not zombies (a SIGKILLed rank stays a
# zombie until its new parent reaps it; it holds no file, lock or port).
live_in_session() { ps -e -o pid=,sid=,stat=,args= | awk -v s="$1" '$2 == s && $3 !~ /^Z/'; }
# Kills the writer job: SIGKILL to its session (mpirun and every rank, even a
# rank that changed its process group), then checks that nothing of it is left.
kill_job() {
  local sid="$1" i
  kill -KILL -- "-$sid" 2>/dev/null || true
  pkill -KILL -s "$sid" 2>/dev/null || true
  for i in $(seq 100); do
    if [ -z "$(live_in_session "$sid")" ] && ! pgrep -f -- "crash-writer $log" >/dev/null; then return 0; fi
    sleep 0.1
  done
  live_in_session "$sid"; pgrep -af -- "crash-writer $log" || true
  fail "processes of the killed writer job survived"
}
started() {  # every writer logged "start <cycle>"
  local n=0 w
  for ((w = 0; w < writers; w++)); do
    grep -qx "start $1" "$log.$w" 2>/dev/null && n=$((n + 1))
  done
  [ "$n" -eq "$writers" ]
}
msleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
stamps() { cat "$state"/fs/server-*/nacre-stamp | sha256sum; }
lines() { cat "$log".* 2>/dev/null | wc -l || true; }

early_kills=0 self_kills=0
for ((c = 1; c <= cycles; c++)); do
  out="$state/writer-$c.out"
  before=$(lines)
  # Every other cycle, a writer kills the whole job itself at a chosen step:
  # mostly right after a log line (the promise boundary: a sync() that did not
  # make the data durable fails here), else between a step's writes and its
  # sync; mostly in an append (see NACRE_CRASH_KILL_AT in durable_job.cpp).
  kill_at=""
  if [ $((RANDOM % 2)) -eq 0 ]; then
    points=(logged logged written) kinds=(append append new unlink)
    kill_at="$((RANDOM % writers)):$((1 + RANDOM % 300)):${points[RANDOM % 3]}:${kinds[RANDOM % 4]}"
  fi
  setsid "${MPI[@]}" -n $((servers + writers)) -x NACRE_CRASH_KILL_AT="$kill_at" \
    "$job" crash-writer "$log" "$seed" "$c" >"$out" 2>&1 &
  sid=$!
  sids+=("$sid")
  disown "$sid"  # no "Killed" notice from bash; kill_job checks the processes itself
  # setsid(2) runs in the child after the fork: give it a moment on a busy machine.
  for i in $(seq 100); do
    [ "$(ps -o sid= -p "$sid" | tr -d ' ')" = "$sid" ] && break
    sleep 0.02
  done
  [ "$(ps -o sid= -p "$sid" | tr -d ' ')" = "$sid" ] || fail "mpirun is not the leader of its own session"
  # Most cycles kill while the writers work (0.2-3 s after they all started);
  # one in four (never the first, which formats) kills 0-3 s after launch,
  # maybe during mount or the writers' clean-up of the last kill.
  if [ -n "$kill_at" ]; then
    for i in $(seq 600); do kill -0 "$sid" 2>/dev/null || break; sleep 0.1; done
    grep -q "^killjob" "$log.${kill_at%%:*}" || { cat "$out"; fail "cycle $c: the writer did not kill the job ($kill_at)"; }
    sed -i '/^killjob/d' "$log.${kill_at%%:*}"  # so that the next self-kill is seen anew
    delay=0; when="by writer:step:point:kind $kill_at"; self_kills=$((self_kills + 1))
  elif [ "$c" -gt 1 ] && [ $((RANDOM % 4)) -eq 0 ]; then
    delay=$((RANDOM % 3000)); when="${delay} ms after launch"; early_kills=$((early_kills + 1))
  else
    for i in $(seq 600); do
      started "$c" && break
      kill -0 "$sid" 2>/dev/null || break
      sleep 0.1
    done
    started "$c" || { cat "$out"; fail "cycle $c: the writers did not start"; }
    delay=$((200 + RANDOM % 2800)); when="${delay} ms after the writers started"
  fi
  if [ -z "$kill_at" ]; then
    msleep "$delay"
    kill -0 "$sid" 2>/dev/null || { cat "$out"; fail "cycle $c: the writer job ended before the kill"; }
  fi
  kill_job "$sid"
  if grep -q "FAILED" "$out"; then cat "$out"; fail "cycle $c: a writer failed before the kill"; fi
  echo "== cycle $c: killed $when; $(( $(lines) - before )) log lines this cycle"

  # Every third cycle with replicas, server 0's metadata database is lost
  # with the job: the verify job must find every logged operation in the
  # copy restored from the metadata mirror on server 1 (a change reaches the
  # mirror before the client hears of it; docs/DURABILITY.md).
  lose_metadata=0
  if [ "$replicas" -ge 2 ] && [ $((c % 3)) -eq 0 ]; then
    rm -f "$state/fs/server-0/metadata.mdb" "$state/fs/server-0/metadata.mdb-lock"
    lose_metadata=1
    echo "   server-0's metadata database deleted: the verify job restores it from the mirror"
  fi
  # Verify with another client count than the writers had (1..writers+1).
  vclients=$((1 + RANDOM % (writers + 1)))
  if ! vout="$(timeout 300 "${MPI[@]}" -n $((servers + vclients)) "$job" crash-verify "$log" 2>&1)"; then
    echo "$vout"; fail "cycle $c: verify after the kill"
  fi
  grep "^crash-verify:" <<<"$vout" | sed 's/^/   /'
  if [ "$lose_metadata" -eq 1 ]; then
    grep -q "metadata restored from the mirror on server 1" <<<"$vout" \
      || { echo "$vout"; fail "cycle $c: server 0's metadata was not restored from its mirror"; }
  fi
  # fsck: the kill may leave orphans (objects of a file whose unlink or
  # creation it interrupted): fsck-repair removes them; any other finding
  # (a missing copy, a size mismatch, a stale copy) fails the cycle. With
  # replicas, copies may differ in bytes that were never synced: scrub first
  # brings mirrors in line with their primaries.
  if [ "$replicas" -gt 1 ]; then
    sout="$(timeout 300 "${MPI[@]}" -n $((servers + 1)) "$job" maint scrub 2>&1)" \
      || { echo "$sout"; fail "cycle $c: scrub after the kill"; }
    grep "^scrub: [0-9]* files" <<<"$sout" | sed 's/^/   /'
  fi
  fout="$(timeout 300 "${MPI[@]}" -n $((servers + 1)) "$job" maint fsck-repair 2>&1)" \
    || { echo "$fout"; fail "cycle $c: fsck after the kill is not clean"; }
  grep "^fsck: [0-9]* files" <<<"$fout" | sed 's/^/   /'
  # After clean jobs the metadata copies hold the same records.
  if [ "$replicas" -ge 2 ]; then
    [ "$(mdb_dump -a -n "$state/fs/server-0/metadata.mdb")" == "$(mdb_dump -a -n "$state/fs/server-1/metadata.mdb")" ] \
      || fail "cycle $c: the metadata mirror on server 1 differs from server 0's database"
  fi
  [ "$c" -eq 1 ] && first_stamps="$(stamps)"
  [ "$(stamps)" = "$first_stamps" ] || fail "cycle $c: the storage directories' stamps changed (reformatted?)"
done
ok=1
echo "crash: OK ($cycles kills: $self_kills by a writer at a chosen step, $early_kills early; seed $seed)"
