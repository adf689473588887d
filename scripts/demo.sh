#!/usr/bin/env bash
# Installs the dependencies, builds Nacre (scripts/build.sh, into ./build) and
# runs the demo job: 4 ranks, 2 of them Nacre servers, writing, reading back
# and verifying a 256 MiB striped file, next to MPI-IO and POSIX baselines.
#
# Usage: scripts/demo.sh [nacre-demo options, e.g. --size 1GiB --block 4MiB]
# Environment: NP (ranks, default 4); NACRE_SERVERS / NACRE_CONFIG (the demo
# uses 2 servers unless one of them is set); NACRE_DEMO_NO_BUILD=1 skips the
# install and build step.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${NACRE_DEMO_NO_BUILD:-0}" != 1 ]; then
  scripts/build.sh
fi
exe=build/benchmarks/jobs/nacre-demo
if [ ! -x "$exe" ]; then
  echo "demo.sh: $exe was not built (NACRE_BUILD_BENCHMARKS=OFF?)" >&2
  exit 2
fi
env_flags=()
for v in NACRE_SERVERS NACRE_CONFIG NACRE_STORE NACRE_STORE_DIR NACRE_LOG; do
  if [ -n "${!v:-}" ]; then env_flags+=(-x "$v"); fi
done
# Loopback-only TCP and shared memory; idle ranks yield (2 cores, 4 ranks).
# The single-copy mechanism (CMA) is off: copy-in/copy-out through shared
# memory moved 1 MiB messages faster on this VM (docs/PERFORMANCE.md).
exec mpirun -n "${NP:-4}" \
  --allow-run-as-root --oversubscribe --bind-to none \
  --mca btl self,vader,tcp \
  --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
  --mca mpi_yield_when_idle 1 \
  --mca btl_vader_single_copy_mechanism none \
  "${env_flags[@]}" "$exe" "$@"
