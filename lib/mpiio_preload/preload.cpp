// libnacre_mpiio.so: MPI_Init/MPI_Finalize and the MPI_File_* wrappers (see
// README.md and preload_support.hpp for the shared state and rules).
#include "mpiio_preload/preload_support.hpp"

using namespace nacre_preload;


// ============================================================================
// Init / Finalize
// ============================================================================

NACRE_EXPORT int MPI_Init(int* argc, char*** argv) {
  const int ask = thread_level_to_ask(MPI_THREAD_SINGLE);
  int provided = MPI_THREAD_SINGLE;
  int rc = ask == MPI_THREAD_SINGLE ? PMPI_Init(argc, argv)
                                    : PMPI_Init_thread(argc, argv, ask, &provided);
  if (rc != MPI_SUCCESS) return rc;
  NACRE_TRY
  connect_after_init();
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_Init")
}

NACRE_EXPORT int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  // The application gets at least what it asked for (MPI allows more).
  int rc = PMPI_Init_thread(argc, argv, thread_level_to_ask(required), provided);
  if (rc != MPI_SUCCESS) return rc;
  NACRE_TRY
  connect_after_init();
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_Init_thread")
}

NACRE_EXPORT int MPI_Finalize(void) {
  try {
    const std::size_t open_files = open_file_count();
    if (open_files != 0 && world_rank() == 0)
      print_error("MPI_Finalize", std::to_string(open_files) +
                                      " Nacre file(s) still open on rank 0 (not closed)");
    if (g_runtime != nullptr) {
      auto s = g_runtime->shutdown();
      if (!s) print_error("MPI_Finalize", "Nacre shutdown: " + s.to_string());
      delete g_runtime;
      g_runtime = nullptr;
    }
  } catch (...) {
    internal_error("MPI_Finalize");
  }
  return PMPI_Finalize();
}

// ============================================================================
// Open, close, delete
// ============================================================================

NACRE_EXPORT int MPI_File_open(MPI_Comm comm, const char* filename, int amode, MPI_Info info,
                               MPI_File* fh) {
  if (!is_nacre_name(filename)) return PMPI_File_open(comm, filename, amode, info, fh);
  NACRE_TRY
  const std::string path(filename + std::strlen(kPrefix));
  int inter = 0;
  if (comm == MPI_COMM_NULL) return MPI_ERR_COMM;
  PMPI_Comm_test_inter(comm, &inter);
  if (inter) {
    print_error("MPI_File_open", std::string(filename) + ": intercommunicators are not supported");
    return MPI_ERR_COMM;
  }
  int rank = 0;
  PMPI_Comm_rank(comm, &rank);
  // Checks every rank makes alike (same arguments), so no collective is entered.
  if (g_runtime == nullptr) {
    if (rank == 0)
      print_error("MPI_File_open", std::string(filename) + ": Nacre is not connected (" +
                                       g_runtime_error + ")");
    return MPI_ERR_NO_SUCH_FILE;
  }
  if (path.empty() || path[0] != '/') {
    if (rank == 0)
      print_error("MPI_File_open",
                  std::string(filename) + ": the path after \"nacre:\" must be absolute");
    return MPI_ERR_BAD_FILE;
  }
  {
    const int acc = ((amode & MPI_MODE_RDONLY) ? 1 : 0) + ((amode & MPI_MODE_WRONLY) ? 1 : 0) +
                    ((amode & MPI_MODE_RDWR) ? 1 : 0);
    const bool bad = acc != 1 ||
                     ((amode & MPI_MODE_RDONLY) && (amode & (MPI_MODE_CREATE | MPI_MODE_EXCL))) ||
                     ((amode & MPI_MODE_RDWR) && (amode & MPI_MODE_SEQUENTIAL));
    if (bad) {
      if (rank == 0)
        print_error("MPI_File_open", std::string(filename) + ": invalid amode " +
                                         std::to_string(amode));
      return MPI_ERR_AMODE;
    }
  }
  auto mf = nacre::mpiio::MpiFile::open(comm, g_runtime->fs(), path, amode, info);
  if (!mf) {
    if (rank == 0) print_error("MPI_File_open", mf.status().to_string());
    return error_class(mf.status().code());
  }
  auto f = std::make_unique<NacreFile>();
  f->mf = std::move(mf).value();
  f->rank = rank;
  MPI_Errhandler eh = MPI_ERRORS_RETURN;
  if (PMPI_File_get_errhandler(MPI_FILE_NULL, &eh) == MPI_SUCCESS) {
    f->errhandler = eh;  // handles of predefined handlers need no free
  }
  *fh = register_file(f.release());
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_open")
}

