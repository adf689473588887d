// Two-phase collective I/O over one Nacre file. COLLECTIVE over ctx.comm.
//
// Each rank passes its file pieces in stream order and its stream (the data,
// contiguous, sum of piece lengths bytes). The ranks
//   1. allgather collective::AccessSummary and decide() alike: independent
//      I/O (each rank one vectored transfer) or aggregation;
//   2. choose_aggregators() over the file's layout (candidates: every rank of
//      ctx.comm), send their access lists to the aggregators (alltoallv);
//      each aggregator plans over all ranks, each rank plans over itself;
//   3. every rank posts its sends (write) / receives (read) for all rounds of
//      all aggregators at once; each aggregator walks its rounds with two
//      buffers, posting round i+1 before it waits for round i: the data moves
//      with isend/irecv of hindexed types (straight from/to the stream and
//      the aggregator's buffer, no packing), and the aggregator issues one
//      write_pieces (after a read of the window when the plan fills holes) or
//      read_pieces per round.
// Every error becomes the same Status on every rank; all communication is
// fixed by the plans, so an I/O error does not stop the exchange (no hang).
//
// ctx.agg_buffer is the aggregator's pair of round buffers: grown to twice
// the window size once (from BufferPool, see buffer_pool.hpp) and reused by every later call.
//
// Cost per call on the independent path: one allgather (summaries and
// errors), the ranks' own RPCs, one allreduce (agree on the I/O status).
#pragma once

#include "client/client_core.hpp"
#include "collective/extent.hpp"
#include "collective/hints.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::mpiio {

struct TwoPhaseContext {
  MPI_Comm comm = MPI_COMM_NULL;
  client::ClientCore* core = nullptr;
  const Layout* layout = nullptr;
  collective::CollectiveHints hints;
  std::vector<uint8_t>* agg_buffer = nullptr;
  client::IoLocking locking;  // of the file handle (none under a group lock)
};

// What the last call did (for tests and benchmarks).
struct TwoPhaseStats {
  bool aggregated = false;
  uint32_t aggregators = 0;
  uint64_t rounds = 0;  // rounds this rank ran as an aggregator (0 if it is none)
  bool staged = false;  // write-behind: the call was only staged (nothing else set)
  // Seconds this rank spent (MPI_Wtime) in: summaries + decision; access
  // lists, plans and round lists; the rounds' data exchange; its own I/O
  // (independent transfer, or the aggregator's requests).
  double t_decide = 0, t_plan = 0, t_exchange = 0, t_io = 0;
};

// `before`: this rank's error so far (argument checks, view mapping). Every
// rank passes its own; when any is an error, no I/O happens and every rank
// returns the same agreed error (this rides on the decision's allgather, so
// the caller needs no agree() of its own before the call).
Status two_phase_write(const TwoPhaseContext& ctx, std::span<const collective::Extent> pieces,
                       const uint8_t* stream, TwoPhaseStats* stats = nullptr,
                       const Status& before = Status::ok());
Status two_phase_read(const TwoPhaseContext& ctx, std::span<const collective::Extent> pieces,
                      uint8_t* stream, TwoPhaseStats* stats = nullptr,
                      const Status& before = Status::ok());

}  // namespace nacre::mpiio
