// Which Nacre file system a file of the driver lives in.
//
// Embedded: the fapl carries a nacre::FileSystem* (nacre::h5fd::set_fapl).
// Standalone server job: one process-wide connection (nacre::Runtime::
// connect), made by the first open on each rank from NACRE_ADDRESS /
// NACRE_CONFIG and kept until MPI_Finalize (a delete callback on
// MPI_COMM_SELF shuts it down, collectively over the ranks that connected
// together).
#pragma once

#include <nacre/filesystem.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

namespace nacre::h5fd {

// COLLECTIVE over comm. Ranks of comm without a connection connect together
// (one Runtime::connect over the sub-communicator of those ranks); ranks
// already connected reuse theirs. Returns the same status on every rank of
// comm: if any rank fails (no NACRE_ADDRESS/NACRE_CONFIG, bad
// configuration, server job unreachable), all fail with that rank's message.
Result<FileSystem*> shared_connection(MPI_Comm comm);

}  // namespace nacre::h5fd
