// Agreeing on success across ranks: every rank passes its local Status and
// gets back the same result everywhere (the error of the lowest failing
// rank, with "rank N: " in front). Collective over comm.
#pragma once

#include <nacre/status.hpp>

#include <mpi.h>

namespace nacre::runtime {

Status agree(MPI_Comm comm, const Status& local);

}  // namespace nacre::runtime
