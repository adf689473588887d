// Plain value types of the Nacre API: file attributes, directory entries,
// open flags.
#pragma once

#include <cstdint>
#include <string>

namespace nacre {

enum class FileType : uint8_t { kRegular = 1, kDirectory = 2 };

struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
  auto operator<=>(const Timespec&) const = default;
};

// POSIX-like attributes. size is the file size across all stripes (the
// client asks the object servers, a "glimpse"); mtime is the later of the
// metadata server's and the objects' modification times.
struct FileStat {
  uint64_t ino = 0;
  FileType type = FileType::kRegular;
  uint32_t mode = 0;   // permission bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  Timespec atime, mtime, ctime;
};

struct DirEntry {
  std::string name;
  FileType type = FileType::kRegular;
  uint64_t ino = 0;
};

// Open flags, combinable with |. Exactly one of kRead, kWrite, kReadWrite.
namespace open_flags {
inline constexpr uint32_t kRead = 1;
inline constexpr uint32_t kWrite = 2;
inline constexpr uint32_t kReadWrite = kRead | kWrite;
inline constexpr uint32_t kCreate = 4;     // create if missing
inline constexpr uint32_t kExclusive = 8;  // with kCreate: fail with EEXIST if present
inline constexpr uint32_t kTruncate = 16;  // truncate to 0 on open (needs write access)
// Extent locking of this handle's reads and writes (docs/LOCKS.md). The
// default is POSIX mode: every read takes PR and every write PW extent locks
// on the objects it touches, so reads after writes on any rank see them and
// a write spanning stripes is seen all or nothing.
inline constexpr uint32_t kLockless = 32;  // no locks: write-through, no atomicity across stripes
inline constexpr uint32_t kNoExpand = 64;  // locks cover exactly the bytes touched (MPI-IO style)
// Under locks, small writes are cached by the client (write-back) until a
// flush: sync, close, a size query, a read of the same bytes, another
// client's conflicting access, or the cache limit. kWriteThrough sends
// every write at once (still under locks).
inline constexpr uint32_t kWriteThrough = 128;
inline constexpr uint32_t kAll = 255;
}  // namespace open_flags

// Application locks (nacre::File::lock / test_lock / flock; docs/LOCKS.md):
// advisory locks like fcntl(F_SETLK, F_SETLKW, F_GETLK) and flock(2).
enum class LockType : uint8_t { kUnlock = 0, kShared = 1, kExclusive = 2 };

// A lock that conflicts with a tested one (File::test_lock). type kUnlock:
// no conflicting lock, the other fields are 0.
struct LockInfo {
  LockType type = LockType::kUnlock;
  uint64_t start = 0;
  uint64_t len = 0;    // 0: to end of file
  uint32_t pid = 0;    // the holder's process id (on its own node)
  uint32_t job = 0;    // the holder's client job (link) as the metadata server numbers them
  uint32_t rank = 0;   // the holder's rank in its job's communicator with the servers
};

}  // namespace nacre
