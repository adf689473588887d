// The union of the bytes every rank accesses ("coverage"): what aggregators
// actually hold in a round. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "collective/access.hpp"
#include "collective/extent.hpp"

namespace nacre::collective {

class Coverage {
 public:
  Coverage() = default;
  // Union of all runs of all ranks. O(n log ranks).
  static Coverage of(std::span<const RankAccess> ranks);

  // Sorted, disjoint and non-adjacent (touching extents are merged).
  std::span<const Extent> extents() const { return extents_; }

  // First covered byte at or after x, if any. O(log n).
  std::optional<uint64_t> next_covered(uint64_t x) const;

  // Splits [lo, hi) into its covered runs and its holes, appended in file
  // order; together they partition [lo, hi). O(log n + pieces).
  void split(uint64_t lo, uint64_t hi, std::vector<Extent>& covered,
             std::vector<Extent>& holes) const;

 private:
  size_t first_ending_after(uint64_t x) const;
  std::vector<Extent> extents_;
};

}  // namespace nacre::collective
