#!/usr/bin/env bash
# Starts a standalone Nacre deployment on this machine: an ompi-server
# (rendezvous between separately launched mpiruns) and a nacre-server job.
# Prints how client jobs reach it and how to stop it.
#
#   nacre-up.sh [-n SERVERS] [-d STATE_DIR] [-- extra nacre-server args]
#
# STATE_DIR (default /tmp/nacre-$USER) receives: ompi-server.uri, port,
# ompi-server.pid, server.pid, server.log. Stop with nacre-down.sh STATE_DIR.
set -euo pipefail
servers=2
state="/tmp/nacre-$(id -un)"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) servers="$2"; shift 2 ;;
    -d) state="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "nacre-up: unknown option $1" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")" && pwd)"
server_bin="${NACRE_SERVER_BIN:-}"
if [ -z "$server_bin" ]; then
  for c in "$here/nacre-server" "$here/../build/tools/nacre-server" "$(command -v nacre-server || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then server_bin="$c"; break; fi
  done
fi
[ -n "$server_bin" ] || { echo "nacre-up: nacre-server not found (build first, or set NACRE_SERVER_BIN)" >&2; exit 1; }

mkdir -p "$state"
if [ -f "$state/server.pid" ] && kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
  echo "nacre-up: a server job is already running from $state (pid $(cat "$state/server.pid"))" >&2
  exit 1
fi
rm -f "$state/ompi-server.uri" "$state/port"
ROOT_FLAGS=""
[ "$(id -u)" -eq 0 ] && ROOT_FLAGS="--allow-run-as-root"
MPI_FLAGS=(${NACRE_MPIRUN_FLAGS:---oversubscribe --bind-to none --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca mpi_yield_when_idle 1})

ompi-server --no-daemonize -r "$state/ompi-server.uri" > "$state/ompi-server.log" 2>&1 &
echo $! > "$state/ompi-server.pid"
for _ in $(seq 300); do [ -s "$state/ompi-server.uri" ] && break; sleep 0.1; done
[ -s "$state/ompi-server.uri" ] || { echo "nacre-up: ompi-server did not start within 30 s; see $state/ompi-server.log" >&2; kill "$(cat "$state/ompi-server.pid")" 2>/dev/null; exit 1; }

mpirun $ROOT_FLAGS "${MPI_FLAGS[@]}" --ompi-server "file:$state/ompi-server.uri" -n "$servers" \
  "$server_bin" --port-file "$state/port" --service nacre "$@" > "$state/server.log" 2>&1 &
echo $! > "$state/server.pid"
for _ in $(seq 300); do
  [ -s "$state/port" ] && break
  if ! kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
    echo "nacre-up: the server job exited; its log:" >&2; cat "$state/server.log" >&2
    kill "$(cat "$state/ompi-server.pid")" 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
[ -s "$state/port" ] || { echo "nacre-up: no port file after 30 s; see $state/server.log" >&2; exit 1; }
cat <<MSG
Nacre server job running: $servers server rank(s), state in $state
Client jobs:
  export NACRE_ADDRESS=file:$state/port
  mpirun --ompi-server file:$state/ompi-server.uri $ROOT_FLAGS ... ./your_client
Stop:
  $here/nacre-down.sh -d $state
MSG
