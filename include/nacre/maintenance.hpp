// Health, consistency check, scrub and rebuild of a persistent file system
// (docs/DURABILITY.md). Called through nacre::FileSystem by one client rank;
// not collective. They walk every file and object: run them on one rank.
#pragma once

#include <nacre/export.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nacre {

// One server's replica state.
struct ServerHealth {
  uint32_t server = 0;
  bool rebuilding = false;     // its directory was re-created; rebuild pending
  uint64_t stale_objects = 0;  // copies that missed writes, not yet resynced
  // Server 0: metadata mirrors that failed a change during this server job
  // (brought up to date at the next start; docs/DURABILITY.md).
  uint32_t metadata_mirrors_out_of_step = 0;
};

// Degraded: some server is rebuilding or holds stale copies, or a metadata
// mirror is out of step.
NACRE_API bool degraded(const std::vector<ServerHealth>& health);

// fsck: what the metadata says against what the servers hold.
struct FsckReport {
  uint64_t files = 0;    // regular files (with unlinked-but-open ones)
  uint64_t objects = 0;  // objects found on the servers
  // One line per finding, naming the server, object id and file inode.
  std::vector<std::string> orphans;          // objects no file's layout names
  std::vector<std::string> missing;          // a copy absent while another copy has data
  std::vector<std::string> size_mismatches;  // copies of one stripe with different sizes
  std::vector<std::string> stale;            // copies marked stale (missed writes)
  std::vector<uint32_t> rebuilding;          // servers still rebuilding
  uint64_t orphans_removed = 0;              // with remove_orphans
  // Nothing left to fix (orphans that were removed do not count).
  bool clean() const {
    return orphans.size() == orphans_removed && missing.empty() && size_mismatches.empty() && stale.empty() &&
           rebuilding.empty();
  }
  NACRE_API std::string summary() const;
};

// scrub: every page of every copy checked against its checksum; what can be
// repaired from another copy is.
struct ScrubReport {
  uint64_t files = 0;
  uint64_t copies_checked = 0;
  uint64_t pages_checked = 0;
  uint64_t damaged_ranges = 0;       // byte ranges that failed their checksums
  uint64_t repaired_ranges = 0;      // rewritten from a good copy
  uint64_t stale_resynced = 0;       // stale copies brought up to date
  uint64_t size_mismatches_fixed = 0;  // mirrors resized to their primary
  std::vector<std::string> unrepairable;  // no good copy left: reads return EIO
  bool clean() const { return unrepairable.empty(); }
  NACRE_API std::string summary() const;
};

// rebuild: copies that belong on rebuilding servers, and stale copies on
// any server, copied from the others.
struct RebuildReport {
  std::vector<uint32_t> servers;  // rebuilt (rebuild mode cleared)
  uint64_t stale_resynced = 0;    // stale copies brought up to date
  uint64_t copies = 0;            // object copies written
  uint64_t bytes = 0;
  std::vector<std::string> failed;  // copies that could not be rebuilt (server stays degraded)
  NACRE_API std::string summary() const;
};

// Progress lines for long operations ("scrub: 1200/5000 files, 3.1 GiB").
using ProgressFn = std::function<void(const std::string&)>;

class FileSystem;

// The command-line face of the above, shared by nacre-ctl and test jobs:
// cmd is "health", "fsck", "fsck-repair" (fsck that removes orphans),
// "scrub" or "rebuild". Prints progress and the report (every finding) to
// stdout, errors to stderr. Returns 0 when clean / healthy, 1 when the
// report has findings, 2 on an error.
NACRE_API int run_maintenance_command(FileSystem& fs, const std::string& cmd);

}  // namespace nacre
