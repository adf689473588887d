#include "collective/coverage.hpp"

#include <algorithm>
#include <queue>

namespace nacre::collective {

Coverage Coverage::of(std::span<const RankAccess> ranks) {
  Coverage c;
  // k-way merge of the ranks' runs (each list is sorted by offset).
  struct Head {
    uint64_t offset;
    size_t rank;
    size_t index;
    bool operator>(const Head& o) const { return offset > o.offset; }
  };
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  size_t total = 0;
  for (size_t r = 0; r < ranks.size(); ++r) {
    auto e = ranks[r].entries();
    total += e.size();
    if (!e.empty()) heap.push({e[0].offset, r, 0});
  }
  if (ranks.size() == 1) c.extents_.reserve(total);
  auto add = [&c](uint64_t off, uint64_t end) {
    if (!c.extents_.empty() && off <= c.extents_.back().end()) {
      Extent& b = c.extents_.back();
      if (end > b.end()) b.length = end - b.offset;
    } else {
      c.extents_.push_back({off, end - off});
    }
  };
  if (ranks.size() == 1) {  // no heap needed
    for (const auto& e : ranks[0].entries()) add(e.offset, e.end());
    return c;
  }
  while (!heap.empty()) {
    Head h = heap.top();
    heap.pop();
    auto e = ranks[h.rank].entries();
    add(e[h.index].offset, e[h.index].end());
    // Drain this rank while it stays at or below the next head (saves heap work
    // for the common case of long runs of one rank).
    size_t i = h.index + 1;
    const uint64_t limit = heap.empty() ? UINT64_MAX : heap.top().offset;
    while (i < e.size() && e[i].offset <= limit) {
      add(e[i].offset, e[i].end());
      ++i;
    }
    if (i < e.size()) heap.push({e[i].offset, h.rank, i});
  }
  return c;
}

size_t Coverage::first_ending_after(uint64_t x) const {
  return static_cast<size_t>(
      std::partition_point(extents_.begin(), extents_.end(),
                           [x](const Extent& e) { return e.end() <= x; }) -
      extents_.begin());
}

std::optional<uint64_t> Coverage::next_covered(uint64_t x) const {
  const size_t i = first_ending_after(x);
  if (i == extents_.size()) return std::nullopt;
  return std::max(x, extents_[i].offset);
}

void Coverage::split(uint64_t lo, uint64_t hi, std::vector<Extent>& covered,
                     std::vector<Extent>& holes) const {
  uint64_t pos = lo;
  for (size_t i = first_ending_after(lo); i < extents_.size() && pos < hi; ++i) {
    const Extent& e = extents_[i];
    if (e.offset >= hi) break;
    const uint64_t s = std::max(e.offset, pos);
    const uint64_t t = std::min(e.end(), hi);
    if (s > pos) holes.push_back({pos, s - pos});
    covered.push_back({s, t - s});
    pos = t;
  }
  if (pos < hi) holes.push_back({pos, hi - pos});
}

}  // namespace nacre::collective
