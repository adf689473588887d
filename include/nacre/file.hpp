// nacre::File: an open Nacre file (a handle; move-only).
//
// Not collective: every call involves only the calling rank. A File is not
// thread-safe; use one per thread. Reads see every write that completed
// before them on any rank (write-through, no client cache yet).
#pragma once

#include <nacre/export.h>
#include <nacre/layout.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>

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
  // Drops this handle's flock lock and (POSIX rule) every fcntl-style lock
  // this process holds on the file, through any handle.
  Status close();

  // ---- application locks (advisory; docs/LOCKS.md) ----------------------
  // fcntl-style record lock on [start, start+len) (len 0: to end of file),
  // owned by this client process: all its Files of the same file share them,
  // a new lock replaces the process's own locks on the range, and closing
  // any handle of the file drops them. Locks of other processes (ranks or
  // client jobs) conflict when they overlap and one is exclusive.
  // wait = false (F_SETLK): EAGAIN on a conflict. wait = true (F_SETLKW):
  // blocks until granted, or EDEADLK when waiting would close a cycle of
  // processes waiting for each other. EBADF: a shared lock needs read
  // access, an exclusive one write access. EINVAL: range beyond 2^62.
  // type kUnlock is unlock().
  Status lock(LockType type, uint64_t start, uint64_t len, bool wait);
  // Drops this process's locks on the range (splitting larger ones); never
  // blocks; no error when there was no lock.
  Status unlock(uint64_t start, uint64_t len);
  // F_GETLK: a lock of another process that would block lock(type, start,
  // len), or one with type kUnlock when none would.
  Result<LockInfo> test_lock(LockType type, uint64_t start, uint64_t len);
  // flock(2)-style whole-file lock owned by this handle (other handles, even
  // of this process, conflict). kUnlock unlocks. A conversion that has to
  // wait drops the old lock first, as flock(2) does. EAGAIN, EDEADLK (e.g.
  // waiting for another handle of this same process) as lock(). Any access
  // mode may take either type.
  Status flock(LockType type, bool wait);

  // ---- group lock (Lustre's llapi_group_lock; docs/LOCKS.md) ------------
  // Takes a GROUP extent lock with group id gid on the whole file. Handles
  // (in any client) holding the group lock of the same gid share it; every
  // other access to the file's data by anyone else (PR/PW locks, another
  // gid) waits until all of them have dropped it. Blocks until granted: the
  // other clients' locks are called back and their cached writes written
  // back; this client's cached writes to the file go out first. While held,
  // this handle's data calls take no extent locks and cache nothing (as
  // with kLockless): the members coordinate their own I/O, e.g. disjoint
  // regions or MPI's sync-barrier-sync. Other handles of this process are
  // not kept out (a client never conflicts with its own locks): do not mix
  // their I/O with the group's. A group lock is never evicted; without a
  // lock progress thread (MPI below MPI_THREAD_MULTIPLE) a killed holder's
  // lock stays until the server job ends.
  // EINVAL: gid 0, or this handle already holds a group lock.
  Status group_lock(uint64_t gid);
  // Drops this handle's group lock (close() does too). Its writes are on
  // the servers already. EINVAL if the handle holds none.
  Status group_unlock();
  // The gid of the group lock this handle holds, 0 if none.
  uint64_t group_lock_id() const;

 private:
  friend class FileSystem;
  friend struct client::FileAccess;  // internal layers (MPI-IO) reach the core
  File(std::shared_ptr<client::ClientCore> core, std::unique_ptr<client::OpenFile> state);
  std::shared_ptr<client::ClientCore> core_;
  std::unique_ptr<client::OpenFile> state_;
};

}  // namespace nacre