NACRE_EXPORT int MPI_File_close(MPI_File* fh) {
  NacreFile* f = fh ? lookup(*fh) : nullptr;
  if (f == nullptr) return PMPI_File_close(fh);
  NACRE_TRY
  unregister_file(f);
  std::unique_ptr<NacreFile> owner(f);
  *fh = MPI_FILE_NULL;
  auto s = f->mf.close();
  if (!s) {
    if (f->rank == 0) print_error("MPI_File_close", s.to_string());
    return error_class(s.code());
  }
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_close")
}

NACRE_EXPORT int MPI_File_delete(const char* filename, MPI_Info info) {
  if (!is_nacre_name(filename)) return PMPI_File_delete(filename, info);
  NACRE_TRY
  const std::string path(filename + std::strlen(kPrefix));
  if (g_runtime == nullptr) {
    print_error("MPI_File_delete",
                std::string(filename) + ": Nacre is not connected (" + g_runtime_error + ")");
    return MPI_ERR_NO_SUCH_FILE;
  }
  auto s = g_runtime->fs().unlink(path);
  if (!s) {
    // MPI_File_delete of a missing file is a normal probe (IOR, HDF5 tests):
    // return the class without noise.
    if (s.code() != ENOENT) print_error("MPI_File_delete", s.to_string());
    return error_class(s.code());
  }
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_delete")
}

// ============================================================================
// Views
// ============================================================================

NACRE_EXPORT int MPI_File_set_view(MPI_File fh, MPI_Offset disp, MPI_Datatype etype,
                                   MPI_Datatype filetype, const char* datarep, MPI_Info info) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_set_view(fh, disp, etype, filetype, datarep, info);
  NACRE_TRY
  auto s = f->mf.set_view(disp, etype, filetype, datarep ? datarep : "", info);
  if (!s) return fail(f, "MPI_File_set_view", s, true, /*datarep_context=*/true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_set_view")
}

NACRE_EXPORT int MPI_File_get_view(MPI_File fh, MPI_Offset* disp, MPI_Datatype* etype,
                                   MPI_Datatype* filetype, char* datarep) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_view(fh, disp, etype, filetype, datarep);
  NACRE_TRY
  std::string rep;
  f->mf.get_view(disp, etype, filetype, &rep);
  if (datarep != nullptr) {
    std::strncpy(datarep, rep.c_str(), MPI_MAX_DATAREP_STRING - 1);
    datarep[MPI_MAX_DATAREP_STRING - 1] = '\0';
  }
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_view")
}

NACRE_EXPORT int MPI_File_get_type_extent(MPI_File fh, MPI_Datatype datatype, MPI_Aint* extent) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_type_extent(fh, datatype, extent);
  NACRE_TRY
  MPI_Aint lb = 0;
  return PMPI_Type_get_extent(datatype, &lb, extent);  // datarep "native"
  NACRE_CATCH("MPI_File_get_type_extent")
}

// ============================================================================
// Data access
// ============================================================================

