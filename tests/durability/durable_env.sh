# Sourced by the durability scripts that run embedded persistent jobs:
#   source "$(dirname "$0")/durable_env.sh" <state-prefix> <replicas>
# Sets build, job (nacre_durable_job), state (a fresh temp dir), pids (add
# the PID of every background process started), MPI (mpirun with the
# loopback/root/yield flags) and run (mpirun with a 120 s timeout); exports
# a persistent directory-store deployment on 3 servers under $state/fs; and
# installs an EXIT trap that kills every PID in pids and removes $state.
# snapshot DIR prints every file's checksum, size and mode ("nothing changed").
build="${NACRE_BUILD_DIR:?set NACRE_BUILD_DIR}"
job="$build/tests/durability/nacre_durable_job"
state="$(mktemp -d "/tmp/${1:-nacre-durable}-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT
ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT --oversubscribe --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo
     --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1)
export NACRE_STORE=directory NACRE_STORE_DIR="$state/fs" NACRE_DEPLOYMENT=persistent
export NACRE_REPLICAS="${2:-1}" NACRE_SERVERS=3
run() { timeout 120 "${MPI[@]}" "$@"; }
snapshot() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum; find . -printf '%p %s %m\n' | sort); }
