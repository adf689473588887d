// nacre::FileSystem: namespace operations of one client rank.
//
// Not collective: each call involves only the calling rank (and the servers).
// Paths are absolute ("/a/b"), components of at most 255 bytes, no "." or
// "..", total at most 4096 bytes. Errors use errno codes: ENOENT, EEXIST,
// ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, EACCES, EBADF, EFBIG, EIO.
#pragma once

#include <nacre/export.h>
#include <nacre/file.hpp>
#include <nacre/layout.hpp>
#include <nacre/maintenance.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <memory>
#include <string>
#include <vector>

namespace nacre {

class NACRE_API FileSystem {
 public:
  FileSystem() = default;  // not connected; every call fails with ENOTCONN
  explicit FileSystem(std::shared_ptr<client::ClientCore> core);

  bool is_connected() const { return static_cast<bool>(core_); }
  // Number of object servers (the largest useful stripe count).
  int server_count() const;

  Status mkdir(const std::string& path, uint32_t mode = 0755);
  Status rmdir(const std::string& path);
  // open_flags::kCreate | kExclusive | kReadWrite; layout applies to the new file.
  Result<File> create(const std::string& path, uint32_t mode = 0644,
                      const LayoutRequest& layout = {});
  // flags: see open_flags. layout is used only when the call creates the file.
  Result<File> open(const std::string& path, uint32_t flags, uint32_t mode = 0644,
                    const LayoutRequest& layout = {});
  Result<FileStat> stat(const std::string& path);
  // Removes a file. Its data is freed once the last open handle closes.
  Status unlink(const std::string& path);
  // POSIX rename: replaces an existing file, or an empty directory by a directory.
  Status rename(const std::string& from, const std::string& to);
  Result<std::vector<DirEntry>> readdir(const std::string& path);
  Status truncate(const std::string& path, uint64_t size);

  // Directory default layout, inherited by files and subdirectories created
  // in it afterwards (like `lfs setstripe -S size -c count dir`).
  Status set_default_layout(const std::string& dir, const LayoutRequest& layout);
  Result<LayoutRequest> get_default_layout(const std::string& dir);
  // The layout of a file (like `lfs getstripe file`).
  Result<Layout> get_layout(const std::string& path);

  // Maintenance (docs/DURABILITY.md; include/nacre/maintenance.hpp). Each
  // walks the whole file system from this rank; progress lines go to
  // `progress` (may be empty).
  Result<std::vector<ServerHealth>> health();
  // Reports orphans, missing copies, size mismatches, stale copies; with
  // remove_orphans, destroys the orphan objects (of files that no longer
  // exist) it finds.
  Result<FsckReport> fsck(bool remove_orphans = false, const ProgressFn& progress = {});
  // Verifies every page of every copy; repairs damaged pages and stale copies
  // from good copies, under extent locks (safe while other clients work).
  Result<ScrubReport> scrub(const ProgressFn& progress = {});
  // Rebuilds the copies of servers in rebuild mode from the other copies,
  // then clears the mode. A no-op when no server is rebuilding.
  Result<RebuildReport> rebuild(const ProgressFn& progress = {});

 private:
  std::shared_ptr<client::ClientCore> core_;
};

}  // namespace nacre
