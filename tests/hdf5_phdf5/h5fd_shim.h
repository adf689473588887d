/* Force-included (-include) into every testphdf5 source for the H5FD_NACRE
 * flavour (build_testphdf5.sh h5fd): the tests' file access property lists
 * get the Nacre driver where they ask for HDF5's MPI-IO driver, and the
 * harness's driver checks (h5_fixname: "is this the parallel driver?")
 * recognise it. Nothing else in the tests changes. */
#include <hdf5.h>
#include <nacre/h5fd_nacre.h>
#define H5Pset_fapl_mpio(fapl, comm, info) H5Pset_fapl_nacre(fapl, comm, info)
#define H5Pget_fapl_mpio(fapl, comm, info) H5Pget_fapl_nacre(fapl, comm, info)
#undef H5FD_MPIO
#define H5FD_MPIO H5FD_NACRE
