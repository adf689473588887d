#!/usr/bin/env bash
# Stops a deployment started by nacre-up.sh: asks the server job to shut
# down (nacre-ctl shutdown), waits for it, then stops ompi-server.
#   nacre-down.sh [-d STATE_DIR]
set -euo pipefail
state="/tmp/nacre-$(id -un)"
while [ $# -gt 0 ]; do
  case "$1" in
    -d) state="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "nacre-down: unknown option $1" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")" && pwd)"
ctl_bin="${NACRE_CTL_BIN:-}"
if [ -z "$ctl_bin" ]; then
  for c in "$here/nacre-ctl" "$here/../build/tools/nacre-ctl" "$(command -v nacre-ctl || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then ctl_bin="$c"; break; fi
  done
fi
ROOT_FLAGS=""
[ "$(id -u)" -eq 0 ] && ROOT_FLAGS="--allow-run-as-root"
MPI_FLAGS=(${NACRE_MPIRUN_FLAGS:---oversubscribe --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1})
rc=0
if [ -f "$state/server.pid" ] && kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
  if [ -n "$ctl_bin" ] && [ -s "$state/port" ]; then
    timeout 60 mpirun $ROOT_FLAGS "${MPI_FLAGS[@]}" --ompi-server "file:$state/ompi-server.uri" -n 1 \
      "$ctl_bin" --address "file:$state/port" shutdown || rc=1
  else
    rc=1
  fi
  pid="$(cat "$state/server.pid")"
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "nacre-down: server job did not exit after 30 s; killing it" >&2
    kill "$pid" 2>/dev/null || true
    rc=1
  fi
fi
if [ -f "$state/ompi-server.pid" ]; then
  kill "$(cat "$state/ompi-server.pid")" 2>/dev/null || true
fi
rm -f "$state/server.pid" "$state/ompi-server.pid" "$state/port"
[ $rc -eq 0 ] && echo "Nacre server job stopped."
exit $rc
