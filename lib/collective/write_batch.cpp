#include "collective/write_batch.hpp"

#include <algorithm>

namespace nacre::collective {

bool WriteBatch::overlaps_pending(uint64_t offset, uint64_t end) const {
  if (pieces_.empty() || offset >= hull_end_) return false;
  if (ascending_) {
    // First pending piece ending after offset; overlap if it starts before end.
    auto it = std::partition_point(pieces_.begin(), pieces_.end(),
                                   [offset](const Extent& e) { return e.end() <= offset; });
    return it != pieces_.end() && it->offset < end;
  }
  auto it = index_.upper_bound(offset);  // first begin > offset
  if (it != index_.end() && it->first < end) return true;
  if (it == index_.begin()) return false;
  --it;  // begin <= offset
  return it->second > offset;
}

WriteBatch::Fit WriteBatch::classify(std::span<const Extent> call) const {
  // Fast path: the call ascends and starts at or after everything pending.
  uint64_t prev_end = hull_end_;
  bool fast = true;
  for (const Extent& e : call) {
    if (e.length == 0) continue;
    if (e.offset < prev_end) {
      fast = false;
      break;
    }
    prev_end = e.end();
  }
  if (fast) return Fit::kAppend;
  std::vector<Extent> sorted;
  sorted.reserve(call.size());
  for (const Extent& e : call)
    if (e.length) sorted.push_back(e);
  std::sort(sorted.begin(), sorted.end(),
            [](const Extent& a, const Extent& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i].offset < sorted[i - 1].end()) return Fit::kOverlapsItself;
  for (const Extent& e : sorted)
    if (overlaps_pending(e.offset, e.end())) return Fit::kOverlapsPending;
  return Fit::kAppend;
}

void WriteBatch::append(std::span<const Extent> call) {
  uint64_t n = 0;
  for (const Extent& e : call) {
    if (e.length == 0) continue;
    if (ascending_ && !pieces_.empty() && e.offset < pieces_.back().end()) {
      ascending_ = false;
      index_.clear();
      for (const Extent& p : pieces_) index_.emplace(p.offset, p.end());
    }
    pieces_.push_back(e);
    if (!ascending_) index_.emplace(e.offset, e.end());
    hull_end_ = std::max(hull_end_, e.end());
    n += e.length;
  }
  bytes_ += n;
  max_call_bytes_ = std::max(max_call_bytes_, n);
}

void WriteBatch::clear() {
  pieces_.clear();
  index_.clear();
  bytes_ = 0;
  max_call_bytes_ = 0;
  ascending_ = true;
  hull_end_ = 0;
}

uint64_t calls_per_flush(uint64_t budget, uint64_t max_call_bytes, uint64_t current) {
  if (max_call_bytes == 0) return std::clamp<uint64_t>(current, 1, kMaxCallsPerFlush);
  return std::clamp<uint64_t>(budget / max_call_bytes, 1, kMaxCallsPerFlush);
}

}  // namespace nacre::collective
