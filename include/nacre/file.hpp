// nacre::File: an open Nacre file (a handle; move-only).
//
// Not collective: every call involves only the calling rank. A File is not
// thread-safe; use one per thread. Reads see every write that completed
// before them on any rank (write-through, no client cache yet).
#pragma once

#include <nacre/export.h>
#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace nacre {

namespace client { class ClientCore; struct OpenFile; struct FileAccess; }

class NACRE_API File {
 public:
  File();  // not open
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Closes the file if still open; an error is logged, not thrown.
  ~File();

  bool is_open() const { return static_cast<bool>(state_); }
  const std::string& path() const;
  const Layout& layout() const;

  // Writes len bytes at offset; all or nothing per stripe object. Returns len.
  // Errors: EBADF (not open for writing), EFBIG (offset+len > kMaxFileSize).
  Result<size_t> write_at(uint64_t offset, const void* buf, size_t len);
  // Writes len bytes at the current end of file and returns the offset they
  // went to (POSIX O_APPEND): concurrent appends from any rank or job never
  // overlap. Under locks (the default); with kLockless appends from several
  // clients may overlap. Errors as write_at.
  Result<uint64_t> append(const void* buf, size_t len);
  // Reads up to len bytes at offset; holes read as zeros; returns fewer bytes
  // only at end of file (0 at or past it).
  Result<size_t> read_at(uint64_t offset, void* buf, size_t len);
  // Makes written data durable on the object stores (fsync for directories).
  Status sync();
  // Current file size (asks every stripe's server).
  Result<uint64_t> size();
  // Truncates or extends (with a hole) to size bytes. Needs write access.
  Status set_size(uint64_t size);
  // Releases the handle. Safe to call twice (the second call is a no-op).
  Status close();

 private:
  friend class FileSystem;
  friend struct client::FileAccess;  // internal layers (MPI-IO) reach the core
  File(std::shared_ptr<client::ClientCore> core, std::unique_ptr<client::OpenFile> state);
  std::shared_ptr<client::ClientCore> core_;
  std::unique_ptr<client::OpenFile> state_;
};

}  // namespace nacre
