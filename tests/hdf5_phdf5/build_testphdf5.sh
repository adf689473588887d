#!/usr/bin/env bash
# Builds HDF5's own parallel test program testphdf5 from Debian's hdf5 source
# package against the installed parallel HDF5 (pkg-config hdf5-openmpi), and
# caches it. Nothing from HDF5 is kept in Nacre's repository.
#
# build_testphdf5.sh <out-dir> [mpio|h5fd]
#   mpio (default): the unmodified test program (HDF5's MPI-IO driver).
#   h5fd: the same sources compiled with h5fd_shim.h force-included, so the
#     tests use H5FD_NACRE where they ask for the MPI-IO driver; linked with
#     $NACRE_BUILD_DIR/lib/h5fd/libnacre_h5fd.so.
#   Source packages: $NACRE_HDF5_SRC (default /usr/local/src/nacre-hdf5), put
#   there by scripts/install-deps.sh (apt-get source --download-only hdf5=<the
#   installed libhdf5-openmpi-dev's source version>).
#   Prints the path of the binary on the last line of stdout. The binary is
#   rebuilt only when the source package version or these scripts change.
set -euo pipefail
out="${1:?usage: build_testphdf5.sh <out-dir> [mpio|h5fd]}"
flavour="${2:-mpio}"
pkgs="${NACRE_HDF5_SRC:-/usr/local/src/nacre-hdf5}"
here="$(cd "$(dirname "$0")" && pwd)"

fail() { echo "build_testphdf5: $*" >&2; exit 1; }
case "$flavour" in mpio|h5fd) ;; *) fail "unknown flavour $flavour" ;; esac
command -v mpicc >/dev/null || fail "mpicc not found (install libopenmpi-dev)"
pkg-config --exists hdf5-openmpi || fail "pkg-config hdf5-openmpi not found (install libhdf5-openmpi-dev)"
command -v dpkg-source >/dev/null || fail "dpkg-source not found (install dpkg-dev)"
ver="$(dpkg-query -W -f='${source:Version}' libhdf5-openmpi-dev 2>/dev/null)" \
  || fail "libhdf5-openmpi-dev is not installed"
upstream="${ver#*:}"
dsc="$pkgs/hdf5_${upstream}.dsc"
[ -f "$dsc" ] || fail "HDF5 source package $dsc not found: the test needs Debian's hdf5 \
source package $ver, which scripts/install-deps.sh fetches (apt-get source --download-only, \
after adding a deb-src entry); run it, or set NACRE_HDF5_SRC to a directory holding it"

extra_cflags=() extra_libs=()
if [ "$flavour" = h5fd ]; then
  nb="${NACRE_BUILD_DIR:?set NACRE_BUILD_DIR}" ns="${NACRE_SOURCE_DIR:?set NACRE_SOURCE_DIR}"
  [ -e "$nb/lib/h5fd/libnacre_h5fd.so" ] || fail "$nb/lib/h5fd/libnacre_h5fd.so is not built"
  extra_cflags=(-include "$here/h5fd_shim.h" -I"$ns/include")
  extra_libs=(-L"$nb/lib/h5fd" -Wl,-rpath,"$nb/lib/h5fd" -lnacre_h5fd)
fi

mkdir -p "$out"
stamp="$ver $(cat "$0" "$here/h5fd_shim.h" | sha256sum | cut -c1-16)"
bin="$out/testphdf5-$flavour"
if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$bin"; exit 0
fi

echo "build_testphdf5: building testphdf5 ($flavour) from hdf5 $ver" >&2
# dpkg-source also copies the tarballs next to the tree: keep both in x-*/
src="$out/x-$flavour/hdf5-src" obj="$out/obj-$flavour"
rm -rf "$out/x-$flavour" "$obj"; mkdir -p "$out/x-$flavour" "$obj"
dpkg-source --no-check -x "$dsc" "$src" >/dev/null || fail "dpkg-source -x $dsc failed"
# test/h5test.c includes a configure-generated header naming the source dir
printf 'static const char *config_srcdir = "%s/test";\n' "$src" > "$obj/H5srcdir_str.h"

# testpar/CMakeLists.txt: testphdf5_SOURCES, plus libh5test's h5test.c and
# testframe.c (the only parts of libh5test that testphdf5 uses).
files=(test/h5test.c test/testframe.c
       testpar/testphdf5.c testpar/t_dset.c testpar/t_file.c testpar/t_file_image.c
       testpar/t_mdset.c testpar/t_ph5basic.c testpar/t_coll_chunk.c testpar/t_span_tree.c
       testpar/t_chunk_alloc.c testpar/t_filter_read.c testpar/t_prop.c testpar/t_coll_md_read.c)
# The tests include HDF5's private headers (src/), which sit on top of the
# installed, configured H5pubconf.h of the openmpi flavour.
read -r -a cflags <<<"$(pkg-config --cflags hdf5-openmpi)"
read -r -a libs <<<"$(pkg-config --libs hdf5-openmpi)"
export obj src
printf '%s\n' "${files[@]}" | xargs -P 2 -I{} sh -c \
  'f="{}"; mpicc -c -O1 -w "$@" -I"$obj" -I"$src/src" -I"$src/test" -I"$src/testpar" \
     "$src/$f" -o "$obj/$(basename "$f" .c).o" || exit 255' sh "${extra_cflags[@]}" "${cflags[@]}" \
  || fail "compiling testphdf5 failed"
mpicc -o "$bin.tmp" "$obj"/*.o "${extra_libs[@]}" "${libs[@]}" || fail "linking testphdf5 failed \
(the test uses HDF5-private symbols that Debian's libhdf5 exports)"
if [ "$flavour" = h5fd ] && nm -u "$bin.tmp" | grep -q 'H5Pset_fapl_mpio'; then
  fail "the h5fd flavour still calls H5Pset_fapl_mpio"
fi
mv "$bin.tmp" "$bin"
rm -rf "$out/x-$flavour"
echo "$stamp" > "$bin.stamp"
echo "$bin"
