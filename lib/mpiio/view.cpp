#include "mpiio/view.hpp"

#include "mpiio/flat_cursor.hpp"

#include <algorithm>
#include <limits>

namespace nacre::mpiio {

namespace {
Status invalid(const std::string& m) { return Status::error(EINVAL, "file view: " + m); }
}  // namespace

Status check_monotonic_nonoverlapping(const FlatList& list, const std::string& what) {
  const Pattern& p = *list.pattern;
  if (list.size() == 0) return Status::ok();
  // Leaf pieces in order.
  for (size_t i = 1; i < p.leaf.size(); ++i) {
    const Piece& a = p.leaf[i - 1];
    const Piece& b = p.leaf[i];
    if (b.offset < a.end())
      return invalid(what + " has overlapping or out-of-order regions: bytes [" +
                     std::to_string(b.offset) + ", " + std::to_string(b.end()) +
                     ") follow bytes [" + std::to_string(a.offset) + ", " +
                     std::to_string(a.end()) + ") in type-map order");
  }
  // Each repetition must start at or after the end of the previous one. With
  // a monotonic body, one instance spans [first offset, last end).
  int64_t lo = p.leaf.front().offset, hi = p.leaf.back().end();
  std::vector<RepeatLevel> levels = p.levels;
  if (list.count > 1) levels.push_back({list.count, list.type_extent});
  for (const auto& l : levels) {
    if (l.stride < hi - lo)
      return invalid(what + " has overlapping or out-of-order regions: a repetition " +
                     std::to_string(l.stride) + " bytes apart overlaps the previous one, which "
                     "spans " + std::to_string(hi - lo) + " bytes");
    int64_t span = 0;
    if (__builtin_mul_overflow(l.count - 1, l.stride, &span) ||
        __builtin_add_overflow(hi, span, &hi))
      return Status::error(EOVERFLOW, "file view: " + what + " offsets overflow 64 bits");
  }
  return Status::ok();
}

Result<FileView> make_view(int64_t disp, TypeDescPtr etype, TypeDescPtr filetype,
                           ViewAccess access) {
  if (disp < 0) return invalid("negative displacement " + std::to_string(disp));
  if (!etype || !filetype) return invalid("null etype or filetype");
  if (etype->size <= 0) return invalid("etype has size 0");
  if (filetype->size <= 0) return invalid("filetype has size 0");
  if (filetype->size % etype->size != 0)
    return invalid("filetype (" + std::to_string(filetype->size) +
                   " bytes) is not built of whole etypes (" + std::to_string(etype->size) +
                   " bytes each)");
  if (filetype->extent <= 0)
    return invalid("filetype extent " + std::to_string(filetype->extent) +
                   " is not positive, so it cannot tile the file");
  auto one = flatten(*filetype, 1, 0);
  if (!one.is_ok()) return one.status().with_context("file view");
  if (one->data_lo() < 0)
    return invalid("negative displacement in filetype: it touches byte " +
                   std::to_string(one->data_lo()) + " relative to the view displacement");
  // Tile as far as 64-bit offsets allow.
  const int64_t room = std::numeric_limits<int64_t>::max() - disp -
                       std::max<int64_t>(one->data_hi(), filetype->extent);
  const int64_t per = std::max<int64_t>(filetype->extent, filetype->size);
  const int64_t count = std::max<int64_t>(1, room / per);
  auto tiles = flatten(*filetype, count, disp);
  if (!tiles.is_ok()) return tiles.status().with_context("file view");
  FileView v;
  if (access == ViewAccess::read_write) {
    // One instance must be in order without overlaps. Successive instances
    // may overlap (an extent smaller than the data's span, as HDF5's
    // resized chunk types have): ROMIO and OMPIO accept such views, and so
    // does Nacre as long as no single write reaches two instances
    // (check_write_range).
    NACRE_RETURN_IF_ERROR(check_monotonic_nonoverlapping(*one, "filetype"));
    const int64_t span = one->data_hi() - one->data_lo();
    if (filetype->extent < span) {
      v.tiles_overlap = true;
      v.tile_overlap_note = "filetype instances " + std::to_string(filetype->extent) +
                            " bytes apart overlap (each spans " + std::to_string(span) + " bytes)";
    }
    auto e = flatten(*etype, 1, 0);
    if (!e.is_ok()) return e.status().with_context("file view");
    NACRE_RETURN_IF_ERROR(check_monotonic_nonoverlapping(*e, "etype"));
  }
  v.disp = disp;
  v.etype_size = etype->size;
  v.etype = std::move(etype);
  v.filetype = std::move(filetype);
  v.tiles = std::move(tiles).value();
  return v;
}

FileView default_view() {
  auto bytes = make_named(1, "MPI_BYTE").value();
  return make_view(0, bytes, bytes, ViewAccess::read_write).value();
}

Status check_write_range(const FileView& view, int64_t offset, int64_t nbytes) {
  if (!view.tiles_overlap || nbytes <= 0 || offset < 0) return Status::ok();
  const int64_t per_tile = view.filetype->size;  // stream bytes of one instance
  int64_t a = 0, b = 0;
  if (__builtin_mul_overflow(offset, view.etype_size, &a) || __builtin_add_overflow(a, nbytes, &b))
    return Status::ok();  // map_view reports it
  const int64_t first = a / per_tile, last = (b - 1) / per_tile;
  if (first == last) return Status::ok();
  return invalid("a write of " + std::to_string(nbytes) + " bytes at view position " +
                 std::to_string(offset) + " reaches filetype instances " + std::to_string(first) +
                 " to " + std::to_string(last) + ", but " + view.tile_overlap_note +
                 ": it would write overlapping regions");
}

Result<std::vector<Piece>> map_view(const FileView& view, int64_t offset, int64_t nbytes) {
  if (offset < 0) return invalid("negative offset " + std::to_string(offset));
  if (nbytes < 0) return invalid("negative byte count " + std::to_string(nbytes));
  int64_t a = 0, b = 0;
  if (__builtin_mul_overflow(offset, view.etype_size, &a) ||
      __builtin_add_overflow(a, nbytes, &b) || b > view.tiles.size())
    return Status::error(EOVERFLOW, "file view: " + std::to_string(nbytes) +
                                        " bytes at offset " + std::to_string(offset) +
                                        " go past the largest addressable file offset");
  FlatCursor cur(view.tiles);
  std::vector<Piece> out;
  NACRE_RETURN_IF_ERROR(cur.map(a, b, out));
  return out;
}

Result<int64_t> view_byte_offset(const FileView& view, int64_t offset) {
  if (offset < 0) return invalid("negative offset " + std::to_string(offset));
  int64_t a = 0;
  if (__builtin_mul_overflow(offset, view.etype_size, &a) || a >= view.tiles.size())
    return Status::error(EOVERFLOW, "file view: offset " + std::to_string(offset) +
                                        " is past the largest addressable file offset");
  FlatCursor cur(view.tiles);
  NACRE_RETURN_IF_ERROR(cur.seek(a));
  Piece pc;
  cur.next(1, &pc);
  return pc.offset;
}

}  // namespace nacre::mpiio
