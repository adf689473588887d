// Constant-time contiguity of a flattened type or file view.
//
// FlatList::is_contiguous() and mpiio::map_view() walk the compact form piece
// by piece; for the commonest types (count x MPI_BYTE, a contiguous view)
// every piece is one element, so a 1 MiB call walked 1 Mi pieces twice -- the
// per-call cost that dominated MpiFile's data path. dense_origin() decides
// the common dense case from the compact form in O(levels).
#pragma once

#include "mpiio/flatten.hpp"

#include <cstdint>
#include <optional>

namespace nacre::mpiio {

// The absolute offset of stream byte 0 when the list's stream is ONE
// ascending contiguous byte range that this quick test can prove (single leaf
// piece, every repetition level and the instance count tiling without gaps):
// stream byte s is then at origin + s. nullopt otherwise -- the list may
// still be contiguous (ask FlatList::is_contiguous()). Pure.
std::optional<int64_t> dense_origin(const FlatList& list);

}  // namespace nacre::mpiio
