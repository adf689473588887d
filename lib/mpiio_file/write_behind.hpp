// Write-behind of collective writes (hint nacre_write_behind=enable).
//
// Why: a collective call that goes to the servers costs at least one
// allgather, the RPCs and one allreduce, and on an oversubscribed node every
// one of those waits for a descheduled rank. A pattern such as IOR's ior-hard
// (one write_at_all per 47 KB record) then runs at the speed of the scheduler.
// With write-behind, a collective write only copies the rank's data into a
// staging buffer (no communication at all); every calls_per_flush() calls
// the ranks flush their staged data together with ONE two-phase write, where
// the records of all ranks interleave and are aggregated into whole stripes.
//
// Schedule. Every rank of the file calls every collective write, so the call
// counter, and calls_per_flush() (agreed at each flush from the largest call
// seen, budget = nacre_write_behind_size), are the same on every rank: the
// flush is a collective that all ranks reach at the same call.
//
// Consistency (MPI nonatomic mode, MPI-3.1 13.6.1): this rank's own reads and
// writes always see its staged data (independent calls flush this rank's
// batch first, on their own); collective reads, set_view, set_size,
// preallocate, sync, set_atomicity, set_info and close flush every rank's
// batch first. Another rank's INDEPENDENT read sees staged data only after a
// sync (or one of those collectives) -- what MPI guarantees, but less than
// write-through Nacre gives. Atomic mode bypasses write-behind.
//
// Errors. Argument errors of a staged call are returned by the rank that made
// them (no agreement: that would cost the allreduce write-behind saves); the
// call still counts, so the schedule stays aligned. I/O errors of a flush --
// including one of an earlier local flush, kept until then -- are agreed and
// returned by the call that flushes, on every rank.
//
// Not thread-safe (one per MpiFile).
#pragma once

#include "client/client_core.hpp"
#include "collective/write_batch.hpp"
#include "mpiio_file/two_phase.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::mpiio {

class WriteBehind {
 public:
  WriteBehind() = default;
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;
  ~WriteBehind();  // returns the staging buffer to BufferPool; staged data is dropped

  // True when collective write calls have been staged since the last
  // collective flush (the same on every rank, see above).
  bool dirty() const { return calls_ > 0; }
  // True when this rank holds staged bytes.
  bool has_data() const { return !batch_.empty(); }

  // One collective write call of this rank: pieces (stream order) and their
  // data `stream` (sum of lengths bytes). Local. Stages the data, first
  // flushing this rank's batch on its own when the call overlaps it or would
  // overflow the budget; a call larger than the budget is written through
  // (independently). Returns EINVAL when the call writes a byte twice (as the
  // two-phase write would). Counts the call either way: call due() next.
  Status stage(client::ClientCore& core, const Layout& layout, uint64_t budget,
               std::span<const collective::Extent> pieces, const uint8_t* stream);
  // Counts a collective write call that staged nothing (argument error).
  void count_call() { ++calls_; }
  // True when the collective flush is due (same answer on every rank).
  bool due() const { return calls_ >= calls_per_flush_; }

  // Local: writes this rank's staged data with one vectored transfer.
  Status flush_local(client::ClientCore& core, const Layout& layout);
  // COLLECTIVE over ctx.comm: every rank's staged data with one two-phase
  // write; agrees on its error and on any kept local-flush error. Resets the
  // batch and the counter, and sets calls_per_flush() for the next batch.
  Status flush(const TwoPhaseContext& ctx, uint64_t budget, TwoPhaseStats* stats);

  uint64_t calls_per_flush() const { return calls_per_flush_; }

 private:
  collective::WriteBatch batch_;
  std::vector<uint8_t> data_;  // staged bytes, batch_ stream order
  uint64_t calls_ = 0;
  uint64_t calls_per_flush_ = 1;  // the first call flushes and measures
  uint64_t max_call_ = 0;         // largest call since the last flush (written through too)
  Status kept_;                   // first error of a local flush since the last flush
};

}  // namespace nacre::mpiio
