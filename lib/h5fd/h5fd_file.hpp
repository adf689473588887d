// One open file of the Nacre HDF5 driver, and the callbacks HDF5 calls on it.
#pragma once

#include "h5fd/hdf5_private.h"
#include "mpiio_file/mpi_file.hpp"

#include <nacre/filesystem.hpp>
#include <nacre/h5fd_nacre.h>

#include <mpi.h>

#include <string>

namespace nacre::h5fd {

// The C++ side of an open file.
struct FileState {
  mpiio::MpiFile mf;          // the data path: MPI-IO semantics on the Nacre file
  FileSystem* fs = nullptr;   // not owned (fapl's, or the process-wide connection)
  std::string path;           // Nacre path
  H5FD_nacre_fapl_t fa{};     // the fapl this file was opened with (comm/info owned)
  int rank = 0, size = 1;     // in fa.comm
  haddr_t eof = 0;            // file size at open / after truncate, raised by our writes
  haddr_t eoa = 0;            // end of the address space HDF5 allocated
  haddr_t last_eoa = 0;       // eoa at the last truncate
};

// What HDF5 holds. Layout contract: HDF5 1.10's H5Fset_mpi_atomicity and
// H5Fget_mpi_atomicity cast any MPI-capable driver's file to the MPI-IO
// driver's struct and call MPI_File_{set,get}_atomicity on the MPI_File that
// follows `pub`. `shadow` sits at that offset: a real MPI_File (on /dev/null,
// MPI_COMM_SELF, read-only) that only records the flag; the driver copies it
// to the MpiFile at its next collective call (see sync_atomicity).
struct H5File {
  H5FD_t pub;
  MPI_File shadow;
  FileState* st;
};

// The driver class (super + MPI extension), defined in h5fd_driver.cpp.
extern const H5FD_class_mpi_t kNacreClass;

// Data callbacks (h5fd_io.cpp).
herr_t file_read(H5FD_t* file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void* buf);
herr_t file_write(H5FD_t* file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                  const void* buf);

// COLLECTIVE: if HDF5 changed the atomicity flag through `shadow`, apply it
// to the MpiFile. Called at collective points only.
Status sync_atomicity(H5File& f);

}  // namespace nacre::h5fd