#define NACRE_DATA_AT(NAME, OP, CONST)                                                      \
  NACRE_EXPORT int NAME(MPI_File fh, MPI_Offset offset, CONST void* buf, int count,         \
                        MPI_Datatype datatype, MPI_Status* status) {                        \
    NacreFile* f = lookup(fh);                                                              \
    if (f == nullptr) return P##NAME(fh, offset, buf, count, datatype, status);             \
    NACRE_TRY                                                                               \
    return data_call(#NAME, f, Op::OP, offset, const_cast<void*>(buf), count, datatype,     \
                     status);                                                               \
    NACRE_CATCH(#NAME)                                                                      \
  }

#define NACRE_DATA_PTR(NAME, OP, CONST)                                                     \
  NACRE_EXPORT int NAME(MPI_File fh, CONST void* buf, int count, MPI_Datatype datatype,     \
                        MPI_Status* status) {                                               \
    NacreFile* f = lookup(fh);                                                              \
    if (f == nullptr) return P##NAME(fh, buf, count, datatype, status);                     \
    NACRE_TRY                                                                               \
    return data_call(#NAME, f, Op::OP, 0, const_cast<void*>(buf), count, datatype, status); \
    NACRE_CATCH(#NAME)                                                                      \
  }

NACRE_DATA_AT(MPI_File_read_at, read_at, )
NACRE_DATA_AT(MPI_File_write_at, write_at, const)
NACRE_DATA_AT(MPI_File_read_at_all, read_at_all, )
NACRE_DATA_AT(MPI_File_write_at_all, write_at_all, const)
NACRE_DATA_PTR(MPI_File_read, read, )
NACRE_DATA_PTR(MPI_File_write, write, const)
NACRE_DATA_PTR(MPI_File_read_all, read_all, )
NACRE_DATA_PTR(MPI_File_write_all, write_all, const)

#define NACRE_IDATA_AT(NAME, OP, CONST)                                                     \
  NACRE_EXPORT int NAME(MPI_File fh, MPI_Offset offset, CONST void* buf, int count,         \
                        MPI_Datatype datatype, MPI_Request* request) {                      \
    NacreFile* f = lookup(fh);                                                              \
    if (f == nullptr) return P##NAME(fh, offset, buf, count, datatype, request);            \
    NACRE_TRY                                                                               \
    return nonblocking_call(#NAME, f, Op::OP, offset, const_cast<void*>(buf), count,        \
                            datatype, request);                                             \
    NACRE_CATCH(#NAME)                                                                      \
  }

#define NACRE_IDATA_PTR(NAME, OP, CONST)                                                    \
  NACRE_EXPORT int NAME(MPI_File fh, CONST void* buf, int count, MPI_Datatype datatype,     \
                        MPI_Request* request) {                                             \
    NacreFile* f = lookup(fh);                                                              \
    if (f == nullptr) return P##NAME(fh, buf, count, datatype, request);                    \
    NACRE_TRY                                                                               \
    return nonblocking_call(#NAME, f, Op::OP, 0, const_cast<void*>(buf), count, datatype,   \
                            request);                                                       \
    NACRE_CATCH(#NAME)                                                                      \
  }

// Nonblocking forms complete before they return (a completed generalized
// request); the _all forms are collective calls, as MPI requires anyway.
NACRE_IDATA_AT(MPI_File_iread_at, read_at, )
NACRE_IDATA_AT(MPI_File_iwrite_at, write_at, const)
NACRE_IDATA_AT(MPI_File_iread_at_all, read_at_all, )
NACRE_IDATA_AT(MPI_File_iwrite_at_all, write_at_all, const)
NACRE_IDATA_PTR(MPI_File_iread, read, )
NACRE_IDATA_PTR(MPI_File_iwrite, write, const)
NACRE_IDATA_PTR(MPI_File_iread_all, read_all, )
NACRE_IDATA_PTR(MPI_File_iwrite_all, write_all, const)

// ============================================================================
// Individual file pointer
// ============================================================================

NACRE_EXPORT int MPI_File_seek(MPI_File fh, MPI_Offset offset, int whence) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_seek(fh, offset, whence);
  NACRE_TRY
  auto s = f->mf.seek(offset, whence);
  if (!s) return fail(f, "MPI_File_seek", s, false);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_seek")
}

NACRE_EXPORT int MPI_File_get_position(MPI_File fh, MPI_Offset* offset) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_position(fh, offset);
  NACRE_TRY
  *offset = f->mf.get_position();
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_position")
}

NACRE_EXPORT int MPI_File_get_byte_offset(MPI_File fh, MPI_Offset offset, MPI_Offset* disp) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_byte_offset(fh, offset, disp);
  NACRE_TRY
  auto r = f->mf.get_byte_offset(offset);
  if (!r) return fail(f, "MPI_File_get_byte_offset", r.status(), false);
  *disp = *r;
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_byte_offset")
}

// ============================================================================
// File-level calls
// ============================================================================

NACRE_EXPORT int MPI_File_get_size(MPI_File fh, MPI_Offset* size) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_size(fh, size);
  NACRE_TRY
  auto r = f->mf.get_size();
  if (!r) return fail(f, "MPI_File_get_size", r.status(), false);
  *size = *r;
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_size")
}

NACRE_EXPORT int MPI_File_set_size(MPI_File fh, MPI_Offset size) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_set_size(fh, size);
  NACRE_TRY
  auto s = f->mf.set_size(size);
  if (!s) return fail(f, "MPI_File_set_size", s, true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_set_size")
}

NACRE_EXPORT int MPI_File_preallocate(MPI_File fh, MPI_Offset size) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_preallocate(fh, size);
  NACRE_TRY
  auto s = f->mf.preallocate(size);
  if (!s) return fail(f, "MPI_File_preallocate", s, true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_preallocate")
}

NACRE_EXPORT int MPI_File_sync(MPI_File fh) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_sync(fh);
  NACRE_TRY
  auto s = f->mf.sync();
  if (!s) return fail(f, "MPI_File_sync", s, true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_sync")
}

NACRE_EXPORT int MPI_File_set_atomicity(MPI_File fh, int flag) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_set_atomicity(fh, flag);
  NACRE_TRY
  auto s = f->mf.set_atomicity(flag != 0);
  if (!s) return fail(f, "MPI_File_set_atomicity", s, true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_set_atomicity")
}

NACRE_EXPORT int MPI_File_get_atomicity(MPI_File fh, int* flag) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_atomicity(fh, flag);
  NACRE_TRY
  *flag = f->mf.get_atomicity() ? 1 : 0;
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_atomicity")
}

