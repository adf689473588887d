#include "locks/expansion.hpp"

#include <algorithm>

namespace nacre::locks {

std::optional<Extent> free_extent(Mode mode, GroupId gid, const Extent& wanted,
                                  std::span<const OtherLock> others) {
  if (!wanted.valid()) return std::nullopt;
  Extent f = Extent::whole();
  for (const OtherLock& o : others) {
    if (compatible(mode, gid, o.mode, o.gid) || !o.extent.valid()) continue;
    if (overlaps(o.extent, wanted)) return std::nullopt;
    if (o.extent.end <= wanted.start) f.start = std::max(f.start, o.extent.end);
    else f.end = std::min(f.end, o.extent.start);  // o.extent.start >= wanted.end
  }
  return f;
}

Extent expand(const ExpansionRequest& req, std::span<const OtherLock> others,
              const ExpansionParams& params) {
  const Extent& w = req.wanted;
  if (req.no_expand || req.mode == Mode::GROUP || !w.valid()) return w;
  const std::optional<Extent> f = free_extent(req.mode, req.gid, w, others);
  if (!f) return w;

  const uint64_t page = params.page_size == 0 ? 1 : params.page_size;
  uint64_t conflicts = 0;
  uint64_t write_conflicts = 0;
  for (const OtherLock& o : others) {
    if (compatible(req.mode, req.gid, o.mode, o.gid)) continue;
    ++conflicts;
    if (o.granted && is_write_mode(o.mode)) ++write_conflicts;
  }

  Extent target = Extent::whole();
  if (conflicts > params.contended_locks) {
    target = round_out(w, page);
  } else if (write_conflicts > params.max_grown_conflicts) {
    const uint64_t s = round_down(w.start, page);
    const uint64_t e = s > kEof - params.max_grown_extent ? kEof : s + params.max_grown_extent;
    target = hull(w, Extent{s, e});
  }

  // f and target both contain w, so `room` does too. Each end of the grant
  // is, independently, the outermost page boundary inside room that does not
  // cut into w, or else w's own end.
  const Extent room{std::max(f->start, target.start), std::min(f->end, target.end)};
  uint64_t start = round_up(room.start, page);
  if (start > w.start) start = w.start;
  uint64_t end = room.end == kEof ? kEof : round_down(room.end, page);
  if (end < w.end) end = w.end;
  return Extent{start, end};
}

}  // namespace nacre::locks
