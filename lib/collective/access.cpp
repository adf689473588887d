#include "collective/access.hpp"

#include <string>

namespace nacre::collective {

namespace {

Status check_piece(const Extent& p, size_t index) {
  if (p.offset > kMaxFileEnd || p.length > kMaxFileEnd - p.offset)
    return Status::error(EINVAL, "access piece " + std::to_string(index) + " (offset " +
                                     std::to_string(p.offset) + ", length " +
                                     std::to_string(p.length) +
                                     ") ends beyond the largest file offset");
  return Status::ok();
}

}  // namespace

Result<AccessSummary> summarize(std::span<const Extent> stream_pieces) {
  AccessSummary s;
  uint64_t prev_end = 0;
  bool have_prev = false;
  for (size_t i = 0; i < stream_pieces.size(); ++i) {
    const Extent& p = stream_pieces[i];
    if (p.length == 0) continue;
    NACRE_RETURN_IF_ERROR(check_piece(p, i));
    if (!have_prev) {
      s.begin = p.offset;
      s.end = p.end();
    } else {
      s.begin = std::min(s.begin, p.offset);
      s.end = std::max(s.end, p.end());
    }
    if (!have_prev || p.offset != prev_end) ++s.runs;
    s.bytes += p.length;
    prev_end = p.end();
    have_prev = true;
  }
  return s;
}

Result<RankAccess> RankAccess::build(std::span<const Extent> stream_pieces) {
  RankAccess r;
  auto summary = summarize(stream_pieces);
  if (!summary) return summary.status();
  r.summary_ = *summary;
  r.entries_.reserve(r.summary_.runs);
  uint64_t stream = 0;
  bool sorted = true;
  for (const Extent& p : stream_pieces) {
    if (p.length == 0) continue;
    if (!r.entries_.empty() && r.entries_.back().end() == p.offset) {
      r.entries_.back().length += p.length;
    } else {
      if (!r.entries_.empty() && p.offset < r.entries_.back().offset) sorted = false;
      r.entries_.push_back({p.offset, p.length, stream});
    }
    stream += p.length;
  }
  if (!sorted)
    std::sort(r.entries_.begin(), r.entries_.end(), [](const Entry& a, const Entry& b) {
      return a.offset != b.offset ? a.offset < b.offset : a.stream < b.stream;
    });
  uint64_t max_end = 0;
  for (const Entry& e : r.entries_) {
    if (e.offset < max_end) r.overlapping_ = true;
    max_end = std::max(max_end, e.end());
  }
  if (r.overlapping_) {
    r.max_end_.reserve(r.entries_.size());
    max_end = 0;
    for (const Entry& e : r.entries_) {
      max_end = std::max(max_end, e.end());
      r.max_end_.push_back(max_end);
    }
  }
  return r;
}

size_t RankAccess::first_reaching(uint64_t lo) const {
  if (overlapping_)
    return static_cast<size_t>(std::upper_bound(max_end_.begin(), max_end_.end(), lo) -
                               max_end_.begin());
  // Runs are disjoint and sorted, so their ends are sorted too.
  return static_cast<size_t>(
      std::partition_point(entries_.begin(), entries_.end(),
                           [lo](const Entry& e) { return e.end() <= lo; }) -
      entries_.begin());
}

}  // namespace nacre::collective
