# Sourced by end-to-end scripts that run a standalone server job:
#   source "$NACRE_SOURCE_DIR/tests/support/standalone_env.sh" <state-prefix>
# Sets build, src, state (a fresh temp dir), NACRE_SERVER_BIN, NACRE_CTL_BIN
# and MPI (mpirun with the loopback/root/yield flags), and installs an EXIT
# trap that stops the server job and ompi-server by PID (also on failure)
# and removes the state dir.
build="${NACRE_BUILD_DIR:?set NACRE_BUILD_DIR}"
src="${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}"
state="$(mktemp -d "/tmp/${1:-nacre-e2e}-XXXXXX")"
export NACRE_SERVER_BIN="$build/tools/nacre-server" NACRE_CTL_BIN="$build/tools/nacre-ctl"
nacre_stop_state() {
  local f
  for f in server.pid ompi-server.pid; do
    [ -f "$state/$f" ] && kill "$(cat "$state/$f")" 2>/dev/null || true
  done
  sleep 0.2
  for f in server.pid ompi-server.pid; do
    [ -f "$state/$f" ] && kill -9 "$(cat "$state/$f")" 2>/dev/null || true
  done
  rm -rf "$state"
}
trap nacre_stop_state EXIT
ROOT=""; [ "$(id -u)" -eq 0 ] && ROOT="--allow-run-as-root"
MPI=(mpirun $ROOT --oversubscribe --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo
     --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1)
