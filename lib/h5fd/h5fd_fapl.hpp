// The driver's file-access configuration (H5FD_nacre_fapl_t): validation,
// copy/free for HDF5's property lists, and the effective MPI_Info a file is
// opened with.
#pragma once

#include <nacre/h5fd_nacre.h>
#include <nacre/status.hpp>

#include <mpi.h>

namespace nacre::h5fd {

// Checks magic, version and every field; the message names the field.
Status validate(const H5FD_nacre_fapl_t& fa);

// HDF5 fapl callbacks. copy validates, duplicates comm and info and returns
// a new object (nullptr, with the error pushed, on failure); free releases
// them. Never throw.
void* fapl_copy(const void* fa);
herr_t fapl_free(void* fa);

// The MPI_Info a file is opened with: a dup of fa.info (or a new info)
// with striping_unit/striping_factor from the fapl and then from the
// environment overrides (H5FD_NACRE_ENV_STRIPE_*); a stripe count of -1
// becomes server_count. The caller frees it.
Result<MPI_Info> effective_info(const H5FD_nacre_fapl_t& fa, int server_count);

}  // namespace nacre::h5fd
