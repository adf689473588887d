// Independent or aggregated (two-phase) I/O: the decision every rank takes
// from the same exchanged summaries, so all ranks agree. Pure.
#pragma once

#include <cstdint>
#include <span>

#include "collective/access.hpp"
#include "collective/hints.hpp"

namespace nacre::collective {

enum class IoPath { kIndependent, kAggregate };

struct Decision {
  IoPath path = IoPath::kAggregate;
  bool interleaved = false;      // some two ranks' [begin, end) ranges intersect
  uint64_t average_run = 0;      // total bytes / total runs (0 when no bytes)
  const char* reason = "";       // static text for logs
};

// The rule (ranks whose summary is empty take no part in it):
//   mode kEnable    -> aggregate.
//   mode kDisable   -> independent.
//   mode kAutomatic -> independent when no rank accesses anything, or when
//                      (a) no two ranks' ranges [begin, end) intersect, AND
//                      (b) the average run, floor(sum bytes / sum runs), is
//                          >= min_average_run, OR every rank that accesses
//                          bytes does so in ONE run of >= min_single_run
//                          bytes (aggregation cannot cut such a rank's
//                          requests; it would only merge neighbours' at the
//                          price of an exchange -- IOR's ior-hard, one call
//                          per 47008-byte record, is this case);
//                      aggregate otherwise.
// O(r log r) for r ranks.
inline constexpr uint64_t kMinSingleRun = 32 * 1024;
Decision decide(CbMode mode, std::span<const AccessSummary> ranks, uint64_t min_average_run,
                uint64_t min_single_run = kMinSingleRun);

// True when some two non-empty summaries have intersecting [begin, end).
bool ranges_interleave(std::span<const AccessSummary> ranks);

}  // namespace nacre::collective
