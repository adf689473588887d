#!/usr/bin/env bash
# bench_durability.sh (issue 6): what replicas and end-to-end checksums cost.
# One mpirun job (nacre-bench-durability) runs, interleaved, --reps times:
# a persistent directory-store deployment with (a) R=1 checksums on, (b) R=2
# checksums on, (c) R=1 checksums off, (d) R=2 checksums off -- each a fresh
# file system under a temporary directory -- and POSIX pwrite+fsync of the
# same bytes by the same client ranks to files in the same directory (what
# the disk does). Each client writes its own file in large records, syncs
# and closes it (timed together), then reads its neighbour's file. Prints a
# table of medians and the issue's ratios with their targets:
#   R=2 / R=1 write (checksums on) >= 0.6x; checksums on / off >= 0.9x
#   (R=1 and R=2). docs/PERFORMANCE.md has figures.
#
#   benchmarks/jobs/bench_durability.sh [--np 5] [--size 256MiB] [--record 4MiB] [--reps 3]
#                                       [--systems r1on,r2on,r1off,r2off,posix]
#   benchmarks/jobs/bench_durability.sh --smoke   # ctest bench.durability.smoke
#
# Binary: $NACRE_BUILD_DIR/benchmarks/jobs/nacre-bench-durability, else
# ./build next to the sources. Servers: NACRE_SERVERS (default 3); the other
# ranks are clients (default 2). Storage under a new directory in
# $NACRE_BENCH_DIR (default /tmp), removed on exit. Exit status 0 if the job
# passed (and, with --smoke, printed every ratio line).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${NACRE_BUILD_DIR:-$here/../../build}"
exe="$build/benchmarks/jobs/nacre-bench-durability"
np=5 smoke=0 timeout_s=3600 args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --np) np="$2"; shift 2 ;;
    --size|--record|--reps|--systems) args+=("$1" "$2"); shift 2 ;;
    --smoke) smoke=1; args+=(--smoke); timeout_s=80; shift ;;
    *) echo "bench_durability.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$exe" ] || { echo "bench_durability.sh: missing $exe (build nacre-bench-durability)" >&2; exit 1; }
state="$(mktemp -d "${NACRE_BENCH_DIR:-/tmp}/nacre-bench-durability-XXXXXX")"
pid="" tpid=""
cleanup() {  # timeout passes the TERM on to mpirun, which ends its ranks
  [ -n "$pid" ] && kill -- "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$tpid" ] && kill -- "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT -n "$np" --oversubscribe --bind-to none --mca btl self,vader,tcp
     --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1)
# The job sets deployment, store, directory, replicas and checksums per
# system itself; these make a plain `mpirun nacre-bench-durability` in this
# environment mean the same thing.
export NACRE_SERVERS="${NACRE_SERVERS:-3}" NACRE_DEPLOYMENT=persistent NACRE_STORE=directory
export NACRE_STORE_DIR="$state/unused"

echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load before:$(uptime | sed 's/.*load average://')"
echo "== $(df -h "$state" | awk 'NR == 2 { print "storage: " $1 " (" $2 ", " $4 " free)" }'), $state"
log="$state/job.log"; : >"$log"
timeout "$timeout_s" "${MPI[@]}" "$exe" --dir "$state" "${args[@]}" >"$log" 2>&1 &
pid=$!
# Both in the background: `wait` returns on a signal, so the traps run at once.
tail -n +1 --pid="$pid" -f "$log" &
tpid=$!
wait "$pid"; rc=$?; pid=""
wait "$tpid"; tpid=""
echo "== load after:$(uptime | sed 's/.*load average://')"
if [ $rc -ne 0 ]; then
  echo "== nacre-bench-durability FAILED (exit status $rc)"
  exit 1
fi
if [ "$smoke" = 1 ]; then
  n=$(grep -cE '^RATIO (write R=2/R=1 \(checksums on\)|write checksums on/off \(R=1\)|write checksums on/off \(R=2\)) .*target' "$log")
  if [ "$n" -ne 3 ] || ! grep -q '^posix pwrite+fsync ' "$log"; then
    echo "== smoke: expected the table and 3 RATIO lines, found $n ratio lines"
    exit 1
  fi
  echo "== smoke: job ran, table and ratio lines printed"
fi
exit 0
