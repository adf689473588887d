// File views (MPI_File_set_view semantics, datarep "native"), pure.
//
// A view is (disp, etype, filetype): the file, seen from byte `disp`, is the
// filetype tiled without end (instance i at disp + i * extent(filetype));
// the bytes of the filetype's type map, in type-map order, form the view's
// byte stream. View positions count etypes: position P is stream byte
// P * size(etype).
//
// Rules checked by make_view (all EINVAL, with a message):
//   - disp >= 0 ("negative displacement");
//   - etype size > 0, filetype size > 0 and a whole number of etypes;
//   - filetype extent > 0 (it must tile the file);
//   - no byte of the filetype's type map lies before its origin (a negative
//     displacement inside the filetype would address bytes before disp);
//   - for writable views: check_monotonic_nonoverlapping on one instance
//     of the filetype and on the etype (MPI forbids overlapping regions for
//     writes). Instances that overlap each other (extent smaller than the
//     data's span) are accepted, as ROMIO and OMPIO do; a write that reaches
//     two of them is refused (check_write_range).
// Read-only views accept out-of-order or overlapping filetypes: reads map
// correctly in type-map order.
#pragma once

#include "mpiio/flatten.hpp"
#include "mpiio/type_desc.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nacre::mpiio {

enum class ViewAccess { read_only, read_write };

struct FileView {
  int64_t disp = 0;
  TypeDescPtr etype;
  TypeDescPtr filetype;
  int64_t etype_size = 0;
  // The filetype tiled from disp, as many instances as 64-bit offsets allow.
  FlatList tiles;
  // Writable views whose filetype instances overlap each other; the note
  // says how (for messages).
  bool tiles_overlap = false;
  std::string tile_overlap_note;
};

// EINVAL unless every piece of `list`, in type-map order, starts at or after
// the end of the previous one (repetitions included). Checked on the compact
// form, without materializing. `what` names the type in the message.
Status check_monotonic_nonoverlapping(const FlatList& list, const std::string& what);

// Validates and builds a view (rules above).
Result<FileView> make_view(int64_t disp, TypeDescPtr etype, TypeDescPtr filetype,
                           ViewAccess access);

// EINVAL when a write of nbytes at view position offset would reach two
// instances of a filetype whose instances overlap; OK otherwise.
Status check_write_range(const FileView& view, int64_t offset, int64_t nbytes);

// The default view: disp 0, etype = filetype = bytes.
FileView default_view();

// Absolute file pieces, in stream order and merged, for `nbytes` bytes of the
// view's stream starting at view position `offset` (in etypes). EINVAL for a
// negative offset or count, EOVERFLOW past the addressable end.
Result<std::vector<Piece>> map_view(const FileView& view, int64_t offset, int64_t nbytes);

// MPI_File_get_byte_offset: absolute file offset of view position `offset`
// (the byte where stream byte offset * etype_size lives).
Result<int64_t> view_byte_offset(const FileView& view, int64_t offset);

}  // namespace nacre::mpiio
