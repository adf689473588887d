// The start-up rebuild (docs/DURABILITY.md, "Rebuild"): when a server's
// storage directory was lost and re-created, or copies are marked stale, the
// first client job to start (embedded) or connect (standalone) copies them
// back from the other copies before the application runs, with progress on
// stdout.
#pragma once

#include <nacre/filesystem.hpp>

#include <mpi.h>

namespace nacre::runtime {

// Collective over client_comm. Rank 0 rebuilds; a rebuild that leaves copies
// behind (no good copy) is logged and the file system stays degraded, but
// the start still succeeds (reads fail over to the copies that exist). An
// error talking to the servers is returned on every rank.
Status rebuild_at_start(FileSystem& fs, MPI_Comm client_comm);

}  // namespace nacre::runtime
