/* HDF5 library internals the Nacre driver needs, declared here because the
 * installed HDF5 ships no private headers.
 *
 * Source: HDF5 1.10.8 (src/H5FDprivate.h, src/H5CXprivate.h). Debian's
 * libhdf5 (openmpi flavour) exports these symbols with version tags such as
 * H5FD_register@@HDF5_MPI_1.8.7 and H5CX_get_io_xfer_mode@@HDF5_MPI_1.10.3;
 * lib/h5fd/CMakeLists.txt checks at configure time that they link, and the
 * driver is not built otherwise.
 *
 * Why they are needed: HDF5 1.10 treats a file driver as MPI-capable only if
 * its class is the extended H5FD_class_mpi_t below (H5FDregister copies just
 * sizeof(H5FD_class_t)), and the collective data path passes the MPI
 * datatypes and transfer mode only through the API context (H5CX).
 *
 * On HDF5 1.14 none of this is needed: H5FDdevelop.h is public, and the
 * driver would use the ctl callback (H5FD_CTL_GET_MPI_COMMUNICATOR_OPCODE,
 * ...) and H5FD_class_t.version/value instead. See docs/HDF5.md. */
#ifndef NACRE_H5FD_HDF5_PRIVATE_H
#define NACRE_H5FD_HDF5_PRIVATE_H

#include <hdf5.h>
#include <mpi.h>

#if H5_VERS_MAJOR != 1 || H5_VERS_MINOR != 10
#error "lib/h5fd targets the HDF5 1.10 driver interface (see docs/HDF5.md for 1.14)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* H5FDprivate.h (1.10.8): the class of MPI-based drivers. */
typedef struct H5FD_class_mpi_t {
  H5FD_class_t super;
  int (*get_rank)(const H5FD_t* file);
  int (*get_size)(const H5FD_t* file);
  MPI_Comm (*get_comm)(const H5FD_t* file);
} H5FD_class_mpi_t;

/* H5FDprivate.h (1.10.8): registers a driver class of `size` bytes. */
hid_t H5FD_register(const void* cls, size_t size, hbool_t app_ref);

/* H5CXprivate.h (1.10.8): the transfer properties of the current API call. */
herr_t H5CX_get_io_xfer_mode(H5FD_mpio_xfer_t* io_xfer_mode);
herr_t H5CX_get_mpio_coll_opt(H5FD_mpio_collective_opt_t* mpio_coll_opt);
herr_t H5CX_get_mpi_coll_datatypes(MPI_Datatype* btype, MPI_Datatype* ftype);

#ifdef __cplusplus
}
#endif

#endif /* NACRE_H5FD_HDF5_PRIVATE_H */
