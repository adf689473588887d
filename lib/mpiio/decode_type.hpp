// decode_type: MPI_Datatype -> TypeDesc, through MPI_Type_get_envelope and
// MPI_Type_get_contents, recursively. Needs MPI to be initialized; touches no
// communicator. Derived types returned by MPI_Type_get_contents are freed
// here (named and F90 parameterized types are predefined and never freed);
// the caller keeps ownership of `type`.
//
// Every decoded node gets MPI's own lb and extent (MPI_Type_get_extent), so
// struct alignment padding and MPI_LB/MPI_UB markers are honoured, and its
// size is checked against MPI_Type_size (EIO if they disagree).
//
// Named types: basic types are `size` dense bytes; the pair types
// (MPI_FLOAT_INT, MPI_DOUBLE_INT, MPI_LONG_INT, MPI_2INT, MPI_SHORT_INT,
// MPI_LONG_DOUBLE_INT) become the struct of their C layout. Errors:
// ENOTSUP for the F90 parameterized combiners, EINVAL for MPI_DATATYPE_NULL,
// unknown combiners or named types with holes we do not know, each naming
// the combiner or type.
#pragma once

#include "mpiio/type_desc.hpp"

#include <mpi.h>
#include <nacre/status.hpp>

namespace nacre::mpiio {

Result<TypeDescPtr> decode_type(MPI_Datatype type);

// Name of an MPI combiner constant ("MPI_COMBINER_VECTOR").
const char* mpi_combiner_name(int combiner);

}  // namespace nacre::mpiio
