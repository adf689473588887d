// Bookkeeping of one rank's deferred ("write-behind") collective writes:
// which file pieces are pending, in stream order, and how many collective
// write calls go into one flush. Pure: no MPI, no I/O, no data (the bytes
// live with the caller, in the same stream order as pieces()).
//
// The MPI layer (lib/mpiio_file/write_behind.*) stages each collective write
// call of a rank here and flushes the batch of all ranks with one two-phase
// write once every rank has made calls_per_flush() calls. Pending pieces of
// one rank never overlap (classify() reports a call that would overlap them,
// and the caller flushes the batch first), so a batch is a valid two-phase
// write whatever the order of its calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "collective/extent.hpp"

namespace nacre::collective {

class WriteBatch {
 public:
  enum class Fit {
    kAppend,           // disjoint from the pending pieces and from itself
    kOverlapsPending,  // touches a byte already pending (flush the batch first)
    kOverlapsItself,   // the call writes some byte twice (an error for a collective write)
  };

  // How one call's pieces (stream order, zero-length ones ignored) relate to
  // the batch. O(n) for a call whose pieces ascend beyond everything pending
  // (the common case), O(n log n + n log pending) otherwise.
  Fit classify(std::span<const Extent> call) const;
  // Appends one call (classify() must have returned kAppend).
  void append(std::span<const Extent> call);
  // Forgets every pending piece (keeps capacity).
  void clear();

  std::span<const Extent> pieces() const { return pieces_; }  // stream order
  uint64_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  // Largest byte count of one appended call since the last clear().
  uint64_t max_call_bytes() const { return max_call_bytes_; }

 private:
  bool overlaps_pending(uint64_t offset, uint64_t end) const;

  std::vector<Extent> pieces_;
  uint64_t bytes_ = 0;
  uint64_t max_call_bytes_ = 0;
  // While every piece so far ascends (offset >= end of the previous one),
  // pieces_ is sorted and disjoint and is searched directly; after the first
  // piece that does not, index_ (begin -> end, disjoint) holds them all.
  bool ascending_ = true;
  uint64_t hull_end_ = 0;
  std::map<uint64_t, uint64_t> index_;
};

// Collective write calls per flush: budget / max_call_bytes, clamped to
// [1, kMaxCallsPerFlush]; `current` when max_call_bytes is 0 (a batch
// without data tells nothing about call sizes).
inline constexpr uint64_t kMaxCallsPerFlush = 1u << 16;
uint64_t calls_per_flush(uint64_t budget, uint64_t max_call_bytes, uint64_t current);

}  // namespace nacre::collective
