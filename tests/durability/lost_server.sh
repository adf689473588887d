#!/usr/bin/env bash
# Replicas in a persistent deployment (embedded runtime, 3 servers, 2 copies):
#   1. job writes files of several layouts and syncs; fsck is clean.
#   2. Lost server: server-1's directory is deleted. The next job rebuilds
#      its copies at start (progress on stdout), every file reads back, the
#      rebuilt object files equal what was lost, health and fsck are clean.
#   2b. A stale copy (marked: it missed writes) is resynced at the next start.
#   2c. Lost metadata server: server-0's directory (the metadata database)
#      is deleted; the metadata comes back from its mirror on server 1, the
#      objects are rebuilt, every file reads back; the copies agree again.
#   2d. Server-0's metadata database damaged (garbage): restored from the
#      mirror, the damaged file kept aside as metadata.mdb.unusable.
#   5b. Server-0 lost and the mirror's database gone too: refused, nothing
#      changed on disk.
#   3. Bit rot: bytes flipped in object files of server-2 (one copy each).
#      scrub finds and repairs them; verify and fsck are clean afterwards.
#   4. The same page flipped in both copies: scrub reports it unrepairable
#      (exit 1), reads of it fail (EIO) instead of returning bad bytes.
#   5. An orphan object (no file names it): fsck reports it, fsck-repair
#      removes it.
#   6. Two directories lost with 2 copies: refused, nothing changed on disk.
# Every process this script starts is stopped by PID on exit (also on failure).
set -euo pipefail
source "$(dirname "$0")/durable_env.sh" nacre-lost 2
fail() { echo "FAILED: $*"; exit 1; }
# The metadata copies (server 0's database, server 1's mirror) hold the same
# records, sequence number included (mdb_dump from lmdb-utils).
mirror_in_step() {
  local a b
  a="$(mdb_dump -a -n "$state/fs/server-0/metadata.mdb")" || fail "cannot dump server-0's metadata"
  b="$(mdb_dump -a -n "$state/fs/server-1/metadata.mdb")" || fail "cannot dump server-1's metadata mirror"
  [ "$a" == "$b" ] || { diff <(echo "$a") <(echo "$b") | head -20; fail "metadata mirror differs from server 0's copy"; }
  [ "$(grep -c . <<<"$a")" -gt 20 ] || fail "metadata dump is suspiciously small"
}
# The object files (data only) of one server, with checksums.
objects() { (cd "$1" && find . -name '*.obj' -print0 | sort -z | xargs -0 -r sha256sum); }
# Expects a maintenance command's exit code ($1) and output text ($2).
maint() {
  local want_rc="$1" want_text="$2" cmd="$3" out rc=0
  out="$(run -n 4 "$job" maint "$cmd" 2>&1)" || rc=$?
  echo "$out" | grep -v '^\s*$' | sed 's/^/    /'
  [ "$rc" -eq "$want_rc" ] || fail "$cmd exited $rc, expected $want_rc"
  grep -q -- "$want_text" <<<"$out" || fail "$cmd output lacks '$want_text'"
}
flip() {  # flip one byte of a file at an offset
  local f="$1" at="$2" b
  b=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
  printf "$(printf '\\%03o' $(( (b ^ 90) & 255 )))" | dd of="$f" bs=1 seek="$at" conv=notrunc status=none
}

echo "== 1. write with 2 copies, sync; fsck clean"
run -n 5 "$job" write r 12
grep -q "^replicas = 2$" "$state/fs/server-0/nacre-stamp" \
  || { cat "$state/fs/server-0/nacre-stamp"; fail "stamp does not record 2 replicas"; }
maint 0 "clean" fsck
maint 0 "healthy" health
mirror_in_step

