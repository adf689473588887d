#include "runtime/metadata_copies.hpp"

#include "common/log.hpp"
#include "runtime/collective_status.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

namespace nacre::runtime {

namespace {

constexpr int kSnapshotTag = 4711;
constexpr uint64_t kNoSnapshot = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kChunk = 256ull << 20;

// A byte string to `to`: its length, then chunks (kNoSnapshot: the sender
// failed, nothing follows).
void send_bytes(MPI_Comm comm, int to, const std::vector<uint8_t>* bytes) {
  uint64_t n = bytes ? bytes->size() : kNoSnapshot;
  MPI_Send(&n, 1, MPI_UINT64_T, to, kSnapshotTag, comm);
  if (!bytes) return;
  for (uint64_t at = 0; at < n; at += kChunk) {
    const uint64_t len = std::min(kChunk, n - at);
    MPI_Send(bytes->data() + at, static_cast<int>(len), MPI_BYTE, to, kSnapshotTag, comm);
  }
}

Result<std::vector<uint8_t>> receive_bytes(MPI_Comm comm, int from) {
  uint64_t n = 0;
  if (MPI_Recv(&n, 1, MPI_UINT64_T, from, kSnapshotTag, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
    return Status::error(EIO, "receiving a metadata snapshot from server " + std::to_string(from) + " failed");
  if (n == kNoSnapshot)
    return Status::error(EIO, "server " + std::to_string(from) + " could not send its metadata snapshot");
  std::vector<uint8_t> out(static_cast<size_t>(n));
  for (uint64_t at = 0; at < n; at += kChunk) {
    const uint64_t len = std::min(kChunk, n - at);
    if (MPI_Recv(out.data() + at, static_cast<int>(len), MPI_BYTE, from, kSnapshotTag, comm,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return Status::error(EIO, "receiving a metadata snapshot from server " + std::to_string(from) + " failed");
  }
  return out;
}

// Replaces the database under dir with the snapshot bytes. An existing
// file is set aside first: kept as metadata.mdb.unusable when keep_old
// (server 0's unreadable or older copy, or an unreadable mirror: left for
// inspection), else removed once the new copy is in place (an out-of-date
// mirror).
Result<std::unique_ptr<mds::MetadataDb>> install_snapshot(const std::string& dir,
                                                           const std::vector<uint8_t>& bytes,
                                                           bool keep_old) {
  auto b = mds::decode_batch(bytes, "metadata snapshot");
  if (!b) return b.status();
  if (!b->snapshot) return Status::error(EBADMSG, "metadata snapshot: not a snapshot");
  const std::string path = dir + "/" + kMetadataFile, aside = path + ".unusable";
  bool had_old = true;
  if (std::rename(path.c_str(), aside.c_str()) != 0) {
    if (errno != ENOENT) return Status::error(errno, "cannot set aside " + path);
    had_old = false;
  }
  std::remove((path + "-lock").c_str());
  auto db = mds::MetadataDb::open(path, true);
  if (!db) return db.status();
  NACRE_RETURN_IF_ERROR((*db)->apply(*b));
  if (had_old && keep_old)
    log::warn("the metadata database it replaced was kept as " + aside + " (safe to delete)");
  else if (had_old)
    std::remove(aside.c_str());
  return std::move(*db);
}

}  // namespace

int metadata_copies(const Config& config, int servers) {
  if (config.deployment != DeploymentType::kPersistent || config.store != StoreKind::kDirectory) return 1;
  return std::max(1, std::min(config.effective_replicas(), servers));
}

store::MetadataCopyProbe probe_metadata_copy(const std::string& dir) {
  auto p = mds::probe_metadata_db(dir + "/" + kMetadataFile);
  return store::MetadataCopyProbe{p.present, p.seq, p.uuid, p.problem, p.behind, p.behind_note};
}

Status restore_metadata(MPI_Comm comm, uint32_t source, const std::string& dir) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  Status local;
  if (rank == static_cast<int>(source)) {
    auto db = mds::MetadataDb::open(dir + "/" + kMetadataFile, false);
    Result<mds::KvBatch> snap = db ? (*db)->snapshot() : Result<mds::KvBatch>(db.status());
    if (snap) {
      const auto bytes = mds::encode_batch(*snap);
      send_bytes(comm, 0, &bytes);
      log::warn("server " + std::to_string(rank) + ": sent its metadata mirror (change " +
                std::to_string(snap->seq) + ", " + std::to_string(snap->ops.size()) +
                " records) to server 0, whose own copy was lost, unreadable or older");
    } else {
      send_bytes(comm, 0, nullptr);
      local = snap.status();
    }
  } else if (rank == 0) {
    auto bytes = receive_bytes(comm, static_cast<int>(source));
    if (bytes) {
      auto db = install_snapshot(dir, *bytes, true);
      if (db)
        log::warn("server 0: metadata restored from the mirror on server " + std::to_string(source) +
                  " (change " + std::to_string((*db)->seq()) + ")");
      else
        local = db.status();
    } else {
      local = bytes.status();
    }
  }
  return agree(comm, local).with_context("restoring server 0's metadata");
}

Status sync_metadata_mirrors(MPI_Comm comm, int copies, const mds::MetadataStore* primary,
                             const std::string& dir, bool rebuilt,
                             std::unique_ptr<mds::MetadataDb>* mirror_db) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const bool mirror = rank > 0 && rank < copies;
  // 1. Server 0's snapshot (its change number goes to every mirror).
  Status local;
  std::vector<uint8_t> bytes;
  uint64_t seq = 0;
  if (rank == 0) {
    auto snap = primary ? primary->snapshot() : Result<mds::KvBatch>(Status::error(EINVAL, "no metadata store"));
    if (snap) {
      seq = snap->seq;
      bytes = mds::encode_batch(*snap);
    } else {
      local = snap.status();
    }
  }
  NACRE_RETURN_IF_ERROR(agree(comm, local));
  MPI_Bcast(&seq, 1, MPI_UINT64_T, 0, comm);
  // 2. Which mirrors need it.
  char need = 0;
  bool unreadable = false;
  if (mirror) {
    const auto p = probe_metadata_copy(dir);
    unreadable = !p.problem.empty();
    need = (rebuilt || !p.present || p.behind || p.seq != seq) ? 1 : 0;
    if (need)
      log::warn("server " + std::to_string(rank) + ": metadata mirror " +
                (rebuilt ? std::string("lost with its directory")
                         : !p.present ? (p.problem.empty() ? std::string("missing") : p.problem)
                         : p.behind   ? "marked behind (" + p.behind_note + ")"
                                      : "at change " + std::to_string(p.seq)) +
                ", server 0 is at change " + std::to_string(seq) + ": bringing it up to date");
  }
  std::vector<char> needs(rank == 0 ? static_cast<size_t>(size) : 0);
  MPI_Gather(&need, 1, MPI_CHAR, needs.data(), 1, MPI_CHAR, 0, comm);
  // 3. Snapshots to those that need one; the others open their copy.
  if (rank == 0) {
    for (int k = 1; k < copies; ++k)
      if (needs[static_cast<size_t>(k)]) send_bytes(comm, k, &bytes);
  } else if (mirror) {
    auto db = [&]() -> Result<std::unique_ptr<mds::MetadataDb>> {
      if (!need) return mds::MetadataDb::open(dir + "/" + kMetadataFile, false);
      auto got = receive_bytes(comm, 0);
      if (!got) return got.status();
      auto installed = install_snapshot(dir, *got, unreadable);
      if (installed)
        log::info("server " + std::to_string(rank) + ": metadata mirror brought up to date (change " +
                  std::to_string((*installed)->seq()) + ")");
      return installed;
    }();
    if (db) *mirror_db = std::move(*db);
    else local = db.status();
  }
  return agree(comm, local).with_context("metadata mirrors");
}

void attach_metadata_mirrors(server::Server& srv, transport::MpiServerTransport& port,
                             ServerStorage& storage, int index) {
  if (storage.servers_comm == MPI_COMM_NULL) return;
  if (index == 0) {
    std::vector<int> mirrors;
    for (int k = 1; k < storage.metadata_copies; ++k) mirrors.push_back(k);
    srv.set_metadata_mirrors(std::make_unique<server::MetadataMirrors>(
        std::make_unique<transport::MpiClientTransport>(storage.servers_comm, storage.metadata_copies),
        mirrors));
  } else if (storage.mirror_db) {
    // One client on that link: the metadata server (rank 0 of servers_comm).
    const int link = port.add_link(storage.servers_comm, 1, false);
    srv.set_metadata_mirror_db(std::move(storage.mirror_db), link);
  }
}

Status detach_metadata_mirrors(server::Server& srv, ServerStorage& storage) {
  Status s = srv.finish_metadata_mirrors();
  if (storage.servers_comm != MPI_COMM_NULL) MPI_Comm_free(&storage.servers_comm);
  return s;
}

}  // namespace nacre::runtime
