// Flattening: a TypeDesc (times a count, at a base offset) -> the (offset,
// length) pieces of its type map, in TYPE-MAP ORDER (the order MPI_Pack
// visits bytes, which is the order a file view maps stream bytes to file
// bytes). Offsets may be negative, out of order or repeated, exactly as the
// type says.
//
// Compact form. A FlatList is never materialized unless asked: one instance
// of the type is a Pattern = `leaf` pieces repeated by nested RepeatLevels
// (innermost first), and the FlatList repeats that pattern `count` times,
// `type_extent` apart. Contiguous, vector/hvector, regular (h)indexed blocks,
// subarrays and regular darrays of regular children stay compact whatever
// their counts; only irregular constructors (struct, irregular indexed) expand
// their children into leaf pieces, bounded by kMaxLeafPieces.
//
// Merging. Leaf pieces that touch are merged. Pieces that touch across a
// repetition boundary are merged by FlatCursor::map() and materialize(), so
// both always return a fully merged list (no empty piece, no piece ending
// where the next begins).
#pragma once

#include "mpiio/type_desc.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace nacre::mpiio {

struct Piece {
  int64_t offset = 0;
  int64_t length = 0;
  int64_t end() const { return offset + length; }
  bool operator==(const Piece&) const = default;
};

struct RepeatLevel {
  int64_t count = 1;   // > 1 after normalization
  int64_t stride = 0;  // bytes between repetitions (any sign)
};

// The type map of ONE instance, relative to the instance's origin.
struct Pattern {
  std::vector<Piece> leaf;           // non-empty, merged, type-map order
  std::vector<int64_t> leaf_prefix;  // stream bytes before leaf[i]; leaf.size()+1 entries
  std::vector<RepeatLevel> levels;   // innermost first
  int64_t leaf_bytes = 0;            // sum of leaf lengths
  int64_t size = 0;                  // leaf_bytes * product of level counts
  int64_t data_lo = 0;               // lowest byte touched (if size > 0)
  int64_t data_hi = 0;               // one past the highest byte touched
};

// Upper bound on leaf pieces an irregular type may expand to (EFBIG beyond).
inline constexpr int64_t kMaxLeafPieces = int64_t{1} << 24;

struct FlatList {
  std::shared_ptr<const Pattern> pattern;  // never null after flatten()
  int64_t count = 0;        // instances of the type
  int64_t base = 0;         // origin of instance 0; instance i at base + i*type_extent
  int64_t type_size = 0;    // MPI_Type_size of the type
  int64_t type_lb = 0;      // lb of the type (relative to its origin)
  int64_t type_extent = 0;  // extent of the type

  int64_t size() const { return count * type_size; }  // stream bytes
  // Absolute data bounds over all instances (meaningful when size() > 0).
  int64_t data_lo() const;
  int64_t data_hi() const;
  // Pieces held in the compact form (leaf pieces of one instance).
  int64_t stored_pieces() const { return static_cast<int64_t>(pattern->leaf.size()); }
  // True when the whole stream is one contiguous byte range.
  bool is_contiguous() const;
  // All pieces, absolute, merged, in type-map order. EFBIG if more than
  // max_pieces would be produced.
  Result<std::vector<Piece>> materialize(int64_t max_pieces = kMaxLeafPieces) const;
};

// Flattens `count` instances of `type`, instance 0 at `base_offset`.
// EINVAL for a negative count, EOVERFLOW when sizes or offsets overflow 64
// bits, EFBIG when an irregular type would need more than kMaxLeafPieces.
Result<FlatList> flatten(const TypeDesc& type, int64_t count, int64_t base_offset);

}  // namespace nacre::mpiio
