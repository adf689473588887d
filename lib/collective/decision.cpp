#include "collective/decision.hpp"

#include <algorithm>
#include <vector>

namespace nacre::collective {

bool ranges_interleave(std::span<const AccessSummary> ranks) {
  std::vector<std::pair<uint64_t, uint64_t>> r;
  r.reserve(ranks.size());
  for (const auto& s : ranks)
    if (!s.empty()) r.emplace_back(s.begin, s.end);
  std::sort(r.begin(), r.end());
  for (size_t i = 1; i < r.size(); ++i)
    if (r[i].first < r[i - 1].second) return true;  // sorted by begin: neighbours suffice
  return false;
}

Decision decide(CbMode mode, std::span<const AccessSummary> ranks, uint64_t min_average_run,
                uint64_t min_single_run) {
  Decision d;
  uint64_t bytes = 0, runs = 0;
  bool single_runs = true;  // every non-empty rank: one run of >= min_single_run bytes
  for (const auto& s : ranks) {
    bytes += s.bytes;
    runs += s.runs;
    if (!s.empty() && (s.runs != 1 || s.bytes < min_single_run)) single_runs = false;
  }
  d.average_run = runs == 0 ? 0 : bytes / runs;
  d.interleaved = ranges_interleave(ranks);
  switch (mode) {
    case CbMode::kEnable:
      d.path = IoPath::kAggregate;
      d.reason = "collective buffering enabled by hint";
      return d;
    case CbMode::kDisable:
      d.path = IoPath::kIndependent;
      d.reason = "collective buffering disabled by hint";
      return d;
    case CbMode::kAutomatic:
      break;
  }
  if (bytes == 0) {
    d.path = IoPath::kIndependent;
    d.reason = "no rank accesses any byte";
  } else if (d.interleaved) {
    d.path = IoPath::kAggregate;
    d.reason = "ranks' access ranges interleave";
  } else if (single_runs) {
    d.path = IoPath::kIndependent;
    d.reason = "ranges are disjoint and every rank has one large enough run";
  } else if (d.average_run < min_average_run) {
    d.path = IoPath::kAggregate;
    d.reason = "ranges are disjoint but pieces are small";
  } else {
    d.path = IoPath::kIndependent;
    d.reason = "ranges are disjoint and pieces are large";
  }
  return d;
}

}  // namespace nacre::collective
