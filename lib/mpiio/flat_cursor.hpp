// FlatCursor: walks the byte stream of a FlatList (the bytes in type-map
// order) and maps stream ranges to file/memory pieces without materializing
// the list. Seeking is O(levels + log(leaf pieces)); each produced piece is
// O(1) amortized. The file-view code maps "N bytes at view position P" to
// absolute file pieces with map(P, P + N).
//
// A cursor keeps a reference to the FlatList's pattern (shared), so it stays
// valid after the FlatList is destroyed. Not thread-safe; cheap to create.
#pragma once

#include "mpiio/flatten.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace nacre::mpiio {

class FlatCursor {
 public:
  explicit FlatCursor(const FlatList& list);

  // Stream bytes of the list.
  int64_t size() const { return size_; }
  // Current stream position (bytes in type-map order).
  int64_t position() const { return pos_; }

  // Moves to stream byte `pos`; EINVAL unless 0 <= pos <= size().
  Status seek(int64_t pos);

  // The next piece of at most max_bytes (> 0) from the current position, and
  // advances past it. Pieces are not merged here. False at the end.
  bool next(int64_t max_bytes, Piece* out);

  // Appends the pieces of stream bytes [a, b) to `out` in stream order,
  // merging pieces that touch (only among those appended by this call).
  // Leaves the cursor at b. EINVAL unless 0 <= a <= b <= size(); EFBIG when
  // more than max_pieces pieces would be appended (out then holds a prefix).
  Status map(int64_t a, int64_t b, std::vector<Piece>& out,
             int64_t max_pieces = std::numeric_limits<int64_t>::max());

 private:
  std::shared_ptr<const Pattern> pat_;
  std::vector<RepeatLevel> levels_;  // pattern levels + the count level
  std::vector<int64_t> level_bytes_; // stream bytes of one instance of level l's body
  std::vector<int64_t> idx_;
  int64_t base_ = 0;
  int64_t size_ = 0;
  int64_t pos_ = 0;
  int64_t origin_ = 0;  // base_ + sum idx_[l] * levels_[l].stride
  size_t leaf_ = 0;     // current leaf piece
  int64_t intra_ = 0;   // bytes of leaf_ already consumed
};

}  // namespace nacre::mpiio
