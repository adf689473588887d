// nacre::mpiio::MpiFile: MPI-IO semantics on one Nacre file, for the ranks of
// one communicator (the file's communicator, duplicated at open).
//
// COLLECTIVE calls (every rank of the file's communicator must call them, in
// the same order): open, close, set_view, set_size, preallocate, sync,
// set_atomicity, set_info, read_at_all, write_at_all, read_all, write_all.
// Every collective returns the SAME Status on every rank (see agree.hpp): the
// error of the lowest failing rank, so no rank is left inside a collective.
// Local calls: get_view, read_at, write_at, read, write, seek, get_position,
// get_byte_offset, get_size, get_atomicity, get_info, accessors.
//
// Offsets and counts follow MPI: explicit offsets and the individual file
// pointer count etypes of the current view; a transfer is `count` items of a
// memory datatype at `buf` (any derived type; noncontiguous memory is packed
// through a staging buffer reused across calls). Data calls return the bytes
// transferred (for MPI_Status_set_elements). Reads zero-fill holes; bytes
// at or past end of file are zero-filled too but not counted (short count).
// The end of file is glimpsed only when a read ends past what this rank
// already knows of the size (its own writes, set_size, earlier glimpses);
// a truncation by another program is not noticed until then.
//
// Not thread-safe: one MpiFile is used by one thread of each rank.
#pragma once

#include "mpiio_file/info_hints.hpp"
#include "mpiio_file/two_phase.hpp"

#include <nacre/file.hpp>
#include <nacre/filesystem.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>

namespace nacre::mpiio {

class MpiFile {
 public:
  // COLLECTIVE over comm. amode: exactly one of MPI_MODE_RDONLY / WRONLY /
  // RDWR, plus CREATE, EXCL, DELETE_ON_CLOSE, APPEND (UNIQUE_OPEN and
  // SEQUENTIAL are accepted and ignored). RDONLY with CREATE or EXCL is
  // EINVAL. Rank 0 creates the file (striping_factor / striping_unit hints
  // apply there); then every rank opens it. Hints are taken from rank 0's
  // info so that every rank plans collectives alike.
  static Result<MpiFile> open(MPI_Comm comm, FileSystem& fs, const std::string& path, int amode,
                              MPI_Info info);

  MpiFile();
  MpiFile(MpiFile&&) noexcept;
  MpiFile& operator=(MpiFile&&) noexcept;
  MpiFile(const MpiFile&) = delete;
  MpiFile& operator=(const MpiFile&) = delete;
  // Not collective: if close() was not called, releases this rank's handle only.
  ~MpiFile();

  bool is_open() const { return static_cast<bool>(st_); }
  // COLLECTIVE. Releases the handle (and deletes the file with
  // MPI_MODE_DELETE_ON_CLOSE). The MpiFile is closed afterwards even on error.
  Status close();

  // ---- views. COLLECTIVE. datarep must be "native" (ENOTSUP otherwise);
  // EINVAL for a negative disp and for filetypes MPI forbids (see
  // mpiio/view.hpp; overlapping filetypes only when the file is writable).
  // Resets the individual file pointer to 0. info: as set_info.
  Status set_view(MPI_Offset disp, MPI_Datatype etype, MPI_Datatype filetype,
                  const std::string& datarep, MPI_Info info);
  // Local. Derived types are returned as new handles the caller frees.
  void get_view(MPI_Offset* disp, MPI_Datatype* etype, MPI_Datatype* filetype,
                std::string* datarep) const;

  // ---- explicit offsets (etypes of the view). Independent: local.
  Result<int64_t> read_at(MPI_Offset offset, void* buf, int64_t count, MPI_Datatype type);
  Result<int64_t> write_at(MPI_Offset offset, const void* buf, int64_t count, MPI_Datatype type);
  // COLLECTIVE two-phase (see two_phase.hpp).
  Result<int64_t> read_at_all(MPI_Offset offset, void* buf, int64_t count, MPI_Datatype type);
  Result<int64_t> write_at_all(MPI_Offset offset, const void* buf, int64_t count,
                               MPI_Datatype type);

  // ---- individual file pointer (etypes of the view); advanced by the bytes
  // transferred / etype size.
  Result<int64_t> read(void* buf, int64_t count, MPI_Datatype type);
  Result<int64_t> write(const void* buf, int64_t count, MPI_Datatype type);
  Result<int64_t> read_all(void* buf, int64_t count, MPI_Datatype type);    // COLLECTIVE
  Result<int64_t> write_all(const void* buf, int64_t count, MPI_Datatype type);  // COLLECTIVE
  // whence: MPI_SEEK_SET / CUR / END. EINVAL if the result is negative.
  Status seek(MPI_Offset offset, int whence);
  MPI_Offset get_position() const;
  // Absolute byte offset of view position `offset`.
  Result<MPI_Offset> get_byte_offset(MPI_Offset offset) const;

  // ---- file level.
  Result<MPI_Offset> get_size();                 // local
  Status set_size(MPI_Offset size);             // COLLECTIVE (EBADF if read-only)
  Status preallocate(MPI_Offset size);          // COLLECTIVE: grows to at least size
  Status sync();                                // COLLECTIVE
  Status set_atomicity(bool atomic);            // COLLECTIVE; Nacre writes are write-through
  bool get_atomicity() const;
  // COLLECTIVE: applies the collective-buffering hints (striping hints are
  // ignored after create); rank 0's values win. EINVAL for a bad value.
  Status set_info(MPI_Info info);
  MPI_Info get_info() const;  // new handle; the caller frees it

  MPI_Comm comm() const;
  int amode() const;
  const std::string& path() const;
  const Layout& layout() const;
  const FileHints& hints() const;
  // What the last collective data call of this rank did (tests, benchmarks).
  const TwoPhaseStats& last_collective() const;

  struct State;

 private:
  explicit MpiFile(std::unique_ptr<State> st);
  Result<int64_t> transfer(bool write, bool collective, MPI_Offset offset, void* buf,
                           int64_t count, MPI_Datatype type);
  std::unique_ptr<State> st_;
};

}  // namespace nacre::mpiio
