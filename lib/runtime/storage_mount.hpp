// Choosing and opening a server rank's stores at start-up: memory, or the
// directory store under <store.dir>/server-<k> with its stamp and lock, and
// the metadata store on server 0 (in memory for scratch, LMDB for
// persistent). See docs/DURABILITY.md.
#pragma once

#include "mds/metadata_db.hpp"
#include "mds/metadata_store.hpp"
#include "oss/replica_marks.hpp"
#include "store/object_store.hpp"
#include "store/storage_dir.hpp"

#include <nacre/config.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <memory>

namespace nacre::runtime {

// What a server rank serves from. `dir` holds the storage directory's lock:
// keep it alive as long as the server runs.
struct ServerStorage {
  store::StorageDir dir;
  std::unique_ptr<store::ObjectStore> objects;
  std::unique_ptr<mds::MetadataStore> metadata;  // server 0 only
  std::string fs_uuid;                           // empty for the memory store
  bool formatted = false;                        // a new file system was created
  oss::ReplicaMarks marks;  // the directory's replica marks (in memory for the memory store)
  // Metadata mirrors (persistent, replicas >= 2; docs/DURABILITY.md):
  int metadata_copies = 1;                        // servers 0..copies-1 hold the metadata
  std::unique_ptr<mds::MetadataDb> mirror_db;     // servers 1..copies-1: their mirror
  MPI_Comm servers_comm = MPI_COMM_NULL;          // servers only (server k = rank k) when
                                                  // copies >= 2; the caller frees it
};

// Collective over comm; every rank must call. Ranks 0..servers-1 are the
// servers (server k = rank k); the other ranks are clients and get an empty
// ServerStorage. Every server probes its directory first (lock + stamp,
// changing nothing), rank 0 decides (store::plan_mount), and only then are
// stamps written and stores opened. Every rank returns the same status: the
// first failing rank's error ("rank N: ...").
Result<ServerStorage> mount_storage(MPI_Comm comm, int servers, const Config& config);

// <store.dir>/server-<index>
std::string server_dir(const Config& config, int index);

}  // namespace nacre::runtime
