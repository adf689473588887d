// The two-phase plan: which rank moves which bytes to/from which aggregator in
// which round, and what each aggregator reads/writes per round. Pure.
//
// Rounds. Aggregator a's domain (aggregators.hpp) is cut into windows of W
// domain bytes, W = window_size(cb_buffer_size, stripe_size); window k is the
// domain range [k*W, (k+1)*W). A round is one window that holds at least one
// accessed byte; rounds of one aggregator come in increasing k. k depends only
// on the file offset, so every rank can find the rounds of its own bytes from
// its own access list (build a plan of that one rank: its transfers are
// exactly its transfers in the plan of all ranks, same aggregator, same k).
//
// A round's window is trimmed to run from its first to its last accessed byte;
// it is a list of file ranges (maximal, file-contiguous, inside units the
// aggregator owns), at most W bytes in all. The window is partitioned into
// covered runs (bytes some rank accesses) and holes (bytes no rank accesses).
//
// Transfers of one rank in one round are in canonical order: sorted by
// (file_offset, stream_offset), neighbours contiguous in both file and stream
// merged. Both sides of an exchange can therefore pack/unpack in the same
// order without sending offsets. Ranks that access one byte twice (allowed
// for reads) have one transfer per access.
//
// Plans are lazy: RoundCursor computes one round at a time, in O(ranks *
// (W / stripe_size + 2) * log(runs) + transfers of the round), so a plan of
// millions of pieces never materialises all rounds at once.
#pragma once

#include <nacre/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "collective/access.hpp"
#include "collective/aggregators.hpp"
#include "collective/coverage.hpp"
#include "collective/extent.hpp"
#include "collective/hints.hpp"

namespace nacre::collective {

struct PlanOptions {
  uint64_t cb_buffer_size = 16ull << 20;  // > 0
  HolePolicy hole_policy = HolePolicy::kAuto;
  double max_hole_fraction = 0.25;        // in [0, 1]
  static PlanOptions from(const CollectiveHints& h) {
    return {h.cb_buffer_size, h.hole_policy, h.max_hole_fraction};
  }
};

// Largest window (domain bytes per round): cb_buffer_size rounded down to a
// multiple of stripe_size when it is at least stripe_size (so windows are
// unions of whole stripe units), else cb_buffer_size itself; at most 2^40.
uint64_t window_size(uint64_t cb_buffer_size, uint64_t stripe_size);

// Whether a round's holes are filled (one request for the whole window: a
// write reads the holes first, read-modify-write; a read discards them)
// rather than skipped (one request per covered run). False without holes.
bool fill_holes(HolePolicy policy, double max_hole_fraction, uint64_t hole_bytes,
                uint64_t window_bytes);

struct Round {
  uint32_t aggregator = 0;
  uint64_t window_index = 0;  // k: the round covers domain [k*W, (k+1)*W)
  uint32_t ordinal = 0;       // 0, 1, 2, ... among this aggregator's rounds
  std::vector<Extent> window;   // trimmed window, file order
  std::vector<Extent> covered;  // covered runs, file order
  std::vector<Extent> holes;    // holes, file order
  uint64_t window_bytes = 0;    // = covered_bytes + hole_bytes <= W
  uint64_t covered_bytes = 0;
  uint64_t hole_bytes = 0;
  bool fill_holes = false;
  // Transfers of all ranks, grouped by rank: rank r's are
  // transfers[rank_begin[r] .. rank_begin[r + 1]).
  std::vector<Transfer> transfers;
  std::vector<size_t> rank_begin;

  std::span<const Transfer> transfers_of(size_t rank) const {
    return std::span<const Transfer>(transfers).subspan(rank_begin[rank],
                                                        rank_begin[rank + 1] - rank_begin[rank]);
  }
};

class CollectivePlan;

// Walks the rounds of one aggregator. Holds a pointer to its plan, which must
// outlive it and not move.
class RoundCursor {
 public:
  // Fills `out` with the next round (reusing its vectors' capacity); false
  // when there is none left.
  bool next(Round& out);

 private:
  friend class CollectivePlan;
  RoundCursor(const CollectivePlan* plan, uint32_t aggregator)
      : plan_(plan), aggregator_(aggregator) {}
  const CollectivePlan* plan_;
  uint32_t aggregator_;
  uint64_t next_domain_ = 0;  // windows before this domain coordinate are done
  uint32_t ordinal_ = 0;
  bool done_ = false;
  std::vector<Transfer> scratch_;
};

class CollectivePlan {
 public:
  CollectivePlan() = default;
  // ranks[r] is rank r's access (the caller picks the numbering; transfers
  // are reported per index r). EINVAL for cb_buffer_size == 0 or
  // max_hole_fraction outside [0, 1]. O(runs * log ranks).
  static Result<CollectivePlan> build(std::vector<RankAccess> ranks, DomainMap map,
                                      const PlanOptions& options);

  RoundCursor rounds(uint32_t aggregator) const { return RoundCursor(this, aggregator); }

  const DomainMap& map() const { return map_; }
  const PlanOptions& options() const { return options_; }
  uint64_t window() const { return window_; }
  std::span<const RankAccess> ranks() const { return ranks_; }
  const Coverage& coverage() const { return coverage_; }

 private:
  friend class RoundCursor;
  std::vector<RankAccess> ranks_;
  DomainMap map_;
  PlanOptions options_;
  uint64_t window_ = 1;
  Coverage coverage_;
};

}  // namespace nacre::collective
