#include "collective/plan.hpp"

#include <algorithm>
#include <string>

namespace nacre::collective {

namespace {
constexpr uint64_t kMaxWindow = uint64_t{1} << 40;

// Appends t to a rank's group (which starts at `begin`), merging it into the
// previous transfer when contiguous in both file and stream.
void append_merged(std::vector<Transfer>& out, size_t begin, const Transfer& t) {
  if (out.size() > begin) {
    Transfer& p = out.back();
    if (p.file_offset + p.length == t.file_offset && p.stream_offset + p.length == t.stream_offset) {
      p.length += t.length;
      return;
    }
  }
  out.push_back(t);
}
}  // namespace

uint64_t window_size(uint64_t cb_buffer_size, uint64_t stripe_size) {
  uint64_t w = std::min(cb_buffer_size, kMaxWindow);
  if (stripe_size > 0 && w >= stripe_size) w -= w % stripe_size;
  return std::max<uint64_t>(w, 1);
}

bool fill_holes(HolePolicy policy, double max_hole_fraction, uint64_t hole_bytes,
                uint64_t window_bytes) {
  if (hole_bytes == 0) return false;
  switch (policy) {
    case HolePolicy::kFill: return true;
    case HolePolicy::kSkip: return false;
    case HolePolicy::kAuto: break;
  }
  return static_cast<long double>(hole_bytes) <=
         static_cast<long double>(max_hole_fraction) * static_cast<long double>(window_bytes);
}

Result<CollectivePlan> CollectivePlan::build(std::vector<RankAccess> ranks, DomainMap map,
                                             const PlanOptions& options) {
  if (options.cb_buffer_size == 0)
    return Status::error(EINVAL, "cb_buffer_size must be positive");
  if (!(options.max_hole_fraction >= 0.0 && options.max_hole_fraction <= 1.0))
    return Status::error(EINVAL, "max_hole_fraction " + std::to_string(options.max_hole_fraction) +
                                     " outside [0, 1]");
  CollectivePlan p;
  p.ranks_ = std::move(ranks);
  p.map_ = std::move(map);
  p.options_ = options;
  p.window_ = window_size(options.cb_buffer_size, p.map_.stripe_size());
  p.coverage_ = Coverage::of(p.ranks_);
  return p;
}

bool RoundCursor::next(Round& out) {
  if (done_) return false;
  const CollectivePlan& plan = *plan_;
  const DomainMap& map = plan.map_;
  const Coverage& cov = plan.coverage_;
  const uint32_t a = aggregator_;
  const uint64_t s = map.stripe_size();
  const uint64_t w = plan.window_;

  // 1. First accessed byte of this aggregator's domain at or after next_domain_.
  uint64_t x = map.offset_of(a, next_domain_);
  uint64_t d = 0;
  for (;;) {
    auto y = cov.next_covered(x);
    if (!y) {
      done_ = true;
      return false;
    }
    d = map.domain_at_or_after(a, *y);
    const uint64_t x2 = map.offset_of(a, d);
    if (x2 == *y) break;  // *y lies in a unit of this aggregator
    x = x2;               // skip to this aggregator's next unit
  }
  const uint64_t k = d / w;
  const uint64_t d_end = (k + 1) * w;

  // 2. The window's file ranges, from d to the end of window k.
  out.aggregator = a;
  out.window_index = k;
  out.ordinal = ordinal_++;
  out.window.clear();
  out.covered.clear();
  out.holes.clear();
  for (uint64_t dd = d; dd < d_end;) {
    const uint64_t len = std::min(s - dd % s, d_end - dd);
    const uint64_t off = map.offset_of(a, dd);
    if (!out.window.empty() && out.window.back().end() == off)
      out.window.back().length += len;  // only when A == 1
    else
      out.window.push_back({off, len});
    dd += len;
    if (off + len >= kMaxFileEnd) break;  // nothing is accessed beyond
  }
  // 3. Covered runs and holes, then trim the window after its last covered byte.
  for (const Extent& r : out.window) cov.split(r.offset, r.end(), out.covered, out.holes);
  const uint64_t last = out.covered.back().end();  // non-empty: d is covered
  while (!out.holes.empty() && out.holes.back().offset >= last) out.holes.pop_back();
  while (out.window.back().offset >= last) out.window.pop_back();
  if (out.window.back().end() > last) out.window.back().length = last - out.window.back().offset;
  out.covered_bytes = out.hole_bytes = 0;
  for (const Extent& e : out.covered) out.covered_bytes += e.length;
  for (const Extent& e : out.holes) out.hole_bytes += e.length;
  out.window_bytes = out.covered_bytes + out.hole_bytes;
  out.fill_holes = fill_holes(plan.options_.hole_policy, plan.options_.max_hole_fraction,
                              out.hole_bytes, out.window_bytes);

  // 4. Every rank's transfers inside the window, in canonical order.
  out.transfers.clear();
  out.rank_begin.clear();
  for (const RankAccess& ra : plan.ranks_) {
    const size_t begin = out.transfers.size();
    out.rank_begin.push_back(begin);
    if (ra.summary().empty() || ra.summary().end <= out.window.front().offset ||
        ra.summary().begin >= out.window.back().end())
      continue;
    if (!ra.overlapping()) {
      for (const Extent& r : out.window)
        ra.for_each_in(r.offset, r.end(), [&](uint64_t f, uint64_t n, uint64_t st) {
          append_merged(out.transfers, begin, {f, st, n});
        });
    } else {
      scratch_.clear();
      for (const Extent& r : out.window)
        ra.for_each_in(r.offset, r.end(), [&](uint64_t f, uint64_t n, uint64_t st) {
          scratch_.push_back({f, st, n});
        });
      std::sort(scratch_.begin(), scratch_.end(), [](const Transfer& l, const Transfer& r) {
        return l.file_offset != r.file_offset ? l.file_offset < r.file_offset
                                              : l.stream_offset < r.stream_offset;
      });
      for (const Transfer& t : scratch_) append_merged(out.transfers, begin, t);
    }
  }
  out.rank_begin.push_back(out.transfers.size());

  next_domain_ = d_end;
  return true;
}

}  // namespace nacre::collective
