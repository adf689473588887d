// The Nacre HDF5 driver class: open/close and the file-level callbacks.
// Data transfer is in h5fd_io.cpp. Behaviour follows HDF5 1.10's MPI-IO
// driver (H5FDmpio.c) callback by callback, so that HDF5 cannot tell the
// two apart; each callback states whether HDF5 calls it collectively.
#include "h5fd/h5fd_connection.hpp"
#include "h5fd/h5fd_error.hpp"
#include "h5fd/h5fd_fapl.hpp"
#include "h5fd/h5fd_file.hpp"
#include "mpiio_file/agree.hpp"

#include <cstring>
#include <memory>

namespace nacre::h5fd {

namespace {

H5File* as_file(H5FD_t* f) { return reinterpret_cast<H5File*>(f); }
const H5File* as_file(const H5FD_t* f) { return reinterpret_cast<const H5File*>(f); }

// Local checks of open's arguments; the result is agreed before anything
// collective happens.
Status check_name(const char* name, std::string* path) {
  if (name == nullptr || *name == '\0') return Status::error(EINVAL, "H5FD_nacre: empty file name");
  std::string p = name;
  if (p.rfind("nacre:", 0) == 0) p.erase(0, 6);
  if (p.empty() || p[0] != '/')
    return Status::error(EINVAL, "H5FD_nacre: file name \"" + std::string(name) +
                                     "\" must be an absolute Nacre path (\"/dir/file.h5\")");
  *path = p;
  return Status::ok();
}

int amode_of(unsigned flags) {
  int amode = (flags & H5F_ACC_RDWR) ? MPI_MODE_RDWR : MPI_MODE_RDONLY;
  if (flags & H5F_ACC_CREAT) amode |= MPI_MODE_CREATE;
  if (flags & H5F_ACC_EXCL) amode |= MPI_MODE_EXCL;
  return amode;
}

// COLLECTIVE over fa.comm. The body of open; errors are agreed.
Result<std::unique_ptr<FileState>> open_state(const char* name, unsigned flags,
                                              const H5FD_nacre_fapl_t& fa) {
  auto st = std::make_unique<FileState>();
  Status local = check_name(name, &st->path);
  NACRE_RETURN_IF_ERROR(mpiio::agree(fa.comm, local));

  if (fa.filesystem != nullptr) {
    st->fs = static_cast<FileSystem*>(fa.filesystem);
  } else {
    auto fs = shared_connection(fa.comm);
    if (!fs) return fs.status();
    st->fs = *fs;
  }
  auto info = effective_info(fa, st->fs->server_count());
  NACRE_RETURN_IF_ERROR(mpiio::agree(fa.comm, info.status()));
  auto mf = mpiio::MpiFile::open(fa.comm, *st->fs, st->path, amode_of(flags), *info);
  MPI_Info_free(&*info);
  if (!mf) return mf.status().with_context("H5FD_nacre");  // MpiFile names the path
  st->mf = std::move(*mf);
  MPI_Comm_rank(fa.comm, &st->rank);
  MPI_Comm_size(fa.comm, &st->size);

  // As the MPI-IO driver: rank 0 asks for the size, everyone gets it; with
  // H5F_ACC_TRUNC a non-empty file is cut to 0 (collective).
  int64_t size = 0;
  local = Status::ok();
  if (st->rank == 0) {
    auto n = st->mf.get_size();
    if (n) size = *n;
    else local = n.status();
  }
  Status s = mpiio::agree(fa.comm, local);
  if (!s) {
    (void)st->mf.close();
    return s.with_context("H5FD_nacre: size of " + st->path);
  }
  MPI_Bcast(&size, 1, MPI_INT64_T, 0, fa.comm);
  if ((flags & H5F_ACC_TRUNC) && size != 0) {
    s = st->mf.set_size(0);
    if (!s) {
      (void)st->mf.close();
      return s.with_context("H5FD_nacre: truncate " + st->path);
    }
    size = 0;
  }
  st->eof = static_cast<haddr_t>(size);
  return st;
}

H5FD_t* cb_open(const char* name, unsigned flags, hid_t fapl_id, haddr_t maxaddr) {
  try {
    if (maxaddr == 0 || maxaddr == HADDR_UNDEF) {
      push_error("open", "H5FD_nacre: bad maxaddr");
      return nullptr;
    }
    const auto* fa = static_cast<const H5FD_nacre_fapl_t*>(H5Pget_driver_info(fapl_id));
    if (fa == nullptr) {
      push_error("open", "H5FD_nacre: the file access property list has no Nacre driver "
                         "configuration (use H5Pset_fapl_nacre)");
      return nullptr;
    }
    Status s = validate(*fa);
    if (!s) {
      push_status("open", s);
      return nullptr;
    }
    auto* copy = static_cast<H5FD_nacre_fapl_t*>(fapl_copy(fa));
    if (copy == nullptr) return nullptr;
    auto st = open_state(name, flags, *copy);
    if (!st) {
      fapl_free(copy);
      push_status("open", st.status());
      return nullptr;
    }
    (*st)->fa = *copy;  // takes over the duplicated comm and info
    delete copy;

    auto* f = new H5File{};
    f->st = st->release();
    f->shadow = MPI_FILE_NULL;
    if (MPI_File_open(MPI_COMM_SELF, "/dev/null", MPI_MODE_RDONLY, MPI_INFO_NULL, &f->shadow) !=
        MPI_SUCCESS) {
      f->shadow = MPI_FILE_NULL;  // H5Fset_mpi_atomicity will then fail with MPI's error
    }
    return &f->pub;
  } catch (...) {
    push_current_exception("open");
    return nullptr;
  }
}

// COLLECTIVE (H5Fclose).
herr_t cb_close(H5FD_t* file) {
  H5File* f = as_file(file);
  herr_t rc = 0;
  try {
    Status s = f->st->mf.close();
    if (!s) rc = push_status("close", s.with_context("H5FD_nacre: close " + f->st->path));
  } catch (...) {
    rc = push_current_exception("close");
  }
  if (f->shadow != MPI_FILE_NULL) MPI_File_close(&f->shadow);
  H5FD_nacre_fapl_t fa = f->st->fa;
  delete f->st;
  delete f;
  fapl_free(new H5FD_nacre_fapl_t(fa));
  return rc;
}

// Local. Same file = same file system and path.
int cb_cmp(const H5FD_t* a, const H5FD_t* b) {
  const FileState& x = *as_file(a)->st;
  const FileState& y = *as_file(b)->st;
  if (x.fs != y.fs) return x.fs < y.fs ? -1 : 1;
  return x.path.compare(y.path) < 0 ? -1 : (x.path == y.path ? 0 : 1);
}

// The MPI-IO driver's feature flags (HDF5 1.10.8).
herr_t cb_query(const H5FD_t*, unsigned long* flags) {
  if (flags != nullptr)
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_HAS_MPI |
             H5FD_FEAT_ALLOCATE_EARLY | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  return 0;
}

haddr_t cb_get_eoa(const H5FD_t* file, H5FD_mem_t) { return as_file(file)->st->eoa; }
herr_t cb_set_eoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  as_file(file)->st->eoa = addr;
  return 0;
}
haddr_t cb_get_eof(const H5FD_t* file, H5FD_mem_t) { return as_file(file)->st->eof; }

// The handle is the nacre::mpiio::MpiFile* of the file (not an MPI_File).
herr_t cb_get_handle(H5FD_t* file, hid_t, void** handle) {
  if (handle == nullptr) return push_error("get_handle", "H5FD_nacre: handle pointer is NULL");
  *handle = &as_file(file)->st->mf;
  return 0;
}

// COLLECTIVE (H5Fflush, and at close with closing = true, where the MPI-IO
// driver does not sync either).
herr_t cb_flush(H5FD_t* file, hid_t, hbool_t closing) {
  try {
    H5File* f = as_file(file);
    Status s = sync_atomicity(*f);
    if (s && !closing) s = f->st->mf.sync();
    if (!s) return push_status("flush", s.with_context("H5FD_nacre: flush " + f->st->path));
    return 0;
  } catch (...) {
    return push_current_exception("flush");
  }
}

// COLLECTIVE. Makes the file exactly eoa bytes long, as the MPI-IO driver
// does (rank 0 asks for the size; set_size only if it differs).
herr_t cb_truncate(H5FD_t* file, hid_t, hbool_t) {
  try {
    H5File* f = as_file(file);
    FileState& st = *f->st;
    Status s = sync_atomicity(*f);
    if (s && st.eoa != st.last_eoa) {
      int64_t size = 0;
      Status local = Status::ok();
      if (st.rank == 0) {
        auto n = st.mf.get_size();
        if (n) size = *n;
        else local = n.status();
      }
      s = mpiio::agree(st.fa.comm, local);
      if (s) {
        MPI_Bcast(&size, 1, MPI_INT64_T, 0, st.fa.comm);
        if (static_cast<haddr_t>(size) != st.eoa)
          s = st.mf.set_size(static_cast<MPI_Offset>(st.eoa));
      }
      if (s) {
        st.last_eoa = st.eoa;
        st.eof = st.eoa;
      }
    }
    if (!s) return push_status("truncate", s.with_context("H5FD_nacre: truncate " + st.path));
    return 0;
  } catch (...) {
    return push_current_exception("truncate");
  }
}

void* cb_fapl_get(H5FD_t* file) { return fapl_copy(&as_file(file)->st->fa); }

int cb_get_rank(const H5FD_t* file) { return as_file(file)->st->rank; }
int cb_get_size(const H5FD_t* file) { return as_file(file)->st->size; }
MPI_Comm cb_get_comm(const H5FD_t* file) { return as_file(file)->st->fa.comm; }

herr_t cb_terminate() { return 0; }

constexpr H5FD_class_t make_super() {
  H5FD_class_t c{};
  c.name = H5FD_NACRE_NAME;
  c.maxaddr = HADDR_MAX;
  c.fc_degree = H5F_CLOSE_SEMI;  // as the MPI-IO driver: required for MPI drivers
  c.terminate = cb_terminate;
  c.fapl_size = sizeof(H5FD_nacre_fapl_t);
  c.fapl_get = cb_fapl_get;
  c.fapl_copy = fapl_copy;
  c.fapl_free = fapl_free;
  c.open = cb_open;
  c.close = cb_close;
  c.cmp = cb_cmp;
  c.query = cb_query;
  c.get_eoa = cb_get_eoa;
  c.set_eoa = cb_set_eoa;
  c.get_eof = cb_get_eof;
  c.get_handle = cb_get_handle;
  c.read = file_read;
  c.write = file_write;
  c.flush = cb_flush;
  c.truncate = cb_truncate;
  for (auto& m : c.fl_map) m = H5FD_MEM_DRAW;  // set below (dichotomy)
  return c;
}

H5FD_class_mpi_t make_class() {
  H5FD_class_mpi_t c{};
  c.super = make_super();
  const H5FD_mem_t dichotomy[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;
  std::memcpy(c.super.fl_map, dichotomy, sizeof(dichotomy));
  c.get_rank = cb_get_rank;
  c.get_size = cb_get_size;
  c.get_comm = cb_get_comm;
  return c;
}

}  // namespace

const H5FD_class_mpi_t kNacreClass = make_class();

Status sync_atomicity(H5File& f) {
  if (f.shadow == MPI_FILE_NULL) return Status::ok();
  int flag = 0;
  MPI_File_get_atomicity(f.shadow, &flag);
  if ((flag != 0) == f.st->mf.get_atomicity()) return Status::ok();
  return f.st->mf.set_atomicity(flag != 0);
}

}  // namespace nacre::h5fd
