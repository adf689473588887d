#!/usr/bin/env bash
# A persistent standalone server job (3 ranks, 2 copies) and nacre-ctl
# client jobs: put a file, health and fsck clean; stop the server job, delete
# server-2's directory, start it again: the next client to connect rebuilds
# the lost copies (progress on its stdout), the file reads back identical,
# fsck and scrub are clean. The server job runs with page checksums (the
# persistent default). Then server-0's directory (with the metadata) is lost:
# the server job restores the metadata from its mirror on server 1 and the
# next client rebuilds the objects. Every process this test starts is stopped by PID on exit.
set -euo pipefail
source "${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}/tests/support/standalone_env.sh" nacre-srep
export NACRE_DEPLOYMENT=persistent NACRE_STORE=directory NACRE_STORE_DIR="$state/fs" NACRE_REPLICAS=2
fail() { echo "FAILED: $*"; exit 1; }
# Server 0's metadata database and its mirror on server 1 hold the same records.
mirror_in_step() {
  [ "$(mdb_dump -a -n "$state/fs/server-0/metadata.mdb")" == "$(mdb_dump -a -n "$state/fs/server-1/metadata.mdb")" ] \
    || fail "the metadata mirror on server 1 differs from server 0's database"
}

"$src/scripts/nacre-up.sh" -n 3 -d "$state" > /dev/null
MPI+=(--ompi-server "file:$state/ompi-server.uri")
export NACRE_ADDRESS="file:$state/port"
CTL=(timeout 120 "${MPI[@]}" -n 1 "$NACRE_CTL_BIN")

echo "== put a file; health and fsck are clean"
head -c $((20 << 20)) /dev/urandom > "$state/blob"
"${CTL[@]}" mkdir /d
"${CTL[@]}" put "$state/blob" /d/b
"${CTL[@]}" health | tee "$state/health.out" | sed 's/^/    /'
grep -q "file system: healthy" "$state/health.out" || fail "not healthy"
"${CTL[@]}" fsck | tail -1 | tee "$state/fsck.out" | sed 's/^/    /'
grep -q ": clean" "$state/fsck.out" || fail "fsck not clean"
# Both copies of every stripe are on disk, with page checksums.
ls "$state/fs"/server-*/*.sum > /dev/null || fail "no checksum files: the server runs without checksums"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state" > /dev/null
grep -q "shut down cleanly" "$state/server.log" || fail "server did not shut down cleanly"
mirror_in_step

echo "== server-2's directory is lost; the next client rebuilds it"
before="$(cd "$state/fs/server-2" && sha256sum *.obj)"
rm -rf "$state/fs/server-2"
"$src/scripts/nacre-up.sh" -n 3 -d "$state" > /dev/null
out="$("${CTL[@]}" get /d/b "$state/blob.back" 2>&1)" || { echo "$out"; fail "get after the loss"; }
grep "^nacre:" <<<"$out" | sed 's/^/    /'
grep -q "rebuild: 1 server(s) rebuilt" <<<"$out" || { echo "$out"; fail "no rebuild at connect"; }
cmp "$state/blob" "$state/blob.back" || fail "the file changed"
[ "$(cd "$state/fs/server-2" && sha256sum *.obj)" == "$before" ] || fail "rebuilt objects differ"
"${CTL[@]}" fsck | tail -1 | tee "$state/fsck.out" | sed 's/^/    /'
grep -q ": clean" "$state/fsck.out" || fail "fsck not clean after the rebuild"
"${CTL[@]}" scrub | tail -1 | tee "$state/scrub.out" | sed 's/^/    /'
grep -q " 0 damaged range(s)" "$state/scrub.out" || fail "scrub found damage"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state" > /dev/null
grep -q "shut down cleanly" "$state/server.log" || fail "server did not shut down cleanly"
mirror_in_step

echo "== server-0's directory (the metadata) is lost: restored from the mirror, objects rebuilt"
rm -rf "$state/fs/server-0"
"$src/scripts/nacre-up.sh" -n 3 -d "$state" > /dev/null
grep -q "metadata restored from the mirror on server 1" "$state/server.log" \
  || { tail -20 "$state/server.log"; fail "the server job did not restore the metadata"; }
rm -f "$state/blob.back"
out="$("${CTL[@]}" get /d/b "$state/blob.back" 2>&1)" || { echo "$out"; fail "get after losing server-0"; }
grep "^nacre:" <<<"$out" | sed 's/^/    /'
grep -q "rebuild: 1 server(s) rebuilt" <<<"$out" || { echo "$out"; fail "no rebuild at connect"; }
cmp "$state/blob" "$state/blob.back" || fail "the file changed"
"${CTL[@]}" mkdir /after-restore
"${CTL[@]}" fsck | tail -1 | tee "$state/fsck.out" | sed 's/^/    /'
grep -q ": clean" "$state/fsck.out" || fail "fsck not clean after the restore"
timeout 60 "$src/scripts/nacre-down.sh" -d "$state" > /dev/null
grep -q "shut down cleanly" "$state/server.log" || fail "server did not shut down cleanly"
mirror_in_step
echo "standalone replicas: OK"
