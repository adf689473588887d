// One rank's access list, summarised and indexed by file offset.
//
// Input contract: the rank's pieces in the order of its user stream, as
// flattening a file view produces them; sorted or not, overlapping or not.
// Byte i of the user stream is the i-th byte of the concatenated pieces, so a
// piece starts at stream position (sum of the lengths of the pieces before it).
// Zero-length pieces are ignored. Every piece must end at or below kMaxFileEnd
// (EINVAL otherwise).
#pragma once

#include <nacre/status.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "collective/extent.hpp"

namespace nacre::collective {

// What ranks exchange to take the independent/aggregate decision.
struct AccessSummary {
  uint64_t begin = 0;  // lowest file offset accessed (0 when bytes == 0)
  uint64_t end = 0;    // one past the highest file byte accessed (0 when bytes == 0)
  uint64_t bytes = 0;  // sum of piece lengths (= length of the user stream)
  uint64_t runs = 0;   // pieces, after merging stream neighbours that are also
                       // file neighbours (piece p+1 starts where piece p ends)
  bool empty() const { return bytes == 0; }
  bool operator==(const AccessSummary&) const = default;
};

// Summary of one access list (O(n), no allocation).
Result<AccessSummary> summarize(std::span<const Extent> stream_pieces);

class RankAccess {
 public:
  // One run: file bytes [offset, offset + length) are stream bytes
  // [stream, stream + length).
  struct Entry {
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t stream = 0;
    uint64_t end() const { return offset + length; }
  };

  RankAccess() = default;
  // Merges stream-and-file neighbours into runs, then orders the runs by
  // (file offset, stream position). O(n) when the pieces are already in file
  // order, O(n log n) otherwise.
  static Result<RankAccess> build(std::span<const Extent> stream_pieces);

  const AccessSummary& summary() const { return summary_; }
  std::span<const Entry> entries() const { return entries_; }
  // True when some file byte is accessed by two runs of this rank.
  bool overlapping() const { return overlapping_; }

  // Calls f(file_offset, length, stream_offset) for the part inside [lo, hi)
  // of every run that intersects it, in entries() order. O(log n + hits).
  template <class F>
  void for_each_in(uint64_t lo, uint64_t hi, F&& f) const {
    for (size_t i = first_reaching(lo); i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (e.offset >= hi) break;
      if (e.end() <= lo) continue;  // only when overlapping_
      const uint64_t s = std::max(e.offset, lo);
      const uint64_t t = std::min(e.end(), hi);
      f(s, t - s, e.stream + (s - e.offset));
    }
  }

 private:
  // Index of the first run whose end (prefix maximum of ends when runs
  // overlap) is above lo.
  size_t first_reaching(uint64_t lo) const;

  std::vector<Entry> entries_;
  std::vector<uint64_t> max_end_;  // prefix maxima of run ends; only when overlapping_
  AccessSummary summary_;
  bool overlapping_ = false;
};

}  // namespace nacre::collective
