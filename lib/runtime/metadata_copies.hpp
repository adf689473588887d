// The metadata copies of a persistent deployment at start-up (part of
// mount_storage; docs/DURABILITY.md, "Metadata mirrors"): server 0 holds the
// metadata database, servers 1..copies-1 hold mirrors of it. Before the
// servers serve, a lost or unreadable copy on server 0 is restored from the
// most recent mirror, and every mirror that differs from server 0's copy
// gets a snapshot of it, so all copies start in step.
#pragma once

#include "mds/metadata_db.hpp"
#include "mds/metadata_store.hpp"
#include "runtime/storage_mount.hpp"
#include "server/server.hpp"
#include "transport/mpi_transport.hpp"
#include "store/mount_plan.hpp"

#include <nacre/config.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <memory>
#include <string>

namespace nacre::runtime {

inline constexpr const char* kMetadataFile = "metadata.mdb";

// How many servers hold a copy of the metadata: min(replicas, servers) for
// a persistent deployment, 1 otherwise.
int metadata_copies(const Config& config, int servers);

// What this server's copy holds (nothing changes on disk).
store::MetadataCopyProbe probe_metadata_copy(const std::string& dir);

// Collective over comm. Server `source` (> 0) sends a snapshot of its
// mirror to rank 0, which replaces its own database with it (an unreadable
// one is kept aside as metadata.mdb.unusable). dir: this rank's storage
// directory (servers) or "".
Status restore_metadata(MPI_Comm comm, uint32_t source, const std::string& dir);

// Collective over comm, after rank 0 opened `primary` (its metadata store;
// null on other ranks). Every mirror (ranks 1..copies-1) whose copy is not
// at the primary's change number (or is missing, or was rebuilt) gets a
// snapshot; each mirror's open database lands in *mirror_db. Progress and
// what was brought up to date go to the log.
Status sync_metadata_mirrors(MPI_Comm comm, int copies, const mds::MetadataStore* primary,
                             const std::string& dir, bool rebuilt,
                             std::unique_ptr<mds::MetadataDb>* mirror_db);

// Before serve(): connects server `index` to the other metadata copies over
// storage.servers_comm: server 0 sends its changes to the mirrors, a mirror
// takes them on a link of its own. Nothing to do when copies < 2.
void attach_metadata_mirrors(server::Server& srv, transport::MpiServerTransport& port,
                             ServerStorage& storage, int index);
// After serve() returned: server 0 tells its mirrors it is done (their
// service loops wait for it); frees servers_comm.
Status detach_metadata_mirrors(server::Server& srv, ServerStorage& storage);

}  // namespace nacre::runtime
