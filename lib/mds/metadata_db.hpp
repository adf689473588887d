// The LMDB database of the durable metadata: the tables inodes, dirents and
// meta, and a commit sequence number (meta key "seq") counting the batches
// applied to it. The metadata server's LmdbMetadata commits through it; a
// metadata mirror (servers 1..R-1 of a persistent deployment) applies the
// same batches to its own copy (docs/DURABILITY.md, "Metadata mirrors").
// One thread at a time.
#pragma once

#include "mds/metadata_batch.hpp"

#include <nacre/status.hpp>

#include <lmdb.h>

#include <memory>
#include <string>

namespace nacre::mds {

// What a database file holds, read without changing anything on disk.
struct MetaDbProbe {
  bool present = false;   // the file exists and holds a file-system record
  uint64_t seq = 0;       // its commit sequence number
  std::string uuid;       // the file system it belongs to
  std::string problem;    // why an existing file is unusable ("" if none)
  // A mirror that refused or failed a change marks itself (<path>.behind):
  // it lacks changes clients were told about, so it must not be a restore
  // source until it is brought up to date.
  bool behind = false;
  std::string behind_note;  // the mark's text: the change and the reason
};
MetaDbProbe probe_metadata_db(const std::string& path);

class MetadataDb {
 public:
  // create: a missing file becomes an empty database (seq 0); otherwise a
  // missing file is ENOENT. map_bytes 0: 16 GiB of address space.
  static Result<std::unique_ptr<MetadataDb>> open(const std::string& path, bool create,
                                                  uint64_t map_bytes = 0);
  ~MetadataDb();
  MetadataDb(const MetadataDb&) = delete;
  MetadataDb& operator=(const MetadataDb&) = delete;

  const std::string& path() const { return path_; }
  uint64_t seq() const { return seq_; }

  // Applies b and sets the sequence number to b.seq in one synchronous
  // transaction (durable on return; on error nothing changed). A change
  // needs b.seq == seq() + 1 (ESTALE otherwise: this copy is out of step); a
  // snapshot first empties every table and may carry any seq.
  Status apply(const KvBatch& b);
  // Every record as a snapshot batch at seq().
  Result<KvBatch> snapshot() const;
  // Marks this copy as behind (a mirror that refused or failed a change):
  // writes <path>.behind (text: the change number and why) durably, best
  // effort (a failure is logged). A snapshot applied later removes it.
  void mark_behind(const std::string& why);

  MDB_env* env() const { return env_; }
  MDB_dbi table(MetaTable t) const;
  // An LMDB return code as a Status naming this database (MDB_MAP_FULL: ENOSPC).
  Status error(int rc, const std::string& what) const;

 private:
  MetadataDb() = default;
  std::string path_;
  MDB_env* env_ = nullptr;
  MDB_dbi inodes_ = 0, dirents_ = 0, meta_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace nacre::mds
