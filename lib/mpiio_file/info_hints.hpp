// MPI_Info hints of an MPI-IO file: the collective-buffering keys (parsed by
// collective::apply_hint) and the striping keys applied at create.
// Unknown keys are ignored; a bad value of a known key is EINVAL naming the
// key and value. Local (no communication).
#pragma once

#include "collective/hints.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

namespace nacre::mpiio {

struct FileHints {
  collective::CollectiveHints cb;
  LayoutRequest striping;  // striping_factor -> stripe_count, striping_unit -> stripe_size
  // nacre_group_lock=<gid>: every rank takes File::group_lock(gid) at open
  // and keeps it until close (0 or "disable": none). Only the value given at
  // open counts (docs/LOCKS.md, "Group locks").
  uint64_t group_lock = 0;
};

// Applies every key of info (MPI_INFO_NULL: nothing) on top of *hints; on
// error *hints is unchanged.
Status apply_info(MPI_Info info, FileHints* hints);

// A new MPI_Info holding the hints in effect (the caller frees it).
MPI_Info hints_to_info(const FileHints& hints, const Layout& layout);

}  // namespace nacre::mpiio
