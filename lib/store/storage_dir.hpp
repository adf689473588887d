// A server rank's storage directory: its version stamp and its exclusive
// lock (see docs/DURABILITY.md, "Storage directories").
//
// The stamp file `nacre-stamp` says which file system and which server the
// directory belongs to. It is text, one `key = value` per line after a magic
// first line, written atomically (temp file + fsync + rename + fsync of the
// directory) and decoded strictly (every key required, numbers bounded).
//
// The lock is flock(LOCK_EX) on the directory itself, held for the life of
// the StorageDir: a second server (another process, or another StorageDir in
// the same process) on the same directory fails with EBUSY. Taking the lock
// creates nothing on disk.
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nacre::store {

inline constexpr uint32_t kStampFormat = 1;         // the format this build writes and reads
inline constexpr const char* kStampFile = "nacre-stamp";
// Present while a server's copies are being rebuilt (oss::ReplicaMarks). It
// is created before the stamp of a re-created directory, so a directory
// holding only this file counts as empty (the rebuild starts over).
inline constexpr const char* kRebuildingFile = "nacre-rebuilding";
inline constexpr size_t kMaxStampBytes = 4096;      // larger files are not stamps

struct StorageStamp {
  uint32_t format = kStampFormat;
  std::string uuid;             // the file system's id, 36-character text form
  uint32_t server_index = 0;
  uint32_t server_count = 0;
  uint32_t replicas = 1;
  std::string deployment;       // "scratch" | "persistent"
  bool operator==(const StorageStamp&) const = default;
};

std::string encode_stamp(const StorageStamp& s);
// Strict decode; errors are EIO naming origin (the file) and the problem.
// A stamp of a newer format is decoded as far as its format line and
// returned with that format (the caller refuses it by name).
Result<StorageStamp> decode_stamp(std::string_view text, const std::string& origin);

// A fresh random file-system uuid (text form).
std::string new_fs_uuid();

// What a server found in its directory before anything was changed.
struct DirProbe {
  bool exists = false;                 // the directory exists
  std::optional<StorageStamp> stamp;   // its stamp, if any
  bool foreign = false;                // not empty, yet no stamp: not ours
};

// An exclusively locked storage directory. Move-only; unlocks on destruction.
class StorageDir {
 public:
  StorageDir() = default;
  StorageDir(StorageDir&& o) noexcept;
  StorageDir& operator=(StorageDir&& o) noexcept;
  StorageDir(const StorageDir&) = delete;
  StorageDir& operator=(const StorageDir&) = delete;
  ~StorageDir();

  // Locks an existing directory and reads its stamp; changes nothing on
  // disk. A missing directory is not an error: returns an unlocked
  // StorageDir whose probe says !exists. EBUSY if another server holds it;
  // EIO if the stamp is unreadable or malformed.
  static Result<StorageDir> open(const std::string& dir);

  // Creates the directory if missing (and locks it), then writes the stamp
  // atomically. Fails if another stamp appeared meanwhile with another uuid.
  Status write_stamp(const StorageStamp& s);

  // Removes the object files (*.obj) and the metadata database: a scratch
  // deployment starts empty. Only call while locked.
  Status clear_for_scratch();

  const DirProbe& probe() const { return probe_; }
  const std::string& path() const { return dir_; }
  bool locked() const { return fd_ >= 0; }

 private:
  Status lock();
  std::string dir_;
  int fd_ = -1;
  DirProbe probe_;
};

}  // namespace nacre::store