echo "== 2. lost server: server-1's directory deleted, rebuilt at the next start"
lost_before="$(objects "$state/fs/server-1")"
[ -n "$lost_before" ] || fail "server-1 held no objects"
rm -rf "$state/fs/server-1"
out="$(run -n 5 "$job" verify r 12 2>&1)" || { echo "$out"; fail "verify after losing server-1"; }
echo "$out" | grep 'nacre:' | sed 's/^/    /'
grep -q "rebuilding those copies" <<<"$out" || fail "no rebuild announced"
grep -q "rebuild: 1 server(s) rebuilt" <<<"$out" || fail "rebuild did not finish"
grep -q "durable_job verify: OK" <<<"$out" || fail "verify failed"
grep -q "metadata mirror lost with its directory.*bringing it up to date" <<<"$out" || fail "the lost metadata mirror was not restored"
mirror_in_step
[ "$(objects "$state/fs/server-1")" == "$lost_before" ] || {
  diff <(echo "$lost_before") <(objects "$state/fs/server-1") | head; fail "rebuilt objects differ from the lost ones"; }
[ ! -e "$state/fs/server-1/nacre-rebuilding" ] || fail "rebuild mark left behind"
maint 0 "healthy" health
maint 0 "clean" fsck

echo "== 2b. a stale copy (it missed writes: here an empty, older object) is resynced at start"
v="$(cd "$state/fs/server-2" && find . -name '*.obj' -size +20k | sort | tail -1)"
v="${v#./}"; id="${v%.obj}"
want="$(sha256sum < "$state/fs/server-2/$v")"
: > "$state/fs/server-2/$v"; rm -f "$state/fs/server-2/$id.sum"; touch "$state/fs/server-2/$id.stale"
out="$(run -n 5 "$job" verify r 12 2>&1)" || { echo "$out"; fail "verify with a stale copy"; }
echo "$out" | grep 'nacre:' | sed 's/^/    /'
grep -q "1 stale copy(ies) resynced" <<<"$out" || fail "the stale copy was not resynced"
[ "$(sha256sum < "$state/fs/server-2/$v")" == "$want" ] || fail "the resynced copy differs"
[ ! -e "$state/fs/server-2/$id.stale" ] || fail "stale mark left behind"
maint 0 "clean" fsck

echo "== 2c. lost metadata server: server-0's directory deleted, metadata back from its mirror"
lost_before="$(objects "$state/fs/server-0")"
[ -n "$lost_before" ] || fail "server-0 held no objects"
rm -rf "$state/fs/server-0"
out="$(run -n 5 "$job" verify r 12 2>&1)" || { echo "$out"; fail "verify after losing server-0"; }
echo "$out" | grep 'nacre:' | sed 's/^/    /'
grep -q "metadata restored from the mirror on server 1" <<<"$out" || fail "metadata not restored from the mirror"
grep -q "rebuild: 1 server(s) rebuilt" <<<"$out" || fail "rebuild did not finish"
grep -q "durable_job verify: OK" <<<"$out" || fail "verify failed"
[ "$(objects "$state/fs/server-0")" == "$lost_before" ] || fail "rebuilt objects of server-0 differ from the lost ones"
mirror_in_step
maint 0 "healthy" health
maint 0 "clean" fsck
# The namespace keeps working on the restored copy (new files, mirrored).
run -n 5 "$job" write m 3 >/dev/null || fail "writing after the restore"
run -n 5 "$job" verify m 3 | tail -1
mirror_in_step

echo "== 2d. server-0's metadata database damaged: restored from the mirror, the damaged file kept"
head -c 65536 /dev/urandom > "$state/fs/server-0/metadata.mdb"
rm -f "$state/fs/server-0/metadata.mdb-lock"
damaged="$(sha256sum < "$state/fs/server-0/metadata.mdb")"
out="$(run -n 5 "$job" verify m 3 2>&1)" || { echo "$out"; fail "verify with a damaged metadata database"; }
grep -q "metadata restored from the mirror on server 1" <<<"$out" || { echo "$out"; fail "not restored from the mirror"; }
[ "$(sha256sum < "$state/fs/server-0/metadata.mdb.unusable")" == "$damaged" ] || fail "the damaged database was not kept aside"
run -n 5 "$job" verify r 12 | tail -1
mirror_in_step
rm "$state/fs/server-0/metadata.mdb.unusable"

