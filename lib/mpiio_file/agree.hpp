// Error agreement over a communicator: after a phase of a collective call,
// every rank passes its local Status and gets back the SAME Status on every
// rank (the error of the lowest failing rank, code and message; OK if no rank
// failed). COLLECTIVE over comm. This is what keeps every rank leaving a
// collective together: nobody continues into the next phase alone.
#pragma once

#include <nacre/status.hpp>

#include <mpi.h>

namespace nacre::mpiio {

Status agree(MPI_Comm comm, const Status& local);

}  // namespace nacre::mpiio
