// Deciding, from what every server found in its storage directory, whether
// a job formats a new file system, mounts the existing one, or is refused.
// Pure (no I/O): the runtime gathers the probes and applies the plan.
#pragma once

#include "store/storage_dir.hpp"

#include <nacre/status.hpp>

#include <string>
#include <vector>

namespace nacre::store {

struct MountExpectation {
  std::string deployment;      // "scratch" | "persistent"
  uint32_t server_count = 1;
  uint32_t replicas = 1;
};

struct MountPlan {
  bool format = false;         // write fresh stamps with uuid (else mount as is)
  bool clear_scratch = false;  // empty the directories first (scratch)
  std::string uuid;            // the file system's uuid after the plan
  // Servers whose directory is missing or empty while the others hold the
  // file system: stamped again and rebuilt from the other copies (only with
  // replicas, at most replicas - 1 of them; server 0's metadata comes back
  // from a metadata mirror, see plan_metadata).
  std::vector<uint32_t> rebuild;
};

// What a server found in its copy of the metadata database (servers
// 0..copies-1 hold one; mds::probe_metadata_db).
struct MetadataCopyProbe {
  bool present = false;
  uint64_t seq = 0;       // commit sequence number
  std::string uuid;
  std::string problem;    // an existing but unreadable database
  bool behind = false;    // a mirror marked behind (mds::MetaDbProbe)
  std::string behind_note;
};

struct MetadataPlan {
  // The copy server 0 starts from: 0 its own (or a new one when
  // formatting), k > 0 restored from the mirror on server k.
  uint32_t source = 0;
};

// plan: the mount plan (format, uuid, rebuild). copies[k]: server k's
// metadata probe, k < the number of metadata copies (min(replicas,
// servers)); dirs[k] for messages. A copy is usable when it is present, not
// being rebuilt and (mirrors) not marked behind. The source is the usable
// copy with the highest change number, server 0's own on a tie: a mirror
// is never ahead of server 0 unless server 0's copy lost changes (restored
// from an old backup), and then the mirror has them. A copy of another file
// system is refused (EINVAL), and so is a start where no copy is usable
// (EIO, naming what each holds; a mirror marked behind names its mark).
Result<MetadataPlan> plan_metadata(const MountPlan& plan, const std::vector<MetadataCopyProbe>& copies,
                                   const std::vector<std::string>& dirs);

// probes[k] and dirs[k]: server k's probe and directory path (for messages).
// fresh_uuid: the uuid a new file system gets.
// Rules (docs/DURABILITY.md): a newer stamp format, a foreign non-empty
// directory, or a persistent stamp under a scratch config is refused; a
// scratch job always starts empty; a persistent job formats when no server
// has a stamp, mounts when every stamp agrees with the config and with each
// other (rebuilding up to replicas - 1 lost directories other than server
// 0's), and is refused otherwise. Errors are EINVAL (EIO for a newer format
// would mislead: it is ENOTSUP) and name the directory and the mismatch.
Result<MountPlan> plan_mount(const MountExpectation& want, const std::vector<DirProbe>& probes,
                             const std::vector<std::string>& dirs, const std::string& fresh_uuid);

}  // namespace nacre::store
