#!/usr/bin/env bash
# bench_restart.sh (issue 6): restart time of a persistent deployment against
# its number of files. For each N: a fresh persistent file system (directory
# store + LMDB metadata), a job that creates N empty files and ends, then a
# second job that mounts it (Runtime::start, timed) and reads every directory
# and stats every file. Prints one table; docs/PERFORMANCE.md has figures.
#
#   benchmarks/jobs/bench_restart.sh [--files "1000 10000 100000"] [--np 4] [--per-dir 1000] [--replicas 1]
#   benchmarks/jobs/bench_restart.sh --smoke      # ctest bench.restart.smoke (N=200)
#
# Binary: $NACRE_BUILD_DIR/benchmarks/jobs/nacre-bench-restart, else ./build
# next to the sources. Servers: NACRE_SERVERS (default 2); the other ranks
# are clients. --replicas R (default 1): with R >= 2 servers 1..R-1 keep
# metadata mirrors, so create/s shows their cost. Storage under $NACRE_BENCH_DIR (default /tmp). Exit status 0
# if every job passed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${NACRE_BUILD_DIR:-$here/../../build}"
exe="$build/benchmarks/jobs/nacre-bench-restart"
sizes="1000 10000 100000" np=4 per_dir=1000 timeout_s=3600 replicas=1
while [ $# -gt 0 ]; do
  case "$1" in
    --files) sizes="$2"; shift 2 ;;
    --np) np="$2"; shift 2 ;;
    --per-dir) per_dir="$2"; shift 2 ;;
    --replicas) replicas="$2"; shift 2 ;;
    --smoke) sizes="200"; per_dir=64; timeout_s=100; shift ;;
    *) echo "bench_restart.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$exe" ] || { echo "bench_restart.sh: missing $exe (build nacre-bench-restart)" >&2; exit 1; }
state="$(mktemp -d "${NACRE_BENCH_DIR:-/tmp}/nacre-bench-restart-XXXXXX")"
trap 'rm -rf "$state"' EXIT  # every job runs in the foreground under timeout

ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT -n "$np" --oversubscribe --bind-to none --mca btl self,vader,tcp
     --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1)
export NACRE_SERVERS="${NACRE_SERVERS:-2}" NACRE_DEPLOYMENT=persistent NACRE_STORE=directory NACRE_REPLICAS="$replicas"

field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
rows=() failed=0
for n in $sizes; do
  export NACRE_STORE_DIR="$state/fs-$n"
  echo "== N=$n: create"
  out="$(timeout "$timeout_s" "${MPI[@]}" "$exe" create --files "$n" --per-dir "$per_dir" 2>&1)"
  rc=$?; echo "$out" | grep -v '^$'
  [ $rc -eq 0 ] || { echo "== N=$n: create FAILED ($rc)"; failed=1; continue; }
  c="$(grep NACRE_RESTART <<<"$out")"
  echo "== N=$n: mount, readdir, stat"
  t0=$(date +%s.%N)
  out="$(timeout "$timeout_s" "${MPI[@]}" "$exe" mount --files "$n" --per-dir "$per_dir" 2>&1)"
  rc=$?; t1=$(date +%s.%N); echo "$out" | grep -v '^$'
  [ $rc -eq 0 ] || { echo "== N=$n: mount FAILED ($rc)"; failed=1; continue; }
  m="$(grep NACRE_RESTART <<<"$out")"
  r4() { awk -v x="$1" 'BEGIN { printf "%.4f", x }'; }
  craw=$(field create_s "$c") sraw=$(field stat_s "$m") rraw=$(field readdir_s "$m")
  cs=$(r4 "$craw") ss=$(r4 "$sraw") rs=$(r4 "$rraw")
  ms=$(r4 "$(field mount_s "$m")") st=$(r4 "$(field start_s "$m")")
  job=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  md=$(du -sk "$state/fs-$n/server-0/metadata.mdb" 2>/dev/null | cut -f1)
  rows+=("$(printf '%8s %10s %10s %9s %9s %10s %10s %10s %10s %8s %9s' "$n" "$cs" "$(rate "$n" "$craw")" "$st" "$ms" \
            "$rs" "$(rate "$n" "$rraw")" "$ss" "$(rate "$n" "$sraw")" "$job" "${md:-?}")")
  rm -rf "$state/fs-$n"
done
echo
echo "restart time against file count ($NACRE_SERVERS servers, $((np - NACRE_SERVERS)) clients, $per_dir files per directory, replicas $replicas)"
printf '%8s %10s %10s %9s %9s %10s %10s %10s %10s %8s %9s\n' files create_s create/s start_s mount_s readdir_s readdir/s \
       stat_s stat/s job_s mdb_KiB
for r in "${rows[@]}"; do echo "$r"; done
exit $failed
