#!/usr/bin/env bash
# bench_hdf5.sh: nacre-bench-hdf5 once per MPI-IO component, then one table.
#
# An Open MPI process uses one MPI-IO component for local files (chosen by
# priority; the priorities cannot be changed at run time), so "Nacre vs
# HDF5's MPI-IO driver with OMPIO and with ROMIO" is two mpirun jobs run back
# to back: `--mca io ompio`, then `--mca io romio321` (repeated --pairs
# times, alternating). Each job measures Nacre and its baseline interleaved
# and reports Nacre / baseline from its own repetitions; this script prints
# those within-job ratios side by side. Absolute figures of different jobs
# are not comparable on a noisy machine; the ratios are the result.
#
#   benchmarks/jobs/bench_hdf5.sh [--np 6] [--pairs 1] [--keep-logs DIR] [job options...]
#   benchmarks/jobs/bench_hdf5.sh --smoke          # ctest bench.hdf5.smoke
#   benchmarks/jobs/bench_hdf5.sh --merge DIR      # only the table, from kept logs
#
# Job options go to nacre-bench-hdf5 (--ckpt-size, --ior-block, --reps, ...).
# Binary: $NACRE_BENCH_HDF5, else $NACRE_BUILD_DIR/benchmarks/jobs/, else
# ./build next to the sources. Servers: NACRE_SERVERS (default 2). Exit
# status: 0 if every job passed (all data verified), 1 otherwise.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${NACRE_BUILD_DIR:-$here/../../build}"
exe="${NACRE_BENCH_HDF5:-$build/benchmarks/jobs/nacre-bench-hdf5}"
np=6 pairs=1 keep="" smoke=0 merge="" args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --np) np="$2"; shift 2 ;;
    --pairs) pairs="$2"; shift 2 ;;
    --keep-logs) keep="$2"; shift 2 ;;
    --merge) merge="$2"; shift 2 ;;
    --smoke) smoke=1; args+=("$1"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -n "$merge" ] || [ -x "$exe" ] || { echo "bench_hdf5.sh: missing $exe (build nacre-bench-hdf5)" >&2; exit 1; }
per_job_timeout=1800
[ "$smoke" = 1 ] && per_job_timeout=55

ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT -n "$np" --oversubscribe --bind-to none --mca btl self,vader,tcp
     --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1
     -x "NACRE_SERVERS=${NACRE_SERVERS:-2}")
logs="$(mktemp -d /tmp/nacre-bench-hdf5-XXXXXX)"
cleanup() { [ -n "$keep" ] && mkdir -p "$keep" && cp "$logs"/*.log "$keep"/ 2>/dev/null; rm -rf "$logs"; }
trap cleanup EXIT

failed=0
[ -n "$merge" ] && { rm -rf "$logs"; logs="$merge"; keep=""; pairs=0; trap - EXIT; }
for ((i = 1; i <= pairs; i++)); do
  for io in ompio romio321; do
    log="$logs/run$i-$io.log"
    echo "== job $i/$pairs: ${MPI[*]} --mca io $io $exe ${args[*]}"
    timeout "$per_job_timeout" "${MPI[@]}" --mca io "$io" "$exe" "${args[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
      echo "== job $i ($io) FAILED with exit status $rc"
      failed=1
    fi
  done
done

# One row per (metric, job): Nacre's median, the baseline's, the ratio;
# then per metric the median over jobs of each component's ratio and the
# verdict of the issue's target (Nacre >= 2x the faster baseline, i.e. >= 2x
# both, each in its own job).
awk '
function val(line, key,   s) {
  if (!match(line, "\"" key "\":\"?[^,\"]*")) return ""
  s = substr(line, RSTART, RLENGTH); sub("^\"" key "\":\"?", "", s); return s
}
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == 1 {
  job = FILENAME; sub(".*/", "", job); sub("\\.log$", "", job); comp = job ~ /romio/ ? "romio" : "ompio"
  order[++nj] = job
}
/^NACRE_RESULT / {
  m = val($0, "metric"); s = val($0, "system"); v = val($0, "median")
  if (!(m in seen)) { seen[m] = 1; metrics[++nm] = m }
  if (s == "nacre") nacre[job, m] = v; else base[job, m] = v
  jobs[job] = comp
}
END {
  if (nm == 0) { print "bench_hdf5.sh: no results"; exit }
  printf "\n%-18s %-16s %12s %14s %14s\n", "metric", "job", "nacre MiB/s", "baseline MiB/s", "nacre/baseline"
  for (k = 1; k <= nm; k++) {
    m = metrics[k]
    for (o = 1; o <= nj; o++) {
      j = order[o]
      if (!((j, m) in nacre) || !((j, m) in base) || base[j, m] <= 0) continue
      r = nacre[j, m] / base[j, m]
      printf "%-18s %-16s %12.0f %14.0f %14.2f\n", m, j, nacre[j, m], base[j, m], r
      ratios[m, jobs[j]] = ratios[m, jobs[j]] " " r; bases[m, jobs[j]] = bases[m, jobs[j]] " " base[j, m]
    }
  }
  printf "\n%-18s %12s %12s %-8s %s\n", "metric", "nacre/OMPIO", "nacre/ROMIO", "faster", "target: nacre >= 2x the faster baseline"
  for (k = 1; k <= nm; k++) {
    m = metrics[k]
    if (!((m, "ompio") in ratios) || !((m, "romio") in ratios)) continue
    ro = median(ratios[m, "ompio"]); rr = median(ratios[m, "romio"])
    fast = (median(bases[m, "romio"]) > median(bases[m, "ompio"])) ? "ROMIO" : "OMPIO"
    worst = (ro < rr) ? ro : rr
    printf "%-18s %11.2fx %11.2fx %-8s %s (%.2fx vs the worse-off comparison)\n", m, ro, rr, fast, ((worst >= 2) ? "MET" : "MISSED"), worst
  }
}' "$logs"/*.log || failed=1
exit "$failed"
