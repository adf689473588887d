/* H5FD_NACRE: an HDF5 virtual file driver that stores HDF5 files in Nacre.
 *
 *   hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
 *   H5Pset_fapl_nacre(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);   // like H5Pset_fapl_mpio
 *   hid_t f = H5Fcreate("/run/ckpt.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
 *
 * File names are absolute Nacre paths ("/dir/file.h5"; a "nacre:" prefix is
 * accepted and ignored). HDF5 sees the driver as MPI-capable, exactly like
 * its own MPI-IO driver: H5Fcreate/H5Fopen/H5Fclose/H5Fflush are collective
 * over the communicator, H5Pset_dxpl_mpio(H5FD_MPIO_COLLECTIVE) gives
 * two-phase collective raw-data I/O, collective metadata (H5Pset_all_coll_
 * metadata_ops, H5Pset_coll_metadata_write) and H5Fset_mpi_atomicity work.
 *
 * Which Nacre file system: by default a standalone server job, found through
 * NACRE_ADDRESS or NACRE_CONFIG (as libnacre_mpiio.so does); the first open
 * connects the ranks of its communicator (collective), the connection stays
 * for the life of the process and is closed at MPI_Finalize. C++ programs
 * may instead pass an in-process nacre::FileSystem (embedded mode), see the
 * overload at the end. Call H5Fclose/H5close before MPI_Finalize.
 *
 * Errors: every failure is pushed onto HDF5's error stack under the error
 * class "Nacre" with Nacre's message (e.g. the path and "No such file").
 * Collective calls fail on every rank alike; nothing is left waiting.
 *
 * Library: libnacre_h5fd.so, CMake target nacre::h5fd (find_package(nacre)
 * provides it when Nacre was built with HDF5). It carries its own copy of
 * the Nacre client; an embedded FileSystem from libnacre works with it.
 *
 * Needs HDF5 1.10 with parallel support (see docs/HDF5.md). */
#ifndef NACRE_H5FD_NACRE_H
#define NACRE_H5FD_NACRE_H

#include <nacre/export.h>

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The driver's id (registers it on first use; again after H5close). */
#define H5FD_NACRE (H5FD_nacre_init())

#define H5FD_NACRE_NAME "nacre"
#define H5FD_NACRE_FAPL_MAGIC 0x4E483546u /* "NH5F" */
#define H5FD_NACRE_FAPL_VERSION 1u

/* Environment overrides, read by rank 0 when a file is created (they win
 * over the fapl and over MPI_Info hints). Values as for nacre-ctl setstripe:
 * a size in bytes ("1MiB" style not accepted here), a count (-1 = all). */
#define H5FD_NACRE_ENV_STRIPE_SIZE "NACRE_H5_STRIPE_SIZE"
#define H5FD_NACRE_ENV_STRIPE_COUNT "NACRE_H5_STRIPE_COUNT"

/* The driver's file-access configuration, kept in the fapl. Versioned:
 * every entry point checks magic and version and each field's range.
 * Use the functions below rather than filling it in by hand. */
typedef struct H5FD_nacre_fapl_t {
  uint32_t magic;        /* H5FD_NACRE_FAPL_MAGIC */
  uint32_t version;      /* H5FD_NACRE_FAPL_VERSION */
  MPI_Comm comm;         /* the file's communicator (the fapl holds a dup) */
  MPI_Info info;         /* MPI-IO hints (dup) or MPI_INFO_NULL */
  int64_t stripe_size;   /* at create: bytes, multiple of 65536; 0 = hint/default */
  int32_t stripe_count;  /* at create: 1..servers, -1 = all, 0 = hint/default */
  int32_t reserved;      /* must be 0 */
  void* filesystem;      /* in-process nacre::FileSystem*, NULL = server job */
} H5FD_nacre_fapl_t;

/* Registers the driver with HDF5 (idempotent); H5I_INVALID_HID on error. */
NACRE_API hid_t H5FD_nacre_init(void);

/* Selects the driver in fapl_id. comm must not be MPI_COMM_NULL; info may be
 * MPI_INFO_NULL. Both are duplicated: the caller may free its own. Hints in
 * info: striping_factor, striping_unit (applied when the file is created),
 * cb_nodes, cb_buffer_size, romio_cb_write/read (collective buffering). */
NACRE_API herr_t H5Pset_fapl_nacre(hid_t fapl_id, MPI_Comm comm, MPI_Info info);

/* Returns duplicates of the fapl's communicator and info (the caller frees
 * them with MPI_Comm_free / MPI_Info_free; info may be MPI_INFO_NULL).
 * Either pointer may be NULL. Fails if fapl_id does not use H5FD_NACRE. */
NACRE_API herr_t H5Pget_fapl_nacre(hid_t fapl_id, MPI_Comm* comm, MPI_Info* info);

/* Striping of files created through fapl_id (after H5Pset_fapl_nacre):
 * stripe_size 0 or a multiple of 65536; stripe_count -1, 0 or positive.
 * 0 leaves that parameter to the MPI_Info hints or the directory default. */
NACRE_API herr_t H5Pset_fapl_nacre_striping(hid_t fapl_id, int64_t stripe_size, int32_t stripe_count);

#ifdef __cplusplus
} /* extern "C" */

namespace nacre {
class FileSystem;
namespace h5fd {
/* Embedded mode: files of fapl_id live in `fs`, a FileSystem of this
 * process (e.g. nacre::Runtime::fs() of Runtime::start). Not owned: fs must
 * outlive every file opened through the fapl. Otherwise as H5Pset_fapl_nacre. */
NACRE_API herr_t set_fapl(hid_t fapl_id, MPI_Comm comm, MPI_Info info, FileSystem& fs);
}  // namespace h5fd
}  // namespace nacre
#endif

#endif /* NACRE_H5FD_NACRE_H */
