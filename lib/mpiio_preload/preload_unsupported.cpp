// MPI-IO calls Nacre files do not support: they answer
// MPI_ERR_UNSUPPORTED_OPERATION; other files pass through to PMPI.
#include "mpiio_preload/preload_support.hpp"

using namespace nacre_preload;

// ============================================================================
// Not supported on Nacre files (shared file pointer, split collectives):
// MPI_ERR_UNSUPPORTED_OPERATION instead of handing a fake handle to PMPI.
// ============================================================================

#define NACRE_UNSUPPORTED(NAME, PARAMS, ARGS)                                             \
  NACRE_EXPORT int NAME PARAMS {                                                          \
    NacreFile* f = lookup(fh);                                                            \
    if (f == nullptr) return P##NAME ARGS;                                                \
    print_error(#NAME, "not supported on Nacre files");                                  \
    return MPI_ERR_UNSUPPORTED_OPERATION;                                                 \
  }

NACRE_UNSUPPORTED(MPI_File_read_shared,
                  (MPI_File fh, void* buf, int count, MPI_Datatype datatype, MPI_Status* status),
                  (fh, buf, count, datatype, status))
NACRE_UNSUPPORTED(MPI_File_write_shared,
                  (MPI_File fh, const void* buf, int count, MPI_Datatype datatype,
                   MPI_Status* status),
                  (fh, buf, count, datatype, status))
NACRE_UNSUPPORTED(MPI_File_read_ordered,
                  (MPI_File fh, void* buf, int count, MPI_Datatype datatype, MPI_Status* status),
                  (fh, buf, count, datatype, status))
NACRE_UNSUPPORTED(MPI_File_write_ordered,
                  (MPI_File fh, const void* buf, int count, MPI_Datatype datatype,
                   MPI_Status* status),
                  (fh, buf, count, datatype, status))
NACRE_UNSUPPORTED(MPI_File_iread_shared,
                  (MPI_File fh, void* buf, int count, MPI_Datatype datatype, MPI_Request* request),
                  (fh, buf, count, datatype, request))
NACRE_UNSUPPORTED(MPI_File_iwrite_shared,
                  (MPI_File fh, const void* buf, int count, MPI_Datatype datatype,
                   MPI_Request* request),
                  (fh, buf, count, datatype, request))
NACRE_UNSUPPORTED(MPI_File_seek_shared, (MPI_File fh, MPI_Offset offset, int whence),
                  (fh, offset, whence))
NACRE_UNSUPPORTED(MPI_File_get_position_shared, (MPI_File fh, MPI_Offset* offset),
                  (fh, offset))
NACRE_UNSUPPORTED(MPI_File_read_at_all_begin,
                  (MPI_File fh, MPI_Offset offset, void* buf, int count, MPI_Datatype datatype),
                  (fh, offset, buf, count, datatype))
NACRE_UNSUPPORTED(MPI_File_read_at_all_end, (MPI_File fh, void* buf, MPI_Status* status),
                  (fh, buf, status))
NACRE_UNSUPPORTED(MPI_File_write_at_all_begin,
                  (MPI_File fh, MPI_Offset offset, const void* buf, int count,
                   MPI_Datatype datatype),
                  (fh, offset, buf, count, datatype))
NACRE_UNSUPPORTED(MPI_File_write_at_all_end, (MPI_File fh, const void* buf, MPI_Status* status),
                  (fh, buf, status))
NACRE_UNSUPPORTED(MPI_File_read_all_begin,
                  (MPI_File fh, void* buf, int count, MPI_Datatype datatype),
                  (fh, buf, count, datatype))
NACRE_UNSUPPORTED(MPI_File_read_all_end, (MPI_File fh, void* buf, MPI_Status* status),
                  (fh, buf, status))
NACRE_UNSUPPORTED(MPI_File_write_all_begin,
                  (MPI_File fh, const void* buf, int count, MPI_Datatype datatype),
                  (fh, buf, count, datatype))
NACRE_UNSUPPORTED(MPI_File_write_all_end, (MPI_File fh, const void* buf, MPI_Status* status),
                  (fh, buf, status))