echo "== 3. bit rot in server-2's copies: scrub repairs from the other copies"
mapfile -t victims < <(cd "$state/fs/server-2" && find . -name '*.obj' -size +20k | sort | head -3)
[ "${#victims[@]}" -ge 2 ] || fail "not enough objects on server-2 to damage"
for v in "${victims[@]}"; do flip "$state/fs/server-2/$v" 100; flip "$state/fs/server-2/$v" 9000; done
good_copy="$(objects "$state/fs/server-2")"
maint 0 "repaired" scrub
out="$(run -n 4 "$job" maint scrub 2>&1)" || { echo "$out"; fail "second scrub not clean"; }
grep -q "0 damaged range(s)" <<<"$out" || { echo "$out"; fail "second scrub still finds damage"; }
run -n 5 "$job" verify r 12 | tail -1
maint 0 "clean" fsck

echo "== 4. one page damaged in both copies: reported, never returned"
# Pick an object of server-2 and find its other copy by id: copy 1 ids have
# 01 in the top byte, copy 0 ids 00 (docs/DURABILITY.md, "Replicas").
v="$(cd "$state/fs/server-2" && find . -name '*.obj' -size +20k | sort | head -1)"
v="${v#./}"
if [[ "$v" == 01* ]]; then other="00${v:2}"; else other="01${v:2}"; fi
other_path="$(find "$state/fs" -name "$other" | head -1)"
[ -n "$other_path" ] || fail "no other copy of $v"
flip "$state/fs/server-2/$v" 5000
flip "$other_path" 5001
maint 1 "unrepairable" scrub
# The verify job reads every file: the page damaged in both copies is EIO.
out="$(run -n 5 "$job" verify r 12 2>&1)" && fail "verify read a page damaged in both copies"
grep -q "no copy could be read" <<<"$out" || { echo "$out" | tail -5; fail "the read error does not say no copy could be read"; }
echo "    read error: $(grep -m1 -o 'no copy could be read[^)]*' <<<"$out" | head -c 160)"

echo "== 5. an orphan object: reported by fsck, removed by fsck-repair"
cp "$state/fs/server-0/$(cd "$state/fs/server-0" && ls *.obj | head -1)" "$state/fs/server-0/00000000deadbeef.obj"
maint 1 "00000000deadbeef\|3735928559" fsck
maint 0 "1 removed" fsck-repair
[ ! -e "$state/fs/server-0/00000000deadbeef.obj" ] || fail "orphan not removed"

echo "== 5b. server-0 lost and its mirror's database gone: refused, nothing changes"
saved="$(mktemp -d "$state/saved-XXXXXX")"
mv "$state/fs/server-0" "$saved/"
mv "$state/fs/server-1/metadata.mdb" "$saved/mirror.mdb"
before="$(snapshot "$state/fs")"
out="$(run -n 5 "$job" refused "no copy of the metadata" 2>&1)" || { echo "$out"; fail "not refused"; }
grep -q "refused as expected" <<<"$out" || { echo "$out"; fail "not refused"; }
echo "    $(grep -m1 'refused as expected' <<<"$out" | head -c 300)"
[ "$(snapshot "$state/fs")" == "$before" ] || fail "disk changed"
mv "$saved/server-0" "$state/fs/"
mv "$saved/mirror.mdb" "$state/fs/server-1/metadata.mdb"

echo "== 6. two directories lost with two copies: refused, nothing changes"
rm -rf "$state/fs/server-1" "$state/fs/server-2"
before="$(snapshot "$state/fs")"
out="$(run -n 5 "$job" refused "at most 1" 2>&1)" || { echo "$out"; fail "not refused"; }
grep -q "refused as expected" <<<"$out" || { echo "$out"; fail "not refused"; }
echo "    $(grep -m1 'refused as expected' <<<"$out")"
[ "$(snapshot "$state/fs")" == "$before" ] || fail "disk changed"
echo "PASSED"
