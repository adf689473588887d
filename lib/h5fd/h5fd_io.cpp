// Data callbacks of the Nacre HDF5 driver.
//
// As HDF5 1.10's MPI-IO driver: when the transfer mode of the current call
// (API context) is H5FD_MPIO_COLLECTIVE, HDF5 hands the driver a memory type
// and a file type (H5CX_get_mpi_coll_datatypes); `addr` is then the view
// displacement and `size` a COUNT of the memory type, and every rank of the
// file's communicator makes the call (COLLECTIVE). Collective reads happen
// for raw data only; collective writes for every memory type. The view is
// set, the transfer made with read_at_all/write_at_all (or the independent
// call if the collective-opt property says H5FD_MPIO_INDIVIDUAL_IO), and the
// view reset to bytes. Otherwise the call is local: `size` bytes at `addr`.
// Reads past the end of the file return zeros (MpiFile zero-fills).
#include "h5fd/h5fd_error.hpp"
#include "h5fd/h5fd_file.hpp"

#include <algorithm>
#include <climits>
#include <string>

namespace nacre::h5fd {

namespace {

enum class Mode { independent, collective_view };

// Local: independent unless the API context asks for a collective transfer
// (for reads: of raw data only).
Result<Mode> mode_of(H5FD_mem_t type, bool write) {
  if (!write && type != H5FD_MEM_DRAW) return Mode::independent;
  H5FD_mpio_xfer_t xfer = H5FD_MPIO_INDEPENDENT;
  if (H5CX_get_io_xfer_mode(&xfer) < 0)
    return Status::error(EIO, "H5FD_nacre: cannot get the transfer mode of this call");
  return xfer == H5FD_MPIO_COLLECTIVE ? Mode::collective_view : Mode::independent;
}

// COLLECTIVE: the transfer through a view of the datatypes HDF5 prepared.
Result<int64_t> transfer_view(H5File& f, bool write, H5FD_mem_t type, haddr_t disp, size_t count,
                              void* buf) {
  FileState& st = *f.st;
  MPI_Datatype btype = MPI_BYTE, ftype = MPI_BYTE;
  if (H5CX_get_mpi_coll_datatypes(&btype, &ftype) < 0)
    return Status::error(EIO, "H5FD_nacre: cannot get the collective datatypes of this call");
  H5FD_mpio_collective_opt_t opt = H5FD_MPIO_COLLECTIVE_IO;
  if (H5CX_get_mpio_coll_opt(&opt) < 0)
    return Status::error(EIO, "H5FD_nacre: cannot get the collective-opt property of this call");
  if (write && opt != H5FD_MPIO_COLLECTIVE_IO && type != H5FD_MEM_DRAW)
    return Status::error(EINVAL, "H5FD_nacre: metadata writes must be collective I/O");
  NACRE_RETURN_IF_ERROR(sync_atomicity(f));
  // HDF5 accesses exactly one instance of ftype, but does not make its
  // extent cover its data (a chunk list may end past the upper bound, or
  // start below the lower bound: Open MPI reports lb 320 for a struct of
  // chunks whose data starts at 0), and the view tiles it. Resize the
  // extent to the hull of the data and the type's bounds so the tiling is
  // monotonic, as MPI-IO requires of a writable view; the instance HDF5
  // uses is unchanged.
  MPI_Aint lb = 0, extent = 0, true_lb = 0, true_extent = 0;
  MPI_Type_get_extent(ftype, &lb, &extent);
  MPI_Type_get_true_extent(ftype, &true_lb, &true_extent);
  MPI_Datatype view_type = ftype;
  const MPI_Aint lo = std::min(lb, true_lb);
  const MPI_Aint hi = std::max(lb + extent, true_lb + true_extent);
  const bool stretch = ftype != MPI_BYTE && true_extent > 0 && (lo != lb || hi != lb + extent);
  if (stretch) {
    MPI_Type_create_resized(ftype, lo, hi - lo, &view_type);
    MPI_Type_commit(&view_type);
  }
  Status view = st.mf.set_view(static_cast<MPI_Offset>(disp), MPI_BYTE, view_type, "native",
                               MPI_INFO_NULL);
  if (stretch) MPI_Type_free(&view_type);
  NACRE_RETURN_IF_ERROR(view);
  const auto n = static_cast<int64_t>(count);
  Result<int64_t> r = int64_t{0};
  if (opt == H5FD_MPIO_COLLECTIVE_IO)
    r = write ? st.mf.write_at_all(0, buf, n, btype) : st.mf.read_at_all(0, buf, n, btype);
  else
    r = write ? st.mf.write_at(0, buf, n, btype) : st.mf.read_at(0, buf, n, btype);
  // Reset the view whatever happened (collective: every rank is here).
  Status reset = st.mf.set_view(0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL);
  if (!r) return r.status();
  if (!reset) return reset;
  return r;
}

herr_t transfer(H5FD_t* file, H5FD_mem_t type, haddr_t addr, size_t size, void* buf, bool write,
                const char* fn) {
  H5File& f = *reinterpret_cast<H5File*>(file);
  FileState& st = *f.st;
  try {
    if (addr == HADDR_UNDEF || addr > static_cast<haddr_t>(LLONG_MAX))
      return push_error(fn, "H5FD_nacre: bad address " + std::to_string(addr) + " in " + st.path);
    auto mode = mode_of(type, write);
    if (!mode) return push_status(fn, mode.status());
    Result<int64_t> r = int64_t{0};
    int64_t expect = static_cast<int64_t>(size);
    if (*mode == Mode::collective_view) {
      r = transfer_view(f, write, type, addr, size, buf);
      MPI_Datatype btype = MPI_BYTE, ftype = MPI_BYTE;
      H5CX_get_mpi_coll_datatypes(&btype, &ftype);
      MPI_Count tsize = 0;
      MPI_Type_size_x(btype, &tsize);
      expect = static_cast<int64_t>(size) * static_cast<int64_t>(tsize);
    } else {
      const auto off = static_cast<MPI_Offset>(addr);
      const auto n = static_cast<int64_t>(size);
      r = write ? st.mf.write_at(off, buf, n, MPI_BYTE) : st.mf.read_at(off, buf, n, MPI_BYTE);
    }
    if (!r)
      return push_status(fn, r.status().with_context(std::string("H5FD_nacre: ") +
                                                     (write ? "write " : "read ") + st.path));
    if (write) {
      if (*r != expect)
        return push_error(fn, "H5FD_nacre: short write to " + st.path + ": " +
                                  std::to_string(*r) + " of " + std::to_string(expect) + " bytes");
      // Independent writes past the end raise this rank's idea of the end.
      if (*mode == Mode::independent && addr + size > st.eof) st.eof = addr + size;
    }
    // Short reads: MpiFile has already zero-filled past the end of file.
    return 0;
  } catch (...) {
    return push_current_exception(fn);
  }
}

}  // namespace

herr_t file_read(H5FD_t* file, H5FD_mem_t type, hid_t, haddr_t addr, size_t size, void* buf) {
  return transfer(file, type, addr, size, buf, false, "read");
}

herr_t file_write(H5FD_t* file, H5FD_mem_t type, hid_t, haddr_t addr, size_t size,
                  const void* buf) {
  return transfer(file, type, addr, size, const_cast<void*>(buf), true, "write");
}

}  // namespace nacre::h5fd