NACRE_EXPORT int MPI_File_set_info(MPI_File fh, MPI_Info info) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_set_info(fh, info);
  NACRE_TRY
  auto s = f->mf.set_info(info);
  if (!s) return fail(f, "MPI_File_set_info", s, true);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_set_info")
}

NACRE_EXPORT int MPI_File_get_info(MPI_File fh, MPI_Info* info_used) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_info(fh, info_used);
  NACRE_TRY
  *info_used = f->mf.get_info();
  if (*info_used == MPI_INFO_NULL) return PMPI_Info_create(info_used);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_info")
}

NACRE_EXPORT int MPI_File_get_amode(MPI_File fh, int* amode) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_amode(fh, amode);
  NACRE_TRY
  *amode = f->mf.amode();
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_amode")
}

NACRE_EXPORT int MPI_File_get_group(MPI_File fh, MPI_Group* group) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_group(fh, group);
  NACRE_TRY
  return PMPI_Comm_group(f->mf.comm(), group);
  NACRE_CATCH("MPI_File_get_group")
}

// Error handlers: MPI_ERRORS_RETURN (default) and MPI_ERRORS_ARE_FATAL are
// honoured on Nacre files; a user-defined handler is stored and returned but
// not called (errors are returned).
NACRE_EXPORT int MPI_File_set_errhandler(MPI_File fh, MPI_Errhandler errhandler) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_set_errhandler(fh, errhandler);
  NACRE_TRY
  f->errhandler = errhandler;
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_set_errhandler")
}

NACRE_EXPORT int MPI_File_get_errhandler(MPI_File fh, MPI_Errhandler* errhandler) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_get_errhandler(fh, errhandler);
  NACRE_TRY
  *errhandler = f->errhandler;
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_get_errhandler")
}

NACRE_EXPORT int MPI_File_call_errhandler(MPI_File fh, int errorcode) {
  NacreFile* f = lookup(fh);
  if (f == nullptr) return PMPI_File_call_errhandler(fh, errorcode);
  NACRE_TRY
  if (f->errhandler == MPI_ERRORS_ARE_FATAL) PMPI_Abort(MPI_COMM_WORLD, errorcode);
  return MPI_SUCCESS;
  NACRE_CATCH("MPI_File_call_errhandler")
}

