// Metadata service seam: the namespace (directories, files, attributes,
// layouts) behind an interface, so a durable store can replace the
// in-memory one. Used by the metadata server's single service thread.
#pragma once

#include "mds/metadata_batch.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nacre::mds {

struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct OpenResult {
  bool created = false;
  FileStat stat;   // size is 0: the client asks the objects
  Layout layout;
};

// What the caller must do after the last name/open of a file went away.
struct Release {
  bool destroy = false;  // destroy the objects of layout
  Layout layout;
};

struct StatResult {
  FileStat stat;
  Layout layout;  // empty for directories
};

struct DirPage {
  std::vector<DirEntry> entries;
  uint64_t next_cookie = 0;
  bool done = true;
};

struct FileEntry {
  uint64_t ino = 0;
  uint32_t nlink = 0;
  Layout layout;
};
struct FilePage {
  std::vector<FileEntry> entries;
  uint64_t next_cookie = 0;
  bool done = true;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  virtual Status mkdir(const std::string& path, uint32_t mode, const Credentials& cred) = 0;
  virtual Status rmdir(const std::string& path, const Credentials& cred) = 0;
  // flags: nacre::open_flags. Counts an open handle until close(ino).
  virtual Result<OpenResult> open(const std::string& path, uint32_t flags, uint32_t mode,
                                  const Credentials& cred, const LayoutRequest& layout) = 0;
  virtual Result<Release> close(uint64_t ino) = 0;
  virtual Result<StatResult> stat(const std::string& path) = 0;
  virtual Result<Release> unlink(const std::string& path, const Credentials& cred) = 0;
  virtual Result<Release> rename(const std::string& from, const std::string& to,
                                 const Credentials& cred) = 0;
  virtual Result<DirPage> readdir(const std::string& path, uint64_t cookie, uint32_t max) = 0;
  // mask: wire::kSetattrMode | wire::kSetattrMtimeNow.
  virtual Status setattr(const std::string& path, uint32_t mask, uint32_t mode,
                         const Credentials& cred) = 0;
  virtual Status set_dir_layout(const std::string& path, const LayoutRequest& layout) = 0;
  virtual Result<LayoutRequest> get_dir_layout(const std::string& path) = 0;
  // Regular files (linked, or unlinked but open) with inode >= cookie, in
  // inode order, at most max. For fsck, scrub and rebuild.
  virtual Result<FilePage> list_files(uint64_t cookie, uint32_t max) = 0;

  // Metadata mirrors (durable stores only; docs/DURABILITY.md): the sink is
  // called on the service thread with every batch right after it committed
  // locally and before the operation returns, so a mirror holds a change
  // before the client hears of it. The sink handles its own failures.
  using MirrorSink = std::function<void(const KvBatch&)>;
  virtual void set_mirror_sink(MirrorSink) {}
  // Every durable record as a snapshot batch (ENOTSUP for memory stores).
  virtual Result<KvBatch> snapshot() const {
    return Status::error(ENOTSUP, "this metadata store is not durable");
  }
};

// root_default: the root directory's default layout (complete: stripe_size
// set, stripe_count -1 or 1..servers). Errors of bad layouts name the field.
// replicas: copies of every new file's objects (1..servers; Layout::mirrors).
std::unique_ptr<MetadataStore> make_memory_metadata(uint32_t servers, LayoutRequest root_default,
                                                    uint32_t replicas = 1);

// The durable store (LMDB; docs/DURABILITY.md). Every operation that changes
// the namespace is one synchronous LMDB transaction, committed before the
// call returns (a failed commit returns the error and changes nothing).
struct DurableMetadataOptions {
  std::string path;            // the database file, e.g. <server-0 dir>/metadata.mdb
  uint32_t servers = 1;        // must match the database's
  uint32_t replicas = 1;       // copies of new files' objects (the stamp checks it)
  LayoutRequest root_default;  // used when the database is created
  std::string fs_uuid;         // must match the database's (recorded at creation)
  bool create = false;         // may create a new database; else it must exist
  uint64_t map_bytes = 0;      // LMDB map size (the most it can hold); 0: 16 GiB
};
// Opens (or creates) the database and loads the namespace. A corrupt record
// is EIO naming it; a foreign database (other uuid or server count) EINVAL.
Result<std::unique_ptr<MetadataStore>> open_lmdb_metadata(const DurableMetadataOptions& opts);

// Checks a layout request against the server count; zeros mean "inherit".
Status validate_layout_request(const LayoutRequest& r, uint32_t servers);

}  // namespace nacre::mds
